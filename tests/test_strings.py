"""String family: exact replies and error texts, as Redis 7.0 sends them."""

import time

import pytest

from helpers import wait_until

OK = b"+OK\r\n"
NIL = b"$-1\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
BIT_OFFSET = b"-ERR bit offset is not an integer or out of range\r\n"
BAD_BF_TYPE = (b"-ERR Invalid bitfield type. Use something like i16 u8. "
               b"Note that u64 is not supported but i64 is.\r\n")
I64_MAX = 9223372036854775807
I64_MIN = -9223372036854775808


def bulk(b) -> bytes:
    if isinstance(b, str):
        b = b.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def integer(n: int) -> bytes:
    return b":%d\r\n" % n


def arity(cmd: str) -> bytes:
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def invalid_expire(cmd: str) -> bytes:
    return b"-ERR invalid expire time in '%s' command\r\n" % cmd.encode()


# ---------------------------------------------------------------- GET / SET


def test_get_set_basic(raw):
    assert raw.cmd_raw("GET", "k") == NIL
    assert raw.cmd_raw("SET", "k", "v") == OK
    assert raw.cmd_raw("GET", "k") == bulk("v")
    assert raw.cmd_raw("SET", "k", "v2") == OK
    assert raw.cmd_raw("GET", "k") == bulk("v2")
    assert raw.cmd_raw("SET", "empty", "") == OK
    assert raw.cmd_raw("GET", "empty") == b"$0\r\n\r\n"
    assert raw.cmd_raw("EXISTS", "empty") == integer(1)


def test_set_get_binary_safe(raw):
    key = b"k\x00\r\n\xff"
    val = bytes(range(256)) * 4
    assert raw.cmd_raw("SET", key, val) == OK
    assert raw.cmd_raw("GET", key) == bulk(val)
    assert raw.cmd_raw("GET", b"k\x00") == NIL


def test_set_get_large_value(raw):
    val = b"abcdefghij" * 300_000  # 3 MB
    assert raw.cmd_raw("SET", "big", val) == OK
    assert raw.cmd_raw("STRLEN", "big") == integer(len(val))
    assert raw.cmd_raw("GET", "big", timeout=30) == bulk(val)


def test_set_ex_px(raw):
    assert raw.cmd_raw("SET", "a", "1", "EX", "100") == OK
    assert raw.cmd_raw("TTL", "a") == integer(100)
    assert raw.cmd_raw("SET", "b", "1", "PX", "100000") == OK
    assert 99_000 < raw.cmd("PTTL", "b") <= 100_000
    assert raw.cmd_raw("SET", "c", "1", "ex", "100") == OK  # options are case-insensitive
    assert raw.cmd_raw("TTL", "c") == integer(100)
    # a later EX wins over an earlier one
    assert raw.cmd_raw("SET", "d", "1", "EX", "10", "EX", "200") == OK
    assert raw.cmd_raw("TTL", "d") == integer(200)


def test_set_exat_pxat(raw):
    t = int(time.time())
    assert raw.cmd_raw("SET", "a", "1", "EXAT", str(t + 100)) == OK
    assert 98 <= raw.cmd("TTL", "a") <= 100
    assert raw.cmd_raw("EXPIRETIME", "a") == integer(t + 100)
    assert raw.cmd_raw("SET", "b", "1", "PXAT", str((t + 100) * 1000 + 123)) == OK
    assert raw.cmd_raw("PEXPIRETIME", "b") == integer((t + 100) * 1000 + 123)


def test_set_exat_in_the_past_deletes(raw):
    assert raw.cmd_raw("SET", "k", "v", "PXAT", "1") == OK
    assert raw.cmd_raw("GET", "k") == NIL
    assert raw.cmd_raw("EXISTS", "k") == integer(0)
    raw.cmd("SET", "k", "old")
    assert raw.cmd_raw("SET", "k", "v2", "EXAT", "1", "GET") == bulk("old")
    assert raw.cmd_raw("EXISTS", "k") == integer(0)


def test_set_clears_ttl_unless_keepttl(raw):
    raw.cmd("SET", "k", "v", "EX", "100")
    assert raw.cmd_raw("SET", "k", "v2", "KEEPTTL") == OK
    assert raw.cmd_raw("TTL", "k") == integer(100)
    assert raw.cmd_raw("GET", "k") == bulk("v2")
    assert raw.cmd_raw("SET", "k", "v3", "KEEPTTL", "GET") == bulk("v2")
    assert raw.cmd_raw("TTL", "k") == integer(100)
    assert raw.cmd_raw("SET", "k", "v4") == OK
    assert raw.cmd_raw("TTL", "k") == integer(-1)
    assert raw.cmd_raw("SET", "new", "v", "KEEPTTL") == OK
    assert raw.cmd_raw("TTL", "new") == integer(-1)


def test_set_nx_xx(raw):
    assert raw.cmd_raw("SET", "k", "v", "XX") == NIL
    assert raw.cmd_raw("EXISTS", "k") == integer(0)
    assert raw.cmd_raw("SET", "k", "v", "NX") == OK
    assert raw.cmd_raw("SET", "k", "v2", "NX") == NIL
    assert raw.cmd_raw("GET", "k") == bulk("v")
    assert raw.cmd_raw("SET", "k", "v3", "XX") == OK
    assert raw.cmd_raw("GET", "k") == bulk("v3")
    assert raw.cmd_raw("SET", "k", "v4", "nx", "nx") == NIL


def test_set_get_option(raw):
    assert raw.cmd_raw("SET", "k", "v1", "GET") == NIL
    assert raw.cmd_raw("SET", "k", "v2", "GET") == bulk("v1")
    assert raw.cmd_raw("GET", "k") == bulk("v2")
    # Redis 7: NX and GET together are allowed; the old value is returned, nothing is set
    assert raw.cmd_raw("SET", "k", "v3", "NX", "GET") == bulk("v2")
    assert raw.cmd_raw("GET", "k") == bulk("v2")
    assert raw.cmd_raw("SET", "n", "v", "NX", "GET") == NIL
    assert raw.cmd_raw("GET", "n") == bulk("v")
    assert raw.cmd_raw("SET", "k", "v5", "XX", "GET") == bulk("v2")
    assert raw.cmd_raw("SET", "nx2", "v", "XX", "GET") == NIL
    assert raw.cmd_raw("EXISTS", "nx2") == integer(0)
    assert raw.cmd_raw("SET", "k", "v6", "GET", "EX", "100") == bulk("v5")
    assert raw.cmd_raw("TTL", "k") == integer(100)
    assert raw.cmd_raw("SET", "k", "v7", "GET", "GET") == bulk("v6")


@pytest.mark.parametrize("args", [
    ("NX", "XX"), ("XX", "NX"),
    ("EX", "10", "PX", "100"), ("PX", "100", "EX", "10"), ("EX", "10", "EXAT", "99999999999"),
    ("PXAT", "99999999999999", "EXAT", "99999999999"),
    ("EX", "10", "KEEPTTL"), ("KEEPTTL", "PX", "5"), ("KEEPTTL", "EXAT", "99999999999"),
    ("EX",), ("PX",), ("EXAT",), ("PXAT",), ("foo",), ("EX", "10", "foo"), ("GETX",),
])
def test_set_syntax_errors(raw, args):
    assert raw.cmd_raw("SET", "k", "v", *args) == SYNTAX
    assert raw.cmd_raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("args", [
    ("EX", "0"), ("EX", "-1"), ("PX", "0"), ("PX", "-100"), ("EXAT", "0"), ("PXAT", "0"), ("EXAT", "-5"),
    ("EX", str(I64_MAX)), ("EX", "9223372036854775"), ("PX", str(I64_MAX)), ("EX", str(I64_MIN)),
])
def test_set_invalid_expire_time(raw, args):
    assert raw.cmd_raw("SET", "k", "v", *args) == invalid_expire("set")
    assert raw.cmd_raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("args", [("EX", "foo"), ("EX", "1.5"), ("PX", "1e3"), ("EXAT", ""),
                                  ("PX", "99999999999999999999")])
def test_set_expire_not_integer(raw, args):
    assert raw.cmd_raw("SET", "k", "v", *args) == NOT_INT


def test_set_huge_absolute_expire_is_accepted(raw):
    # EXAT * 1000 still fits in 64 bits: accepted (only relative EX/PX overflow is checked)
    assert raw.cmd_raw("SET", "k", "v", "EXAT", "9223372036854775") == OK
    assert raw.cmd_raw("SET", "k2", "v", "PXAT", str(I64_MAX)) == OK
    assert raw.cmd("TTL", "k2") > 9_000_000_000_000_000


def test_set_arity(raw):
    assert raw.cmd_raw("SET", "k") == arity("set")
    assert raw.cmd_raw("SET") == arity("set")
    assert raw.cmd_raw("GET") == arity("get")
    assert raw.cmd_raw("GET", "a", "b") == arity("get")


def test_set_px_expires(raw):
    assert raw.cmd_raw("SET", "k", "v", "PX", "100") == OK
    assert raw.cmd_raw("GET", "k") == bulk("v")
    wait_until(lambda: raw.cmd_raw("GET", "k") == NIL, timeout=3, msg="key with PX 100 to expire")
    assert raw.cmd_raw("EXISTS", "k") == integer(0)
    assert raw.cmd_raw("TTL", "k") == integer(-2)


# ---------------------------------------------------------------- SETNX SETEX PSETEX GETSET GETDEL


def test_setnx(raw):
    assert raw.cmd_raw("SETNX", "k", "1") == integer(1)
    assert raw.cmd_raw("SETNX", "k", "2") == integer(0)
    assert raw.cmd_raw("GET", "k") == bulk("1")
    assert raw.cmd_raw("SETNX", "k") == arity("setnx")


def test_setex_psetex(raw):
    assert raw.cmd_raw("SETEX", "k", "100", "v") == OK
    assert raw.cmd_raw("TTL", "k") == integer(100)
    assert raw.cmd_raw("GET", "k") == bulk("v")
    assert raw.cmd_raw("PSETEX", "p", "100000", "v") == OK
    assert raw.cmd_raw("TTL", "p") == integer(100)
    for cmd in ("SETEX", "PSETEX"):
        for bad in ("0", "-5"):
            assert raw.cmd_raw(cmd, "e", bad, "v") == invalid_expire(cmd.lower())
        assert raw.cmd_raw(cmd, "e", "foo", "v") == NOT_INT
        assert raw.cmd_raw(cmd, "e", "10") == arity(cmd.lower())
    assert raw.cmd_raw("SETEX", "e", str(I64_MAX), "v") == invalid_expire("setex")
    assert raw.cmd_raw("EXISTS", "e") == integer(0)


def test_getset(raw):
    assert raw.cmd_raw("GETSET", "k", "1") == NIL
    assert raw.cmd_raw("GETSET", "k", "2") == bulk("1")
    assert raw.cmd_raw("GET", "k") == bulk("2")
    raw.cmd("EXPIRE", "k", "100")
    assert raw.cmd_raw("GETSET", "k", "3") == bulk("2")
    assert raw.cmd_raw("TTL", "k") == integer(-1)  # GETSET clears the TTL
    assert raw.cmd_raw("GETSET", "k") == arity("getset")


def test_getdel(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd_raw("GETDEL", "k") == bulk("v")
    assert raw.cmd_raw("GETDEL", "k") == NIL
    assert raw.cmd_raw("EXISTS", "k") == integer(0)
    assert raw.cmd_raw("GETDEL") == arity("getdel")
    assert raw.cmd_raw("GETDEL", "a", "b") == arity("getdel")


# ---------------------------------------------------------------- GETEX


def test_getex(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd_raw("GETEX", "k") == bulk("v")
    assert raw.cmd_raw("TTL", "k") == integer(-1)
    assert raw.cmd_raw("GETEX", "k", "EX", "100") == bulk("v")
    assert raw.cmd_raw("TTL", "k") == integer(100)
    assert raw.cmd_raw("GETEX", "k", "PX", "200000") == bulk("v")
    assert raw.cmd_raw("TTL", "k") == integer(200)
    assert raw.cmd_raw("GETEX", "k", "PXAT", "4102444800999") == bulk("v")
    assert raw.cmd_raw("PEXPIRETIME", "k") == integer(4102444800999)
    assert raw.cmd_raw("GETEX", "k", "EXAT", "4102444800") == bulk("v")
    assert raw.cmd_raw("EXPIRETIME", "k") == integer(4102444800)
    assert raw.cmd_raw("GETEX", "k") == bulk("v")  # plain GETEX keeps the TTL
    assert raw.cmd_raw("EXPIRETIME", "k") == integer(4102444800)
    assert raw.cmd_raw("GETEX", "k", "PERSIST") == bulk("v")
    assert raw.cmd_raw("TTL", "k") == integer(-1)
    assert raw.cmd_raw("GETEX", "missing", "EX", "10") == NIL
    assert raw.cmd_raw("EXISTS", "missing") == integer(0)


def test_getex_past_time_deletes(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd_raw("GETEX", "k", "EXAT", "1") == bulk("v")
    assert raw.cmd_raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("args,err", [
    (("EX", "0"), invalid_expire("getex")),
    (("PX", "-1"), invalid_expire("getex")),
    (("EXAT", "0"), invalid_expire("getex")),
    (("EX", str(I64_MAX)), invalid_expire("getex")),
    (("EX", "foo"), NOT_INT),
    (("PERSIST", "EX", "10"), SYNTAX),
    (("EX", "10", "PX", "10"), SYNTAX),
    (("EX", "10", "PERSIST"), SYNTAX),
    (("foo",), SYNTAX),
    (("EX",), SYNTAX),
])
def test_getex_errors(raw, args, err):
    raw.cmd("SET", "k", "v")
    assert raw.cmd_raw("GETEX", "k", *args) == err
    assert raw.cmd_raw("TTL", "k") == integer(-1)
    assert raw.cmd_raw("GETEX") == arity("getex")


# ---------------------------------------------------------------- MGET MSET MSETNX


def test_mget_mset(raw):
    assert raw.cmd_raw("MSET", "a", "1", "b", "2", "c", "") == OK
    assert raw.cmd_raw("MGET", "a", "b", "missing", "c", "a") == \
        b"*5\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$0\r\n\r\n$1\r\n1\r\n"
    assert raw.cmd_raw("MSET", "a", "x", "a", "y") == OK  # last one wins
    assert raw.cmd_raw("GET", "a") == bulk("y")
    raw.cmd("EXPIRE", "b", "100")
    raw.cmd("MSET", "b", "3")
    assert raw.cmd_raw("TTL", "b") == integer(-1)
    assert raw.cmd_raw("MSET") == arity("mset")
    assert raw.cmd_raw("MSET", "a") == arity("mset")
    assert raw.cmd_raw("MSET", "a", "1", "b") == arity("mset")
    assert raw.cmd_raw("MGET") == arity("mget")


def test_mset_many_keys(raw):
    n = 1000
    args = []
    for i in range(n):
        args += [f"key:{i}", f"val:{i}"]
    assert raw.cmd_raw("MSET", *args) == OK
    got = raw.cmd("MGET", *[f"key:{i}" for i in range(n)])
    assert got == [f"val:{i}".encode() for i in range(n)]
    assert raw.cmd_raw("DBSIZE") == integer(n)


def test_msetnx(raw):
    assert raw.cmd_raw("MSETNX", "a", "1", "b", "2") == integer(1)
    assert raw.cmd_raw("MSETNX", "b", "x", "c", "3") == integer(0)
    assert raw.cmd_raw("EXISTS", "c") == integer(0)  # all or nothing
    assert raw.cmd_raw("GET", "b") == bulk("2")
    assert raw.cmd_raw("MSETNX", "d", "1", "d", "2") == integer(1)
    assert raw.cmd_raw("GET", "d") == bulk("2")
    assert raw.cmd_raw("MSETNX", "e", "1", "f") == arity("msetnx")
    assert raw.cmd_raw("MSETNX") == arity("msetnx")


# ---------------------------------------------------------------- INCR family


def test_incr_decr(raw):
    assert raw.cmd_raw("INCR", "n") == integer(1)
    assert raw.cmd_raw("INCR", "n") == integer(2)
    assert raw.cmd_raw("DECR", "n") == integer(1)
    assert raw.cmd_raw("INCRBY", "n", "10") == integer(11)
    assert raw.cmd_raw("INCRBY", "n", "-20") == integer(-9)
    assert raw.cmd_raw("DECRBY", "n", "-9") == integer(0)
    assert raw.cmd_raw("DECRBY", "n", "5") == integer(-5)
    assert raw.cmd_raw("GET", "n") == bulk("-5")
    assert raw.cmd_raw("DECR", "m") == integer(-1)
    raw.cmd("SET", "t", "10", "EX", "100")
    assert raw.cmd_raw("INCR", "t") == integer(11)
    assert raw.cmd_raw("TTL", "t") == integer(100)  # INCR keeps the TTL


@pytest.mark.parametrize("value", ["abc", " 1", "1 ", "01", "+1", "1.0", "", "0x10",
                                   "9223372036854775808", "-9223372036854775809", "1e3"])
def test_incr_not_integer(raw, value):
    raw.cmd("SET", "s", value)
    assert raw.cmd_raw("INCR", "s") == NOT_INT
    assert raw.cmd_raw("DECR", "s") == NOT_INT
    assert raw.cmd_raw("INCRBY", "s", "1") == NOT_INT
    assert raw.cmd_raw("GET", "s") == bulk(value)


def test_incrby_bad_increment(raw):
    for inc in ("foo", "1.5", "", "9223372036854775808"):
        assert raw.cmd_raw("INCRBY", "n", inc) == NOT_INT
        assert raw.cmd_raw("DECRBY", "n", inc) == NOT_INT
    assert raw.cmd_raw("EXISTS", "n") == integer(0)


def test_incr_overflow(raw):
    raw.cmd("SET", "i", str(I64_MAX))
    assert raw.cmd_raw("INCR", "i") == OVERFLOW
    assert raw.cmd_raw("INCRBY", "i", "1") == OVERFLOW
    assert raw.cmd_raw("DECRBY", "i", "-1") == OVERFLOW
    assert raw.cmd_raw("GET", "i") == bulk(str(I64_MAX))
    raw.cmd("SET", "i", str(I64_MIN))
    assert raw.cmd_raw("DECR", "i") == OVERFLOW
    assert raw.cmd_raw("DECRBY", "i", "1") == OVERFLOW
    assert raw.cmd_raw("INCRBY", "i", str(I64_MIN)) == OVERFLOW
    assert raw.cmd_raw("INCRBY", "i", str(I64_MAX)) == integer(-1)
    raw.cmd("SET", "i", "5")
    # negating LLONG_MIN is impossible: DECRBY has its own message
    assert raw.cmd_raw("DECRBY", "i", str(I64_MIN)) == b"-ERR decrement would overflow\r\n"
    assert raw.cmd_raw("INCRBY", "i", str(I64_MAX - 5)) == integer(I64_MAX)


def test_incr_arity(raw):
    assert raw.cmd_raw("INCR") == arity("incr")
    assert raw.cmd_raw("INCR", "a", "b") == arity("incr")
    assert raw.cmd_raw("DECR") == arity("decr")
    assert raw.cmd_raw("INCRBY", "a") == arity("incrby")
    assert raw.cmd_raw("DECRBY", "a") == arity("decrby")
    assert raw.cmd_raw("INCRBYFLOAT", "a") == arity("incrbyfloat")


@pytest.mark.parametrize("start,inc,result", [
    (None, "3", "3"),
    (None, "1.100", "1.1"),
    (None, "0.0000001", "0.0000001"),
    (None, "1e-7", "0.0000001"),
    (None, "-0", "0"),
    (None, "0x10", "16"),
    (None, "5.0e3", "5000"),
    ("10.5", "0.1", "10.6"),
    ("10.5", "-5", "5.5"),
    ("3.0", "0", "3"),
    ("1e2", "0", "100"),
    ("-1.5", "1.5", "0"),
    ("17", "-0.25", "16.75"),
    ("1", "1e20", "100000000000000000000")  # +1 is lost in a 64-bit mantissa,
])
def test_incrbyfloat_formatting(raw, start, inc, result):
    if start is not None:
        raw.cmd("SET", "f", start)
    assert raw.cmd_raw("INCRBYFLOAT", "f", inc) == bulk(result)
    assert raw.cmd_raw("GET", "f") == bulk(result)


def test_incrbyfloat_long_double_precision(raw):
    # Redis computes INCRBYFLOAT in long double (x87 80-bit) and prints %.17Lg-style:
    # the error of 5.6 shows up in the 17th digit.
    raw.cmd("SET", "f", "5.6")
    assert raw.cmd_raw("INCRBYFLOAT", "f", "5.0e3") == bulk("5005.60000000000000009")
    # parsing is strtold too: a double would give 123456789012345678880407003136
    assert raw.cmd_raw("INCRBYFLOAT", "g", "123456789012345678901234567890") == \
        bulk("123456789012345678899921813504")
    # and printing is fixed-point, never with an exponent
    raw.cmd("SET", "h", "1")
    assert raw.cmd_raw("INCRBYFLOAT", "h", "1e25") == bulk("10000000000000000000000000")


def test_incrbyfloat_errors(raw):
    raw.cmd("SET", "s", "abc")
    assert raw.cmd_raw("INCRBYFLOAT", "s", "1") == NOT_FLOAT
    raw.cmd("SET", "f", "1.5")
    for bad in ("abc", " 1", "1 ", "", "nan", "1.5x"):
        assert raw.cmd_raw("INCRBYFLOAT", "f", bad) == NOT_FLOAT, bad
    for inf in ("inf", "-inf", "+inf"):
        assert raw.cmd_raw("INCRBYFLOAT", "f", inf) == b"-ERR increment would produce NaN or Infinity\r\n"
    assert raw.cmd_raw("GET", "f") == bulk("1.5")
    assert raw.cmd_raw("EXISTS", "nf") == integer(0)


def test_incrbyfloat_keeps_ttl(raw):
    raw.cmd("SET", "f", "1", "EX", "100")
    assert raw.cmd_raw("INCRBYFLOAT", "f", "0.5") == bulk("1.5")
    assert raw.cmd_raw("TTL", "f") == integer(100)


# ---------------------------------------------------------------- APPEND STRLEN


def test_append_strlen(raw):
    assert raw.cmd_raw("STRLEN", "a") == integer(0)
    assert raw.cmd_raw("APPEND", "a", "x") == integer(1)
    assert raw.cmd_raw("APPEND", "a", "yz") == integer(3)
    assert raw.cmd_raw("APPEND", "a", "") == integer(3)
    assert raw.cmd_raw("GET", "a") == bulk("xyz")
    assert raw.cmd_raw("STRLEN", "a") == integer(3)
    assert raw.cmd_raw("APPEND", "e", "") == integer(0)
    assert raw.cmd_raw("EXISTS", "e") == integer(1)  # APPEND creates even an empty string
    raw.cmd("SET", "n", "12")
    assert raw.cmd_raw("APPEND", "n", "3") == integer(3)
    assert raw.cmd_raw("INCR", "n") == integer(124)
    assert raw.cmd_raw("STRLEN", "n") == integer(3)
    raw.cmd("SET", "t", "v", "EX", "100")
    raw.cmd("APPEND", "t", "w")
    assert raw.cmd_raw("TTL", "t") == integer(100)
    assert raw.cmd_raw("APPEND", "a") == arity("append")
    assert raw.cmd_raw("STRLEN") == arity("strlen")


# ---------------------------------------------------------------- GETRANGE SUBSTR SETRANGE


@pytest.mark.parametrize("start,end,expected", [
    ("0", "4", "Hello"), ("-5", "-1", "World"), ("5", "2", ""), ("-100", "100", "Hello World"),
    ("100", "200", ""), ("-1", "-5", ""), ("0", "-1", "Hello World"), ("0", "0", "H"),
    ("10", "10", "d"), ("-1", "-1", "d"), ("0", str(I64_MAX), "Hello World"),
    (str(I64_MIN), "-1", "Hello World"), ("3", "-100", ""), ("-100", "-50", "H"),  # both clamp to 0
])
def test_getrange(raw, start, end, expected):
    raw.cmd("SET", "s", "Hello World")
    assert raw.cmd_raw("GETRANGE", "s", start, end) == bulk(expected)
    assert raw.cmd_raw("SUBSTR", "s", start, end) == bulk(expected)


def test_getrange_edge_cases(raw):
    assert raw.cmd_raw("GETRANGE", "missing", "0", "-1") == b"$0\r\n\r\n"
    raw.cmd("SET", "e", "")
    assert raw.cmd_raw("GETRANGE", "e", "0", "-1") == b"$0\r\n\r\n"
    raw.cmd("SET", "n", "12345")  # int-encoded value
    assert raw.cmd_raw("GETRANGE", "n", "1", "3") == bulk("234")
    assert raw.cmd_raw("GETRANGE", "n", "0", "foo") == NOT_INT
    assert raw.cmd_raw("GETRANGE", "n", "x", "1") == NOT_INT
    assert raw.cmd_raw("GETRANGE", "n", "0") == arity("getrange")


def test_setrange(raw):
    raw.cmd("SET", "s", "Hello World")
    assert raw.cmd_raw("SETRANGE", "s", "6", "Redis") == integer(11)
    assert raw.cmd_raw("GET", "s") == bulk("Hello Redis")
    assert raw.cmd_raw("SETRANGE", "s", "11", "!") == integer(12)
    assert raw.cmd_raw("SETRANGE", "s", "15", "?") == integer(16)
    assert raw.cmd_raw("GET", "s") == bulk(b"Hello Redis!\x00\x00\x00?")
    assert raw.cmd_raw("SETRANGE", "new", "3", "ab") == integer(5)
    assert raw.cmd_raw("GET", "new") == bulk(b"\x00\x00\x00ab")
    assert raw.cmd_raw("SETRANGE", "s", "0", "") == integer(16)
    raw.cmd("SET", "n", "100")
    assert raw.cmd_raw("SETRANGE", "n", "0", "2") == integer(3)
    assert raw.cmd_raw("INCR", "n") == integer(201)


def test_setrange_empty_value_does_not_create(raw):
    assert raw.cmd_raw("SETRANGE", "k", "5", "") == integer(0)
    assert raw.cmd_raw("SETRANGE", "k", "0", "") == integer(0)
    assert raw.cmd_raw("EXISTS", "k") == integer(0)
    # even a huge offset is fine when nothing is written
    assert raw.cmd_raw("SETRANGE", "k", "536870912", "") == integer(0)


def test_setrange_errors(raw):
    raw.cmd("SET", "s", "abc")
    assert raw.cmd_raw("SETRANGE", "s", "-1", "x") == b"-ERR offset is out of range\r\n"
    assert raw.cmd_raw("SETRANGE", "s", "536870912", "x") == \
        b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    assert raw.cmd_raw("SETRANGE", "new", "536870912", "x") == \
        b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    assert raw.cmd_raw("SETRANGE", "s", "foo", "x") == NOT_INT
    assert raw.cmd_raw("SETRANGE", "s", "0") == arity("setrange")
    assert raw.cmd_raw("GET", "s") == bulk("abc")
    assert raw.cmd_raw("EXISTS", "new") == integer(0)


# ---------------------------------------------------------------- LCS


def test_lcs(raw):
    raw.cmd("MSET", "k1", "ohmytext", "k2", "mynewtext")
    assert raw.cmd_raw("LCS", "k1", "k2") == bulk("mytext")
    assert raw.cmd_raw("LCS", "k1", "k2", "LEN") == integer(6)
    assert raw.cmd_raw("LCS", "k1", "k2", "IDX") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
        b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n")
    assert raw.cmd_raw("LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n")
    assert raw.cmd_raw("LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n")
    assert raw.cmd_raw("LCS", "k1", "k2", "IDX", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n")
    # WITHMATCHLEN / MINMATCHLEN are ignored without IDX; negative MINMATCHLEN is 0
    assert raw.cmd_raw("LCS", "k1", "k2", "WITHMATCHLEN") == bulk("mytext")
    assert raw.cmd_raw("LCS", "k1", "k2", "MINMATCHLEN", "-1", "IDX") == raw.cmd_raw("LCS", "k1", "k2", "IDX")


def test_lcs_resp3_idx_is_a_map(raw):
    raw.cmd("MSET", "k1", "ohmytext", "k2", "mynewtext")
    raw.cmd("HELLO", "3")
    assert raw.cmd_raw("LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4") == (
        b"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n")


def test_lcs_missing_keys_and_errors(raw):
    raw.cmd("SET", "k1", "abc")
    assert raw.cmd_raw("LCS", "k1", "missing") == b"$0\r\n\r\n"
    assert raw.cmd_raw("LCS", "missing", "missing2", "LEN") == integer(0)
    assert raw.cmd_raw("LCS", "k1", "k1", "LEN") == integer(3)
    assert raw.cmd_raw("LCS", "k1", "k1", "LEN", "IDX") == \
        b"-ERR If you want both the length and indexes, please just use IDX.\r\n"
    assert raw.cmd_raw("LCS", "k1", "k1", "FOO") == SYNTAX
    assert raw.cmd_raw("LCS", "k1", "k1", "MINMATCHLEN", "foo") == NOT_INT
    assert raw.cmd_raw("LCS", "k1", "k1", "MINMATCHLEN") == SYNTAX
    assert raw.cmd_raw("LCS", "k1") == arity("lcs")


# ---------------------------------------------------------------- SETBIT GETBIT


def test_setbit_getbit(raw):
    assert raw.cmd_raw("SETBIT", "b", "7", "1") == integer(0)
    assert raw.cmd_raw("SETBIT", "b", "7", "1") == integer(1)
    assert raw.cmd_raw("GET", "b") == bulk(b"\x01")
    assert raw.cmd_raw("SETBIT", "b", "7", "0") == integer(1)
    assert raw.cmd_raw("SETBIT", "b", "100", "1") == integer(0)
    assert raw.cmd_raw("STRLEN", "b") == integer(13)
    assert raw.cmd_raw("GETBIT", "b", "100") == integer(1)
    assert raw.cmd_raw("GETBIT", "b", "99") == integer(0)
    assert raw.cmd_raw("GETBIT", "b", "100000") == integer(0)
    assert raw.cmd_raw("GETBIT", "missing", "0") == integer(0)
    raw.cmd("SET", "s", "A")  # 0b01000001
    assert [raw.cmd("GETBIT", "s", str(i)) for i in range(8)] == [0, 1, 0, 0, 0, 0, 0, 1]
    raw.cmd("SET", "n", "1")  # int-encoded "1" == 0x31
    assert raw.cmd_raw("SETBIT", "n", "6", "1") == integer(0)
    assert raw.cmd_raw("GET", "n") == bulk("3")


def test_setbit_getbit_errors(raw):
    for off in ("-1", "4294967296", "foo", "1.5"):
        assert raw.cmd_raw("SETBIT", "b", off, "1") == BIT_OFFSET
        assert raw.cmd_raw("GETBIT", "b", off) == BIT_OFFSET
    for bit in ("2", "-1", "foo", ""):
        assert raw.cmd_raw("SETBIT", "b", "1", bit) == b"-ERR bit is not an integer or out of range\r\n"
    assert raw.cmd_raw("EXISTS", "b") == integer(0)
    assert raw.cmd_raw("SETBIT", "b", "0") == arity("setbit")
    assert raw.cmd_raw("GETBIT", "b") == arity("getbit")


# ---------------------------------------------------------------- BITCOUNT


@pytest.mark.parametrize("args,expected", [
    ((), 26), (("0", "0"), 4), (("1", "1"), 6), (("1", "1", "BYTE"), 6), (("0", "-1"), 26),
    (("5", "30", "BIT"), 17), (("-1", "-1", "BIT"), 0), (("-2", "-1", "bit"), 1), (("1", "0"), 0),
    (("-100", "-50"), 4), (("2", "100"), 16), (("100", "200"), 0), (("0", "47", "BIT"), 26),
])
def test_bitcount(raw, args, expected):
    raw.cmd("SET", "foobar", "foobar")
    assert raw.cmd_raw("BITCOUNT", "foobar", *args) == integer(expected)


def test_bitcount_errors(raw):
    raw.cmd("SET", "foobar", "foobar")
    assert raw.cmd_raw("BITCOUNT", "missing") == integer(0)
    assert raw.cmd_raw("BITCOUNT", "missing", "0", "1", "BIT") == integer(0)
    assert raw.cmd_raw("BITCOUNT", "foobar", "0") == SYNTAX
    assert raw.cmd_raw("BITCOUNT", "foobar", "0", "1", "FOO") == SYNTAX
    assert raw.cmd_raw("BITCOUNT", "foobar", "0", "1", "BIT", "BIT") == SYNTAX
    assert raw.cmd_raw("BITCOUNT", "foobar", "a", "b") == NOT_INT
    assert raw.cmd_raw("BITCOUNT") == arity("bitcount")


# ---------------------------------------------------------------- BITPOS


@pytest.mark.parametrize("args,expected", [
    (("0",), 12), (("1",), 0), (("1", "2"), -1), (("0", "1"), 12), (("0", "2", "-1", "BIT"), 12),
    (("1", "7", "15", "BIT"), 7), (("1", "8", "-1", "BIT"), 8), (("0", "0", "0"), -1),
    (("0", "-1"), 16), (("1", "-3", "-1", "BYTE"), 0), (("0", "100"), -1),
])
def test_bitpos(raw, args, expected):
    raw.cmd("SET", "bp", b"\xff\xf0\x00")
    assert raw.cmd_raw("BITPOS", "bp", *args) == integer(expected)


def test_bitpos_all_ones_and_missing(raw):
    raw.cmd("SET", "ones", b"\xff\xff\xff")
    assert raw.cmd_raw("BITPOS", "ones", "0") == integer(24)  # no end given: bit past the string
    assert raw.cmd_raw("BITPOS", "ones", "0", "0") == integer(24)
    assert raw.cmd_raw("BITPOS", "ones", "0", "0", "-1") == integer(-1)  # explicit end: -1
    assert raw.cmd_raw("BITPOS", "ones", "0", "0", "-1", "BIT") == integer(-1)
    assert raw.cmd_raw("BITPOS", "ones", "1", "5", "3") == integer(-1)
    assert raw.cmd_raw("BITPOS", "missing", "0") == integer(0)
    assert raw.cmd_raw("BITPOS", "missing", "1") == integer(-1)
    raw.cmd("SET", "zeros", b"\x00\x00")
    assert raw.cmd_raw("BITPOS", "zeros", "1") == integer(-1)


def test_bitpos_errors(raw):
    raw.cmd("SET", "bp", "x")
    assert raw.cmd_raw("BITPOS", "bp", "2") == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert raw.cmd_raw("BITPOS", "bp", "1", "0", "-1", "FOO") == SYNTAX
    assert raw.cmd_raw("BITPOS", "bp", "1", "a") == NOT_INT
    assert raw.cmd_raw("BITPOS", "bp") == arity("bitpos")


# ---------------------------------------------------------------- BITOP


def test_bitop(raw):
    raw.cmd("MSET", "k1", "foobar", "k2", "abcdef", "short", "a")
    assert raw.cmd_raw("BITOP", "AND", "dest", "k1", "k2") == integer(6)
    assert raw.cmd_raw("GET", "dest") == bulk(b"`bc`ab")
    assert raw.cmd_raw("BITOP", "OR", "dest", "k1", "k2") == integer(6)
    assert raw.cmd_raw("GET", "dest") == bulk(b"goofev")
    assert raw.cmd_raw("BITOP", "XOR", "dest", "k1", "k2", "missing") == integer(6)
    assert raw.cmd_raw("GET", "dest") == bulk(b"\x07\r\x0c\x06\x04\x14")
    assert raw.cmd_raw("BITOP", "NOT", "dest", "k1") == integer(6)
    assert raw.cmd_raw("GET", "dest") == bulk(b"\x99\x90\x90\x9d\x9e\x8d")
    assert raw.cmd_raw("BITOP", "and", "dest", "k1", "short") == integer(6)  # shorter input is 0-padded
    assert raw.cmd_raw("GET", "dest") == bulk(b"`\x00\x00\x00\x00\x00")
    assert raw.cmd_raw("BITOP", "or", "dest", "short", "k1") == integer(6)
    assert raw.cmd_raw("GET", "dest") == bulk(b"goobar")
    assert raw.cmd_raw("BITOP", "AND", "k1", "k1", "k2") == integer(6)  # destination may be a source
    assert raw.cmd_raw("GET", "k1") == bulk(b"`bc`ab")


def test_bitop_missing_sources_delete_destination(raw):
    raw.cmd("SET", "dest", "old")
    assert raw.cmd_raw("BITOP", "AND", "dest", "missing") == integer(0)
    assert raw.cmd_raw("EXISTS", "dest") == integer(0)
    raw.cmd("SET", "dest", "old", "EX", "100")
    raw.cmd("SET", "src", "x")
    assert raw.cmd_raw("BITOP", "OR", "dest", "src") == integer(1)
    assert raw.cmd_raw("TTL", "dest") == integer(-1)


def test_bitop_errors(raw):
    raw.cmd("MSET", "k1", "a", "k2", "b")
    assert raw.cmd_raw("BITOP", "NOT", "dest", "k1", "k2") == \
        b"-ERR BITOP NOT must be called with a single source key.\r\n"
    assert raw.cmd_raw("BITOP", "FOO", "dest", "k1") == SYNTAX
    assert raw.cmd_raw("BITOP", "AND", "dest") == arity("bitop")
    assert raw.cmd_raw("BITOP") == arity("bitop")
    assert raw.cmd_raw("EXISTS", "dest") == integer(0)


# ---------------------------------------------------------------- BITFIELD


def test_bitfield_basic(raw):
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "i8", "0") == b"*2\r\n:0\r\n:100\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "INCRBY", "i8", "0", "100") == b"*1\r\n:-56\r\n"  # WRAP default
    assert raw.cmd_raw("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100") == b"*1\r\n:44\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "1") == b"*1\r\n:45\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "GET", "u4", "0", "GET", "u4", "4") == b"*2\r\n:2\r\n:13\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "u8", "#1", "255", "GET", "u8", "8") == b"*2\r\n:0\r\n:255\r\n"
    assert raw.cmd_raw("GET", "bf") == bulk(b"\x2d\xff")
    assert raw.cmd_raw("BITFIELD", "bf") == b"*0\r\n"
    raw.cmd("SET", "s", "hello")
    assert raw.cmd_raw("BITFIELD", "s", "GET", "u8", "0", "GET", "u8", "8", "GET", "i64", "0") == \
        b"*3\r\n:104\r\n:101\r\n:7522537965566820352\r\n"


def test_bitfield_missing_key(raw):
    assert raw.cmd_raw("BITFIELD", "nokey", "GET", "u8", "0", "GET", "i16", "100") == b"*2\r\n:0\r\n:0\r\n"
    assert raw.cmd_raw("EXISTS", "nokey") == integer(0)


def test_bitfield_overflow_modes(raw):
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "i8", "0", "46") == b"*1\r\n:0\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i8", "0", "200", "GET", "i8", "0") == \
        b"*2\r\n:46\r\n:127\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "i8", "0", "200", "GET", "i8", "0") == \
        b"*2\r\n$-1\r\n:127\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "i8", "0", "200", "GET", "i8", "0") == b"*2\r\n:127\r\n:-56\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "u2", "0", "5", "GET", "u2", "0") == b"*2\r\n:3\r\n:1\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u2", "0", "10",
                       "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10",
                       "OVERFLOW", "WRAP", "INCRBY", "u2", "0", "10") == b"*3\r\n:3\r\n$-1\r\n:1\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-300") == b"*1\r\n:0\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "u8", "0", "-1", "GET", "u8", "0") == b"*2\r\n:0\r\n:255\r\n"


def test_bitfield_64_bit_edges(raw):
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "i64", "0", str(I64_MAX), "INCRBY", "i64", "0", "1") == \
        b"*2\r\n:0\r\n:-9223372036854775808\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "i64", "0", str(I64_MAX),
                       "OVERFLOW", "SAT", "INCRBY", "i64", "0", "1") == \
        b"*2\r\n:-9223372036854775808\r\n:9223372036854775807\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "u63", "0", str(I64_MAX),
                       "OVERFLOW", "WRAP", "INCRBY", "u63", "0", "1") == b"*2\r\n:4611686018427387903\r\n:0\r\n"
    assert raw.cmd_raw("BITFIELD", "bf", "SET", "u63", "0", str(I64_MAX),
                       "OVERFLOW", "SAT", "INCRBY", "u63", "0", "1") == b"*2\r\n:0\r\n:9223372036854775807\r\n"


def test_bitfield_resp3_fail_is_null(raw):
    raw.cmd("HELLO", "3")
    assert raw.cmd_raw("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10") == b"*1\r\n_\r\n"


@pytest.mark.parametrize("args,err", [
    (("GET", "u64", "0"), BAD_BF_TYPE),
    (("GET", "i65", "0"), BAD_BF_TYPE),
    (("GET", "x8", "0"), BAD_BF_TYPE),
    (("GET", "u0", "0"), BAD_BF_TYPE),
    (("GET", "u8", "-1"), BIT_OFFSET),
    (("SET", "u8", "4294967296", "1"), BIT_OFFSET),
    (("GET", "u8", "#x"), BIT_OFFSET),
    (("OVERFLOW", "FOO", "INCRBY", "u8", "0", "1"), b"-ERR Invalid OVERFLOW type specified\r\n"),
    (("FOO",), SYNTAX),
    (("GET", "u8"), SYNTAX),
    (("SET", "u8", "0"), SYNTAX),
    (("SET", "u8", "0", "foo"), NOT_INT),
    (("INCRBY", "u8", "0", "foo"), NOT_INT),
    (("INCRBY", "u8", "0", "9223372036854775808"), NOT_INT),
    (("SET", "u8", "0", "1", "GET", "u64", "0"), BAD_BF_TYPE),
])
def test_bitfield_errors(raw, args, err):
    assert raw.cmd_raw("BITFIELD", "bf", *args) == err
    assert raw.cmd_raw("EXISTS", "bf") == integer(0)  # errors are detected before anything is written


def test_bitfield_ro(raw):
    raw.cmd("SET", "s", "hello")
    assert raw.cmd_raw("BITFIELD_RO", "s", "GET", "u8", "0", "GET", "i4", "4") == b"*2\r\n:104\r\n:-8\r\n"
    assert raw.cmd_raw("BITFIELD_RO", "s") == b"*0\r\n"
    assert raw.cmd_raw("BITFIELD_RO", "missing", "GET", "i8", "0") == b"*1\r\n:0\r\n"
    for sub in (("SET", "u8", "0", "1"), ("INCRBY", "u8", "0", "1")):
        assert raw.cmd_raw("BITFIELD_RO", "s", *sub) == b"-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    assert raw.cmd_raw("BITFIELD_RO", "s", "OVERFLOW", "SAT", "GET", "u8", "0") == b"*1\r\n:104\r\n"
    assert raw.cmd_raw("BITFIELD_RO") == arity("bitfield_ro")
    assert raw.cmd_raw("GET", "s") == bulk("hello")
