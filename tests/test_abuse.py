"""What an attacker or a clumsy client can do to a server: huge announced lengths, thousands of
keys in one command, idle connections by the thousand, requests pipelined behind AUTH. Each
test holds for redis-server 7.0 too (DARNER_TEST_TARGET=redis) unless marked darner_only; the
migration-target abuse lives in test_migration_target.py."""
import socket
import time

import pytest

from helpers import encode_command, wait_until

OK = b"+OK\r\n"


def rss_kb(pid: int) -> int:
    # smaps_rollup is exact; VmRSS in /proc/pid/status lags behind in per-thread batches.
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Rss:"):
                return int(line.split()[1])
    raise AssertionError("no Rss")


def settled_rss_kb(srv) -> int:
    """RSS once the server has answered a round trip (so it has handled what was sent)."""
    with srv.client() as c:
        assert c.cmd_raw("PING") == b"+PONG\r\n"
    return rss_kb(srv.pid)


# ---------------------------------------------------------------- cost of one request


# 200K keys: a quadratic de-duplication takes minutes here, a linear one well under a second.
MANY = 200_000


def test_multi_key_commands_are_not_quadratic(r):
    keys = [f"{{t}}k{i}" for i in range(MANY)]  # one slot, so cluster mode runs it too
    t0 = time.monotonic()
    assert r.mset({k: "v" for k in keys})
    assert r.exists(*keys) == MANY
    assert len(r.mget(keys)) == MANY
    assert r.delete(*keys) == MANY
    # Repeated keys are counted as Redis counts them, and de-duplicated for locking.
    assert r.exists(*(["{t}dup"] * MANY)) == 0
    elapsed = time.monotonic() - t0
    assert elapsed < 10, f"{elapsed:.1f}s for four commands of {MANY} keys"


# ---------------------------------------------------------------- query buffers


BIG_HEADER = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n"


def test_announced_bulk_commits_no_memory(server, client):
    before = settled_rss_kb(server)
    conns = [client() for _ in range(6)]
    for c in conns:
        c.send(BIG_HEADER)
    grown = settled_rss_kb(server) - before
    assert grown < 32 * 1024, f"RSS grew {grown} KiB for six headers"


@pytest.mark.darner_only  # Redis reserves a big bulk's whole length (untouched pages, no RSS)
def test_query_buffer_grows_with_received_bytes(r, client):
    def clients_mem():
        return int(r.info("memory")["mem_clients_normal"])
    idle = clients_mem()
    c = client()
    c.send(BIG_HEADER + b"x" * 8_000_000)
    wait_until(lambda: clients_mem() - idle >= 8_000_000, msg="8 MB buffered")
    # At most twice what arrived, whatever the header announced.
    assert clients_mem() - idle <= 16_100_000
    assert int(r.info("memory")["used_memory"]) >= 8_000_000
    c.close()
    wait_until(lambda: clients_mem() - idle < 100_000, msg="buffer freed with the connection")


def test_client_query_buffer_limit(r, client):
    assert r.config_get("client-query-buffer-limit") == {
        "client-query-buffer-limit": "1073741824"}
    r.config_set("client-query-buffer-limit", "1mb")
    try:
        innocent = client()
        assert innocent.cmd_raw("SET", "a", "1") == OK
        small = client()
        assert small.cmd_raw("SET", "b", "x" * 500_000) == OK
        big = client()
        big.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n")
        try:
            big.send(b"x" * 2_000_000)
        except OSError:
            pass  # closed while sending
        assert big.wait_closed(5), "a query buffer over the limit closes the connection"
        assert innocent.cmd_raw("GET", "a") == b"$1\r\n1\r\n"
        assert r.exists("k") == 0
    finally:
        r.config_set("client-query-buffer-limit", "1gb")


def test_client_query_buffer_limit_bounds(r):
    with pytest.raises(Exception, match="client-query-buffer-limit"):
        r.config_set("client-query-buffer-limit", "1000")
    assert r.config_get("client-query-buffer-limit")["client-query-buffer-limit"] == "1073741824"


def test_query_buffers_count_against_maxmemory(spawn_server):
    srv = spawn_server(flags={"maxmemory": 64 * 1024 * 1024})
    with srv.client() as c:
        assert c.cmd_raw("SET", "a", "1") == OK
        holders = [srv.client() for _ in range(3)]
        for h in holders:
            h.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n" + b"x" * 30_000_000)
        wait_until(lambda: c.cmd_raw("SET", "b", "1").startswith(b"-OOM"), timeout=10,
                   msg="writes refused while query buffers hold 90 MB")
        for h in holders:
            h.close()
        wait_until(lambda: c.cmd_raw("SET", "b", "1") == OK, timeout=10,
                   msg="writes accepted once the buffers are gone")


# Redis frees an idle client's query buffer only after 2 s (clientsCron), so right after a PING it
# holds about 9.7 KiB per connection; Darner frees the buffer at once.
@pytest.mark.darner_only
def test_idle_connections_are_cheap(server):
    n = 1000
    warm = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(50)]
    for s in warm:
        s.close()
    before = settled_rss_kb(server)
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"PING\r\n")
            socks.append(s)
        for s in socks:
            assert s.recv(16) == b"+PONG\r\n"
        per_conn = (settled_rss_kb(server) - before) * 1024 / n
        # Measured 2.4-3.3 KiB (before: 20 KiB): the connection (600 B), its coroutine frame and
        # Asio's spawn state (750 B), socket registration (170 B), context (144 B), and the
        # allocator's slack; the target of 2 KiB is not reached yet.
        assert per_conn <= 4096, f"{per_conn:.0f} bytes per idle connection"
    finally:
        for s in socks:
            s.close()


def test_read_buffers_are_released_when_idle(server, client):
    value = b"v" * 20_000_000
    conns = [client() for _ in range(10)]
    before = settled_rss_kb(server)
    for i, c in enumerate(conns):
        c.send(encode_command("SET", f"big{i}", value))
    for c in conns:
        assert c.read_raw(timeout=60) == OK
    grown = settled_rss_kb(server) - before
    # The values themselves take 200 MB; the read buffers that held them must be gone.
    assert grown < 260 * 1024, f"RSS grew {grown // 1024} MiB for 200 MB of values"


# ---------------------------------------------------------------- AUTH and pipelining


def test_requests_pipelined_behind_auth_get_authenticated_limits(spawn_server):
    srv = spawn_server(flags={"requirepass": "pw"})
    mset = ["MSET"] + [f"k{i}" for i in range(12)]
    with srv.client(auth=False) as c:
        c.send(encode_command("AUTH", "pw") + encode_command(*mset) +
               encode_command("SET", "big", "x" * 20_000) + encode_command("STRLEN", "big"))
        assert c.read_raw() == OK
        assert c.read_raw() == OK
        assert c.read_raw() == OK
        assert c.read_raw() == b":20000\r\n"
    # Requests parsed before AUTH keep the tight limits.
    with srv.client(auth=False) as c:
        c.send(encode_command(*mset))
        assert c.read_raw() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
        assert c.wait_closed(3)
    with srv.client(auth=False) as c:
        c.send(encode_command("AUTH", "wrong") + encode_command(*mset))
        assert c.read_raw().startswith(b"-WRONGPASS")
        assert c.read_raw() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
        assert c.wait_closed(3)
