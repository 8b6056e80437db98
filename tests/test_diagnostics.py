"""Diagnostics and server administration commands: SLOWLOG, LATENCY, MEMORY STATS/DOCTOR/
MALLOC-STATS/PURGE, ROLE, LOLWUT, SWAPDB, CLIENT PAUSE/UNPAUSE/UNBLOCK/REPLY/NO-EVICT/SETINFO
and CONFIG REWRITE, with Redis 7.0's replies and errors (the tests run on both targets)."""

from __future__ import annotations

import time

import pytest

from helpers import RawClient, RespError, is_redis_target


@pytest.fixture
def diag(raw):
    """A client, and the slow log and latency monitor back at their defaults afterwards (the
    module's server is shared)."""
    yield raw
    raw.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128",
            "latency-monitor-threshold", "0")
    raw.cmd("SLOWLOG", "RESET")
    raw.cmd("LATENCY", "RESET")
    raw.cmd("CLIENT", "UNPAUSE")


def _entries_of(raw, name):
    return [e for e in raw.cmd("SLOWLOG", "GET", "-1") if e[3][:1] == [name]]


# ---- SLOWLOG ----

def test_slowlog_records_commands_over_the_threshold(diag, client):
    other = client()
    other.cmd("CLIENT", "SETNAME", "worker")
    diag.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
    diag.cmd("SLOWLOG", "RESET")
    other.cmd("SET", "k", "v")
    entries = _entries_of(diag, b"SET")
    assert len(entries) == 1
    ident, when, micros, args, addr, name = entries[0]
    assert args == [b"SET", b"k", b"v"]
    assert name == b"worker"
    assert addr.startswith(b"127.0.0.1:")
    assert abs(when - time.time()) < 5 and micros >= 0 and ident >= 0
    # Newest first, with increasing ids.
    other.cmd("GET", "k")
    newest = diag.cmd("SLOWLOG", "GET", "1")
    assert len(newest) == 1 and newest[0][0] > ident
    # Commands that ran on another thread's shard are logged with the client's name too.
    diag.cmd("SLOWLOG", "RESET")
    for i in range(20):
        other.cmd("SET", f"spread:{i}", "v")
    spread = _entries_of(diag, b"SET")
    assert len(spread) == 20
    assert {e[5] for e in spread} == {b"worker"}
    assert {e[3][1] for e in spread} == {f"spread:{i}".encode() for i in range(20)}
    # A negative threshold logs nothing.
    diag.cmd("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    diag.cmd("SLOWLOG", "RESET")
    other.cmd("SET", "k", "v")
    assert diag.cmd("SLOWLOG", "LEN") == 0
    assert diag.cmd("SLOWLOG", "GET") == []


def test_slowlog_shortens_long_commands_as_redis_does(diag):
    diag.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
    diag.cmd("SLOWLOG", "RESET")
    diag.cmd("SET", "long", "x" * 200)
    diag.cmd("DEL", *[f"k{i}" for i in range(40)])
    (set_entry,) = _entries_of(diag, b"SET")
    assert set_entry[3] == [b"SET", b"long", b"x" * 128 + b"... (72 more bytes)"]
    (del_entry,) = _entries_of(diag, b"DEL")
    assert len(del_entry[3]) == 32
    assert del_entry[3][:2] == [b"DEL", b"k0"]
    assert del_entry[3][-1] == b"... (10 more arguments)"


def test_slowlog_keeps_max_len_entries_and_resets(diag):
    diag.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3")
    diag.cmd("SLOWLOG", "RESET")
    for i in range(6):
        diag.cmd("SET", f"k{i}", "v")
    assert diag.cmd("SLOWLOG", "LEN") == 3
    got = diag.cmd("SLOWLOG", "GET", "-1")
    assert len(got) == 3
    assert [e[0] for e in got] == sorted((e[0] for e in got), reverse=True)
    assert diag.cmd("SLOWLOG", "GET", "0") == []
    assert len(diag.cmd("SLOWLOG", "GET", "2")) == 2
    assert diag.cmd("SLOWLOG", "RESET") == "OK"
    # Only what came after RESET (the RESET itself, at most) is left.
    assert diag.cmd("SLOWLOG", "LEN") <= 1


def test_slowlog_errors(diag):
    for bad in ("-2", "abc"):
        assert diag.cmd("SLOWLOG", "GET", bad) == RespError(
            "ERR count should be greater than or equal to -1")
    assert diag.cmd("SLOWLOG", "NOPE") == RespError(
        "ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP.")
    assert diag.cmd("SLOWLOG", "LEN", "x") == RespError(
        "ERR wrong number of arguments for 'slowlog|len' command")
    help_lines = diag.cmd("SLOWLOG", "HELP")
    assert help_lines[0].startswith("SLOWLOG <subcommand>")
    assert any(line.startswith("GET") for line in help_lines)
    assert diag.cmd("CONFIG", "SET", "slowlog-log-slower-than", "-2") == RespError(
        "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - "
        "argument must be between -1 and 9223372036854775807 inclusive")
    assert diag.cmd("CONFIG", "GET", "slowlog-max-len") == [b"slowlog-max-len", b"128"]


# ---- LATENCY ----

def test_latency_monitor_records_spikes_over_the_threshold(diag):
    assert diag.cmd("LATENCY", "LATEST") == []
    assert diag.cmd("LATENCY", "GRAPH", "command") == RespError(
        "ERR No samples available for event 'command'")
    diag.cmd("CONFIG", "SET", "latency-monitor-threshold", "10")
    diag.cmd("DEBUG", "SLEEP", "0")  # under the threshold: not recorded
    assert diag.cmd("LATENCY", "LATEST") == []
    diag.cmd("DEBUG", "SLEEP", "0.05")
    latest = diag.cmd("LATENCY", "LATEST")
    assert len(latest) == 1
    name, when, last_ms, max_ms = latest[0]
    assert name == b"command" and abs(when - time.time()) < 5
    assert 50 <= last_ms < 1000 and max_ms >= last_ms
    history = diag.cmd("LATENCY", "HISTORY", "command")
    assert len(history) == 1 and history[0][1] == last_ms
    assert diag.cmd("LATENCY", "HISTORY", "nosuch") == []
    graph = diag.cmd("LATENCY", "GRAPH", "command")
    graph = graph.decode() if isinstance(graph, bytes) else str(graph)
    assert graph.startswith("command - high ")
    assert isinstance(diag.cmd("LATENCY", "DOCTOR"), (bytes, str))
    assert diag.cmd("LATENCY", "RESET", "nosuch") == 0
    assert diag.cmd("LATENCY", "RESET") == 1
    assert diag.cmd("LATENCY", "LATEST") == []


def test_latency_histogram_counts_calls_per_command(diag):
    diag.cmd("CONFIG", "SET", "latency-tracking", "yes")
    before = _histogram(diag, "set")
    for i in range(5):
        diag.cmd("SET", f"k{i}", "v")
    diag.cmd("CONFIG", "GET", "maxmemory")
    after = _histogram(diag, "set")
    assert after[b"calls"] == before.get(b"calls", 0) + 5
    buckets = after[b"histogram_usec"]
    bounds = buckets[::2]
    assert bounds == sorted(bounds)
    if is_redis_target():
        # HdrHistogram's log buckets end just above 1.024 us x 2^k (33 for 32).
        assert all(any(2**k <= b <= 2**k * 1.05 for k in range(40)) for b in bounds), bounds
    else:
        assert all(b & (b - 1) == 0 for b in bounds), bounds  # Darner's: exact powers of two
    assert buckets[-1] == after[b"calls"]  # cumulative
    # A container stands for its subcommands; unknown names are left out.
    got = _pairs(diag.cmd("LATENCY", "HISTOGRAM", "config", "nosuch"))
    assert b"config|get" in got and b"nosuch" not in got
    assert diag.cmd("CONFIG", "GET", "latency-tracking") == [b"latency-tracking", b"yes"]


def _pairs(flat):
    return dict(zip(flat[::2], flat[1::2]))


def _histogram(raw, name):
    got = _pairs(raw.cmd("LATENCY", "HISTOGRAM", name))
    return _pairs(got[name.encode()]) if name.encode() in got else {}


def test_info_latencystats_reports_the_configured_percentiles(diag):
    diag.cmd("SET", "k", "v")
    diag.cmd("GET", "k")
    section = diag.cmd("INFO", "latencystats").decode()
    assert section.startswith("# Latencystats\r\n")
    lines = dict(line.split(":", 1) for line in section.splitlines()[1:] if line)
    fields = dict(kv.split("=") for kv in lines["latency_percentiles_usec_set"].split(","))
    assert list(fields) == ["p50", "p99", "p99.9"]
    assert float(fields["p50"]) <= float(fields["p99"]) <= float(fields["p99.9"])
    assert "# Latencystats" not in diag.cmd("INFO").decode()  # not a default section
    try:
        assert diag.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "99.99 0.5") == "OK"
        assert diag.cmd("CONFIG", "GET", "latency-tracking-info-percentiles") == [
            b"latency-tracking-info-percentiles", b"99.99 0.5"]
        section = diag.cmd("INFO", "latencystats").decode()
        line = next(l for l in section.splitlines() if l.startswith("latency_percentiles_usec_set:"))
        assert [kv.split("=")[0] for kv in line.split(":", 1)[1].split(",")] == ["p99.99", "p0.5"]
        assert diag.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "101") == RespError(
            "ERR CONFIG SET failed (possibly related to argument "
            "'latency-tracking-info-percentiles') - latency-tracking-info-percentiles "
            "parameters should sit between [0.0,100.0]")
    finally:
        diag.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")


def test_latency_errors(diag):
    assert diag.cmd("LATENCY", "NOPE") == RespError(
        "ERR unknown subcommand 'NOPE'. Try LATENCY HELP.")
    assert diag.cmd("LATENCY", "HISTORY") == RespError(
        "ERR wrong number of arguments for 'latency|history' command")
    assert diag.cmd("CONFIG", "SET", "latency-tracking", "maybe") == RespError(
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking') - "
        "argument must be 'yes' or 'no'")
    assert diag.cmd("LATENCY", "HELP")[0].startswith("LATENCY <subcommand>")


# ---- MEMORY, ROLE, LOLWUT ----

MEMORY_STATS_KEYS = [
    b"peak.allocated", b"total.allocated", b"startup.allocated", b"replication.backlog",
    b"clients.slaves", b"clients.normal", b"cluster.links", b"aof.buffer", b"lua.caches",
    b"functions.caches", b"db.0", b"overhead.total", b"keys.count", b"keys.bytes-per-key",
    b"dataset.bytes", b"dataset.percentage", b"peak.percentage", b"allocator.allocated",
    b"allocator.active", b"allocator.resident", b"allocator-fragmentation.ratio",
    b"allocator-fragmentation.bytes", b"allocator-rss.ratio", b"allocator-rss.bytes",
    b"rss-overhead.ratio", b"rss-overhead.bytes", b"fragmentation", b"fragmentation.bytes"]


def test_memory_stats_has_redis_fields(raw):
    raw.cmd("SET", "a", "1")
    raw.cmd("SET", "b", "2")
    stats = raw.cmd("MEMORY", "STATS")
    assert stats[::2] == MEMORY_STATS_KEYS
    fields = _pairs(stats)
    assert fields[b"keys.count"] == 2
    assert fields[b"total.allocated"] > 0 and fields[b"peak.allocated"] >= fields[b"total.allocated"]
    assert _pairs(fields[b"db.0"]).keys() == {b"overhead.hashtable.main",
                                               b"overhead.hashtable.expires",
                                               b"overhead.hashtable.slot-to-keys"}


def test_memory_doctor_malloc_stats_and_purge(raw):
    assert isinstance(raw.cmd("MEMORY", "DOCTOR"), (bytes, str))
    assert len(raw.cmd("MEMORY", "MALLOC-STATS")) > 0
    assert raw.cmd("MEMORY", "PURGE") == "OK"
    assert raw.cmd("MEMORY", "NOPE") == RespError("ERR unknown subcommand 'NOPE'. Try MEMORY HELP.")
    assert raw.cmd("MEMORY", "STATS", "x") == RespError(
        "ERR wrong number of arguments for 'memory|stats' command")


def test_role_of_a_primary(raw):
    assert raw.cmd("ROLE") == [b"master", 0, []]


def test_lolwut(raw):
    out = raw.cmd("LOLWUT")
    text = out.decode() if isinstance(out, bytes) else str(out)
    assert "ver. " in text
    assert raw.cmd("LOLWUT", "VERSION", "abc") == RespError(
        "ERR value is not an integer or out of range")
    assert isinstance(raw.cmd("LOLWUT", "VERSION", "5", "10", "5"), (bytes, str))


# ---- SWAPDB ----

def test_swapdb_exchanges_databases(client):
    a, b = client(), client()
    a.cmd("SET", "k", "in0")
    a.cmd("SET", "only0", "x")
    b.cmd("SELECT", "1")
    b.cmd("SET", "k", "in1")
    assert a.cmd("SWAPDB", "0", "1") == "OK"
    # Connections keep their database number and see the other's keys.
    assert a.cmd("GET", "k") == b"in1"
    assert a.cmd("EXISTS", "only0") == 0
    assert b.cmd("GET", "k") == b"in0"
    assert b.cmd("GET", "only0") == b"x"
    assert a.cmd("DBSIZE") == 1 and b.cmd("DBSIZE") == 2
    assert a.cmd("SWAPDB", "1", "1") == "OK"
    assert b.cmd("DBSIZE") == 2
    b.cmd("FLUSHDB")


def test_swapdb_errors(raw):
    assert raw.cmd("SWAPDB", "x", "0") == RespError("ERR invalid first DB index")
    assert raw.cmd("SWAPDB", "0", "x") == RespError("ERR invalid second DB index")
    assert raw.cmd("SWAPDB", "0", "16") == RespError("ERR DB index is out of range")
    assert raw.cmd("SWAPDB", "-1", "0") == RespError("ERR DB index is out of range")
    assert raw.cmd("SWAPDB", "0") == RespError("ERR wrong number of arguments for 'swapdb' command")


# ---- CLIENT ----

def test_client_pause_write_holds_writes_but_not_reads(diag, client):
    other = client()
    other.cmd("SET", "k", "v")
    assert diag.cmd("CLIENT", "PAUSE", "400", "WRITE") == "OK"
    start = time.monotonic()
    assert other.cmd("GET", "k") == b"v"  # reads go on
    assert time.monotonic() - start < 0.3
    assert other.cmd("SET", "k", "w") == "OK"  # waits for the pause to end
    waited = time.monotonic() - start
    assert 0.3 <= waited < 3, waited
    assert other.cmd("GET", "k") == b"w"


def test_client_pause_all_holds_every_command(diag, client):
    other = client()
    assert diag.cmd("CLIENT", "PAUSE", "500", "ALL") == "OK"
    start = time.monotonic()
    assert other.cmd("PING") == "PONG"
    waited = time.monotonic() - start
    assert 0.4 <= waited < 3, waited


@pytest.mark.darner_only  # Redis pauses every connection; Darner spares its admin port
def test_client_unpause_from_the_admin_port_ends_a_pause_early(spawn_darner):
    srv = spawn_darner(with_admin_port=True)
    with srv.client() as c, srv.client() as other, RawClient(port=srv.admin_port) as admin:
        assert c.cmd("CLIENT", "PAUSE", "60000", "ALL") == "OK"
        other.send_command("SET", "k", "v")
        assert other.no_reply_within(0.3)
        start = time.monotonic()
        assert admin.cmd("CLIENT", "UNPAUSE") == "OK"
        assert other.read(timeout=5) == "OK"
        assert time.monotonic() - start < 1.0  # seen within the 10 ms poll, with slack


@pytest.mark.darner_only
def test_shutdown_is_not_held_by_a_pause(spawn_darner):
    srv = spawn_darner(with_admin_port=True)
    with srv.client() as c, srv.client() as other:
        assert c.cmd("CLIENT", "PAUSE", "60000", "ALL") == "OK"
        other.send_command("GET", "k")
        assert other.no_reply_within(0.2)
        start = time.monotonic()
        srv.stop()
        assert time.monotonic() - start < 5


def test_client_pause_errors(raw):
    assert raw.cmd("CLIENT", "PAUSE", "abc") == RespError(
        "ERR timeout is not an integer or out of range")
    assert raw.cmd("CLIENT", "PAUSE", "-1") == RespError("ERR timeout is negative")
    assert raw.cmd("CLIENT", "PAUSE", "10", "foo") == RespError(
        "ERR CLIENT PAUSE mode must be WRITE or ALL")
    assert raw.cmd("CLIENT", "PAUSE", "10", "WRITE", "x") == RespError(
        "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.")
    assert raw.cmd("CLIENT", "UNPAUSE") == "OK"


def test_client_unblock_of_a_client_that_is_not_blocked(raw, client):
    other = client()
    other_id = other.cmd("CLIENT", "ID")
    assert raw.cmd("CLIENT", "UNBLOCK", str(other_id)) == 0
    assert raw.cmd("CLIENT", "UNBLOCK", "999999", "ERROR") == 0
    assert raw.cmd("CLIENT", "UNBLOCK", "abc") == RespError(
        "ERR value is not an integer or out of range")
    assert raw.cmd("CLIENT", "UNBLOCK", "1", "foo") == RespError(
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")


def test_client_reply_off_skip_on(raw):
    # OFF: nothing comes back, not even errors, until ON (whose OK does).
    for cmd in (["CLIENT", "REPLY", "OFF"], ["SET", "a", "1"], ["NOSUCHCMD"], ["GET", "a"],
                ["CLIENT", "REPLY", "ON"], ["GET", "a"]):
        raw.send_command(*cmd)
    assert raw.read() == "OK"
    assert raw.read() == b"1"
    assert raw.no_reply_within(0.2)
    # SKIP: that command's reply and the next one's are dropped, then replies resume.
    for cmd in (["CLIENT", "REPLY", "SKIP"], ["SET", "b", "2"], ["GET", "b"]):
        raw.send_command(*cmd)
    assert raw.read() == b"2"
    assert raw.no_reply_within(0.2)
    assert raw.cmd("CLIENT", "REPLY", "MAYBE") == RespError("ERR syntax error")


def test_client_no_evict_shows_in_client_info(raw):
    assert raw.cmd("CLIENT", "NO-EVICT", "on") == "OK"
    assert b" flags=e " in raw.cmd("CLIENT", "INFO")
    assert raw.cmd("CLIENT", "NO-EVICT", "off") == "OK"
    assert b" flags=N " in raw.cmd("CLIENT", "INFO")
    assert raw.cmd("CLIENT", "NO-EVICT", "maybe") == RespError("ERR syntax error")


@pytest.mark.darner_only  # Redis 7.2's command; 7.0 has no CLIENT SETINFO
def test_client_setinfo_shows_in_client_list(raw):
    assert raw.cmd("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == "OK"
    assert raw.cmd("CLIENT", "SETINFO", "lib-ver", "5.0.1") == "OK"
    info = raw.cmd("CLIENT", "INFO")
    assert b" lib-name=redis-py lib-ver=5.0.1" in info
    assert raw.cmd("CLIENT", "SETINFO", "LIB-NAME", "has space") == RespError(
        "ERR lib-name cannot contain spaces, newlines or special characters.")
    assert raw.cmd("CLIENT", "SETINFO", "color", "red") == RespError(
        "ERR Unrecognized option 'color'")


# ---- CONFIG REWRITE ----

def test_config_rewrite_without_a_config_file(raw):
    assert raw.cmd("CONFIG", "REWRITE") == RespError(
        "ERR The server is running without a config file")


@pytest.mark.darner_only
def test_config_rewrite_updates_the_flagfile(spawn_darner, tmp_path):
    path = tmp_path / "darner.flags"
    path.write_text("# kept as written\n--maxmemory=1000000\n--nolatency_tracking\n"
                    "--slowlog_max_len=5\n--slowlog_max_len=6\n")
    srv = spawn_darner(extra_args=[f"--flagfile={path}"])
    with srv.client() as c:
        assert c.cmd("CONFIG", "GET", "slowlog-max-len") == [b"slowlog-max-len", b"6"]
        assert c.cmd("CONFIG", "SET", "maxmemory", "2000000", "latency-tracking", "yes",
                     "slowlog-max-len", "9", "maxmemory-policy", "allkeys-lru") == "OK"
        assert c.cmd("CONFIG", "REWRITE") == "OK"
    lines = path.read_text().splitlines()
    assert lines[:4] == ["# kept as written", "--maxmemory=2000000", "--latency_tracking=true",
                         "--slowlog_max_len=9"]
    assert "--maxmemory_policy=allkeys-lru" in lines[4:]
    assert not any(line.startswith("--maxclients") for line in lines)  # never CONFIG SET
    srv.stop()
    again = spawn_darner(extra_args=[f"--flagfile={path}"])
    with again.client() as c:
        assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"2000000"]
        assert c.cmd("CONFIG", "GET", "slowlog-max-len") == [b"slowlog-max-len", b"9"]
        assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
