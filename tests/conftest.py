"""pytest fixtures for the Darner black-box suite.

The reusable machinery (RESP parser, RawClient, process start/stop) lives in
helpers.py; this file wires it into fixtures and adds:

  * DARNER_TEST_TARGET=redis support: every `server` becomes a real
    redis-server and tests marked `darner_only` are skipped;
  * a per-test watchdog (SIGALRM) so no test can hang the suite, even though
    pytest-timeout is not installed (override with @pytest.mark.timeout(N));
  * server log tails attached to failing test reports;
  * clean exits: every server a test used must end with status 0 and log no
    sanitizer report (helpers.check_servers). A server that ends uncleanly fails
    the test that owned it, at that test's teardown: spawned servers when they are
    stopped, the module's server if it died during the test (or, for a death
    noticed only later, the next test's setup, naming the test before), and its
    exit status at the teardown of the module's last test.

Fixtures
  server        function-scoped view of a module-scoped server (Darner with
                --proactor_threads=2, or redis-server); flushed before each test,
                restarted if a previous test crashed it (that test fails).
  r             redis.Redis (RESP2, decode_responses=True) connected to `server`.
  rb            same, bytes replies.
  raw           RawClient connected to `server`.
  client        factory: client() -> new RawClient to `server` (closed at teardown).
  spawn_server  factory: spawn_server(flags={...}, threads=N) -> a fresh server
                of the current target with custom flags (stopped at teardown).
  spawn_darner  factory for Darner-only flags (use in darner_only tests).
  redis_server  module-scoped real redis-server (for differential tests).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import (  # noqa: E402  (tests import what they need from helpers directly)
    DARNER_BIN,
    DARNER_EXTRA_FLAGS,
    REDIS_SERVER_BIN,
    TARGET,
    RawClient,
    ServerProblems,
    ServerProcess,
    check_servers,
    cluster_mode_enabled,
    extra_flag_value,
    is_redis_target,
    reuse_servers,
    start_darner,
    start_redis,
    start_server,
    stop_all_servers,
    cleanup_tmp,
)

DEFAULT_TEST_TIMEOUT = float(os.environ.get("DARNER_TEST_TIMEOUT", "60"))
# With DARNER_TEST_TARGET=redis, also run darner_only tests (to see which of them happen to hold for Redis).
FORCE_DARNER_ONLY = os.environ.get("DARNER_TEST_FORCE_ALL", "") not in ("", "0")


# --------------------------------------------------------------------------
# session hooks
# --------------------------------------------------------------------------


def pytest_report_header(config):
    lines = [f"darner target: {TARGET}"]
    if is_redis_target():
        lines.append(f"redis-server: {REDIS_SERVER_BIN}")
    else:
        lines.append(f"darner binary: {DARNER_BIN} ({'found' if DARNER_BIN.exists() else 'MISSING'})")
        lines.append(f"DARNER_EXTRA_FLAGS: {' '.join(DARNER_EXTRA_FLAGS) or '(none)'}")
    return lines


def pytest_collection_modifyitems(config, items):
    redis_missing = not Path(REDIS_SERVER_BIN).exists()
    for item in items:
        if is_redis_target() and item.get_closest_marker("darner_only") and not FORCE_DARNER_ONLY:
            item.add_marker(pytest.mark.skip(reason="Darner-specific test (DARNER_TEST_TARGET=redis)"))
        # Emulated cluster mode keeps SELECT; only a real (`yes`) cluster has one database.
        if extra_flag_value("cluster_mode") == "yes" and item.get_closest_marker("multidb"):
            item.add_marker(pytest.mark.skip(reason="uses several databases; not available in cluster mode"))
        if cluster_mode_enabled() and item.get_closest_marker("own_nodes"):
            item.add_marker(pytest.mark.skip(reason="starts its own nodes; ran in the plain run"))
        if redis_missing and item.get_closest_marker("needs_redis"):
            item.add_marker(pytest.mark.skip(reason=f"redis-server not found at {REDIS_SERVER_BIN}"))


def pytest_sessionfinish(session, exitstatus):
    # Servers no fixture stopped (a test started one by hand): nothing to fail any more, but
    # the run does not pass with them.
    leftover = stop_all_servers()
    if leftover:
        print("\nservers left running by the tests ended uncleanly:\n" + "\n".join(leftover))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    cleanup_tmp()


# --------------------------------------------------------------------------
# per-test watchdog: bounded even without pytest-timeout
# --------------------------------------------------------------------------


class TestTimeout(BaseException):
    """Raised by the watchdog; BaseException so `except Exception` can't swallow it."""


def _alarm_handler(signum, frame):
    raise TestTimeout("test exceeded its time bound (watchdog); see @pytest.mark.timeout")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    m = item.get_closest_marker("timeout")
    limit = float(m.args[0]) if m and m.args else DEFAULT_TEST_TIMEOUT
    old = signal.signal(signal.SIGALRM, _alarm_handler)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(ServerProblems):
        rep.longrepr = str(call.excinfo.value)  # the message says it all; no fixture traceback
    if rep.failed:
        servers = getattr(item, "_darner_servers", [])
        for srv in servers:
            try:
                tail = srv.log_tail(30)
            except Exception:  # pragma: no cover - best effort
                continue
            state = "alive" if srv.alive() else f"exited rc={srv.proc.returncode if srv.proc else None}"
            rep.sections.append((f"{srv.kind} log tail ({srv.host}:{srv.port}, {state})", tail))


def _track(request, srv: ServerProcess):
    item = request.node
    lst = getattr(item, "_darner_servers", None)
    if lst is None:
        lst = []
        try:
            item._darner_servers = lst
        except AttributeError:  # pragma: no cover
            return
    if srv not in lst:
        lst.append(srv)


# --------------------------------------------------------------------------
# server fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _module_server():
    srv = start_server()
    yield srv
    srv.stop()
    check_servers([srv], "the module's server, stopped after its last test")


def _flush(srv: ServerProcess):
    with srv.client(timeout=10) as c:
        reply = c.cmd("FLUSHALL")
        assert reply == "OK", f"FLUSHALL failed: {reply!r}"


def _module_server_view(srv: ServerProcess, request):
    """Setup and teardown of a test's view of a module-scoped server: alive and empty at the
    start, and the test fails if the server died or logged a sanitizer report meanwhile."""
    _track(request, srv)
    reuse_servers([srv], request.node.nodeid)
    _flush(srv)
    yield srv
    check_servers([srv], "the module's server, during this test")


@pytest.fixture
def server(_module_server, request):
    """The module's server, alive and empty at the start of every test."""
    yield from _module_server_view(_module_server, request)


@pytest.fixture
def client(server):
    made = []

    def make(timeout: float | None = None, auth: bool = True) -> RawClient:
        c = server.client(timeout=timeout or 10, auth=auth)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def raw(client):
    return client()


@pytest.fixture
def r(server):
    cli = server.redis(decode_responses=True)
    yield cli
    cli.close()


@pytest.fixture
def rb(server):
    cli = server.redis(decode_responses=False)
    yield cli
    cli.close()


def _spawner(request, start):
    """A factory fixture's body: servers made with start(...) are tracked, stopped at
    teardown, and must have ended cleanly."""
    started = []

    def spawn(flags: dict | None = None, threads: int | None = None, **kw) -> ServerProcess:
        srv = start(flags, threads=threads, **kw)
        started.append(srv)
        _track(request, srv)
        return srv

    yield spawn
    for s in started:
        s.stop()
    check_servers(started, "servers this test started")


@pytest.fixture
def spawn_server(request):
    """Factory: a fresh server of the current target with custom (Darner-named) flags."""
    yield from _spawner(request, start_server)


@pytest.fixture
def spawn_darner(request):
    """Factory: Darner with arbitrary flags (for darner_only tests)."""
    yield from _spawner(request, start_darner)


@pytest.fixture(scope="module")
def _module_redis():
    if not Path(REDIS_SERVER_BIN).exists():
        pytest.skip(f"redis-server not found at {REDIS_SERVER_BIN}")
    srv = start_redis()
    yield srv
    srv.stop()
    check_servers([srv], "the module's redis-server, stopped after its last test")


@pytest.fixture
def redis_server(_module_redis, request):
    """A real redis-server (always Redis, whatever the target), flushed before each test."""
    yield from _module_server_view(_module_redis, request)
