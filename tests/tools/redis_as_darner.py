#!/usr/bin/python3
"""A stand-in for the Darner binary that runs redis-server behind Darner's flag names.

Only for checking the test harness itself in Darner mode (flag building,
DARNER_EXTRA_FLAGS, --port=-1 log parsing, signal handling) while the real
binary is not built:

    DARNER_BIN=tests/tools/redis_as_darner.py /usr/bin/python3 -m pytest tests

Tests that depend on features Redis lacks (--admin_port, --port=0) fail with it;
that is expected. It execs redis-server, so the PID stays the same.
"""

import os
import shutil
import socket
import sys

MAP = {"requirepass": "requirepass", "maxclients": "maxclients", "dbnum": "databases",
       "proto_max_bulk_len": "proto-max-bulk-len", "maxmemory": "maxmemory", "bind": "bind"}
IGNORED = {"proactor_threads", "admin_port", "cluster_mode"}


def main(argv):
    flags = {}
    for a in argv:
        if not a.startswith("--") or "=" not in a:
            print(f"ERROR: Unknown command line argument '{a}'", file=sys.stderr)
            return 1
        k, v = a[2:].split("=", 1)
        if k not in MAP and k not in IGNORED and k != "port":
            print(f"ERROR: Unknown command line flag '{k}'", file=sys.stderr)
            return 1
        flags[k] = v
    port = int(flags.pop("port", "6379"))
    if port == -1:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        print(f"I0000 00:00:00.000000 {os.getpid()} main.cc:1] Listening on port {port}", file=sys.stderr, flush=True)
    args = [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port), "--save", "",
            "--appendonly", "no", "--enable-debug-command", "yes"]
    for k, v in flags.items():
        if k in MAP:
            args += [f"--{MAP[k]}", v]
    if "bind" not in flags:
        args += ["--bind", "127.0.0.1"]
    os.execv(args[0], args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
