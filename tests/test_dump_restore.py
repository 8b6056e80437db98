"""DUMP and RESTORE: payloads in Redis's RDB encoding (version 10), exchanged both ways with a
real redis-server, and RESTORE's options and errors in Redis's order."""

from __future__ import annotations

import time

import pytest

from helpers import RespError

# Values whose payloads are compared byte for byte (Redis compresses strings over 20 bytes
# with LZF when that saves space; Darner writes them plain, so those are compared by value).
PLAIN_VALUES = [b"", b"hello", b"0", b"-1", b"127", b"128", b"-129", b"32767", b"32768",
                b"-32769", b"2147483647", b"2147483648", b"-2147483649", b"9223372036854775807",
                b"007", b"+1", b"1.5", b" 1", b"\x00\xff\r\n", b"x" * 20]
OTHER_VALUES = [b"x" * 21, b"abc" * 100, bytes(range(256)) * 4, b"y" * 70000,
                b"z" * (1 << 20)]


def _payload_values(client, key, values):
    payloads = []
    for v in values:
        client.cmd("SET", key, v)
        payloads.append(client.cmd("DUMP", key))
    return payloads


def test_dump_of_a_missing_key_is_nil(raw):
    assert raw.cmd("DUMP", "nosuch") is None


def test_restore_round_trip_with_ttl_and_replace(raw):
    raw.cmd("SET", "src", "some value")
    payload = raw.cmd("DUMP", "src")
    assert raw.cmd("RESTORE", "dst", "0", payload) == "OK"
    assert raw.cmd("GET", "dst") == b"some value"
    assert raw.cmd("TTL", "dst") == -1
    assert raw.cmd("RESTORE", "dst", "0", payload) == RespError("BUSYKEY Target key name already exists.")
    raw.cmd("SET", "src", "other")
    assert raw.cmd("RESTORE", "dst", "5000", raw.cmd("DUMP", "src"), "replace") == "OK"
    assert raw.cmd("GET", "dst") == b"other"
    assert 4000 < raw.cmd("PTTL", "dst") <= 5000
    at = int(time.time() * 1000) + 60000
    assert raw.cmd("RESTORE", "abs", str(at), payload, "ABSTTL") == "OK"
    assert raw.cmd("PEXPIRETIME", "abs") == at
    # A deadline already past creates nothing, and with REPLACE removes the old key.
    assert raw.cmd("RESTORE", "abs", "1", payload, "ABSTTL", "REPLACE") == "OK"
    assert raw.cmd("EXISTS", "abs") == 0
    assert raw.cmd("RESTORE", "gone", "1", payload, "ABSTTL") == "OK"
    assert raw.cmd("EXISTS", "gone") == 0


def test_restore_errors_come_in_redis_order_and_change_nothing(raw):
    raw.cmd("SET", "k", "v")
    good = raw.cmd("DUMP", "k")
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    newer = good[:-10] + b"\x0b\x00" + good[-8:]
    cases = [
        (["k", "0", good], "BUSYKEY Target key name already exists."),
        (["k", "abc", bad_crc], "BUSYKEY Target key name already exists."),  # before the TTL
        (["n", "abc", good], "ERR value is not an integer or out of range"),
        (["n", "-1", good], "ERR Invalid TTL value, must be >= 0"),
        (["n", "-1", bad_crc], "ERR Invalid TTL value, must be >= 0"),  # TTL before payload
        (["n", "0", bad_crc], "ERR DUMP payload version or checksum are wrong"),
        (["n", "0", newer], "ERR DUMP payload version or checksum are wrong"),
        (["n", "0", b"short"], "ERR DUMP payload version or checksum are wrong"),
        (["n", "0", good, "BOGUS"], "ERR syntax error"),
        (["k", "0", good, "IDLETIME"], "ERR syntax error"),  # options before BUSYKEY
        (["n", "0", good, "IDLETIME", "x"], "ERR value is not an integer or out of range"),
        (["n", "0", good, "IDLETIME", "-1"], "ERR Invalid IDLETIME value, must be >= 0"),
        (["n", "0", good, "FREQ", "256"], "ERR Invalid FREQ value, must be >= 0 and <= 255"),
        (["n", "0", good, "FREQ", "-1"], "ERR Invalid FREQ value, must be >= 0 and <= 255"),
        (["n", "0", good, "IDLETIME", "1", "FREQ", "1"], "ERR syntax error"),
        (["n", "0", good, "FREQ", "1", "IDLETIME", "1"], "ERR syntax error"),
    ]
    for args, error in cases:
        assert raw.cmd("RESTORE", *args) == RespError(error), args
    assert raw.cmd("EXISTS", "n") == 0
    assert raw.cmd("GET", "k") == b"v"
    assert raw.cmd("RESTORE") == RespError("ERR wrong number of arguments for 'restore' command")


def test_restore_sets_idle_time(raw):
    raw.cmd("SET", "k", "v")
    payload = raw.cmd("DUMP", "k")
    assert raw.cmd("RESTORE", "idle", "0", payload, "IDLETIME", "1000") == "OK"
    assert 1000 <= raw.cmd("OBJECT", "IDLETIME", "idle") <= 1002
    # FREQ is accepted and ignored under an LRU policy (it is tracked only under LFU).
    assert raw.cmd("RESTORE", "freq", "0", payload, "FREQ", "100") == "OK"
    assert raw.cmd("OBJECT", "IDLETIME", "freq") <= 2


def test_restore_sets_frequency_under_lfu(raw):
    old = raw.cmd("CONFIG", "GET", "maxmemory-policy")[1]
    assert raw.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == "OK"
    try:
        raw.cmd("SET", "k", "v")
        assert raw.cmd("RESTORE", "f", "0", raw.cmd("DUMP", "k"), "FREQ", "100") == "OK"
        assert raw.cmd("OBJECT", "FREQ", "f") == 100
    finally:
        raw.cmd("CONFIG", "SET", "maxmemory-policy", old)


@pytest.mark.needs_redis
def test_payloads_cross_restore_with_redis(raw, redis_server):
    """Every payload redis-server writes restores in Darner and the other way round; for the
    values both write plainly, the payloads are the same bytes; the restored encodings match."""
    with redis_server.client() as rc:
        for values, same_bytes in ((PLAIN_VALUES, True), (OTHER_VALUES, False)):
            ours = _payload_values(raw, "src", values)
            theirs = _payload_values(rc, "src", values)
            for v, mine, ref in zip(values, ours, theirs):
                if same_bytes:
                    assert mine == ref, v
                for client, payload in ((raw, ref), (rc, mine)):
                    assert client.cmd("RESTORE", "dst", "0", payload, "REPLACE") == "OK", v[:40]
                    assert client.cmd("GET", "dst") == v, v[:40]
                assert raw.cmd("OBJECT", "ENCODING", "dst") == rc.cmd("OBJECT", "ENCODING", "dst"), v[:40]


@pytest.mark.needs_redis
def test_restore_errors_match_redis(raw, redis_server):
    with redis_server.client() as rc:
        rc.cmd("SET", "k", "v")
        payload = rc.cmd("DUMP", "k")
        body = payload[:-10]
        lines = [
            ["n", "0", body + b"\x0a\x00" + b"\x00" * 8],  # wrong checksum
            ["n", "0", b"\x04" + payload[1:]],  # another type byte: checksum fails first
            ["n", "0", payload, "absttl", "replace", "idletime", "5"],
            ["k", "0", payload, "freq"], ["k", "x", payload], ["n", "x", payload],
            ["n", "-5", payload], ["n", "0", payload, "FREQ", "9999999999999999999999"],
        ]
        for line in lines:
            raw.cmd("SET", "k", "v")
            rc.cmd("SET", "k", "v")
            raw.cmd("DEL", "n")
            rc.cmd("DEL", "n")
            assert raw.cmd_raw("RESTORE", *line) == rc.cmd_raw("RESTORE", *line), line
