"""Differential test: the same seeded random command stream goes to a real
redis-server and to the server under test; raw reply bytes must be identical.

Env:
  DARNER_DIFF_SEEDS  comma-separated seeds (default "1,2,3")
  DARNER_DIFF_N      commands per seed (default 3000)
  DARNER_DIFF_EXCLUDE  comma-separated command names to drop from the stream
                     (e.g. "BITFIELD,BITFIELD_RO" while a family is unimplemented)

On failure the seed, the index and the first differing command are printed,
plus the commands before it; rerun one seed with DARNER_DIFF_SEEDS=<seed>.
"""

import os
import random

import pytest

from helpers import encode_command, parse_reply

SEEDS = [int(s) for s in os.environ.get("DARNER_DIFF_SEEDS", "1,2,3").split(",") if s.strip()]
N_COMMANDS = int(os.environ.get("DARNER_DIFF_N", "3000"))
EXCLUDE = {c.strip().upper() for c in os.environ.get("DARNER_DIFF_EXCLUDE", "").split(",") if c.strip()}

KEYS = ["a", "b", "c", "d", "n", "m", "f", "bits"]
VALUES = ["", "0", "1", "-1", "7", "42", "100", "-250", "12345678901234567890", "9223372036854775807",
          "-9223372036854775808", "9223372036854775806", "1.5", "-0.25", "3.0", "1e3", "0x10", "  5", "007",
          "abc", "Hello World", "foobar", "ohmytext", "mynewtext", "x" * 44, "y" * 45, "\x00\xff\r\n",
          "\u00e9t\u00e9", "10.5"]
INTS = ["0", "1", "-1", "2", "10", "-10", "100", "9223372036854775807", "-9223372036854775808", "foo", "1.5", ""]
FLOATS = ["0", "1", "0.5", "-0.25", "1.5", "10", "3.0e2", "-7", "0.1", "1e-3", "5.0e3", "inf", "abc", "2.5e-1",
          "-0", "1e20"]
OFFSETS = ["0", "1", "3", "5", "7", "8", "15", "16", "31", "63", "100", "-1", "-3", "foo"]
RANGE = ["0", "1", "2", "3", "-1", "-2", "-5", "5", "10", "100", "-100", "x"]
ABS_SEC = "4102444800"
ABS_MS = "4102444800123"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def key(self):
        return self.r.choice(KEYS)

    def val(self):
        return self.r.choice(VALUES)

    def pick(self, *xs):
        return self.r.choice(xs)

    # ---- generators (each returns a list of args) ----
    def g_set(self):
        args = ["SET", self.key(), self.val()]
        opts = []
        for _ in range(self.r.choice([0, 0, 1, 1, 2, 3])):
            o = self.pick("EX", "PX", "EXAT", "PXAT", "KEEPTTL", "NX", "XX", "GET", "BAD")
            if o == "EX":
                opts += ["EX", self.pick("1000", "5000", "0", "-1", "foo", "9223372036854775807")]
            elif o == "PX":
                opts += ["PX", self.pick("1000000", "0", "x")]
            elif o == "EXAT":
                opts += ["EXAT", self.pick(ABS_SEC, "1", "0")]
            elif o == "PXAT":
                opts += ["PXAT", self.pick(ABS_MS, "1", "-5")]
            else:
                opts.append(o)
        return args + opts

    def g_get(self):
        return ["GET", self.key()]

    def g_getset(self):
        return [self.pick("GETSET", "SETNX"), self.key()] + ([self.val()] if self.r.random() < 0.95 else [])

    def g_getdel(self):
        return ["GETDEL", self.key()]

    def g_getex(self):
        opt = self.pick([], ["EX", "1000"], ["PX", "2000000"], ["EXAT", ABS_SEC], ["PXAT", ABS_MS], ["PERSIST"],
                        ["EX", "0"], ["PERSIST", "EX", "10"], ["FOO"], ["EXAT", "1"])
        return ["GETEX", self.key()] + opt

    def g_setex(self):
        return [self.pick("SETEX", "PSETEX"), self.key(), self.pick("1000", "5000000", "0", "-3", "abc"), self.val()]

    def g_mget(self):
        return ["MGET"] + [self.key() for _ in range(self.r.randint(1, 5))]

    def g_mset(self):
        n = self.r.randint(1, 4)
        args = []
        for _ in range(n):
            args += [self.key(), self.val()]
        if self.r.random() < 0.1:
            args = args[:-1]
        return [self.pick("MSET", "MSETNX")] + args

    def g_incr(self):
        cmd = self.pick("INCR", "DECR", "INCRBY", "DECRBY", "INCRBY")
        k = self.pick("n", "m", self.key())
        if cmd in ("INCR", "DECR"):
            return [cmd, k]
        return [cmd, k, self.r.choice(INTS)]

    def g_incrbyfloat(self):
        return ["INCRBYFLOAT", self.pick("f", "n", self.key()), self.r.choice(FLOATS)]

    def g_append(self):
        return ["APPEND", self.key(), self.val()]

    def g_strlen(self):
        return ["STRLEN", self.key()]

    def g_getrange(self):
        return [self.pick("GETRANGE", "SUBSTR"), self.key(), self.r.choice(RANGE), self.r.choice(RANGE)]

    def g_setrange(self):
        return ["SETRANGE", self.key(), self.pick("0", "1", "3", "10", "20", "-1", "x"), self.val()]

    def g_lcs(self):
        opt = self.pick([], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", "2"],
                        ["IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"], ["LEN", "IDX"], ["FOO"])
        return ["LCS", self.key(), self.key()] + opt

    def g_setbit(self):
        return ["SETBIT", self.pick("bits", self.key()), self.pick(*OFFSETS[:-2], "200", "-1"),
                self.pick("0", "1", "1", "2")]

    def g_getbit(self):
        return ["GETBIT", self.pick("bits", self.key()), self.r.choice(OFFSETS)]

    def g_bitcount(self):
        k = self.pick("bits", self.key())
        opt = self.pick([], [self.r.choice(RANGE), self.r.choice(RANGE)],
                        [self.r.choice(RANGE), self.r.choice(RANGE), self.pick("BIT", "BYTE", "bit", "FOO")], ["0"])
        return ["BITCOUNT", k] + opt

    def g_bitpos(self):
        k = self.pick("bits", self.key())
        bit = self.pick("0", "1", "1", "2")
        opt = self.pick([], [self.r.choice(RANGE)], [self.r.choice(RANGE), self.r.choice(RANGE)],
                        [self.r.choice(RANGE), self.r.choice(RANGE), self.pick("BIT", "BYTE")])
        return ["BITPOS", k, bit] + opt

    def g_bitop(self):
        op = self.pick("AND", "OR", "XOR", "NOT", "and", "FOO")
        dest = self.key()
        n = 1 if op == "NOT" and self.r.random() < 0.8 else self.r.randint(1, 3)
        return ["BITOP", op, dest] + [self.key() for _ in range(n)]

    def g_bitfield(self):
        args = [self.pick("BITFIELD", "BITFIELD", "BITFIELD_RO"), self.pick("bits", self.key())]
        for _ in range(self.r.randint(0, 4)):
            t = self.pick("i8", "u8", "i5", "u4", "i16", "u1", "i64", "u63", "u64", "x3")
            off = self.pick("0", "3", "8", "#1", "#2", "13", "-1")
            sub = self.pick("GET", "SET", "INCRBY", "OVERFLOW")
            if sub == "GET":
                args += ["GET", t, off]
            elif sub == "OVERFLOW":
                args += ["OVERFLOW", self.pick("WRAP", "SAT", "FAIL", "sat", "BAD")]
            else:
                args += [sub, t, off, self.pick("0", "1", "-1", "100", "127", "128", "255", "300", "-129",
                                                 "9223372036854775807", "bad")]
        return args

    def g_del(self):
        return [self.pick("DEL", "UNLINK", "EXISTS", "TOUCH")] + [self.key() for _ in range(self.r.randint(1, 4))]

    def g_type(self):
        return ["TYPE", self.key()]

    def g_rename(self):
        return [self.pick("RENAME", "RENAMENX"), self.key(), self.key()]

    def g_copy(self):
        return ["COPY", self.key(), self.key()] + self.pick([], ["REPLACE"], ["FOO"])

    def g_expire(self):
        cmd = self.pick("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT")
        val = {"EXPIRE": self.pick("1000", "3000", "0", "-1", "x", "9223372036854775807"),
               "PEXPIRE": self.pick("2000000", "-5", "abc"),
               "EXPIREAT": self.pick(ABS_SEC, "1", "x"),
               "PEXPIREAT": self.pick(ABS_MS, "1")}[cmd]
        # GT / LT are left out on purpose: with equal relative TTLs their result
        # depends on whether the two commands landed in the same millisecond.
        return [cmd, self.key(), val] + self.pick([], [], ["NX"], ["XX"], ["NX", "XX"], ["GT", "LT"], ["FOO"])

    def g_ttl(self):
        return [self.pick("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"), self.key()]

    def g_dbsize(self):
        return self.pick(["DBSIZE"], ["KEYS", "*"], ["KEYS", self.pick("?", "[a-c]", "b*", "*i*")], ["ECHO", self.val()],
                         ["PING"], ["EXISTS", self.key()])

    def g_encoding(self):
        return ["OBJECT", "ENCODING", self.key()]

    def g_invalid(self):
        return self.pick(["NOSUCHCOMMAND", self.key()], ["GET"], ["SET", self.key()], ["INCR"],
                         ["GETRANGE", self.key(), "0"], ["MGET"], ["SETBIT", self.key(), "1"],
                         ["bitop", "AND"], ["LCS", self.key()], ["foo", "a", "b"], ["APPEND"], ["STRLEN", "a", "b"])

    WEIGHTS = {
        "g_set": 14, "g_get": 10, "g_getset": 3, "g_getdel": 2, "g_getex": 3, "g_setex": 2, "g_mget": 4,
        "g_mset": 4, "g_incr": 8, "g_incrbyfloat": 5, "g_append": 4, "g_strlen": 2, "g_getrange": 4,
        "g_setrange": 3, "g_lcs": 3, "g_setbit": 4, "g_getbit": 2, "g_bitcount": 3, "g_bitpos": 3, "g_bitop": 3,
        "g_bitfield": 4, "g_del": 4, "g_type": 2, "g_rename": 2, "g_copy": 2, "g_expire": 4, "g_ttl": 4,
        "g_dbsize": 2, "g_encoding": 2, "g_invalid": 3,
    }

    def commands(self, n):
        names = list(self.WEIGHTS)
        weights = [self.WEIGHTS[x] for x in names]
        for _ in range(n):
            yield getattr(self, self.r.choices(names, weights)[0])()


# ---- reply normalisation for legitimately time-dependent or unordered replies ----


def _sign_int(raw: bytes) -> bytes:
    if raw.startswith(b":") and int(raw[1:-2]) > 0:
        return b":<positive>\r\n"
    return raw


def _sorted_array(raw: bytes) -> bytes:
    if not raw.startswith(b"*"):
        return raw
    val, _, _ = parse_reply(raw, 0)
    return b"".join([b"*%d\r\n" % len(val)] + [encode_command(x)[4:] for x in sorted(val)])


NORMALIZE = {"TTL": _sign_int, "PTTL": _sign_int, "EXPIRETIME": _sign_int, "PEXPIRETIME": _sign_int,
             "KEYS": _sorted_array}


def normalize(cmd, raw):
    f = NORMALIZE.get(cmd[0].upper())
    return f(raw) if f else raw


def run_batch(c, cmds):
    c.send(b"".join(encode_command(*x) for x in cmds))
    return [c.read_raw(timeout=20) for _ in cmds]


def fmt(cmd):
    return " ".join(repr(a) if (not a or any(ch in a for ch in " \r\n\x00\"'")) else a for a in cmd)


@pytest.mark.needs_redis
@pytest.mark.timeout(120)
@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_string_commands_match_redis(server, redis_server, seed, protocol):
    cmds = [c for c in Gen(seed).commands(N_COMMANDS) if c[0].upper() not in EXCLUDE]
    ours = server.client(timeout=20)
    ref = redis_server.client(timeout=20)
    try:
        if protocol == 3:  # every reply below is then compared in its RESP3 form
            for c in (ours, ref):
                assert c.cmd("HELLO", "3")
        # A SET with an EXAT/PXAT already past stores a key that reads do not see but DBSIZE
        # counts until expiry collects it; with active expiry off on both servers, only the same
        # commands collect it, so DBSIZE must match exactly.
        for c in (ours, ref):
            assert c.cmd_raw("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
        batch = 100
        for start in range(0, len(cmds), batch):
            chunk = cmds[start:start + batch]
            want = run_batch(ref, chunk)
            got = run_batch(ours, chunk)
            for j, (cmd, w, g) in enumerate(zip(chunk, want, got)):
                same = normalize(cmd, w) == normalize(cmd, g)
                if not same:
                    i = start + j
                    context = "\n".join(f"    #{k}: {fmt(cmds[k])}" for k in range(max(0, i - 8), i))
                    msg = (f"seed={seed}: reply #{i} differs\n"
                           f"  command: {fmt(cmd)}\n"
                           f"  redis:   {w!r}\n"
                           f"  server:  {g!r}\n"
                           f"  preceding commands:\n{context}\n"
                           f"  rerun with DARNER_DIFF_SEEDS={seed}")
                    print(msg)
                    pytest.fail(msg)
        # final state, key by key
        for k in KEYS:
            for probe in (["TYPE", k], ["GET", k], ["TTL", k], ["OBJECT", "ENCODING", k]):
                w, g = run_batch(ref, [probe])[0], run_batch(ours, [probe])[0]
                assert normalize(probe, g) == normalize(probe, w), f"seed={seed}: final {fmt(probe)}"
        assert run_batch(ours, [["DBSIZE"]]) == run_batch(ref, [["DBSIZE"]])
    finally:
        for c in (ours, ref):
            c.cmd_raw("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        ours.close()
        ref.close()


def test_generator_is_deterministic_and_varied():
    a = list(Gen(7).commands(500))
    b = list(Gen(7).commands(500))
    assert a == b
    assert a != list(Gen(8).commands(500))
    assert len({c[0].upper() for c in a}) >= 25
