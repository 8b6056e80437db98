"""The target side of a slot migration (spec dragonfly-cluster.md §4.4): INIT / FLOW / ACK,
the flow stream consumer, status, and every way an incoming migration ends — finished, joined
too late, cancelled by config, re-initialized, out of memory, corrupt or forbidden input,
shutdown. The source is played by the test (cluster_util.FakeSource), speaking Dragonfly's wire
format."""
import itertools
import signal
import socket
import time

import pytest

from cluster_util import (FakeSource, key_in_slots, node, push, rec_command, rec_lsn, rec_ping,
                          rec_select, shard, slot, start_yes)
from helpers import TIME_SCALE, RawClient, parse_info, scaled, wait_until

pytestmark = [pytest.mark.darner_only, pytest.mark.own_nodes]

OK = b"+OK\r\n"
RANGES = [(0, 100), (200, 300)]


def opening_config(src_port, dst_port, ranges=RANGES):
    mig = {"node_id": "dst", "ip": "127.0.0.1", "port": dst_port,
           "slot_ranges": [{"start": a, "end": b} for a, b in ranges]}
    return [shard([(0, 8191)], node("src", src_port), migrations=[mig]),
            shard([(8192, 16383)], node("dst", dst_port))]


def closing_config(src_port, dst_port, ranges=RANGES):
    src_ranges, start = [], 0
    for a, b in sorted(ranges):
        if start < a:
            src_ranges.append((start, a - 1))
        start = b + 1
    if start <= 8191:
        src_ranges.append((start, 8191))
    return [shard(src_ranges, node("src", src_port)),
            shard(list(ranges) + [(8192, 16383)], node("dst", dst_port))]


def status(c, node_id=None):
    args = ("DFLYCLUSTER", "SLOT-MIGRATION-STATUS") + ((node_id,) if node_id else ())
    return c.cmd(*args)


@pytest.fixture
def target(spawn_darner):
    """A target node `dst` with the opening config of a migration from `src` (port 1)."""
    def make(**flags):
        srv = start_yes(spawn_darner, "dst", **flags)
        with srv.client() as c:
            assert push(c, opening_config(1, srv.port)) == OK
        return srv
    return make


def syncing_source(dst, num_flows):
    """A fake source that has sent INIT and opened every flow (the migration is in SYNC)."""
    src = FakeSource(dst.port, "src", RANGES, num_flows=num_flows)
    assert src.init() == OK
    src.open_all_flows()
    return src


def keys_for(n, ranges=RANGES):
    return [key_in_slots(a, b, prefix="m", skip=i) for i in range(n) for a, b in ranges][:n]


def test_full_incoming_migration(target):
    dst = target()
    src = FakeSource(dst.port, "src", RANGES, num_flows=2)
    with dst.client() as c:
        assert status(c) == [[b"in", b"src", b"CONNECTING", 0, b"0", b"[0, 100], [200, 300]"]]
        # FLOW before INIT: the migration is not in SYNC yet.
        assert src.open_flow(0).startswith(b"-ERR")
        assert src.init() == OK
        assert status(c)[0][2] == b"SYNC"
        src.open_all_flows()
        keys = keys_for(40)
        for i, k in enumerate(keys):
            src.send(i % 2, rec_select(0) + rec_command("SET", k, f"v{i}"))
        # Data lands, but the target does not serve the slots before ACK: clients get MOVED to
        # the source.
        wait_until(lambda: c.cmd("DBSIZE") == 40, msg="streamed keys applied")
        assert c.cmd_raw("GET", keys[0]) == b"-MOVED %d 127.0.0.1:1\r\n" % slot(keys[0])
        assert status(c)[0][3] == 40
        for f in range(2):
            src.send(f, rec_ping() + rec_lsn(1))
        assert src.ack(1) == b":1\r\n"
        st = status(c)
        assert st == [[b"in", b"src", b"FINISHED", 40, b"0", b"[0, 100], [200, 300]"]]
        assert status(c, "src") == st and status(c, "other") == []
        # Served from now on, before the closing config.
        assert c.cmd("GET", keys[0]) == b"v0"
        # A repeated ACK with a later attempt joins again once the flows report it.
        for f in range(2):
            src.send(f, rec_lsn(2))
        assert src.ack(2) == b":2\r\n"
        # The flow connections are named for CLIENT LIST.
        assert c.cmd("CLIENT", "LIST").count(b"name=migration_flow_src") == 2
        assert push(c, closing_config(1, dst.port)) == OK
        assert status(c) == []
        assert c.cmd("DBSIZE") == 40
        assert c.cmd("GET", keys[1]) == b"v1"
        # The closing config drops the migration, and with it the flows.
        assert src.flow_closed_by_peer(0, timeout=1)
    src.close()


def test_init_and_flow_errors(target):
    dst = target()
    with dst.client() as c:
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "src", 2, 0, 100) == b"+UNKNOWN_MIGRATION\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "nobody", 2, 0, 100, 200, 300) == \
            b"+UNKNOWN_MIGRATION\r\n"
        # Ranges compare as sorted lists.
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "src", 2, 200, 300, 0, 100) == OK
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "src", "x", 0, 100) == \
            b"-ERR value is not an integer or out of range\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "src", 2, 0) == \
            b"-ERR Unknown subcommand or wrong number of arguments for 'INIT'. Try DFLYMIGRATE HELP.\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "src", 2, 0, 100, 5) == b"-ERR syntax error\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "src", 2, 0, 16384) == \
            b"-ERR value is not an integer or out of range\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "INIT", "src", 0, 0, 100, 200, 300) == \
            b"-ERR invalid number of flows\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "FLOW", "nobody", 0) == b"-ERR syncid not found\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "ACK", "nobody", 1) == b"+UNKNOWN_MIGRATION\r\n"
        assert c.cmd_raw("DFLYMIGRATE", "BOGUS", "x") == \
            b"-ERR Unknown subcommand or wrong number of arguments for 'BOGUS'. Try DFLYMIGRATE HELP.\r\n"
        assert b"dflymigrate" not in c.cmd("COMMAND", "LIST")
    src = FakeSource(dst.port, "src", RANGES, num_flows=2)
    assert src.open_flow(2) == b"-ERR invalid flow id\r\n"
    assert src.open_flow(0) == OK
    assert src.open_flow(0) == b"-ERR flow already connected\r\n"
    src.close()


def test_ack_join_timeout_and_data_after_marker(target):
    # The join timeout (300 ms, longer in sanitizer runs) must be told apart from a quick error.
    join_timeout = 0.3 * TIME_SCALE
    dst = target(migration_finalization_timeout_ms=int(join_timeout * 1000))
    src = syncing_source(dst, num_flows=2)
    k = keys_for(1)[0]
    src.send(0, rec_command("SET", k, "1") + rec_lsn(1))  # flow 1 never reports
    t = time.monotonic()
    assert src.ack(1) == b"-ERR Join timeout happened\r\n"
    assert join_timeout - 0.05 < time.monotonic() - t < scaled(2)
    with dst.client() as c:
        st = status(c)[0]
        assert st[2] == b"SYNC" and st[4] == b"Can't join migration in time"
        # Both flows report, then one gets data after its marker: no join, error quickly.
        src.send(1, rec_lsn(2))
        src.send(0, rec_lsn(2) + rec_command("SET", k, "2"))
        wait_until(lambda: c.cmd("DBSIZE") == 1 and c.cmd("DFLYCLUSTER", "GETSLOTINFO", "SLOTS",
                                                           slot(k))[0][2] == 1)
        time.sleep(0.05)
        t = time.monotonic()
        assert src.ack(2) == b"-ERR Join timeout happened\r\n"
        assert time.monotonic() - t < join_timeout - 0.05
        info = parse_info(c.cmd("INFO", "CLUSTER"))["cluster"]
        assert info["migration_errors_total"] == "2"
    src.close()


def test_ack_joins_only_its_own_attempts_markers(target):
    """Issue 13: a source that gave attempt k up sends attempt k+1. An ACK of k+1 never joins on
    the markers of k (it waits for k+1's), and a late ACK of k, once a flow has passed k+1's
    marker, is refused at once instead of waiting out the join timeout."""
    join_timeout = 0.3 * TIME_SCALE
    dst = target(migration_finalization_timeout_ms=int(join_timeout * 1000))
    src = syncing_source(dst, num_flows=2)
    k = keys_for(1)[0]
    src.send(0, rec_command("SET", k, "1") + rec_lsn(1))
    src.send(1, rec_lsn(1))
    with dst.client() as c:
        wait_until(lambda: c.cmd("DBSIZE") == 1)
        time.sleep(0.05)
        # Every flow parked at attempt 1 with nothing after it: that is no join for attempt 2.
        t = time.monotonic()
        assert src.ack(2) == b"-ERR Join timeout happened\r\n"
        assert time.monotonic() - t > join_timeout - 0.05
        assert status(c)[0][2] == b"SYNC"
        # Attempt 2's markers: a late ACK of attempt 1 is stale at once, attempt 2 joins.
        src.send(0, rec_command("SET", k, "2") + rec_lsn(2))
        src.send(1, rec_lsn(2))
        time.sleep(0.1)
        t = time.monotonic()
        assert src.ack(1) == b"-ERR Join timeout happened\r\n"
        assert time.monotonic() - t < join_timeout - 0.05
        assert status(c)[0][2] == b"SYNC"
        assert src.ack(2) == b":2\r\n"
        assert status(c)[0][2] == b"FINISHED"
        assert c.cmd("GET", k) == b"2"
    src.close()


def test_ack_abandoned_by_the_source_does_not_finish(target):
    """Issue 13: a source gives an attempt up when its pause limit passes, and closes the
    control connection before it lets writes after the marker happen. An ACK whose connection
    is closed never finishes the migration, even when its markers arrive afterwards (a target
    frozen while the source waited); the next attempt does."""
    dst = target()
    src = syncing_source(dst, num_flows=2)
    k = keys_for(1)[0]
    src.send(0, rec_command("SET", k, "1"))
    with dst.client() as c:
        wait_until(lambda: c.cmd("DBSIZE") == 1)
        late = socket.create_connection(("127.0.0.1", dst.port), timeout=10)
        late.sendall(b"DFLYMIGRATE ACK src 1\r\n")
        time.sleep(0.05)  # the ACK waits for the markers
        late.close()  # the source gave attempt 1 up
        for f in range(2):
            src.send(f, rec_lsn(1))
        wait_until(lambda: "ACK 1 from src abandoned by the source" in dst.log_text(),
                   msg="abandoned ACK noticed")
        time.sleep(0.05)
        assert status(c)[0][2] == b"SYNC"
        assert c.cmd_raw("GET", k).startswith(b"-MOVED")  # the slots are not served here
        src.send(0, rec_command("SET", k, "2") + rec_lsn(2))
        src.send(1, rec_lsn(2))
        assert src.ack(2) == b":2\r\n"
        assert status(c)[0][2] == b"FINISHED" and c.cmd("GET", k) == b"2"
    src.close()


def test_reinit_flushes_partial_data_and_restarts(target):
    dst = target()
    src = syncing_source(dst, num_flows=1)
    keys = keys_for(10)
    for k in keys:
        src.send(0, rec_command("SET", k, "old"))
    with dst.client() as c:
        wait_until(lambda: c.cmd("DBSIZE") == 10)
        # A second INIT (the source restarted after a failure): old flows end, data is dropped.
        t = time.monotonic()
        assert src.init() == OK
        assert time.monotonic() - t < scaled(0.5)
        assert src.flow_closed_by_peer(0, timeout=1)
        assert c.cmd("DBSIZE") == 0
        src2 = FakeSource(dst.port, "src", RANGES, num_flows=1)
        src2.open_all_flows()
        src2.send(0, rec_command("SET", keys[0], "new") + rec_lsn(1))
        assert src2.ack(1) == b":1\r\n"
        assert c.cmd("GET", keys[0]) == b"new" and c.cmd("DBSIZE") == 1
        src2.close()
    src.close()


def test_concurrent_reinits_close_flows_of_the_replaced_table(target):
    """Two INITs of one migration overlap (fuzzer seed 2): INIT A initializes a flow table while
    INIT B is between its stop and its initialization, and a flow attaches to A's table. B
    must not replace that table unclosed: the flow would outlive every later stop and apply
    data after B's flush."""
    delay = scaled(0.3)
    dst = target()
    src = syncing_source(dst, num_flows=1)
    with dst.client() as c:
        assert c.cmd("DEBUG", "MIGRATION", "FAULT", "INIT-DELAY", int(delay * 1000)) == "OK"
        a = RawClient(port=dst.port)
        b = RawClient(port=dst.port)
        init = ["DFLYMIGRATE", "INIT", "src", 1] + [x for r in RANGES for x in r]
        a.send_command(*init)             # stops at 0, initializes at 1 delay
        time.sleep(delay / 3)
        b.send_command(*init)             # stops at 1/3, first tries to initialize at 4/3
        assert a.read_raw(timeout=scaled(5)) == OK
        late = FakeSource(dst.port, "src", RANGES, num_flows=1)
        assert late.open_flow(0) == OK    # joins A's table, before B initializes
        t = time.monotonic()
        assert b.read_raw(timeout=scaled(5)) == OK
        took = time.monotonic() - t
        # B found A's table and stopped again (closing the flow) before it initialized.
        assert late.flow_closed_by_peer(0, timeout=scaled(1))
        assert took > delay / 2, took
        assert c.cmd("DEBUG", "MIGRATION", "FAULT", "INIT-DELAY", 0) == "OK"
        # B's table is the live one: a fresh flow attaches and its data joins.
        fresh = FakeSource(dst.port, "src", RANGES, num_flows=1)
        assert fresh.open_flow(0) == OK
        k = keys_for(1)[0]
        fresh.send(0, rec_command("SET", k, "v") + rec_lsn(1))
        assert fresh.ack(1) == b":1\r\n"
        assert c.cmd("GET", k) == b"v"
        for x in (a, b, late, fresh):
            x.close()
    src.close()


def test_cancel_by_config_is_bounded_and_flushes_partial_data(target):
    dst = target()
    src = syncing_source(dst, num_flows=2)
    keys = keys_for(20)
    for i, k in enumerate(keys):
        src.send(i % 2, rec_command("SET", k, "x"))
    with dst.client() as c:
        c.cmd("SET", key_in_slots(9000, 9100), "mine")  # a slot dst owns: kept
        wait_until(lambda: c.cmd("DBSIZE") == 21)
        no_migration = [shard([(0, 8191)], node("src", 1)), shard([(8192, 16383)], node("dst", dst.port))]
        t = time.monotonic()
        assert push(c, no_migration) == OK
        took = time.monotonic() - t
        assert took < scaled(0.5), took
        assert status(c) == []
        assert c.cmd("DBSIZE") == 1
        for f in range(2):
            assert src.flow_closed_by_peer(f, timeout=1)
        # The source's late ACK is told the migration is gone.
        assert src.ack(1) == b"+UNKNOWN_MIGRATION\r\n"
    src.close()


def short_keys_by_shard(ranges=RANGES, shards=2):
    """Keys of 1-3 characters in `ranges`, by the shard (slot % shards) that owns them."""
    out = [[] for _ in range(shards)]
    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    for n in (1, 2, 3):
        for t in itertools.product(chars, repeat=n):
            k = "".join(t)
            s = slot(k)
            if any(a <= s <= b for a, b in ranges):
                out[s % shards].append(k)
    return out


def test_cancel_while_a_flow_has_a_backlog_is_prompt(target):
    """Issue 13: a flow with a backlog in its socket must not hold its thread until the backlog
    is applied (records of keys on the flow's own shard apply without suspending, and the
    connection reads on while bytes are there). Clients on the flows' threads are served while
    the backlogs apply, and a config that drops the migration stops it within a bound (the
    consumer yields every 256 commands)."""
    dst = target()  # two threads
    src = syncing_source(dst, num_flows=4)
    # Flows 0, 1 carry keys of shard 0 and flows 2, 3 of shard 1, so whichever threads the flow
    # connections land on, each thread has a flow whose keys are its own.
    by_shard = short_keys_by_shard()
    chunks = [b"".join(rec_command("SET", k, "v") for k in ks[:200]) * 20 for ks in by_shard]
    with dst.client() as c:
        assert c.cmd_raw("DEBUG", "MIGRATION", "PAUSE") == OK
        # Fill every flow's socket buffers while nothing reads: megabytes of 14-byte records.
        for f, sock in enumerate(src.flows):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            sock.setblocking(False)
            data, sent = chunks[f // 2], 0
            while True:
                try:
                    sent += sock.send(data)
                except BlockingIOError:
                    break
            sock.setblocking(True)
            assert sent > 1 << 20, sent
        clients = [dst.client() for _ in range(4)]  # spread over the threads
        try:
            assert c.cmd_raw("DEBUG", "MIGRATION", "RESUME") == OK
            for cl in clients:
                start = time.monotonic()
                assert cl.cmd_raw("PING") == b"+PONG\r\n"
                assert time.monotonic() - start < scaled(0.05)
        finally:
            for cl in clients:
                cl.close()
        no_migration = [shard([(0, 8191)], node("src", 1)),
                        shard([(8192, 16383)], node("dst", dst.port))]
        start = time.monotonic()
        assert push(c, no_migration) == OK
        took = time.monotonic() - start
        assert took < scaled(0.05), took
        assert status(c) == [] and c.cmd("DBSIZE") == 0
    src.close()


def test_oom_makes_the_migration_fatal(target):
    dst = target(maxmemory=2 * 1024 * 1024)
    src = syncing_source(dst, num_flows=1)
    big = b"x" * 100_000
    try:
        for k in keys_for(60):
            src.send(0, rec_command("SET", k, big))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the target stopped the flow at OOM
    with dst.client() as c:
        wait_until(lambda: status(c)[0][2] == b"FATAL", timeout=10)
        assert status(c)[0][4] == b"INCOMING_MIGRATION_OOM"
        assert src.flow_closed_by_peer(0, timeout=1)
        assert src.ack(1) == b"-INCOMING_MIGRATION_OOM\r\n"
        # The source restarts: INIT flushes the partial data and answers OOM; state stays FATAL.
        assert src.init() == b"-INCOMING_MIGRATION_OOM\r\n"
        assert c.cmd("DBSIZE") == 0
        assert status(c)[0][2] == b"FATAL"
    src.close()


@pytest.mark.parametrize("payload,error", [
    (rec_command("FLUSHALL"), b"We don't support command: FLUSHALL in cluster migration process."),
    (rec_command("dflycluster", "flushslots", "0", "10"),
     b"We don't support command: DFLYCLUSTER in cluster migration process."),
    (b"\x07\x00", b"corrupt flow stream: "),
    # Only keyed writes of the migration's slots: nothing else a flow sends may take effect.
    (rec_command("CONFIG", "SET", "requirepass", "x"),
     b"Unexpected command in migration flow: CONFIG"),
    (rec_command("DFLYMIGRATE", "INIT", "src", "1", "0", "100"),
     b"Unexpected command in migration flow: DFLYMIGRATE"),
    (rec_command("DFLYMIGRATE", "FLOW", "src", "1"),
     b"Unexpected command in migration flow: DFLYMIGRATE"),
    (rec_command("PING"), b"Unexpected command in migration flow: PING"),
    (rec_command("GET", key_in_slots(0, 100)), b"Unexpected command in migration flow: GET"),
    (rec_command("SET", key_in_slots(101, 199), "v"), b"Key of slot "),
    (rec_command("MSET", key_in_slots(0, 100), "v", key_in_slots(9000, 9100), "v"),
     b"Key of slot "),
], ids=["flushall", "flushslots", "corrupt", "config-set", "init", "flow", "ping", "read",
        "other-slot", "one-key-outside"])
def test_bad_flow_input_stops_all_flows(target, payload, error):
    dst = target()
    src = syncing_source(dst, num_flows=2)
    k = keys_for(1)[0]
    src.send(1, rec_command("SET", k, "kept-until-reinit"))
    with dst.client() as c:
        wait_until(lambda: c.cmd("DBSIZE") == 1)
        src.send(0, payload)
        for f in range(2):
            assert src.flow_closed_by_peer(f, timeout=1), f
        st = status(c)[0]
        assert st[2] == b"SYNC" and st[4].startswith(error), st
        # Partial data stays until a re-INIT or a config drops the migration.
        assert c.cmd("DBSIZE") == 1
        assert c.cmd("CONFIG", "GET", "requirepass") == [b"requirepass", b""]
        # Nothing is left waiting on the failed flows: a re-INIT stops them at once.
        t0 = time.monotonic()
        assert src.init() == OK
        assert time.monotonic() - t0 < scaled(1.0)
        assert c.cmd("DBSIZE") == 0
    src.close()


def test_second_flow_on_one_connection_is_stream_data(target):
    """Two FLOWs pipelined on one connection: the first takes the connection over, so the second
    is read as (corrupt) flow bytes, never run as a command that would register the connection
    twice. A re-INIT afterwards stops everything at once."""
    dst = target()
    src = FakeSource(dst.port, "src", RANGES, num_flows=2)
    assert src.init() == OK
    s = socket.create_connection(("127.0.0.1", dst.port), timeout=10)
    s.sendall(b"DFLYMIGRATE FLOW src 0\r\nDFLYMIGRATE FLOW src 1\r\n")
    assert s.recv(5) == OK
    s.settimeout(2)
    assert s.recv(1) == b""  # the stream "DFLYM..." is corrupt: the flow is closed
    with dst.client() as c:
        st = status(c)[0]
        assert st[2] == b"SYNC" and st[4].startswith(b"corrupt flow stream"), st
        for attempt in range(3):
            t0 = time.monotonic()
            assert src.init() == OK
            assert time.monotonic() - t0 < scaled(1.0), attempt
            for f in src.flows:
                f.close()
            src.flows = []
            src.open_all_flows()
            src.send(0, rec_command("SET", keys_for(1)[0], "v"))
            wait_until(lambda: c.cmd("DBSIZE") == 1)
    s.close()
    src.close()


def test_flow_command_inside_a_flow_fails_the_migration(target):
    dst = target()
    src = syncing_source(dst, num_flows=2)
    # Raw RESP inside the stream is corrupt input too.
    src.send(0, b"*4\r\n$11\r\nDFLYMIGRATE\r\n$4\r\nFLOW\r\n$3\r\nsrc\r\n$1\r\n1\r\n")
    for f in range(2):
        assert src.flow_closed_by_peer(f, timeout=1), f
    t0 = time.monotonic()
    assert src.init() == OK
    assert time.monotonic() - t0 < scaled(1.0)
    src.close()


def test_debug_migration_pause_stops_reading(target):
    dst = target()
    src = syncing_source(dst, num_flows=1)
    keys = keys_for(5)
    with dst.client() as c:
        assert c.cmd_raw("DEBUG", "MIGRATION", "PAUSE") == OK
        src.send(0, rec_command("SET", keys[0], "1"))
        time.sleep(0.3)
        assert c.cmd("DBSIZE") == 0
        assert c.cmd_raw("DEBUG", "MIGRATION", "RESUME") == OK
        wait_until(lambda: c.cmd("DBSIZE") == 1, timeout=2)
    src.close()


@pytest.mark.timeout(30)
def test_sigterm_with_flows_connected_exits_quickly(target):
    dst = target()
    src = syncing_source(dst, num_flows=2)
    src.send(0, rec_command("SET", keys_for(1)[0], "1"))
    t0 = time.monotonic()
    dst.signal(signal.SIGTERM)
    assert dst.wait(timeout=scaled(1.0)) == 0, f"{time.monotonic() - t0:.3f}s"
    src.close()
