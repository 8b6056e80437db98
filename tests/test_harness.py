"""Self-tests of the harness's own checks (no server needed): a server process that ends
uncleanly or logs a sanitizer report is reported, one killed on purpose is not, and a
background thread that dies fails the test."""

import time

import pytest

from helpers import (CheckedThread, ServerProblems, ServerProcess, check_servers,
                     sanitizer_reports, stop_threads)


def process(script: str) -> ServerProcess:
    """A stand-in server: a shell script, started without waiting for a port."""
    return ServerProcess("darner", ["/bin/sh", "-c", script], None, wait_port=False).start()


def test_sanitizer_report_lines_are_found():
    log = "\n".join([
        "I1203 12:00:00.000000 1 main.cc:1] listening",
        "==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020",
        "WARNING: ThreadSanitizer: data race (pid=123)",
        "src/core/x.cc:12:5: runtime error: signed integer overflow",
        "==123==ERROR: LeakSanitizer: detected memory leaks",
        "E1203 12:00:00.000000 1 connection.cc:1] Protocol error: invalid bulk length",
    ])
    assert sanitizer_reports(log) == log.splitlines()[1:5]


def test_unclean_exit_and_sanitizer_report_are_problems():
    srv = process("echo '==1==ERROR: AddressSanitizer: SEGV on unknown address' >&2; exit 3")
    assert srv.wait(timeout=10) == 3
    with pytest.raises(ServerProblems) as e:
        check_servers([srv], "stand-in")
    text = str(e.value)
    assert "exit status 3" in text and "ERROR: AddressSanitizer: SEGV" in text, text
    check_servers([srv], "stand-in")  # each problem is reported once
    srv.stop()


def test_sigterm_must_end_with_status_zero():
    srv = process("exec sleep 30")  # sleep dies of SIGTERM instead of exiting 0
    srv.stop()
    with pytest.raises(ServerProblems, match="killed by SIGTERM"):
        check_servers([srv], "stand-in")
    clean = process("trap 'exit 0' TERM; while :; do sleep 0.05; done")
    time.sleep(0.2)  # the trap is set
    assert clean.stop() == 0
    check_servers([clean], "stand-in")


def test_kill_and_allowed_exits_are_not_problems():
    srv = process("exec sleep 30")
    srv.kill()
    srv.stop()
    check_servers([srv], "stand-in")
    failing = process("exit 1")
    failing.allow_unclean_exit("expected to fail at start")
    assert failing.wait(timeout=10) == 1
    failing.stop()
    check_servers([failing], "stand-in")


def test_dead_background_thread_fails():
    def boom():
        raise ValueError("unexpected")

    def loop(t):
        while not t.stop_event.is_set():
            time.sleep(0.01)

    bad = CheckedThread(target=boom, name="boom")
    good = CheckedThread(name="loop")
    good.work = lambda: loop(good)
    bad.start()
    good.start()
    with pytest.raises(AssertionError, match=r"(?s)boom died:.*ValueError: unexpected"):
        stop_threads([bad, good])
    assert not good.is_alive() and good.error is None
