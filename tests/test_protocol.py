"""RESP framing: inline commands, pipelining, split reads, malformed input,
unknown-command and arity errors."""

import threading
import time

import pytest

from helpers import RawClient, encode_command, parse_all

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"


def integer(n):
    return b":%d\r\n" % n


def bulk(b):
    if isinstance(b, str):
        b = b.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def unknown(name: bytes, *args: bytes) -> bytes:
    return (b"-ERR unknown command '" + name + b"', with args beginning with: "
            + b"".join(b"'" + a + b"' " for a in args) + b"\r\n")


# ---------------------------------------------------------------- inline


def test_inline_basic(raw):
    assert raw.inline("PING") == PONG
    assert raw.inline("ping") == PONG
    assert raw.inline("SET k v") == OK
    assert raw.inline("GET k") == bulk("v")
    assert raw.inline("  PING   ") == PONG
    assert raw.inline("ECHO   spaced    out") == arity("echo")


def test_inline_lf_only_and_empty_lines(raw):
    raw.send(b"PING\n")
    assert raw.read_raw() == PONG
    raw.send(b"\r\n\n\r\nPING\r\n")  # empty lines are skipped without a reply
    assert raw.read_raw() == PONG
    assert raw.no_reply_within(0.2)


def test_inline_quoting(raw):
    assert raw.inline('ECHO "hello world"') == bulk("hello world")
    assert raw.inline("ECHO 'hello world'") == bulk("hello world")
    assert raw.inline('ECHO "a\\x41\\n\\t\\"q\\""') == bulk(b'aA\n\t"q"')
    assert raw.inline("ECHO 'it\\'s'") == bulk("it's")
    assert raw.inline('ECHO ""') == bulk("")
    assert raw.inline('SET "my key" "my value"') == OK
    assert raw.cmd_raw("GET", "my key") == bulk("my value")


@pytest.mark.parametrize("line", ['ECHO "unbalanced', "ECHO 'unbalanced", 'ECHO "a"b'])
def test_inline_unbalanced_quotes(raw, line):
    raw.send(line.encode() + b"\r\n")
    assert raw.read_raw() == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    assert raw.wait_closed(3)


def test_inline_and_multibulk_mixed(raw):
    raw.send(b"SET a 1\r\n" + encode_command("INCR", "a") + b"GET a\r\n" + encode_command("PING"))
    assert [raw.read_raw() for _ in range(4)] == [OK, integer(2), bulk("2"), PONG]


def test_inline_too_big(raw, client):
    other = client()
    raw.send(b"x" * (64 * 1024 + 1000))  # no newline at all
    assert raw.read_raw() == b"-ERR Protocol error: too big inline request\r\n"
    assert raw.wait_closed(3)
    assert other.cmd_raw("PING") == PONG


def test_inline_below_limit_waits_for_newline(raw):
    raw.send(b"ECHO " + b"y" * 60_000)
    assert raw.no_reply_within(0.3)
    raw.send(b"\r\n")
    assert raw.read_raw() == bulk(b"y" * 60_000)


# ---------------------------------------------------------------- pipelining


@pytest.mark.timeout(60)
def test_pipeline_10000_commands_in_one_send(raw):
    n = 10_000
    parts, expected = [], []
    ctr = 0
    for i in range(n):
        m = i % 4
        if m == 0:
            ctr += 1
            parts.append(encode_command("INCR", "ctr"))
            expected.append(integer(ctr))
        elif m == 1:
            parts.append(encode_command("SET", f"k{i}", f"v{i}"))
            expected.append(OK)
        elif m == 2:
            parts.append(encode_command("GET", f"k{i - 1}"))
            expected.append(bulk(f"v{i - 1}"))
        else:
            parts.append(encode_command("ECHO", f"e{i}"))
            expected.append(bulk(f"e{i}"))
    buf = b"".join(parts)
    # one sendall, done by a thread so a server that applies back-pressure cannot deadlock us
    err = []
    t = threading.Thread(target=lambda: _safe_send(raw, buf, err), daemon=True)
    t.start()
    for i, exp in enumerate(expected):
        got = raw.read_raw(timeout=20)
        assert got == exp, f"reply #{i} of {n}: {got!r} != {exp!r}"
    t.join(10)
    assert not err, err
    assert raw.no_reply_within(0.1)


def _safe_send(c, buf, err):
    try:
        c.send(buf)
    except OSError as e:  # pragma: no cover
        err.append(e)


def test_pipeline_many_clients_interleaved(client):
    conns = [client() for _ in range(8)]
    for j, c in enumerate(conns):
        c.send(b"".join(encode_command("INCR", f"c{j}") for _ in range(500)))
    for j, c in enumerate(conns):
        replies = [c.read_raw() for _ in range(500)]
        assert replies == [integer(i + 1) for i in range(500)]


# ---------------------------------------------------------------- split input


def _script():
    cmds = [
        encode_command("SET", "a", "hello"),
        encode_command("APPEND", "a", b"\r\n\x00world"),
        encode_command("GET", "a"),
        b"PING\r\n",
        encode_command("MSET", "x", "1", "y", "22", "z", "333"),
        encode_command("MGET", "x", "y", "z", "nope"),
        b"ECHO \"in line\"\r\n",
        encode_command("INCRBY", "x", "41"),
        encode_command("ECHO", b""),
        encode_command("STRLEN", "a"),
    ]
    expected = [OK, integer(13), bulk(b"hello\r\n\x00world"), PONG, OK,
                b"*4\r\n$1\r\n1\r\n$2\r\n22\r\n$3\r\n333\r\n$-1\r\n", bulk("in line"), integer(42), bulk(""),
                integer(13)]
    return b"".join(cmds), expected


def test_every_byte_split_slowly(raw):
    buf, expected = _script()
    for i in range(len(buf)):
        raw.send(buf[i:i + 1])
        time.sleep(0.002)
    got = [raw.read_raw() for _ in expected]
    assert got == expected
    assert raw.no_reply_within(0.1)


@pytest.mark.timeout(60)
def test_split_at_every_position(client):
    """The same pipeline split in two at every byte position gives the same replies."""
    buf, expected = _script()
    c = client()
    for p in range(1, len(buf)):
        c.cmd("FLUSHALL")
        c.send(buf[:p])
        time.sleep(0.001)
        c.send(buf[p:])
        got = [c.read_raw() for _ in expected]
        assert got == expected, f"split at byte {p}"


def test_big_argument_in_small_chunks(raw):
    val = bytes(range(256)) * 4096  # 1 MiB
    data = encode_command("SET", "big", val)
    for i in range(0, len(data), 7919):
        raw.send(data[i:i + 7919])
    assert raw.read_raw() == OK
    assert raw.cmd_raw("GET", "big") == bulk(val)


def test_no_reply_before_command_complete(raw):
    data = encode_command("SET", "k", "value")
    raw.send(data[:-1])
    assert raw.no_reply_within(0.3)
    raw.send(data[-1:])
    assert raw.read_raw() == OK


# ---------------------------------------------------------------- empty / odd multibulk


@pytest.mark.parametrize("head", [b"*0\r\n", b"*-1\r\n", b"*-5\r\n"])
def test_empty_or_negative_multibulk_is_ignored(raw, head):
    # Redis silently skips a multibulk count <= 0: no reply, connection stays open
    raw.send(head + b"PING\r\n")
    assert raw.read_raw() == PONG
    assert raw.no_reply_within(0.2)


def test_empty_command_name(raw):
    raw.send(b"*1\r\n$0\r\n\r\n")
    assert raw.read_raw() == unknown(b"")
    assert raw.cmd_raw("PING") == PONG


# ---------------------------------------------------------------- malformed input


MALFORMED = [
    (b"*1\r\n$-3\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$+4\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$1000000000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    # Lengths as Redis's string2ll reads them: no leading zeros, no "-0", no overflow.
    (b"*1\r\n$0004\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-0\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$00000000000000000004\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$99999999999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*01\r\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*-0\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*00000000000000000001\r\n$4\r\nPING\r\n",
     b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n$536870913\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),  # > 512 MiB default
    (b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*+1\r\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1 \r\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*3\r\n$3\r\nSET\r\ngarbage\r\n", b"-ERR Protocol error: expected '$', got 'g'\r\n"),
    (b"*1\r\n+PING\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
    (b"*2\r\n$4\r\nECHO\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
]


@pytest.mark.parametrize("data,err", MALFORMED, ids=[repr(m[0][:24]) for m in MALFORMED])
def test_malformed_closes_connection(client, data, err):
    innocent = client()
    assert innocent.cmd_raw("SET", "innocent", "1") == OK
    bad = client()
    bad.send(data)
    assert bad.read_raw() == err
    assert bad.wait_closed(3), "server must close the connection after a protocol error"
    assert bad.pending() == b""
    # the other client, connected the whole time, is unaffected
    assert innocent.cmd_raw("GET", "innocent") == bulk("1")
    assert innocent.cmd_raw("PING") == PONG


def test_replies_before_protocol_error_are_delivered(raw):
    raw.send(b"PING\r\n" + encode_command("SET", "a", "1") + b"*1\r\n$-3\r\n" + b"PING\r\n")
    assert raw.read_raw() == PONG
    assert raw.read_raw() == OK
    assert raw.read_raw() == b"-ERR Protocol error: invalid bulk length\r\n"
    assert raw.wait_closed(3)
    assert raw.pending() == b""


def test_too_big_count_strings(client):
    c = client()
    c.send(b"*1" + b"1" * 70_000)
    assert c.read_raw() == b"-ERR Protocol error: too big mbulk count string\r\n"
    assert c.wait_closed(3)
    c = client()
    c.send(b"*1\r\n$1" + b"1" * 70_000)
    assert c.read_raw() == b"-ERR Protocol error: too big bulk count string\r\n"
    assert c.wait_closed(3)


def test_garbage_storm_does_not_hurt_others(server, client):
    innocent = client()
    innocent.cmd("SET", "x", "1")
    for n, (data, _) in enumerate(MALFORMED, start=2):
        with RawClient(server.host, server.port, timeout=5) as bad:
            if server.password:
                bad.cmd("AUTH", server.password)
            bad.send(data)
            bad.wait_closed(3)
        assert innocent.cmd_raw("INCR", "x") == b":%d\r\n" % n
    assert innocent.cmd_raw("GET", "x") == bulk(str(1 + len(MALFORMED)))


def test_client_disconnecting_mid_command(server, client):
    for cut in (1, 5, 12, 20):
        with RawClient(server.host, server.port, timeout=5) as c:
            if server.password:
                c.cmd("AUTH", server.password)
            c.send(encode_command("SET", "half", "x" * 100)[:cut])
    c = client()
    assert c.cmd_raw("PING") == PONG
    assert c.cmd_raw("EXISTS", "half") == integer(0)


def test_proto_max_bulk_len_flag(spawn_server):
    srv = spawn_server({"proto_max_bulk_len": 1048576})
    with srv.client() as c:
        assert c.cmd_raw("SET", "k", b"x" * 1048576) == OK
        assert c.cmd_raw("STRLEN", "k") == integer(1048576)
        assert c.cmd_raw("SETRANGE", "k", "1048576", "x") == \
            b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
        assert c.cmd_raw("APPEND", "k", "x") == \
            b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    with srv.client() as c:
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
        assert c.read_raw() == b"-ERR Protocol error: invalid bulk length\r\n"
        assert c.wait_closed(3)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_multibulk_at_the_limit_is_accepted(raw):
    """1,048,576 arguments (the command name + 1,048,575 keys) is the largest request."""
    n = 1024 * 1024
    raw.cmd("SET", "a", "1")
    buf = b"*%d\r\n$6\r\nEXISTS\r\n" % n + b"$1\r\na\r\n" * (n - 1)
    err = []
    t = threading.Thread(target=lambda: _safe_send(raw, buf, err), daemon=True)
    t.start()
    assert raw.read_raw(timeout=40) == integer(n - 1)
    t.join(10)
    assert not err
    assert raw.cmd_raw("PING") == PONG


@pytest.mark.darner_only
def test_multibulk_above_one_million_args_is_refused(raw, client):
    """Darner caps a request at 1,048,576 arguments (Redis 7 allows up to INT_MAX; see
    docs/compatibility.md), so no header can make it reserve unbounded memory."""
    other = client()
    raw.send(b"*1048577\r\n$6\r\nEXISTS\r\n")
    assert raw.read_raw() == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert raw.wait_closed(3)
    assert other.cmd_raw("PING") == PONG


# ---------------------------------------------------------------- unknown command / arity


def test_unknown_command(raw):
    assert raw.cmd_raw("foo", "a", "b") == unknown(b"foo", b"a", b"b")
    assert raw.cmd_raw("foo") == unknown(b"foo")
    assert raw.cmd_raw("FOO", "a b") == unknown(b"FOO", b"a b")
    assert raw.inline("FOO a b c") == unknown(b"FOO", b"a", b"b", b"c")
    assert raw.cmd_raw("PING") == PONG  # the connection stays usable


def test_unknown_command_sanitizes_newlines(raw):
    assert raw.cmd_raw("foo", "a\r\nb", "c\nd") == unknown(b"foo", b"a  b", b"c d")


def test_unknown_command_truncation(raw):
    # the name is cut at 128 bytes; args are listed while the list is < 128 bytes
    assert raw.cmd_raw("x" * 200, "a") == unknown(b"x" * 128, b"a")
    assert raw.cmd_raw("foo", "a" * 200, "b") == unknown(b"foo", b"a" * 128)
    args = [f"arg{i}".encode() for i in range(40)]
    expected_args = [f"arg{i}".encode() for i in range(17)] + [b"ar"]
    assert raw.cmd_raw("foo", *args) == unknown(b"foo", *expected_args)


@pytest.mark.parametrize("cmd", [
    ("GET",), ("GET", "a", "b"), ("SET", "a"), ("ECHO",), ("DEL",), ("MGET",), ("INCR",), ("EXISTS",),
    ("EXPIRE", "a"), ("TTL",), ("STRLEN", "a", "b"), ("APPEND", "a"), ("DBSIZE", "x"), ("SELECT",),
])
def test_arity_errors(raw, cmd):
    assert raw.cmd_raw(*cmd) == arity(cmd[0].lower())
    assert raw.cmd_raw(cmd[0].swapcase(), *cmd[1:]) == arity(cmd[0].lower())


def test_subcommand_arity_errors(raw):
    assert raw.cmd_raw("CONFIG", "get") == arity("config|get")
    assert raw.cmd_raw("CLIENT", "setname") == arity("client|setname")
    assert raw.cmd_raw("config", "Foo") == b"-ERR unknown subcommand 'Foo'. Try CONFIG HELP.\r\n"


def test_error_then_pipeline_continues(raw):
    raw.send(encode_command("foo") + encode_command("GET") + encode_command("SET", "k", "v", "BAD")
             + encode_command("SET", "k", "v") + encode_command("GET", "k"))
    got = [raw.read_raw() for _ in range(5)]
    assert got == [unknown(b"foo"), arity("get"), b"-ERR syntax error\r\n", OK, bulk("v")]


def test_parse_all_replies_of_burst(raw):
    raw.send(b"".join(encode_command("ECHO", str(i)) for i in range(100)))
    data = b"".join(raw.read_raw() for _ in range(100))
    assert parse_all(data) == [str(i).encode() for i in range(100)]
