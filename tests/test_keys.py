"""Generic keyspace family: DEL UNLINK EXISTS TYPE TOUCH RENAME COPY MOVE RANDOMKEY
KEYS SCAN, the EXPIRE family and expiry (lazy and active)."""

import random
import time

import pytest

from helpers import wait_until

OK = b"+OK\r\n"
NIL = b"$-1\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
DB_RANGE = b"-ERR DB index is out of range\r\n"
SAME = b"-ERR source and destination objects are the same\r\n"
NO_KEY = b"-ERR no such key\r\n"


def integer(n):
    return b":%d\r\n" % n


def bulk(b):
    if isinstance(b, str):
        b = b.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def mset_many(c, keys, value="v"):
    for i in range(0, len(keys), 500):
        args = []
        for k in keys[i:i + 500]:
            args += [k, value]
        assert c.cmd_raw("MSET", *args) == OK


# ---------------------------------------------------------------- DEL UNLINK EXISTS TYPE TOUCH


def test_del_unlink(raw):
    raw.cmd("MSET", "a", "1", "b", "2", "c", "3", "d", "4")
    assert raw.cmd_raw("DEL", "a", "b", "missing") == integer(2)
    assert raw.cmd_raw("DEL", "a") == integer(0)
    assert raw.cmd_raw("DEL", "c", "c") == integer(1)
    assert raw.cmd_raw("UNLINK", "d", "missing") == integer(1)
    assert raw.cmd_raw("DBSIZE") == integer(0)
    assert raw.cmd_raw("DEL") == arity("del")
    assert raw.cmd_raw("UNLINK") == arity("unlink")


def test_del_many_keys_across_shards(raw):
    keys = [f"k{i}" for i in range(300)]
    mset_many(raw, keys)
    assert raw.cmd_raw("DEL", *keys, "nope1", "nope2") == integer(300)
    assert raw.cmd_raw("DBSIZE") == integer(0)


def test_exists(raw):
    assert raw.cmd_raw("EXISTS", "a") == integer(0)
    raw.cmd("SET", "a", "1")
    raw.cmd("SET", "b", "")
    assert raw.cmd_raw("EXISTS", "a") == integer(1)
    assert raw.cmd_raw("EXISTS", "a", "a", "missing", "b") == integer(3)  # duplicates count
    assert raw.cmd_raw("EXISTS") == arity("exists")


def test_type(raw):
    raw.cmd("SET", "s", "x")
    raw.cmd("SET", "n", "12")
    assert raw.cmd_raw("TYPE", "s") == b"+string\r\n"
    assert raw.cmd_raw("TYPE", "n") == b"+string\r\n"
    assert raw.cmd_raw("TYPE", "missing") == b"+none\r\n"
    assert raw.cmd_raw("TYPE") == arity("type")
    assert raw.cmd_raw("TYPE", "a", "b") == arity("type")


def test_touch(raw):
    raw.cmd("MSET", "a", "1", "b", "2")
    assert raw.cmd_raw("TOUCH", "a", "a", "missing", "b") == integer(3)
    assert raw.cmd_raw("TOUCH", "missing") == integer(0)
    assert raw.cmd_raw("TOUCH") == arity("touch")


# ---------------------------------------------------------------- RENAME / RENAMENX


def test_rename(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw("RENAME", "a", "b") == OK
    assert raw.cmd_raw("EXISTS", "a") == integer(0)
    assert raw.cmd_raw("GET", "b") == bulk("1")
    raw.cmd("SET", "c", "3", "EX", "100")
    assert raw.cmd_raw("RENAME", "b", "c") == OK  # overwrites, and the TTL of the old c is gone
    assert raw.cmd_raw("GET", "c") == bulk("1")
    assert raw.cmd_raw("TTL", "c") == integer(-1)
    raw.cmd("SET", "e", "5", "EX", "100")
    assert raw.cmd_raw("RENAME", "e", "f") == OK  # TTL travels with the value
    assert raw.cmd_raw("TTL", "f") == integer(100)
    assert raw.cmd_raw("RENAME", "f", "f") == OK
    assert raw.cmd_raw("GET", "f") == bulk("5")
    assert raw.cmd_raw("TTL", "f") == integer(100)


def test_rename_errors(raw):
    assert raw.cmd_raw("RENAME", "missing", "x") == NO_KEY
    assert raw.cmd_raw("RENAME", "missing", "missing") == NO_KEY
    assert raw.cmd_raw("RENAMENX", "missing", "x") == NO_KEY
    raw.cmd("SET", "taken", "1")  # a missing source wins over an existing destination
    assert raw.cmd_raw("RENAMENX", "missing", "taken") == NO_KEY
    assert raw.cmd_raw("RENAME", "a") == arity("rename")
    assert raw.cmd_raw("RENAMENX", "a") == arity("renamenx")


def test_renamenx(raw):
    raw.cmd("MSET", "a", "1", "b", "2")
    assert raw.cmd_raw("RENAMENX", "a", "b") == integer(0)
    assert raw.cmd_raw("GET", "a") == bulk("1")
    assert raw.cmd_raw("RENAMENX", "a", "a") == integer(0)
    assert raw.cmd_raw("RENAMENX", "a", "c") == integer(1)
    assert raw.cmd_raw("MGET", "a", "c") == b"*2\r\n$-1\r\n$1\r\n1\r\n"


def test_rename_across_many_keys(raw):
    # keys of both names land on various shards with several proactor threads
    for i in range(50):
        raw.cmd("SET", f"src{i}", f"v{i}")
    for i in range(50):
        assert raw.cmd_raw("RENAME", f"src{i}", f"dst{i}") == OK
    assert raw.cmd("MGET", *[f"dst{i}" for i in range(50)]) == [f"v{i}".encode() for i in range(50)]
    assert raw.cmd_raw("EXISTS", *[f"src{i}" for i in range(50)]) == integer(0)


# ---------------------------------------------------------------- COPY / MOVE


def test_copy(raw):
    raw.cmd("SET", "f", "5", "EX", "100")
    assert raw.cmd_raw("COPY", "f", "g") == integer(1)
    assert raw.cmd_raw("GET", "g") == bulk("5")
    assert raw.cmd_raw("TTL", "g") == integer(100)
    assert raw.cmd_raw("COPY", "f", "g") == integer(0)
    raw.cmd("SET", "f", "6")
    assert raw.cmd_raw("COPY", "f", "g", "REPLACE") == integer(1)
    assert raw.cmd_raw("GET", "g") == bulk("6")
    assert raw.cmd_raw("TTL", "g") == integer(-1)
    assert raw.cmd_raw("COPY", "missing", "g") == integer(0)
    assert raw.cmd_raw("COPY", "missing", "g", "REPLACE") == integer(0)
    assert raw.cmd_raw("GET", "g") == bulk("6")
    # the copy is independent of the source
    raw.cmd("APPEND", "g", "x")
    assert raw.cmd_raw("GET", "f") == bulk("6")


def test_copy_errors(raw):
    raw.cmd("SET", "f", "1")
    assert raw.cmd_raw("COPY", "f", "f") == SAME
    assert raw.cmd_raw("COPY", "f", "g", "FOO") == SYNTAX
    assert raw.cmd_raw("COPY", "f", "g", "DB") == SYNTAX
    assert raw.cmd_raw("COPY", "f") == arity("copy")


@pytest.mark.multidb
def test_copy_db(raw):
    raw.cmd("SET", "f", "5", "EX", "100")
    assert raw.cmd_raw("COPY", "f", "g", "DB", "1") == integer(1)
    assert raw.cmd_raw("COPY", "f", "f", "DB", "1") == integer(1)  # same name, other db: fine
    assert raw.cmd_raw("COPY", "f", "f", "DB", "0") == SAME
    assert raw.cmd_raw("COPY", "f", "g", "DB", "16") == DB_RANGE
    assert raw.cmd_raw("COPY", "f", "g", "DB", "-1") == DB_RANGE
    assert raw.cmd_raw("COPY", "f", "g", "DB", "foo") == NOT_INT
    assert raw.cmd_raw("EXISTS", "g") == integer(0)
    raw.cmd("SELECT", "1")
    assert raw.cmd_raw("MGET", "f", "g") == b"*2\r\n$1\r\n5\r\n$1\r\n5\r\n"
    assert raw.cmd_raw("TTL", "g") == integer(100)
    raw.cmd("SET", "f", "db1")
    assert raw.cmd_raw("COPY", "f", "f", "DB", "0") == integer(0)
    assert raw.cmd_raw("COPY", "f", "f", "DB", "0", "REPLACE") == integer(1)
    raw.cmd("SELECT", "0")
    assert raw.cmd_raw("GET", "f") == bulk("db1")
    assert raw.cmd_raw("TTL", "f") == integer(-1)


@pytest.mark.multidb
def test_move(raw):
    raw.cmd("SET", "m", "1", "EX", "100")
    assert raw.cmd_raw("MOVE", "m", "1") == integer(1)
    assert raw.cmd_raw("EXISTS", "m") == integer(0)
    assert raw.cmd_raw("MOVE", "m", "1") == integer(0)
    raw.cmd("SET", "m", "2")
    assert raw.cmd_raw("MOVE", "m", "1") == integer(0)  # target exists: nothing moves
    assert raw.cmd_raw("GET", "m") == bulk("2")
    assert raw.cmd_raw("MOVE", "missing", "1") == integer(0)
    raw.cmd("SELECT", "1")
    assert raw.cmd_raw("GET", "m") == bulk("1")
    assert raw.cmd_raw("TTL", "m") == integer(100)


@pytest.mark.multidb
def test_move_errors(raw):
    raw.cmd("SET", "m", "1")
    assert raw.cmd_raw("MOVE", "m", "0") == SAME
    assert raw.cmd_raw("MOVE", "m", "16") == DB_RANGE
    assert raw.cmd_raw("MOVE", "m", "-1") == DB_RANGE
    assert raw.cmd_raw("MOVE", "m", "foo") == NOT_INT
    assert raw.cmd_raw("MOVE", "m") == arity("move")
    assert raw.cmd_raw("GET", "m") == bulk("1")


# ---------------------------------------------------------------- RANDOMKEY / KEYS


def test_randomkey(raw):
    assert raw.cmd_raw("RANDOMKEY") == NIL
    raw.cmd("SET", "only", "1")
    assert raw.cmd_raw("RANDOMKEY") == bulk("only")
    keys = {f"r{i}".encode() for i in range(20)}
    mset_many(raw, sorted(keys))
    keys.add(b"only")
    seen = set()
    for _ in range(200):
        k = raw.cmd("RANDOMKEY")
        assert k in keys
        seen.add(k)
    assert len(seen) > 1
    assert raw.cmd_raw("RANDOMKEY", "x") == arity("randomkey")


def test_keys_patterns(raw):
    raw.cmd("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5", "h*llo", "6",
            "other", "7")

    def keys(pattern):
        return sorted(raw.cmd("KEYS", pattern))

    assert keys("h?llo") == [b"h*llo", b"hallo", b"hello", b"hxllo"]
    assert keys("h*llo") == [b"h*llo", b"hallo", b"heeeello", b"hello", b"hllo", b"hxllo"]
    assert keys("h[ae]llo") == [b"hallo", b"hello"]
    assert keys("h[^e]llo") == [b"h*llo", b"hallo", b"hxllo"]
    assert keys("h[a-b]llo") == [b"hallo"]
    assert keys("h\\*llo") == [b"h*llo"]
    assert keys("*") == sorted([b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h*llo", b"other"])
    assert keys("nomatch") == []
    assert raw.cmd_raw("KEYS", "nomatch") == b"*0\r\n"
    assert raw.cmd_raw("KEYS") == arity("keys")


def test_keys_many(raw):
    keys = [f"user:{i}" for i in range(2000)] + [f"item:{i}" for i in range(500)]
    mset_many(raw, keys)
    got = raw.cmd("KEYS", "user:*")
    assert len(got) == 2000 and set(got) == {k.encode() for k in keys if k.startswith("user:")}
    assert len(raw.cmd("KEYS", "*")) == 2500


# ---------------------------------------------------------------- SCAN


def full_scan(c, *opts, max_calls=100_000):
    cursor = b"0"
    out = []
    for _ in range(max_calls):
        reply = c.cmd("SCAN", cursor, *opts)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, batch = reply
        assert isinstance(cursor, bytes) and cursor.isdigit(), cursor
        out.extend(batch)
        if cursor == b"0":
            return out
    raise AssertionError("SCAN did not finish in a bounded number of calls")


def test_scan_small(raw):
    raw.cmd("MSET", "a", "1", "b", "2", "c", "3")
    reply = raw.cmd("SCAN", "0")
    assert reply[0] == b"0"
    assert sorted(reply[1]) == [b"a", b"b", b"c"]
    assert raw.cmd_raw("SCAN", "0", "MATCH", "a*") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"


def test_scan_empty_db(raw):
    assert raw.cmd_raw("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"


@pytest.mark.parametrize("count", [1, 10, 1000])
def test_scan_full_iteration(raw, count):
    keys = {f"key:{i}".encode() for i in range(1500)}
    mset_many(raw, sorted(k.decode() for k in keys))
    got = full_scan(raw, "COUNT", str(count))
    assert set(got) == keys
    # duplicates are allowed by the SCAN contract, but not unbounded
    assert len(got) <= 2 * len(keys)


def test_scan_match_and_type(raw):
    mset_many(raw, [f"user:{i}" for i in range(300)] + [f"item:{i}" for i in range(300)])
    got = full_scan(raw, "MATCH", "user:1*", "COUNT", "50")
    expected = {f"user:{i}".encode() for i in range(300) if str(i).startswith("1")}
    assert set(got) == expected
    assert set(full_scan(raw, "TYPE", "string", "COUNT", "100")) == \
        {f"{p}:{i}".encode() for p in ("user", "item") for i in range(300)}
    assert full_scan(raw, "TYPE", "list") == []
    assert set(full_scan(raw, "TYPE", "STRING", "MATCH", "item:29?")) == {f"item:29{i}".encode() for i in range(10)}


def test_scan_type_is_case_insensitive(raw):
    raw.cmd("SET", "s", "1")
    assert set(full_scan(raw, "TYPE", "STRING")) == {b"s"}


def test_scan_errors(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw("SCAN", "foo") == b"-ERR invalid cursor\r\n"
    assert raw.cmd_raw("SCAN", "18446744073709551616") == b"-ERR invalid cursor\r\n"
    assert raw.cmd_raw("SCAN", "0", "COUNT", "0") == SYNTAX
    assert raw.cmd_raw("SCAN", "0", "COUNT", "-1") == SYNTAX
    assert raw.cmd_raw("SCAN", "0", "COUNT", "foo") == NOT_INT
    assert raw.cmd_raw("SCAN", "0", "MATCH") == SYNTAX
    assert raw.cmd_raw("SCAN", "0", "FOO", "bar") == SYNTAX
    assert raw.cmd_raw("SCAN") == arity("scan")


def test_scan_while_writing(raw, client):
    """Every key that exists for the whole iteration is returned at least once,
    while another connection keeps adding and deleting other keys."""
    stable = [f"stable:{i}" for i in range(2000)]
    mset_many(raw, stable)
    writer = client()
    rng = random.Random(1234)
    added = 0
    cursor = b"0"
    seen = set()
    for calls in range(100_000):
        cursor, batch = raw.cmd("SCAN", cursor, "COUNT", "20")
        seen.update(batch)
        # churn: grow the table (forces rehash/resizes) and delete some churn keys
        args = []
        for _ in range(30):
            args += [f"churn:{added}", "x"]
            added += 1
        assert writer.cmd_raw("MSET", *args) == OK
        victims = [f"churn:{rng.randrange(added)}" for _ in range(10)]
        writer.cmd("DEL", *victims)
        if cursor == b"0":
            break
    else:
        raise AssertionError("SCAN did not terminate")
    missing = {s.encode() for s in stable} - seen
    assert not missing, f"{len(missing)} stable keys never returned, e.g. {sorted(missing)[:5]}"
    assert added > 1000  # the table really grew during the scan


# ---------------------------------------------------------------- EXPIRE family


def test_expire_ttl_basics(raw):
    assert raw.cmd_raw("TTL", "missing") == integer(-2)
    assert raw.cmd_raw("PTTL", "missing") == integer(-2)
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw("TTL", "a") == integer(-1)
    assert raw.cmd_raw("PTTL", "a") == integer(-1)
    assert raw.cmd_raw("EXPIRE", "a", "100") == integer(1)
    assert raw.cmd_raw("TTL", "a") == integer(100)
    assert 99_000 < raw.cmd("PTTL", "a") <= 100_000
    assert raw.cmd_raw("PEXPIRE", "a", "50500") == integer(1)
    assert raw.cmd_raw("TTL", "a") in (integer(50), integer(51))  # TTL rounds to nearest second
    assert raw.cmd_raw("EXPIRE", "missing", "100") == integer(0)
    assert raw.cmd_raw("PEXPIRE", "missing", "100") == integer(0)


def test_expire_nx_xx_gt_lt(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw("EXPIRE", "a", "100", "XX") == integer(0)  # no TTL yet
    assert raw.cmd_raw("EXPIRE", "a", "100", "GT") == integer(0)  # no TTL == infinite
    assert raw.cmd_raw("EXPIRE", "a", "100", "NX") == integer(1)
    assert raw.cmd_raw("EXPIRE", "a", "200", "NX") == integer(0)
    assert raw.cmd_raw("TTL", "a") == integer(100)
    assert raw.cmd_raw("EXPIRE", "a", "50", "GT") == integer(0)
    assert raw.cmd_raw("EXPIRE", "a", "200", "GT") == integer(1)
    assert raw.cmd_raw("TTL", "a") == integer(200)
    assert raw.cmd_raw("EXPIRE", "a", "300", "LT") == integer(0)
    assert raw.cmd_raw("EXPIRE", "a", "100", "lt") == integer(1)
    assert raw.cmd_raw("TTL", "a") == integer(100)
    assert raw.cmd_raw("EXPIRE", "a", "150", "XX") == integer(1)
    # not greater (a smaller value: the same 150 s could land 1 ms later and be greater)
    assert raw.cmd_raw("EXPIRE", "a", "140", "XX", "GT") == integer(0)
    assert raw.cmd_raw("EXPIRE", "a", "160", "XX", "GT") == integer(1)
    assert raw.cmd_raw("TTL", "a") == integer(160)
    raw.cmd("PERSIST", "a")
    assert raw.cmd_raw("EXPIRE", "a", "100", "LT") == integer(1)  # anything is less than infinite
    assert raw.cmd_raw("PEXPIRE", "a", "1000000", "GT") == integer(1)
    assert raw.cmd_raw("TTL", "a") == integer(1000)
    assert raw.cmd_raw("EXPIRE", "a", "100", "NX", "NX") == integer(0)
    assert raw.cmd_raw("EXPIRE", "missing", "100", "NX") == integer(0)


@pytest.mark.parametrize("opts,err", [
    (("NX", "XX"), b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"),
    (("NX", "GT"), b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"),
    (("LT", "NX"), b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"),
    (("GT", "LT"), b"-ERR GT and LT options at the same time are not compatible\r\n"),
    (("FOO",), b"-ERR Unsupported option FOO\r\n"),
    (("XX", "bar"), b"-ERR Unsupported option bar\r\n"),
])
def test_expire_option_errors(raw, opts, err):
    raw.cmd("SET", "a", "1")
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        assert raw.cmd_raw(cmd, "a", "4102444800", *opts) == err, cmd
    assert raw.cmd_raw("TTL", "a") == integer(-1)


@pytest.mark.parametrize("cmd,value", [
    ("EXPIRE", "9223372036854775807"), ("EXPIRE", "9223372036854775"), ("EXPIRE", "-9223372036854775808"),
    ("PEXPIRE", "9223372036854775807"), ("EXPIREAT", "9223372036854775807"),
])
def test_expire_invalid_time(raw, cmd, value):
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw(cmd, "a", value) == b"-ERR invalid expire time in '%s' command\r\n" % cmd.lower().encode()
    assert raw.cmd_raw("TTL", "a") == integer(-1)


def test_expire_not_integer(raw):
    raw.cmd("SET", "a", "1")
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        assert raw.cmd_raw(cmd, "a", "foo") == NOT_INT
        assert raw.cmd_raw(cmd, "a", "1.5") == NOT_INT
        assert raw.cmd_raw(cmd, "a") == arity(cmd.lower())


@pytest.mark.parametrize("cmd,value", [("EXPIRE", "0"), ("EXPIRE", "-5"), ("PEXPIRE", "-5"), ("PEXPIRE", "0"),
                                       ("EXPIREAT", "100"), ("PEXPIREAT", "1")])
def test_expire_in_the_past_deletes(raw, cmd, value):
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw(cmd, "a", value) == integer(1)
    assert raw.cmd_raw("EXISTS", "a") == integer(0)
    assert raw.cmd_raw(cmd, "a", value) == integer(0)


def test_expire_large_but_valid(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw("EXPIRE", "a", "922337203685477") == integer(1)
    assert raw.cmd_raw("PEXPIREAT", "a", "9223372036854775807") == integer(1)
    assert raw.cmd_raw("PEXPIRETIME", "a") == integer(9223372036854775807)
    assert raw.cmd_raw("EXISTS", "a") == integer(1)


def test_expiretime(raw):
    assert raw.cmd_raw("EXPIRETIME", "missing") == integer(-2)
    assert raw.cmd_raw("PEXPIRETIME", "missing") == integer(-2)
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw("EXPIRETIME", "a") == integer(-1)
    assert raw.cmd_raw("PEXPIRETIME", "a") == integer(-1)
    assert raw.cmd_raw("EXPIREAT", "a", "4102444800") == integer(1)
    assert raw.cmd_raw("EXPIRETIME", "a") == integer(4102444800)
    assert raw.cmd_raw("PEXPIRETIME", "a") == integer(4102444800000)
    # EXPIRETIME rounds to the nearest second
    assert raw.cmd_raw("PEXPIREAT", "a", "4102444800499") == integer(1)
    assert raw.cmd_raw("EXPIRETIME", "a") == integer(4102444800)
    assert raw.cmd_raw("PEXPIREAT", "a", "4102444800500") == integer(1)
    assert raw.cmd_raw("EXPIRETIME", "a") == integer(4102444801)
    now = int(time.time())
    raw.cmd("EXPIRE", "a", "1000")
    assert now + 999 <= raw.cmd("EXPIRETIME", "a") <= now + 1002
    assert raw.cmd_raw("EXPIRETIME") == arity("expiretime")


def test_persist(raw):
    raw.cmd("SET", "a", "1", "EX", "100")
    assert raw.cmd_raw("PERSIST", "a") == integer(1)
    assert raw.cmd_raw("TTL", "a") == integer(-1)
    assert raw.cmd_raw("PERSIST", "a") == integer(0)
    assert raw.cmd_raw("PERSIST", "missing") == integer(0)
    assert raw.cmd_raw("PERSIST") == arity("persist")


def test_overwrite_clears_ttl_but_alter_keeps_it(raw):
    raw.cmd("SET", "a", "1", "EX", "100")
    raw.cmd("INCR", "a")
    raw.cmd("APPEND", "a", "0")
    raw.cmd("SETRANGE", "a", "0", "9")
    raw.cmd("SETBIT", "a", "0", "0")
    assert raw.cmd_raw("TTL", "a") == integer(100)
    raw.cmd("SET", "a", "2")
    assert raw.cmd_raw("TTL", "a") == integer(-1)


# ---------------------------------------------------------------- expiry


def test_lazy_expiry(raw):
    raw.cmd("SET", "a", "1", "PX", "50")
    raw.cmd("SET", "b", "1", "PX", "50")
    raw.cmd("SET", "keep", "1")
    time.sleep(0.15)
    assert raw.cmd_raw("GET", "a") == NIL
    assert raw.cmd_raw("EXISTS", "b") == integer(0)
    assert raw.cmd_raw("TTL", "a") == integer(-2)
    assert raw.cmd_raw("SET", "b", "2", "XX") == NIL  # an expired key does not exist for XX
    assert raw.cmd_raw("SETNX", "a", "new") == integer(1)
    assert raw.cmd_raw("GET", "a") == bulk("new")
    assert raw.cmd_raw("TTL", "a") == integer(-1)
    assert sorted(raw.cmd("KEYS", "*")) == [b"a", b"keep"]


def test_expired_keys_are_not_returned_by_mget_or_scan(raw):
    mset_many(raw, [f"k{i}" for i in range(50)])
    for i in range(0, 50, 2):
        raw.cmd("PEXPIRE", f"k{i}", "30")
    time.sleep(0.12)
    got = raw.cmd("MGET", *[f"k{i}" for i in range(50)])
    assert [g is None for g in got] == [i % 2 == 0 for i in range(50)]
    assert set(full_scan(raw)) == {f"k{i}".encode() for i in range(1, 50, 2)}


@pytest.mark.timeout(30)
def test_active_expiry(raw):
    """Keys with a 100 ms TTL disappear from DBSIZE without ever being touched."""
    n = 500
    keys = [f"volatile:{i}" for i in range(n)]
    mset_many(raw, keys)
    raw.cmd("SET", "persistent", "1")
    for k in keys:
        raw.send_command("PEXPIRE", k, "100")
    for _ in keys:
        assert raw.read_raw() == integer(1)
    assert raw.cmd("DBSIZE") == n + 1
    wait_until(lambda: raw.cmd("DBSIZE") == 1, timeout=10, interval=0.05,
               msg="active expiry to remove all 500 keys (DBSIZE == 1)")
    assert raw.cmd_raw("GET", "persistent") == bulk("1")


@pytest.mark.multidb
@pytest.mark.timeout(30)
def test_active_expiry_other_db(raw):
    raw.cmd("SELECT", "3")
    for i in range(50):
        raw.cmd("SET", f"v{i}", "1", "PX", "100")
    wait_until(lambda: raw.cmd("DBSIZE") == 0, timeout=10, interval=0.05,
               msg="active expiry in db 3")
