"""Self-tests of the harness: the RESP2/RESP3 parser used by RawClient.

These need no server. If the parser were wrong, every byte-exact assertion in
the suite would be suspect, so it is pinned here against hand-written frames.
"""

import math
import socket
import threading

import pytest

from helpers import (
    BigNumber,
    Incomplete,
    ProtocolViolation,
    Push,
    RawClient,
    RespError,
    RespSet,
    Simple,
    Verbatim,
    encode_command,
    parse_all,
    parse_reply,
)


def one(data: bytes):
    val, end, attrs = parse_reply(data, 0)
    assert end == len(data), f"parser consumed {end} of {len(data)} bytes"
    return val


def test_encode_command():
    assert encode_command("SET", b"k\r\n", 12) == b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n12\r\n"
    assert encode_command() == b"*0\r\n"


@pytest.mark.parametrize(
    "data,expected",
    [
        (b"+OK\r\n", "OK"),
        (b":-42\r\n", -42),
        (b"$0\r\n\r\n", b""),
        (b"$5\r\na\r\nb\x00\r\n", b"a\r\nb\x00"),
        (b"$-1\r\n", None),
        (b"*-1\r\n", None),
        (b"*0\r\n", []),
        (b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", [b"a", [1]]),
        (b"_\r\n", None),
        (b"#t\r\n", True),
        (b"#f\r\n", False),
        (b",3.141\r\n", 3.141),
        (b",-inf\r\n", float("-inf")),
        (b",inf\r\n", float("inf")),
        (b"(1234567999999999999999999999999999999\r\n", 1234567999999999999999999999999999999),
        (b"%2\r\n$1\r\na\r\n:1\r\n:2\r\n#t\r\n", {b"a": 1, 2: True}),
        (b"~3\r\n:0\r\n:1\r\n:2\r\n", [0, 1, 2]),
        (b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n", [b"server-cpu-usage", 42]),
    ],
)
def test_parse_types(data, expected):
    assert one(data) == expected


def test_parse_type_tags():
    assert isinstance(one(b"+OK\r\n"), Simple)
    e = one(b"-ERR boom here\r\n")
    assert isinstance(e, RespError) and e == "ERR boom here" and e.prefix == "ERR"
    be = one(b"!21\r\nSYNTAX invalid syntax\r\n")
    assert isinstance(be, RespError) and be == "SYNTAX invalid syntax"
    assert isinstance(one(b"(12\r\n"), BigNumber)
    assert isinstance(one(b"~1\r\n:1\r\n"), RespSet)
    assert isinstance(one(b">1\r\n:1\r\n"), Push)
    assert math.isnan(one(b",nan\r\n"))
    v = one(b"=15\r\ntxt:Some string\r\n")
    assert isinstance(v, Verbatim) and v == b"Some string" and v.fmt == "txt"


def test_parse_map_with_aggregate_key():
    assert one(b"%1\r\n*2\r\n:1\r\n:2\r\n+x\r\n") == {(1, 2): "x"}


def test_attribute_frames_are_part_of_one_reply():
    data = (b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
            b"$39\r\nSome real reply following the attribute\r\n")
    val, end, attrs = parse_reply(data + b"+NEXT\r\n", 0)
    assert end == len(data)
    assert val == b"Some real reply following the attribute"
    assert attrs == {b"key-popularity": [b"key:123", 90]}


@pytest.mark.parametrize(
    "data",
    [b"", b"+OK", b"+OK\r", b"$5\r\nab", b"$5\r\nabcde\r", b"*2\r\n:1\r\n", b"%1\r\n:1\r\n", b"|1\r\n:1\r\n:2\r\n"],
)
def test_incomplete(data):
    with pytest.raises(Incomplete):
        parse_reply(data, 0)


@pytest.mark.parametrize("data", [b"?x\r\n", b":abc\r\n", b"#x\r\n", b"$3\r\nabcXY", b"_x\r\n", b"$-2\r\n"])
def test_violation(data):
    with pytest.raises(ProtocolViolation):
        parse_reply(data, 0)


def test_parse_all():
    assert parse_all(b"+A\r\n:1\r\n$-1\r\n") == ["A", 1, None]


def _fake_server(payload_chunks, close=True):
    """A one-shot TCP server sending payload_chunks (with small pauses) then closing."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    port = ls.getsockname()[1]

    def run():
        conn, _ = ls.accept()
        with conn:
            conn.settimeout(2)
            try:
                conn.recv(1024)
            except OSError:
                pass
            for ch in payload_chunks:
                conn.sendall(ch)
                threading.Event().wait(0.01)
            if not close:
                threading.Event().wait(1.0)
        ls.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return port, t


def test_rawclient_reads_exactly_one_reply_from_split_stream():
    frames = b"+PONG\r\n$5\r\nhello\r\n*2\r\n:1\r\n_\r\n"
    port, t = _fake_server([frames[i:i + 1] for i in range(len(frames))])
    with RawClient("127.0.0.1", port, timeout=3) as c:
        c.send(b"PING\r\n")
        assert c.read_raw() == b"+PONG\r\n"
        assert c.read() == b"hello"
        raw, val = c.read_both()
        assert raw == b"*2\r\n:1\r\n_\r\n" and val == [1, None]
        assert c.wait_closed(3)
    t.join(3)


def test_rawclient_timeout_is_bounded():
    port, t = _fake_server([b"+PART"], close=False)
    with RawClient("127.0.0.1", port, timeout=3) as c:
        c.send(b"PING\r\n")
        with pytest.raises(socket.timeout):
            c.read(timeout=0.3)
    t.join(3)
