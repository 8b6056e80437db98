"""Shared helpers for the Darner black-box suite.

Everything here is plain Python (no pytest fixtures) so it can also be used
from a REPL when investigating a failure:

    /usr/bin/python3 -c "import sys; sys.path.insert(0, 'tests'); \
        from helpers import *; s = start_server(); c = s.client(); print(c.cmd('PING'))"

Contents:
  * a RESP2/RESP3 encoder + incremental parser (`encode_command`,
    `parse_reply`) and the typed values it produces;
  * `RawClient`: a socket client that sends arbitrary bytes and reads exactly
    one reply, both as raw bytes and parsed;
  * `ServerProcess` / `start_server` / `start_darner` / `start_redis`:
    bounded start / readiness check / stop of a Darner or redis-server process,
    and the checks every server gets when it stops (`check_servers`: exit
    status 0, no sanitizer report in its log);
  * `CheckedThread` / `stop_threads`: background threads of a test whose
    unexpected exceptions fail the test instead of vanishing with the thread;
  * `scaled()`: time bounds that stretch for sanitizer runs.

Every blocking operation in this file has a time bound.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import traceback
from pathlib import Path

# --------------------------------------------------------------------------
# configuration from the environment
# --------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DARNER_BIN = REPO_ROOT / "build" / "release" / "darner"

TARGET = os.environ.get("DARNER_TEST_TARGET", "darner").strip().lower() or "darner"
if TARGET not in ("darner", "redis"):
    raise RuntimeError(f"DARNER_TEST_TARGET must be 'darner' or 'redis', got {TARGET!r}")

DARNER_BIN = Path(os.environ.get("DARNER_BIN", str(DEFAULT_DARNER_BIN))).expanduser().absolute()
DARNER_EXTRA_FLAGS = shlex.split(os.environ.get("DARNER_EXTRA_FLAGS", ""))
REDIS_SERVER_BIN = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server") or "/usr/bin/redis-server"
DEFAULT_THREADS = int(os.environ.get("DARNER_TEST_THREADS", "2"))

START_TIMEOUT = float(os.environ.get("DARNER_TEST_START_TIMEOUT", "10"))
STOP_TIMEOUT = 5.0
IO_TIMEOUT = float(os.environ.get("DARNER_TEST_IO_TIMEOUT", "10"))
# Sanitizer runs (`make test-asan` / `test-tsan`, next to a parallel ctest) set
# DARNER_TEST_IO_TIMEOUT=30, three times the default: bounds on how long the server may take
# stretch by the same factor, so release runs check the documented bounds exactly.
TIME_SCALE = max(1.0, IO_TIMEOUT / 10.0)

_BASE_TMP = Path(tempfile.mkdtemp(prefix="darner-tests-"))


def scaled(seconds: float) -> float:
    """An upper bound on how long the server may take, stretched by TIME_SCALE."""
    return seconds * TIME_SCALE


def is_redis_target() -> bool:
    return TARGET == "redis"


def extra_flag_value(name: str):
    """Value of --name=... in DARNER_EXTRA_FLAGS (last wins), or None."""
    val = None
    for f in DARNER_EXTRA_FLAGS:
        if f.startswith(f"--{name}="):
            val = f.split("=", 1)[1]
        elif f == f"--{name}":
            val = "true"
    return val


def cluster_mode_enabled() -> bool:
    """True when the suite is being rerun with --cluster_mode=emulated."""
    if is_redis_target():
        return False
    v = extra_flag_value("cluster_mode")
    return bool(v) and v not in ("", "no", "none", "false")


def multiple_dbs() -> bool:
    """False when the suite is being rerun with --cluster_mode=yes (one database, no SELECT);
    emulated cluster mode keeps SELECT."""
    return is_redis_target() or extra_flag_value("cluster_mode") != "yes"


# --------------------------------------------------------------------------
# RESP encoding / parsing
# --------------------------------------------------------------------------


def _to_bytes(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, bytearray):
        return bytes(x)
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, bool):
        return b"1" if x else b"0"
    if isinstance(x, (int, float)):
        return repr(x).encode() if isinstance(x, float) else str(x).encode()
    raise TypeError(f"cannot encode {type(x).__name__} as a RESP bulk string")


def encode_command(*args) -> bytes:
    """Encode a command as a RESP multibulk of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = _to_bytes(a)
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Incomplete(Exception):
    """The buffer does not hold a complete reply yet."""


class ProtocolViolation(Exception):
    """The server sent bytes that are not valid RESP."""


class Simple(str):
    """A RESP simple string (+...)."""

    def __repr__(self):
        return f"Simple({str.__repr__(self)})"


class RespError(str):
    """A RESP error reply (-... or !...). Returned, not raised, by the parser."""

    @property
    def prefix(self) -> str:
        return self.split(" ", 1)[0]

    def __repr__(self):
        return f"RespError({str.__repr__(self)})"


class BigNumber(int):
    """A RESP3 big number (( ...)."""


class Verbatim(bytes):
    """A RESP3 verbatim string (=...); `.fmt` holds the 3-letter format."""

    fmt: str = ""


class RespSet(list):
    """A RESP3 set (~...), kept as a list to preserve order and allow unhashables."""


class Push(list):
    """A RESP3 push message (>...)."""


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(x)) for k, x in v.items())
    return v


def _read_line(buf: bytes, pos: int):
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete()
    return buf[pos:end], end + 2


def _parse_int(line: bytes) -> int:
    try:
        return int(line)
    except ValueError:
        raise ProtocolViolation(f"bad integer {line!r}") from None


def parse_reply(buf: bytes, pos: int = 0):
    """Parse one reply starting at buf[pos].

    Returns (value, new_pos, attributes) where attributes is a dict of any
    RESP3 attribute (|) frames that preceded the reply (else None).
    Raises Incomplete if more bytes are needed.
    """
    attrs = None
    while True:
        if pos >= len(buf):
            raise Incomplete()
        t = buf[pos : pos + 1]
        if t == b"|":
            line, pos = _read_line(buf, pos + 1)
            n = _parse_int(line)
            a = {}
            for _ in range(n):
                k, pos, _ = parse_reply(buf, pos)
                v, pos, _ = parse_reply(buf, pos)
                a[_hashable(k)] = v
            attrs = a if attrs is None else {**attrs, **a}
            continue
        val, pos = _parse_value(buf, pos)
        return val, pos, attrs


def _parse_value(buf: bytes, pos: int):
    t = buf[pos : pos + 1]
    line, p = _read_line(buf, pos + 1)
    if t == b"+":
        return Simple(line.decode("utf-8", "surrogateescape")), p
    if t == b"-":
        return RespError(line.decode("utf-8", "surrogateescape")), p
    if t == b":":
        return _parse_int(line), p
    if t == b"(":
        return BigNumber(_parse_int(line)), p
    if t == b"_":
        if line != b"":
            raise ProtocolViolation(f"bad null {line!r}")
        return None, p
    if t == b"#":
        if line not in (b"t", b"f"):
            raise ProtocolViolation(f"bad boolean {line!r}")
        return line == b"t", p
    if t == b",":
        s = line.decode()
        low = s.lower()
        if low in ("inf", "+inf"):
            return float("inf"), p
        if low == "-inf":
            return float("-inf"), p
        if low == "nan":
            return float("nan"), p
        try:
            return float(s), p
        except ValueError:
            raise ProtocolViolation(f"bad double {line!r}") from None
    if t in (b"$", b"=", b"!"):
        n = _parse_int(line)
        if n < 0:
            if t == b"$" and n == -1:
                return None, p
            raise ProtocolViolation(f"bad length {line!r} for {t!r}")
        if len(buf) < p + n + 2:
            raise Incomplete()
        data = buf[p : p + n]
        if buf[p + n : p + n + 2] != b"\r\n":
            raise ProtocolViolation("bulk payload not terminated by CRLF")
        p = p + n + 2
        if t == b"$":
            return bytes(data), p
        if t == b"!":
            return RespError(data.decode("utf-8", "surrogateescape")), p
        if len(data) < 4 or data[3:4] != b":":
            raise ProtocolViolation(f"bad verbatim string {data!r}")
        v = Verbatim(data[4:])
        v.fmt = data[:3].decode()
        return v, p
    if t in (b"*", b"~", b">", b"%"):
        n = _parse_int(line)
        if n < 0:
            if t == b"*" and n == -1:
                return None, p
            raise ProtocolViolation(f"bad aggregate length {line!r} for {t!r}")
        if t == b"%":
            d = {}
            for _ in range(n):
                k, p, _ = parse_reply(buf, p)
                v, p, _ = parse_reply(buf, p)
                d[_hashable(k)] = v
            return d, p
        items = []
        for _ in range(n):
            v, p, _ = parse_reply(buf, p)
            items.append(v)
        if t == b"~":
            return RespSet(items), p
        if t == b">":
            return Push(items), p
        return items, p
    raise ProtocolViolation(f"unknown RESP type byte {t!r} at offset {pos}: {bytes(buf[pos:pos+40])!r}")


def parse_all(data: bytes):
    """Parse a buffer holding only complete replies; return the list of values."""
    out, pos = [], 0
    while pos < len(data):
        v, pos, _ = parse_reply(data, pos)
        out.append(v)
    return out


# --------------------------------------------------------------------------
# RawClient
# --------------------------------------------------------------------------


class ConnectionClosed(Exception):
    pass


class RawClient:
    """A byte-exact RESP client.

    send(bytes)           -- write raw bytes
    send_command(*args)   -- write one multibulk command
    read_raw()            -- bytes of exactly one reply (incl. attribute frames)
    read()                -- one reply parsed (attributes kept in .last_attributes)
    cmd(*args)/cmd_raw()  -- send_command + read/read_raw
    wait_closed()         -- True if the server closes the connection in time
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 6379, timeout: float = IO_TIMEOUT):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.last_attributes = None
        self.closed_by_peer = False

    # -- context manager --
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def settimeout(self, t: float):
        self.timeout = t
        self.sock.settimeout(t)

    # -- writing --
    def send(self, data: bytes):
        self.sock.sendall(data)

    def send_command(self, *args):
        self.send(encode_command(*args))

    # -- reading --
    def _fill(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout(f"timed out waiting for a reply; buffered={bytes(self.buf[:200])!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            raise socket.timeout(f"timed out waiting for a reply; buffered={bytes(self.buf[:200])!r}") from None
        except ConnectionResetError:
            chunk = b""
        finally:
            self.sock.settimeout(self.timeout)
        if not chunk:
            self.closed_by_peer = True
            raise ConnectionClosed(f"connection closed by server; buffered={bytes(self.buf[:200])!r}")
        self.buf += chunk

    def _read_one(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                val, end, attrs = parse_reply(self.buf, 0)
            except Incomplete:
                self._fill(deadline)
                continue
            raw = bytes(self.buf[:end])
            del self.buf[:end]
            self.last_attributes = attrs
            return raw, val

    def read_raw(self, timeout=None) -> bytes:
        return self._read_one(timeout)[0]

    def read(self, timeout=None):
        return self._read_one(timeout)[1]

    def read_both(self, timeout=None):
        """(raw_bytes, parsed_value) of one reply."""
        return self._read_one(timeout)

    def read_exact(self, n: int, timeout=None) -> bytes:
        """Exactly n raw bytes (no parsing)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def cmd(self, *args, timeout=None):
        self.send_command(*args)
        return self.read(timeout)

    def cmd_raw(self, *args, timeout=None) -> bytes:
        self.send_command(*args)
        return self.read_raw(timeout)

    def inline(self, line, timeout=None) -> bytes:
        """Send an inline command (CRLF appended) and return the raw reply."""
        self.send(_to_bytes(line) + b"\r\n")
        return self.read_raw(timeout)

    def pending(self) -> bytes:
        return bytes(self.buf)

    def wait_closed(self, timeout: float = 3.0) -> bool:
        """Wait (bounded) for the server to close the connection.

        Any bytes that arrive meanwhile are appended to the buffer.
        Returns True if EOF/reset was observed, False on timeout.
        """
        if self.closed_by_peer:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._fill(deadline)
            except ConnectionClosed:
                return True
            except socket.timeout:
                return False
            except OSError:
                return True
        return False

    def no_reply_within(self, timeout: float = 0.3) -> bool:
        """True if no bytes at all arrive within timeout (and the conn stays open)."""
        if self.buf:
            return False
        try:
            self._fill(time.monotonic() + timeout)
        except socket.timeout:
            return True
        except ConnectionClosed:
            return False
        return False


# --------------------------------------------------------------------------
# server processes
# --------------------------------------------------------------------------


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (the OS picks it). Another process may take it
    before the server binds it: servers are started through `_with_retries`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The first line of a report by AddressSanitizer, ThreadSanitizer, LeakSanitizer or UBSan.
SANITIZER_REPORT = re.compile(r"(ERROR|WARNING): (Address|Thread|Leak|UndefinedBehavior)Sanitizer"
                              r"|runtime error:")


def sanitizer_build() -> bool:
    """Whether DARNER_BIN is an ASan or TSan build (their allocators make RSS meaningless)."""
    path = str(DARNER_BIN)
    return "/asan/" in path or "/tsan/" in path


def sanitizer_reports(text: str) -> list[str]:
    """The lines of `text` (a server's log or output) that start a sanitizer report."""
    return [line for line in text.splitlines() if SANITIZER_REPORT.search(line)]


class ServerProblems(AssertionError):
    """A server a test used exited uncleanly or logged a sanitizer report (conftest.py reports
    it without a traceback)."""


def check_servers(servers, what: str):
    """Raise ServerProblems listing every problem of `servers` not reported yet (see
    ServerProcess.problems); `what` says which servers these are, for the report."""
    found = [p for srv in servers for p in srv.problems()]
    if found:
        raise ServerProblems(f"{what}:\n" + "\n".join(found))


def reuse_servers(servers, test_id: str) -> bool:
    """Hand module-scoped servers to the next test (`test_id`): restart any that died, and
    raise ServerProblems for what went wrong after the previous test's check (a server that
    died just after that test ended), naming that test. Returns whether one was restarted."""
    late = [p for srv in servers for p in srv.problems()]
    dead = [srv for srv in servers if not srv.alive()]
    for srv in dead:
        srv.restart()
    previous = ", ".join(sorted({srv.last_test for srv in servers} - {None})) or "their start"
    for srv in servers:
        srv.last_test = test_id
    if late:
        raise ServerProblems(f"servers this test reuses, after {previous} ended"
                             + (" (restarted for this test)" if dead else "") + ":\n" + "\n".join(late))
    return bool(dead)


_ALL_PROCS: list["ServerProcess"] = []
_ALL_LOCK = threading.Lock()


def stop_all_servers() -> list[str]:
    """Stop every server still running; returns their problems (see ServerProcess.problems)."""
    with _ALL_LOCK:
        procs = list(_ALL_PROCS)
    found = []
    for p in procs:
        p.stop()
        found += p.problems()
    return found


def cleanup_tmp():
    """Remove the servers' work dirs and logs (kept with DARNER_TEST_KEEP_TMP=1)."""
    if os.environ.get("DARNER_TEST_KEEP_TMP", "") in ("", "0"):
        shutil.rmtree(_BASE_TMP, ignore_errors=True)
    else:
        print(f"\nserver logs kept in {_BASE_TMP}")


def ping_ready(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if something on host:port answers PING with a non-LOADING reply."""
    try:
        with RawClient(host, port, timeout=timeout) as c:
            c.send(encode_command("PING"))
            reply = c.read(timeout=timeout)
    except (OSError, ConnectionClosed, ProtocolViolation):
        return False
    if isinstance(reply, RespError) and reply.startswith("LOADING"):
        return False
    # +PONG, or -NOAUTH when requirepass is set: either means it is serving.
    return True


class ServerStartError(RuntimeError):
    pass


def _describe_status(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


def _server_env() -> dict:
    """The environment of a server: a sanitizer told to log to a file would hide its reports
    from the log the harness scans, so they go to stderr."""
    env = dict(os.environ)
    for var in ("ASAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if "log_path=" in env.get(var, ""):
            env[var] += ":log_path=stderr"
    return env


class ServerProcess:
    """One server process (Darner or redis-server) listening on 127.0.0.1.

    Its stdout and stderr go to `log_path`. Every exit is checked: `problems()` reports, once
    each, an exit status other than 0 (after the harness's SIGTERM, a SHUTDOWN, or a crash)
    and every sanitizer report in the log. A test that ends a server another way on purpose
    says so: `kill()` (SIGKILL, a simulated crash), or `allow_unclean_exit(reason)` (e.g. a
    start that must fail). Both hold for the running process only; `restart()` checks again.
    """

    def __init__(self, kind: str, argv: list[str], port: int | None, host: str = "127.0.0.1",
                 password: str | None = None, wait_port: bool = True, admin_port: int | None = None):
        self.kind = kind  # "darner" or "redis"
        self.argv = argv
        self.host = host
        self.port = port
        self.admin_port = admin_port
        self.password = password
        self.wait_port = wait_port
        self.proc: subprocess.Popen | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=_BASE_TMP))
        self.log_path = self.workdir / "server.log"
        self._log = None
        self.returncode = None
        self.started_at = self.ready_at = None  # time.monotonic() of the last start / PONG
        self.unclean_exit_ok: str | None = None  # why this process may exit uncleanly
        self._exit_checked = False  # this process's exit status went through _note_exit
        self._problems: list[str] = []
        self._scanned = 0  # bytes of the log already scanned for sanitizer reports
        self.last_test = None  # node id of the last test that used it (see reuse_servers)

    # ---- lifecycle ----
    def start(self, timeout: float = START_TIMEOUT):
        self._log = open(self.log_path, "ab")
        self.unclean_exit_ok = None
        self._exit_checked = False
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.workdir, start_new_session=True, preexec_fn=_die_with_parent, env=_server_env(),
        )
        with _ALL_LOCK:
            _ALL_PROCS.append(self)
        if self.wait_port:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT):
        """Wait for PING on the main port (or, with --port=0, the admin port)."""
        port = self.port or self.admin_port
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.allow_unclean_exit("failed to start (raised ServerStartError)")
                raise ServerStartError(
                    f"{self.kind} exited with code {self.proc.returncode} during startup\n"
                    f"argv: {shlex.join(self.argv)}\n--- log tail ---\n{self.log_tail()}")
            if ping_ready(self.host, port, timeout=min(1.0, max(0.05, deadline - time.monotonic()))):
                self.ready_at = time.monotonic()
                return
            time.sleep(0.02)
        self.allow_unclean_exit("failed to start (raised ServerStartError)")
        self.stop()
        raise ServerStartError(
            f"{self.kind} did not answer PING on {self.host}:{port} within {timeout}s\n"
            f"argv: {shlex.join(self.argv)}\n--- log tail ---\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout: float):
        """Wait (bounded) for exit; return the exit code or None if still running."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def allow_unclean_exit(self, reason: str):
        """The running process may exit with any status (say why): the test expects it."""
        self.unclean_exit_ok = reason

    def kill(self, timeout: float = STOP_TIMEOUT):
        """SIGKILL on purpose (a simulated crash; also ends a SIGSTOPped process) and wait for
        the exit, which is then not reported as a problem."""
        self.allow_unclean_exit("killed with SIGKILL by the test")
        if self.alive():
            self.proc.kill()
        self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = STOP_TIMEOUT):
        """SIGTERM (and SIGCONT, in case a test left it stopped), then SIGKILL after `timeout`
        seconds. Returns the exit code; a non-zero one is recorded for problems()."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            how = "after SIGTERM"
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.send_signal(signal.SIGCONT)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                how = f"SIGKILLed: still running {timeout}s after SIGTERM"
                try:
                    self.proc.kill()
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    pass
            self._note_exit(how)
        self.returncode = self.proc.returncode
        if self._log and not self._log.closed:
            self._log.close()
        with _ALL_LOCK:
            if self in _ALL_PROCS:
                _ALL_PROCS.remove(self)
        return self.returncode

    def restart(self, timeout: float = START_TIMEOUT, attempts: int = 3):
        """Stop (if running) and start again, on the same ports unless another process took
        one meanwhile (then on a new free one)."""
        self.stop()
        for attempt in range(attempts):
            if self.port is not None and self.port > 0 and not _port_free(self.port):
                self.port = free_port()
                self.argv = _replace_port(self.argv, self.kind, "port", self.port)
            if self.admin_port is not None and not _port_free(self.admin_port):
                self.admin_port = free_port()
                self.argv = _replace_port(self.argv, self.kind, "admin_port", self.admin_port)
            try:
                return self.start(timeout)
            except ServerStartError:
                self.stop()
                if attempt == attempts - 1 or "Address already in use" not in self.log_text():
                    raise

    # ---- checks ----
    def _note_exit(self, how: str):
        """Record the exit status of the process that ended (once per process)."""
        if self._exit_checked or self.proc is None or self.proc.returncode is None:
            return
        self._exit_checked = True
        rc = self.proc.returncode
        if rc != 0 and self.unclean_exit_ok is None:
            self._problems.append(f"{self!r} ended uncleanly ({how}): {_describe_status(rc)}")

    def _scan_log(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._scanned)
                data = f.read()
        except OSError:
            return
        if self.alive():
            data = data[:data.rfind(b"\n") + 1]  # a line still being written: next time
        self._scanned += len(data)
        reports = sanitizer_reports(data.decode(errors="replace"))
        if reports:
            self._problems.append(f"{self!r}: {len(reports)} sanitizer report(s) in "
                                  f"{self.log_path}:\n  " + "\n  ".join(reports[:10]))

    def problems(self) -> list[str]:
        """What went wrong since the last call, each thing reported once: a process that ended
        with a status other than 0 (unless allowed, see kill / allow_unclean_exit), and new
        sanitizer reports in the log."""
        if self.proc is not None and self.proc.poll() is not None:
            self._note_exit("exited while in use")
        self._scan_log()
        found, self._problems = self._problems, []
        return found

    # ---- logs ----
    def log_text(self) -> str:
        try:
            if self._log and not self._log.closed:
                self._log.flush()
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    # ---- clients ----
    def client(self, timeout: float = IO_TIMEOUT, auth: bool = True) -> RawClient:
        c = RawClient(self.host, self.port, timeout=timeout)
        if auth and self.password is not None:
            reply = c.cmd("AUTH", self.password)
            assert reply == "OK", reply
        return c

    def redis(self, **kw):
        import redis  # python3-redis

        kw.setdefault("socket_timeout", IO_TIMEOUT)
        kw.setdefault("socket_connect_timeout", IO_TIMEOUT)
        if self.password is not None:
            kw.setdefault("password", self.password)
        return redis.Redis(host=self.host, port=self.port, **kw)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def __repr__(self):
        return f"<ServerProcess {self.kind} {self.host}:{self.port} pid={self.pid}>"


def _die_with_parent():
    """In the child before exec: get SIGKILL if the test runner dies (no orphaned servers)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _replace_port(argv, kind, flag, new_port):
    """argv with --<flag> (Darner: --flag=N; redis-server: --flag N) set to new_port."""
    out = list(argv)
    if kind == "darner":
        return [f"--{flag}={new_port}" if a.startswith(f"--{flag}=") else a for a in out]
    i = out.index(f"--{flag}")
    out[i + 1] = str(new_port)
    return out


# Darner flag name -> redis-server config name (for DARNER_TEST_TARGET=redis)
_REDIS_FLAG_MAP = {
    "requirepass": "requirepass",
    "maxclients": "maxclients",
    "dbnum": "databases",
    "proto_max_bulk_len": "proto-max-bulk-len",
    "maxmemory": "maxmemory",
}
# Darner flags that have no effect on a real redis-server (silently dropped)
# Flags for behaviour redis-server lacks (RSS-driven eviction) are left off its command line.
_REDIS_IGNORED_FLAGS = {"proactor_threads", "bind", "enable_heartbeat_rss_eviction",
                        "enable_heartbeat_eviction"}


def _with_retries(make, attempts: int = 3):
    """make() builds a ServerProcess on freshly picked free ports; start it, and if one of the
    ports was taken before the server bound it, try again on new ones."""
    last = None
    for _ in range(attempts):
        srv = make()
        try:
            return srv.start()
        except ServerStartError as e:  # e.g. the free port got taken meanwhile
            last = e
            srv.stop()
            if "Address already in use" not in srv.log_text() and "already in use" not in str(e):
                raise
    raise last


def start_darner(flags: dict | None = None, threads: int | None = None, port: int | None = None,
                 extra_args: list[str] | None = None, use_extra_env: bool = True,
                 wait_ready: bool = True, with_admin_port: bool = False) -> ServerProcess:
    """Start Darner on 127.0.0.1:<free port>.

    Flag precedence (absl: last one wins): suite defaults < DARNER_EXTRA_FLAGS
    < `threads` / `flags` / `extra_args` given by the test. `with_admin_port`: also an admin
    listener on a free port (`.admin_port`); with port=0 readiness is checked there.
    """
    if not DARNER_BIN.exists():
        raise ServerStartError(
            f"Darner binary not found at {DARNER_BIN}. Build it (cmake --preset release / "
            f"cmake --build build/release) or set DARNER_BIN, or run the suite against a real "
            f"redis-server with DARNER_TEST_TARGET=redis.")
    flags = dict(flags or {})

    def make():
        p = port if port is not None else free_port()
        admin = free_port() if with_admin_port else None
        argv = [str(DARNER_BIN), f"--port={p}", "--bind=127.0.0.1", f"--proactor_threads={DEFAULT_THREADS}"]
        if use_extra_env:
            argv += DARNER_EXTRA_FLAGS
        if threads is not None:
            argv.append(f"--proactor_threads={threads}")
        for k, v in flags.items():
            argv.append(f"--{k}={v}")
        if admin is not None:
            argv.append(f"--admin_port={admin}")
        argv += list(extra_args or [])
        return ServerProcess("darner", argv, p if p > 0 else None, password=flags.get("requirepass"),
                             wait_port=wait_ready and (p > 0 or admin is not None), admin_port=admin)

    if port is not None and not with_admin_port:
        return make().start()
    return _with_retries(make)


def start_redis(flags: dict | None = None, port: int | None = None,
                extra_args: list[str] | None = None) -> ServerProcess:
    """Start a real redis-server (no persistence) on 127.0.0.1:<free port>.

    `flags` uses Darner flag names; they are translated to redis config names.
    """
    if not Path(REDIS_SERVER_BIN).exists():
        raise ServerStartError(f"redis-server not found at {REDIS_SERVER_BIN}")
    flags = dict(flags or {})
    args = []
    for k, v in flags.items():
        if k in _REDIS_IGNORED_FLAGS:
            continue
        if k not in _REDIS_FLAG_MAP:
            raise ValueError(f"Darner flag --{k} has no redis-server equivalent")
        args += [f"--{_REDIS_FLAG_MAP[k]}", str(v)]

    def make():
        p = port if port is not None else free_port()
        argv = [REDIS_SERVER_BIN, "--port", str(p), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--enable-debug-command", "yes",
                "--logfile", ""] + args + list(extra_args or [])
        srv = ServerProcess("redis", argv, p, password=flags.get("requirepass"))
        # redis writes nothing outside its cwd with these settings; keep it in the workdir
        srv.argv += ["--dir", str(srv.workdir)]
        return srv

    if port is not None:
        return make().start()
    return _with_retries(make)


def redis_equivalent_supported(flags: dict | None) -> bool:
    return all(k in _REDIS_FLAG_MAP or k in _REDIS_IGNORED_FLAGS for k in (flags or {}))


def start_server(flags: dict | None = None, threads: int | None = None, **kw) -> ServerProcess:
    """Start the server under test: Darner, or redis-server with DARNER_TEST_TARGET=redis."""
    if is_redis_target():
        return start_redis(flags, **{k: v for k, v in kw.items() if k in ("port", )})
    return start_darner(flags, threads=threads, **kw)


# --------------------------------------------------------------------------
# background threads of a test
# --------------------------------------------------------------------------


class CheckedThread(threading.Thread):
    """A daemon thread that generates load or checks something while a test runs.

    An exception that escapes `work()` (by default the `target` given) is kept in `.error`
    instead of vanishing with the thread; `check()` and `stop_threads()` turn it into a test
    failure. Loops watch `stop_event` (shared with other threads when one is passed in).
    """

    def __init__(self, target=None, args=(), name=None, stop_event: threading.Event | None = None):
        super().__init__(target=target, args=args, name=name, daemon=True)
        self.stop_event = stop_event or threading.Event()
        self.error: str | None = None

    def run(self):
        try:
            self.work()
        except BaseException:
            self.error = traceback.format_exc()

    def work(self):
        super().run()

    def check(self):
        """Fail if the thread died of an exception."""
        if self.error is not None:
            raise AssertionError(f"background thread {self.name} died:\n{self.error}")


def stop_threads(threads, timeout: float = 30):
    """Set every thread's stop_event, join them all (bounded), then fail if one died of an
    exception or did not stop."""
    for t in threads:
        t.stop_event.set()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    died = [f"{t.name} did not stop within {timeout}s" if t.is_alive() else f"{t.name} died:\n{t.error}"
            for t in threads if t.is_alive() or t.error is not None]
    if died:
        raise AssertionError("background threads failed:\n" + "\n".join(died))


# --------------------------------------------------------------------------
# misc helpers for tests
# --------------------------------------------------------------------------


def listening_ports(pid: int) -> set[int]:
    """TCP ports (IPv4 and IPv6) on which process `pid` has a listening socket."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # state LISTEN, owned by pid
                ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return ports


def wait_until(pred, timeout: float = 5.0, interval: float = 0.02, msg: str = "condition"):
    """Poll pred() until truthy (returns its value) or fail after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {msg}; last={last!r}")
        time.sleep(interval)


def parse_info(text) -> dict:
    """Parse an INFO payload into {section_lower: {field: value}} (values as str)."""
    if isinstance(text, bytes):
        text = text.decode()
    sections: dict[str, dict[str, str]] = {}
    cur = None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line.startswith("# "):
            cur = sections.setdefault(line[2:].strip().lower(), {})
            continue
        k, _, v = line.partition(":")
        if cur is None:
            cur = sections.setdefault("", {})
        cur[k] = v
    return sections


def parse_kv_line(s: str) -> dict:
    """'a=1,b=2' -> {'a': '1', 'b': '2'}"""
    return dict(p.split("=", 1) for p in s.split(",") if p)


def parse_client_line(line) -> dict:
    """'id=3 addr=... name= ...' -> dict"""
    if isinstance(line, bytes):
        line = line.decode()
    out = {}
    for tok in line.strip().split(" "):
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
    return out


RE_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
