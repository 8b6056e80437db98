"""Process lifecycle and resource limits: signals, SHUTDOWN, --port=-1,
--maxclients, --maxmemory, --proactor_threads, --admin_port.

Each test starts its own server. Tests that use Darner-only flags or Darner's
log format are marked darner_only; the others also hold for redis-server and
are validated against it with DARNER_TEST_TARGET=redis.
"""

import re
import signal
import time

import pytest

from helpers import (
    CheckedThread,
    ConnectionClosed,
    RawClient,
    encode_command,
    listening_ports,
    parse_info,
    scaled,
    stop_threads,
    wait_until,
)

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
MAXCLIENTS = b"-ERR max number of clients reached\r\n"


def connected_clients(c) -> int:
    return int(parse_info(c.cmd("INFO", "clients"))["clients"]["connected_clients"])


# ---------------------------------------------------------------- signals


class Busy:
    """n connections hammering the server with pipelined writes and reads until stopped or disconnected."""

    def __init__(self, srv, n):
        self.srv = srv
        self.ops = [0] * n
        self.threads = [CheckedThread(target=self._run, args=(i,), name=f"Busy {i}") for i in range(n)]

    def _run(self, i):
        try:
            c = self.srv.client(timeout=2)
        except OSError:
            return
        batch = b"".join(encode_command("SET", f"busy:{i}:{j}", "x" * 64) + encode_command("GET", f"busy:{i}:{j}")
                         for j in range(50))
        try:
            while not self.threads[i].stop_event.is_set():
                c.send(batch)
                for _ in range(100):
                    c.read_raw(timeout=2)
                self.ops[i] += 100
        except (OSError, ConnectionClosed):
            pass
        finally:
            c.close()

    def start(self):
        for t in self.threads:
            t.start()
        wait_until(lambda: all(o > 0 for o in self.ops), timeout=10, msg="all busy clients to make progress")

    def join(self):
        stop_threads(self.threads, timeout=5)


@pytest.mark.darner_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.timeout(60)
def test_signal_shutdown_with_clients(spawn_server, sig):
    srv = spawn_server()
    idle = [srv.client(timeout=5) for _ in range(50)]
    for c in idle:
        assert c.cmd_raw("PING") == b"+PONG\r\n"
    time.sleep(0.35)  # idle through a whole sweep: Darner has parked them (no loop coroutine)
    busy = Busy(srv, 10)
    busy.start()
    try:
        t0 = time.monotonic()
        srv.signal(sig)
        rc = srv.wait(timeout=scaled(1.0))
        elapsed = time.monotonic() - t0
        assert rc is not None, f"server still running {scaled(1.0)} s after {sig.name}"
        assert rc == 0, f"exit code {rc} after {sig.name} (took {elapsed:.3f}s)"
    finally:
        busy.join()
        for c in idle:
            c.close()
    # idle clients observe the close
    for c in idle[:5]:
        assert c.wait_closed(2)


@pytest.mark.timeout(30)
def test_sigterm_idle_server_exits_zero(spawn_server):
    srv = spawn_server()
    srv.signal(signal.SIGTERM)
    assert srv.wait(timeout=5) == 0


def test_shutdown_nosave(spawn_server):
    srv = spawn_server()
    other = srv.client()
    c = srv.client()
    c.send(encode_command("SHUTDOWN", "NOSAVE"))
    assert c.wait_closed(5)
    assert c.pending() == b""  # no reply on success
    assert srv.wait(timeout=5) == 0
    assert other.wait_closed(3)
    with pytest.raises(OSError):
        RawClient(srv.host, srv.port, timeout=1).cmd("PING")


def test_shutdown_errors(spawn_server):
    srv = spawn_server()
    with srv.client() as c:
        assert c.cmd_raw("SHUTDOWN", "FOO") == b"-ERR syntax error\r\n"
        assert c.cmd_raw("SHUTDOWN", "NOSAVE", "SAVE") == b"-ERR syntax error\r\n"
        assert c.cmd_raw("PING") == b"+PONG\r\n"
    assert srv.alive()


# ---------------------------------------------------------------- --port=-1


@pytest.mark.darner_only
def test_port_minus_one_logs_chosen_port(spawn_darner):
    srv = spawn_darner(port=-1, wait_ready=False)

    def candidates():
        lines = srv.log_text().splitlines()
        # lines that talk about ports / listening first, then everything else
        pref = [l for l in lines if re.search(r"port|listen", l, re.I)]
        seen = set()
        for line in pref + lines:
            for m in re.finditer(r"(?<![\d.])(\d{4,5})(?!\d)", line):
                p = int(m.group(1))
                if 1024 <= p <= 65535 and p not in seen:
                    seen.add(p)
                    yield p

    def find_port():
        for p in candidates():
            try:
                with RawClient("127.0.0.1", p, timeout=1) as c:
                    reply = c.cmd("INFO", "server")
            except (OSError, ConnectionClosed):
                continue
            if isinstance(reply, bytes) and f"process_id:{srv.pid}\r\n".encode() in reply:
                return p
        if not srv.alive():
            raise AssertionError(f"darner exited: {srv.log_tail()}")
        return None

    port = wait_until(find_port, timeout=10, interval=0.05, msg="a log line naming the chosen port")
    with RawClient("127.0.0.1", port) as c:
        assert c.cmd_raw("SET", "k", "v") == b"+OK\r\n"
        assert c.cmd_raw("GET", "k") == b"$1\r\nv\r\n"
        info = parse_info(c.cmd("INFO", "server"))["server"]
        assert int(info["tcp_port"]) == port


# ---------------------------------------------------------------- --maxclients


def test_maxclients(spawn_server):
    limit = 5
    srv = spawn_server({"maxclients": limit})
    first = srv.client()
    wait_until(lambda: connected_clients(first) == 1, timeout=5, msg="only one client connected")
    clients = [first] + [srv.client() for _ in range(limit - 1)]
    for c in clients:
        assert c.cmd_raw("PING") == b"+PONG\r\n"
    extra = RawClient(srv.host, srv.port, timeout=5)
    assert extra.read_raw() == MAXCLIENTS  # sent unprompted, then the connection is closed
    assert extra.wait_closed(3)
    extra.close()
    stats = parse_info(first.cmd("INFO", "stats"))["stats"]
    assert int(stats["rejected_connections"]) == 1
    assert parse_info(first.cmd("INFO", "clients"))["clients"]["maxclients"] == str(limit)
    # existing clients still work, and a freed slot can be reused
    for c in clients:
        assert c.cmd_raw("PING") == b"+PONG\r\n"
    clients.pop().close()
    wait_until(lambda: connected_clients(first) == limit - 1, timeout=5, msg="slot to be freed")
    again = srv.client()
    assert again.cmd_raw("PING") == b"+PONG\r\n"
    for c in clients + [again]:
        c.close()


# ---------------------------------------------------------------- --maxmemory


def _fill_until_oom(c, make_cmd, limit, batch=100):
    """Pipeline writes from make_cmd(i) until one is refused; return (ok_count, refusal)."""
    done = 0
    while done < limit:
        n = min(batch, limit - done)
        c.send(b"".join(make_cmd(done + j) for j in range(n)))
        replies = [c.read_raw() for _ in range(n)]
        for j, r in enumerate(replies):
            if r != b"+OK\r\n":
                return done + j, r
        done += n
    return done, None


@pytest.mark.timeout(60)
def test_maxmemory_flag_oom(spawn_server):
    """--maxmemory: writes start failing with the exact OOM error; reads keep working."""
    maxmemory = 8 * 1024 * 1024
    srv = spawn_server({"maxmemory": maxmemory})
    c = srv.client(timeout=10)
    memory = parse_info(c.cmd("INFO", "memory"))["memory"]
    assert memory["maxmemory"] == str(maxmemory)
    room = maxmemory - int(memory["used_memory"])  # what the empty server has left
    value = b"v" * 65536
    n_big, refusal = _fill_until_oom(c, lambda i: encode_command("SET", f"big{i}", value), 2048, batch=1)
    assert refusal == OOM, f"expected OOM, got {refusal!r} after {n_big} 64 KiB writes (128 MiB max)"
    # Writes are refused once used memory is over the limit: the data accepted fills at least
    # half the room (the rest is per-key overhead), and goes over it by one value at most.
    accepted = n_big * len(value)
    assert room // 2 <= accepted <= room + len(value), (n_big, room)
    # reads still work
    assert c.cmd_raw("GET", "big0") == b"$65536\r\n" + value + b"\r\n"
    assert c.cmd_raw("STRLEN", f"big{n_big - 1}") == b":65536\r\n"
    assert c.cmd_raw("GET", "missing") == b"$-1\r\n"
    assert c.cmd_raw("DBSIZE") == b":%d\r\n" % n_big
    assert c.cmd_raw("PING") == b"+PONG\r\n"
    # freeing memory makes writes possible again
    assert c.cmd_raw("FLUSHALL") == b"+OK\r\n"
    wait_until(lambda: c.cmd_raw("SET", "after", "1") == b"+OK\r\n", timeout=10, msg="writes after FLUSHALL")
    c.close()


@pytest.mark.timeout(60)
def test_maxmemory_below_usage_refuses_all_writes(spawn_server):
    """Far over the limit (set with CONFIG SET below current usage), every
    memory-growing command is refused while reads and deletes work."""
    srv = spawn_server()
    c = srv.client(timeout=10)
    value = b"w" * 65536
    c.send(b"".join(encode_command("SET", f"big{i}", value) for i in range(64)))  # 4 MiB
    assert [c.read_raw() for _ in range(64)] == [b"+OK\r\n"] * 64
    assert c.cmd_raw("CONFIG", "SET", "maxmemory", "1048576") == b"+OK\r\n"
    writes = [("SET", "small", "1"), ("APPEND", "big0", "x"), ("MSET", "a", "1"), ("INCR", "ctr"),
              ("SETRANGE", "z", "0", "x"), ("SETNX", "n", "1"), ("GETSET", "big0", "x"), ("INCRBYFLOAT", "f", "1"),
              ("SETEX", "e", "10", "x"), ("MSETNX", "m", "1"), ("SETBIT", "b", "1", "1"),
              ("BITFIELD", "bf", "SET", "u8", "0", "1")]
    c.send(b"".join(encode_command(*w) for w in writes))
    assert [c.read_raw() for _ in writes] == [OOM] * len(writes)
    assert c.cmd_raw("GET", "big1") == b"$65536\r\n" + value + b"\r\n"
    assert c.cmd_raw("MGET", "big2", "nope") == b"*2\r\n$65536\r\n" + value + b"\r\n$-1\r\n"
    assert c.cmd_raw("EXISTS", "big0", "small") == b":1\r\n"
    assert c.cmd_raw("DEL", "big63") == b":1\r\n"  # deletes are always allowed
    assert c.cmd_raw("EXPIRE", "big62", "1000") == b":1\r\n"  # not a memory-growing command
    assert c.cmd_raw("DBSIZE") == b":63\r\n"
    assert c.cmd_raw("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
    assert c.cmd_raw("SET", "small", "1") == b"+OK\r\n"
    c.close()


# ---------------------------------------------------------------- Darner-only flags


@pytest.mark.darner_only
@pytest.mark.parametrize("threads", [1, 4])
def test_proactor_threads(spawn_darner, threads):
    srv = spawn_darner(threads=threads)
    with srv.client() as c:
        args = []
        for i in range(200):
            args += [f"k{i}", f"v{i}"]
        assert c.cmd_raw("MSET", *args) == b"+OK\r\n"
        assert c.cmd("MGET", *[f"k{i}" for i in range(200)]) == [f"v{i}".encode() for i in range(200)]
        assert c.cmd("DBSIZE") == 200
        assert len(c.cmd("KEYS", "*")) == 200


@pytest.mark.darner_only
def test_admin_port_answers(spawn_darner):
    srv = spawn_darner(with_admin_port=True)
    with RawClient("127.0.0.1", srv.admin_port, timeout=5) as c:
        assert c.cmd_raw("PING") == b"+PONG\r\n"
    with srv.client() as c:
        assert c.cmd_raw("PING") == b"+PONG\r\n"


@pytest.mark.darner_only
def test_port_zero_disables_main_listener(spawn_darner):
    srv = spawn_darner(with_admin_port=True, port=0)  # ready once the admin port answers
    with RawClient("127.0.0.1", srv.admin_port, timeout=5) as c:
        assert c.cmd_raw("PING") == b"+PONG\r\n"
        assert parse_info(c.cmd("INFO", "server"))["server"]["tcp_port"] == "0"
    assert listening_ports(srv.pid) == {srv.admin_port}


@pytest.mark.darner_only
def test_bad_flag_exits_nonzero(spawn_darner):
    srv = spawn_darner(extra_args=["--no_such_flag_xyz=1"], wait_ready=False, port=0)
    srv.allow_unclean_exit("an unknown flag must make it exit 1")
    assert srv.wait(timeout=10) == 1
    assert "Unknown command line flag 'no_such_flag_xyz'" in srv.log_text()


@pytest.mark.darner_only
def test_flagfile_sets_flags(spawn_darner, tmp_path):
    """Flags can come from --flagfile (one --name=value per line)."""
    flagfile = tmp_path / "darner.flags"
    flagfile.write_text("--requirepass=from-file\n--dbnum=4\n")
    srv = spawn_darner(extra_args=[f"--flagfile={flagfile}"], wait_ready=False)
    wait_until(lambda: _answers(srv.port), timeout=10, msg="server to listen")
    with RawClient("127.0.0.1", srv.port, timeout=5) as c:
        assert c.cmd_raw("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert c.cmd_raw("AUTH", "from-file") == b"+OK\r\n"
        assert c.cmd_raw("SELECT", "3") == b"+OK\r\n"
        assert c.cmd_raw("SELECT", "4") == b"-ERR DB index is out of range\r\n"


def _answers(port):
    try:
        with RawClient("127.0.0.1", port, timeout=1) as c:
            return c.cmd_raw("PING") in (b"+PONG\r\n", b"-NOAUTH Authentication required.\r\n")
    except OSError:
        return False
