# shellcheck shell=bash
# Shared helpers for the bench/ scripts. Sourced, not executed.
# Requires the caller to have `set -euo pipefail`.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

PY=${PYTHON:-/usr/bin/python3}
DARNER_BIN=${DARNER_BIN:-$REPO_DIR/build/release/darner}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-15}   # seconds to wait for a server to answer PING
PIN_SERVER=${PIN_SERVER:-}               # e.g. "1" or "0-1": taskset -c list for servers
PIN_CLIENT=${PIN_CLIENT:-}               # same, for redis-benchmark / redis-cli
HOST=127.0.0.1

STARTED_PIDS=()
WORK_DIR=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "required command not found: $c"
  done
}

check_tools() {
  [[ -x "$DARNER_BIN" ]] || die "Darner binary not found or not executable: $DARNER_BIN (build it or set DARNER_BIN)"
  need "$REDIS_SERVER" "$REDIS_CLI" "$REDIS_BENCHMARK" timeout getconf
  [[ -x "$PY" ]] || die "python not found: $PY (set PYTHON)"
  if [[ -n "$PIN_SERVER" || -n "$PIN_CLIENT" ]]; then need taskset; fi
}

# Prefix arrays for optional CPU pinning.
server_prefix() { if [[ -n "$PIN_SERVER" ]]; then echo "taskset -c $PIN_SERVER"; fi; }
client_prefix() { if [[ -n "$PIN_CLIENT" ]]; then echo "taskset -c $PIN_CLIENT"; fi; }

setup_workdir() {
  WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/darner-bench.XXXXXX")
}

stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not exit after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${STARTED_PIDS[@]}"; do
    stop_pid "$pid"
  done
  if [[ -n "$WORK_DIR" && -d "$WORK_DIR" ]]; then
    if [[ -n "${KEEP_WORKDIR:-}" ]]; then
      log "kept work dir: $WORK_DIR"
    else
      rm -rf "$WORK_DIR"
    fi
  fi
  exit "$rc"
}

install_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# free_ports N -> prints N distinct free loopback TCP ports, space separated.
free_ports() {
  "$PY" - "$1" <<'PYEOF'
import socket, sys
n = int(sys.argv[1])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PYEOF
}

cli() {  # cli PORT args...
  local port=$1; shift
  timeout 30 "$REDIS_CLI" -h "$HOST" -p "$port" "$@"
}

# start_server NAME PORT cmd args...   -> sets SERVER_PID
# Fails the script if the process exits or does not answer PING in time.
start_server() {
  local name=$1 port=$2; shift 2
  local logf="$WORK_DIR/$name.log" deadline
  # shellcheck disable=SC2046
  $(server_prefix) "$@" >"$logf" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  deadline=$((SECONDS + STARTUP_TIMEOUT))
  while :; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "$name exited during startup; log tail:"
      tail -n 20 "$logf" >&2 || true
      die "$name failed to start: $*"
    fi
    if [[ "$(timeout 2 "$REDIS_CLI" -h "$HOST" -p "$port" ping 2>/dev/null || true)" == "PONG" ]]; then
      break
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not answer PING within ${STARTUP_TIMEOUT}s; log tail:"
      tail -n 20 "$logf" >&2 || true
      die "$name failed to start: $*"
    fi
    sleep 0.1
  done
  log "started $name (pid $SERVER_PID, port $port)"
}

start_darner() {  # start_darner NAME PORT THREADS
  # shellcheck disable=SC2086
  start_server "$1" "$2" "$DARNER_BIN" --port="$2" --bind="$HOST" --proactor_threads="$3" ${DARNER_ARGS:-}
}

start_redis() {  # start_redis NAME PORT
  # shellcheck disable=SC2086
  start_server "$1" "$2" "$REDIS_SERVER" --port "$2" --bind "$HOST" --save '' --appendonly no \
    --daemonize no --logfile '' ${REDIS_ARGS:-}
}

assert_alive() {  # assert_alive NAME PID
  kill -0 "$2" 2>/dev/null || {
    tail -n 20 "$WORK_DIR/$1.log" >&2 || true
    die "$1 (pid $2) is no longer running"
  }
}

# cpu_ticks PID -> utime+stime of the whole process (all threads), in clock ticks.
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }  # drop "pid (comm) "; comm may contain spaces/parens
  # shellcheck disable=SC2086
  set -- $stat
  # after stripping, field 1 is state (stat field 3): utime=field 14 -> ${12}, stime=15 -> ${13}
  echo $((${12} + ${13}))
}

# info_field PORT FIELD -> value of FIELD from INFO memory
info_field() {
  cli "$1" info memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2; found = 1 } END { exit !found }'
}

# gen_set_stream COUNT VALUE_SIZE -> RESP "SET key:%012d <value>" commands on stdout,
# keys 0..COUNT-1 (same key format as redis-benchmark's key:__rand_int__).
# Deterministic: identical bytes on every call. Each value is VALUE_SIZE bytes and
# differs per key (index embedded, padded with 'x').
gen_set_stream() {
  "$PY" - "$1" "$2" <<'PYEOF'
import sys
count, vsize = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
pad = "x" * vsize
# key:%012d is always 16 bytes; value is exactly vsize bytes.
head = "*3\r\n$3\r\nSET\r\n$16\r\nkey:"
vhdr = "\r\n$%d\r\n" % vsize
chunk = 20000
for start in range(0, count, chunk):
    parts = []
    for i in range(start, min(start + chunk, count)):
        d = "%012d" % i
        parts.append(head + d + vhdr + (d + pad)[:vsize] + "\r\n")
    out.write("".join(parts).encode())
out.flush()
PYEOF
}

# load_keys PORT COUNT VALUE_SIZE -> pipes gen_set_stream into redis-cli --pipe,
# fails unless every command got a non-error reply.
load_keys() {
  local port=$1 count=$2 vsize=$3 out
  # shellcheck disable=SC2046
  out=$(gen_set_stream "$count" "$vsize" |
    timeout "${LOAD_TIMEOUT:-300}" $(client_prefix) "$REDIS_CLI" -h "$HOST" -p "$port" --pipe 2>&1) ||
    { echo "$out" >&2; die "loading $count keys into port $port failed"; }
  if ! grep -q "errors: 0, replies: $count\$" <<<"$(tr -d '\r' <<<"$out")"; then
    echo "$out" >&2
    die "redis-cli --pipe into port $port did not report 'errors: 0, replies: $count'"
  fi
}
