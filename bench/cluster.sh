#!/usr/bin/env bash
# Cluster benchmarks.
#   Part 1 (throughput): a 3-node Darner cluster (--cluster_mode=yes, DFLYCLUSTER CONFIG) vs a
#     3-node redis-server cluster (redis-cli --cluster create), both driven by
#     `redis-benchmark --cluster`; median ops/s per test and the Darner/Redis ratio.
#   Part 2 (delete): the cost of taking slots away from a loaded Darner node: wall time of the
#     DFLYCLUSTER CONFIG push, time until DBSIZE and used_memory reach their final values, and
#     GET latency on the remaining slots while the background deletion runs vs idle.
# See bench/README.md for details. All knobs are environment variables.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PARTS=${PARTS:-"throughput delete"}       # which parts to run
ROUNDS=${ROUNDS:-3}                       # rounds of part 1 (servers alternate run by run)
# requests per redis-benchmark run. With --cluster, redis-benchmark runs one thread per node and
# notices the end only at its 250 ms throughput tick, so a run's time is rounded up to the next
# 250 ms: at 2M requests (about 2.5 s) that alone moved a ratio by up to 10%. 10M keeps it
# within about 2%.
N=${N:-10000000}
CLIENTS=${CLIENTS:-50}
DATA_SIZE=${DATA_SIZE:-64}
PIPELINE=${PIPELINE:-16}
TESTS=${TESTS:-"set get"}
DARNER_THREADS=${DARNER_THREADS:-1}       # --proactor_threads of every Darner node
BENCH_TIMEOUT=${BENCH_TIMEOUT:-180}       # seconds, per redis-benchmark run
CLUSTER_TIMEOUT=${CLUSTER_TIMEOUT:-30}    # seconds for a cluster to reach cluster_state:ok
DEL_KEYS=${DEL_KEYS:-1000000}             # part 2: keys in slots 0-5460 (the slots taken away)
KEEP_KEYS=${KEEP_KEYS:-100000}            # part 2: keys in slots 5461-16383 (kept)
DEL_ROUNDS=${DEL_ROUNDS:-$ROUNDS}         # part 2: load + take-away rounds
IDLE_SECONDS=${IDLE_SECONDS:-2}           # part 2: idle latency window before the push
SETTLE_TIMEOUT=${SETTLE_TIMEOUT:-60}      # part 2: max seconds for the deletion to finish
RESULTS_FILE=${RESULTS_FILE:-}            # optional: copy the raw per-run TSVs here (suffixes .throughput / .delete)

for v in ROUNDS N CLIENTS DATA_SIZE PIPELINE DARNER_THREADS BENCH_TIMEOUT CLUSTER_TIMEOUT DEL_KEYS KEEP_KEYS \
  DEL_ROUNDS IDLE_SECONDS SETTLE_TIMEOUT; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for t in $TESTS; do
  [[ "$t" == set || "$t" == get ]] || die "TESTS entries must be 'set' or 'get' (got '$t')"
done
for p in $PARTS; do
  [[ "$p" == throughput || "$p" == delete ]] || die "PARTS entries must be 'throughput' or 'delete' (got '$p')"
done
want_part() { [[ " $PARTS " == *" $1 "* ]]; }

check_tools
install_traps
setup_workdir

CLK_TCK=$(getconf CLK_TCK)
HELPER="$WORK_DIR/cluster_helper.py"

# ---- Python helper: config JSON, key generator, latency probe, take-away round ---------
cat >"$HELPER" <<'PYEOF'
"""Helpers for bench/cluster.sh (written into its work dir, run with /usr/bin/python3)."""
import array, binascii, json, os, socket, subprocess, sys, time

NSLOTS = 16384
DEL_LAST = 5460  # slots 0..DEL_LAST are taken away in part 2


def slot(b: bytes) -> int:
    return binascii.crc_hqx(b, 0) % NSLOTS


def tags():
    """tag[s]: a short string whose CRC16 slot is s (so '{tag}:...' lands in slot s)."""
    out = [None] * NSLOTS
    left, j = NSLOTS, 0
    while left:
        t = str(j).encode()
        s = slot(t)
        if out[s] is None:
            out[s] = t
            left -= 1
        j += 1
    return out


def del_key(tag, i):   # i-th key of the slots that are taken away
    return b"{%s}:%09d" % (tag[i % (DEL_LAST + 1)], i)


def keep_key(tag, i):  # i-th key of the slots that stay
    return b"{%s}:k%09d" % (tag[DEL_LAST + 1 + i % (NSLOTS - DEL_LAST - 1)], i)


def config(shards):
    """shards: [(node_id, port, [(start, end), ...]), ...] -> DFLYCLUSTER CONFIG json"""
    return json.dumps([{"slot_ranges": [{"start": a, "end": b} for a, b in ranges],
                        "master": {"id": nid, "ip": "127.0.0.1", "port": int(port)}, "replicas": []}
                       for nid, port, ranges in shards])


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("server closed the connection")
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _n(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("server closed the connection")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read(self):  # enough RESP2 for this script: + - : $ *
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return line.decode()
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._n(n + 2)[:-2]
        if t == b"*":
            return [self.read() for _ in range(int(rest))]
        raise ValueError(f"bad reply line {line!r}")

    def cmd(self, *args):
        self.s.sendall(resp(*args))
        return self.read()


def cmd_gen(argv):  # gen DEL KEEP VSIZE -> RESP SET stream on stdout
    ndel, nkeep, vsize = map(int, argv)
    tag = tags()
    out = sys.stdout.buffer
    val = b"x" * vsize
    vhdr = b"$%d\r\n" % vsize
    chunk = []
    for mk, n in ((del_key, ndel), (keep_key, nkeep)):
        for i in range(n):
            k = mk(tag, i)
            chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n%s%s\r\n" % (len(k), k, vhdr, val))
            if len(chunk) >= 20000:
                out.write(b"".join(chunk))
                chunk = []
    out.write(b"".join(chunk))
    out.flush()


def cmd_config(argv):  # config id:port:a-b[,a-b] ... -> json
    shards = []
    for spec in argv:
        nid, port, ranges = spec.split(":")
        shards.append((nid, port, [tuple(map(int, r.split("-"))) for r in ranges.split(",")]))
    print(config(shards))


def cmd_probe(argv):  # probe PORT KEY OUT READYFILE STOPFILE MAXSEC: sequential GETs, one connection
    port, key, out, ready, stop, maxsec = argv
    c = Conn(port)
    req = resp(b"GET", key.encode())
    c.s.sendall(req)
    first = c.read()
    if not isinstance(first, bytes):
        sys.exit(f"probe: GET {key} -> {first!r}")
    want = b"$%d\r\n%s\r\n" % (len(first), first)
    n = len(want)
    ts, lat = array.array("q"), array.array("q")
    open(ready, "w").close()
    deadline = time.monotonic() + float(maxsec)
    mono = time.monotonic_ns
    sock = c.s
    i = 0
    while True:
        i += 1
        if (i & 255) == 0 and (os.path.exists(stop) or time.monotonic() > deadline):
            break
        t0 = mono()
        sock.sendall(req)
        got = sock.recv(n)
        while len(got) < n:
            more = sock.recv(n - len(got))
            if not more:
                sys.exit("probe: server closed the connection")
            got += more
        t1 = mono()
        if got != want:
            sys.exit(f"probe: GET {key} -> {got[:200]!r} (expected the same value throughout)")
        ts.append(t0)
        lat.append(t1 - t0)
    with open(out, "wb") as f:
        ts.tofile(f)
        lat.tofile(f)


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(p / 100.0 * len(sorted_vals)))]


def used_memory(c):
    info = c.cmd("INFO", "memory").decode()
    for line in info.split("\r\n"):
        if line.startswith("used_memory:"):
            return int(line.split(":", 1)[1])
    raise ValueError("INFO memory has no used_memory")


def cmd_round(argv):
    """round PORT CFG_FILE KEEP IDLE_S SETTLE_TIMEOUT WORKDIR -> one TSV line on stdout:
    push_ms dbsize_ms mem_ms idle_n idle_p50_us idle_p99_us del_n del_p50_us del_p99_us del_max_us mem_before mem_after
    """
    port, cfg_file, keep, idle_s, settle_timeout, wd = argv
    keep, idle_s, settle_timeout = int(keep), float(idle_s), float(settle_timeout)
    cfg = open(cfg_file).read().strip()
    tag = tags()
    probe_key = keep_key(tag, 0).decode()
    out, ready, stop = (os.path.join(wd, f) for f in ("probe.bin", "probe.ready", "probe.stop"))
    for f in (out, ready, stop):
        if os.path.exists(f):
            os.unlink(f)
    probe = subprocess.Popen([sys.executable, __file__, "probe", port, probe_key, out, ready, stop,
                              str(idle_s + settle_timeout + 30)])
    try:
        t_end = time.monotonic() + 10
        while not os.path.exists(ready):
            if probe.poll() is not None or time.monotonic() > t_end:
                sys.exit("probe did not start")
            time.sleep(0.01)
        ctl = Conn(port, timeout=settle_timeout + 10)
        time.sleep(idle_s)
        mem_before = used_memory(ctl)
        # --- the push: wall time from sending the command to its +OK ---
        t_push0 = time.monotonic_ns()
        reply = ctl.cmd("DFLYCLUSTER", "CONFIG", cfg)
        t_push1 = time.monotonic_ns()
        if reply != "+OK":
            sys.exit(f"DFLYCLUSTER CONFIG -> {reply!r}")
        # --- poll DBSIZE and used_memory until both stop moving ---
        t_dbsize = None
        samples = []  # (t_ns, used_memory)
        deadline = time.monotonic() + settle_timeout
        flat_since = None
        while True:
            now = time.monotonic_ns()
            n = ctl.cmd("DBSIZE")
            mem = used_memory(ctl)
            if t_dbsize is None and n == keep:
                t_dbsize = now
            samples.append((now, mem))
            if len(samples) > 1 and abs(mem - samples[-2][1]) <= max(1024, mem_before // 10000):
                flat_since = flat_since or samples[-2][0]
            else:
                flat_since = None
            if t_dbsize is not None and flat_since and now - flat_since > 300e6:
                break
            if time.monotonic() > deadline:
                sys.exit(f"deletion did not settle within {settle_timeout}s (DBSIZE {n}, want {keep})")
            time.sleep(0.002)
        open(stop, "w").close()
        if probe.wait(timeout=30) != 0:
            sys.exit("probe failed")
    finally:
        if probe.poll() is None:
            probe.kill()
            probe.wait()
    mem_after = samples[-1][1]
    drop = mem_before - mem_after
    t_mem = t_push1
    if drop > 0:
        for t, m in samples:
            if m - mem_after <= 0.01 * drop:  # 99% of the memory released
                t_mem = t
                break
    raw = open(out, "rb").read()
    half = len(raw) // 2
    ts, lat = array.array("q"), array.array("q")
    ts.frombytes(raw[:half])
    lat.frombytes(raw[half:])
    # idle: the IDLE_SECONDS before the push (minus the first 10% as warm-up)
    idle_from = t_push0 - int(idle_s * 0.9e9)
    idle = sorted(l for t, l in zip(ts, lat) if idle_from <= t and t + l < t_push0)
    # during the deletion: requests overlapping [push sent, 99% of memory released]
    win_end = max(t_mem, t_push1)
    dele = sorted(l for t, l in zip(ts, lat) if t + l >= t_push0 and t <= win_end)
    us = lambda v: v / 1000.0
    print("\t".join(str(x) for x in (
        f"{(t_push1 - t_push0) / 1e6:.3f}", f"{(t_dbsize - t_push0) / 1e6:.3f}", f"{(t_mem - t_push0) / 1e6:.3f}",
        len(idle), f"{us(pct(idle, 50)):.1f}", f"{us(pct(idle, 99)):.1f}",
        len(dele), f"{us(pct(dele, 50)):.1f}", f"{us(pct(dele, 99)):.1f}", f"{us(dele[-1] if dele else float('nan')):.1f}",
        mem_before, mem_after)))


if __name__ == "__main__":
    {"gen": cmd_gen, "config": cmd_config, "probe": cmd_probe, "round": cmd_round}[sys.argv[1]](sys.argv[2:])
PYEOF

# ---- server helpers ----------------------------------------------------------------------
start_darner_node() {  # NAME PORT NODE_ID
  # shellcheck disable=SC2086
  start_server "$1" "$2" "$DARNER_BIN" --port="$2" --bind="$HOST" --proactor_threads="$DARNER_THREADS" \
    --cluster_mode=yes --cluster_node_id="$3" ${DARNER_ARGS:-}
}

start_redis_node() {  # NAME PORT BUS_PORT
  # shellcheck disable=SC2086
  start_server "$1" "$2" "$REDIS_SERVER" --port "$2" --bind "$HOST" --save '' --appendonly no \
    --daemonize no --logfile '' --dir "$WORK_DIR" --cluster-enabled yes --cluster-port "$3" \
    --cluster-config-file "$WORK_DIR/$1-nodes.conf" ${REDIS_ARGS:-}
}

push_config() {  # push_config JSON PORT...
  local json=$1 p out; shift
  for p in "$@"; do
    out=$(cli "$p" DFLYCLUSTER CONFIG "$json" | tr -d '\r')
    [[ "$out" == OK ]] || die "DFLYCLUSTER CONFIG on port $p: $out"
  done
}

wait_cluster_ok() {  # wait_cluster_ok NAME PORT...
  local name=$1 p deadline=$((SECONDS + CLUSTER_TIMEOUT)); shift
  for p in "$@"; do
    until cli "$p" CLUSTER INFO | tr -d '\r' | grep -qx 'cluster_state:ok'; do
      ((SECONDS < deadline)) || die "$name: node on port $p not cluster_state:ok after ${CLUSTER_TIMEOUT}s"
      sleep 0.2
    done
  done
  log "$name: cluster_state:ok on ports $*"
}

# ---- part 1: throughput ------------------------------------------------------------------
run_throughput() {
  local ports i
  read -r -a ports <<<"$(free_ports 9)"
  DPORTS=("${ports[@]:0:3}")
  RPORTS=("${ports[@]:3:3}")
  local busports=("${ports[@]:6:3}")
  declare -g -A PIDS
  PIDS[darner]=""
  PIDS[redis]=""
  for i in 0 1 2; do
    start_darner_node "darner-$i" "${DPORTS[$i]}" "darner-node-$i"
    PIDS[darner]+="$SERVER_PID "
  done
  push_config "$("$PY" "$HELPER" config "darner-node-0:${DPORTS[0]}:0-5460" \
    "darner-node-1:${DPORTS[1]}:5461-10922" "darner-node-2:${DPORTS[2]}:10923-16383")" "${DPORTS[@]}"
  wait_cluster_ok darner "${DPORTS[@]}"

  for i in 0 1 2; do
    start_redis_node "redis-$i" "${RPORTS[$i]}" "${busports[$i]}"
    PIDS[redis]+="$SERVER_PID "
  done
  local out
  # shellcheck disable=SC2046
  out=$(timeout 60 $(client_prefix) "$REDIS_CLI" --cluster create "$HOST:${RPORTS[0]}" "$HOST:${RPORTS[1]}" \
    "$HOST:${RPORTS[2]}" --cluster-yes 2>&1) || { echo "$out" >&2; die "redis-cli --cluster create failed"; }
  wait_cluster_ok redis "${RPORTS[@]}"

  SEED[darner]=${DPORTS[0]}
  SEED[redis]=${RPORTS[0]}
  RAW="$WORK_DIR/throughput.tsv"
  printf 'server\ttest\tround\trps\tp50_ms\tp99_ms\tcpu_us_per_req\n' >"$RAW"
  log "part 1: ROUNDS=$ROUNDS N=$N CLIENTS=$CLIENTS DATA_SIZE=$DATA_SIZE PIPELINE=$PIPELINE TESTS='$TESTS' DARNER_THREADS=$DARNER_THREADS"
  local r k t servers=(darner redis)
  for ((r = 1; r <= ROUNDS; r++)); do
    for t in $TESTS; do
      for ((k = 0; k < 2; k++)); do
        run_one "${servers[$(((k + r - 1) % 2))]}" "$t" "$r"
      done
    done
  done
  [[ -z "$RESULTS_FILE" ]] || cp "$RAW" "$RESULTS_FILE.throughput"
  report_throughput
  # the throughput clusters are not needed any more
  for pid in ${PIDS[darner]} ${PIDS[redis]}; do stop_pid "$pid"; done
}

cluster_cpu_ticks() {  # sum over the PIDs given
  local pid sum=0
  for pid in "$@"; do sum=$((sum + $(cpu_ticks "$pid"))); done
  echo "$sum"
}

assert_cluster_alive() {  # NAME PIDS...
  local name=$1 pid; shift
  for pid in "$@"; do
    kill -0 "$pid" 2>/dev/null || die "$name: server pid $pid is no longer running (logs in $WORK_DIR)"
  done
}

declare -A SEED
run_one() {  # run_one SERVER TEST ROUND
  local s=$1 t=$2 r=$3 out before after rps p50 p99 cpu
  # shellcheck disable=SC2086
  before=$(cluster_cpu_ticks ${PIDS[$s]})
  # shellcheck disable=SC2046
  if ! out=$(timeout "$BENCH_TIMEOUT" $(client_prefix) "$REDIS_BENCHMARK" --cluster -h "$HOST" -p "${SEED[$s]}" \
    -c "$CLIENTS" -d "$DATA_SIZE" -P "$PIPELINE" -n "$N" -t "$t" --csv 2>"$WORK_DIR/bench.err"); then
    cat "$WORK_DIR/bench.err" >&2
    # shellcheck disable=SC2086
    assert_cluster_alive "$s" ${PIDS[$s]}
    die "redis-benchmark failed or timed out (${BENCH_TIMEOUT}s) against $s (-t $t)"
  fi
  # shellcheck disable=SC2086
  after=$(cluster_cpu_ticks ${PIDS[$s]})
  # shellcheck disable=SC2086
  assert_cluster_alive "$s" ${PIDS[$s]}
  if grep -qiE 'error|moved|crossslot' <<<"$out$(cat "$WORK_DIR/bench.err")"; then
    echo "$out" >&2; cat "$WORK_DIR/bench.err" >&2
    die "redis-benchmark reported errors against $s (-t $t)"
  fi
  # --cluster prints the node list first; the CSV header is the line starting with "test"
  read -r rps p50 p99 < <(tr -d '"\r' <<<"$out" | awk -F, '
    $1 == "test" { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
    hdr && NF > 1 { print $col["rps"], $col["p50_latency_ms"], $col["p99_latency_ms"]; exit }') || true
  [[ -n "${p99:-}" ]] || { echo "$out" >&2; die "could not parse redis-benchmark CSV for $s -t $t"; }
  cpu=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$N" 'BEGIN { printf "%.4f", d * 1e6 / hz / n }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$t" "$r" "$rps" "$p50" "$p99" "$cpu" >>"$RAW"
  log "round $r  $(printf '%-7s' "$s") $(printf '%-3s' "$t")  ${rps} ops/s  p50 ${p50}ms  p99 ${p99}ms  cpu ${cpu}us/req (3 nodes)"
}

report_throughput() {
  "$PY" - "$RAW" "$ROUNDS" "$N" "$CLIENTS" "$DATA_SIZE" "$PIPELINE" "$DARNER_THREADS" <<'PYEOF'
import csv, sys
from statistics import median
raw, rounds, n, clients, dsize, pipe, threads = sys.argv[1:]
rows = list(csv.DictReader(open(raw), delimiter="\t"))
metrics = ["rps", "p50_ms", "p99_ms", "cpu_us_per_req"]
data, tests = {}, []
for r in rows:
    if r["test"] not in tests:
        tests.append(r["test"])
    d = data.setdefault((r["server"], r["test"]), {m: [] for m in metrics})
    for m in metrics:
        d[m].append(float(r[m]))
med = {k: {m: median(v[m]) for m in metrics} for k, v in data.items()}
def spread(vals):
    m = median(vals)
    return 100.0 * (max(vals) - min(vals)) / m if m else 0.0
print()
print(f"Part 1: 3-node clusters, redis-benchmark --cluster -c {clients} -d {dsize} -P {pipe} -n {n}; "
      f"medians over {rounds} round(s)")
print(f"darner = 3 x Darner --proactor_threads={threads}; redis = 3 x redis-server (cluster-enabled)")
print("latency in ms (per request; a pipelined batch's round trip); cpu = utime+stime of all 3 nodes, us per request")
print()
hdr = f"{'server':<8} {'test':<4} {'ops/s':>11} {'spread':>7} {'p50':>7} {'p99':>7} {'cpu us/req':>10}"
print(hdr)
print("-" * len(hdr))
for t in tests:
    for s in ("darner", "redis"):
        if (s, t) in med:
            m = med[(s, t)]
            print(f"{s:<8} {t.upper():<4} {m['rps']:>11,.0f} {spread(data[(s, t)]['rps']):>6.1f}% "
                  f"{m['p50_ms']:>7.3f} {m['p99_ms']:>7.3f} {m['cpu_us_per_req']:>10.3f}")
print()
print("Ratio Darner / Redis (of medians): ops/s >1 = Darner faster; p50, p99, cpu/req <1 = Darner better")
print()
hdr = f"{'test':<4} {'ops/s':>7} {'p50':>7} {'p99':>7} {'cpu/req':>8}"
print(hdr)
print("-" * len(hdr))
def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"
for t in tests:
    d, r = med.get(("darner", t)), med.get(("redis", t))
    if d and r:
        print(f"{t.upper():<4} " + " ".join(f"{ratio(d[x], r[x]):>{w}}" for x, w in
                                            (("rps", 7), ("p50_ms", 7), ("p99_ms", 7), ("cpu_us_per_req", 8))))
print()
PYEOF
}

# ---- part 2: taking loaded slots away ------------------------------------------------------
run_delete() {
  local ports port sink r out n total=$((DEL_KEYS + KEEP_KEYS))
  read -r -a ports <<<"$(free_ports 2)"
  port=${ports[0]}
  sink=${ports[1]}  # the node the slots go to: named in the config only, nothing listens there
  start_darner_node darner-del "$port" del-node
  local pid=$SERVER_PID
  local own_all take_away
  own_all=$("$PY" "$HELPER" config "del-node:$port:0-16383")
  take_away=$("$PY" "$HELPER" config "sink-node:$sink:0-5460" "del-node:$port:5461-16383")
  printf '%s\n' "$take_away" >"$WORK_DIR/take_away.json"
  # Keys go in through redis-cli --pipe: DEBUG POPULATE cannot aim at particular slots.
  local DRAW="$WORK_DIR/delete.tsv"
  printf 'round\tpush_ms\tdbsize_ms\tmem_ms\tidle_n\tidle_p50_us\tidle_p99_us\tdel_n\tdel_p50_us\tdel_p99_us\tdel_max_us\tmem_before\tmem_after\n' >"$DRAW"
  log "part 2: DEL_ROUNDS=$DEL_ROUNDS DEL_KEYS=$DEL_KEYS (slots 0-5460) KEEP_KEYS=$KEEP_KEYS (slots 5461-16383) DATA_SIZE=$DATA_SIZE IDLE_SECONDS=$IDLE_SECONDS"
  for ((r = 1; r <= DEL_ROUNDS; r++)); do
    push_config "$own_all" "$port"
    [[ "$(cli "$port" FLUSHALL | tr -d '\r')" == OK ]] || die "FLUSHALL failed"
    log "round $r: loading $DEL_KEYS + $KEEP_KEYS keys into darner-del"
    # shellcheck disable=SC2046
    out=$("$PY" "$HELPER" gen "$DEL_KEYS" "$KEEP_KEYS" "$DATA_SIZE" |
      timeout "${LOAD_TIMEOUT:-300}" $(client_prefix) "$REDIS_CLI" -h "$HOST" -p "$port" --pipe 2>&1) ||
      { echo "$out" >&2; die "loading keys failed"; }
    grep -q "errors: 0, replies: $total\$" <<<"$(tr -d '\r' <<<"$out")" ||
      { echo "$out" >&2; die "redis-cli --pipe did not report 'errors: 0, replies: $total'"; }
    n=$(cli "$port" DBSIZE | tr -d '\r')
    [[ "$n" == "$total" ]] || die "DBSIZE is '$n' after the load, expected $total"
    # shellcheck disable=SC2046
    out=$($(client_prefix) "$PY" "$HELPER" round "$port" "$WORK_DIR/take_away.json" "$KEEP_KEYS" "$IDLE_SECONDS" \
      "$SETTLE_TIMEOUT" "$WORK_DIR") || { assert_alive darner-del "$pid"; die "take-away round $r failed"; }
    assert_alive darner-del "$pid"
    printf '%s\t%s\n' "$r" "$out" >>"$DRAW"
    n=$(cli "$port" DBSIZE | tr -d '\r')
    [[ "$n" == "$KEEP_KEYS" ]] || die "DBSIZE is '$n' after the take-away, expected $KEEP_KEYS"
    read -r push_ms dbsize_ms mem_ms _ _ idle_p99 del_n _ del_p99 _ <<<"$out"
    log "round $r: push ${push_ms}ms  DBSIZE final after ${dbsize_ms}ms  memory released after ${mem_ms}ms  GET p99 idle ${idle_p99}us, during deletion ${del_p99}us (${del_n} GETs)"
  done
  [[ -z "$RESULTS_FILE" ]] || cp "$DRAW" "$RESULTS_FILE.delete"
  "$PY" - "$DRAW" "$DEL_KEYS" "$KEEP_KEYS" "$DATA_SIZE" "$DARNER_THREADS" <<'PYEOF'
import csv, math, sys
from statistics import median
raw, ndel, nkeep, dsize, threads = sys.argv[1:]
rows = list(csv.DictReader(open(raw), delimiter="\t"))
def col(name):
    return [float(r[name]) for r in rows]
ratio = [float(r["del_p99_us"]) / float(r["idle_p99_us"]) for r in rows]
print()
print(f"Part 2: one Darner node (--proactor_threads={threads}) owning all slots, {int(ndel):,} keys in slots 0-5460 "
      f"+ {int(nkeep):,} in 5461-16383 ({dsize} B values);")
print(f"DFLYCLUSTER CONFIG then gives 0-5460 to another node. Medians over {len(rows)} round(s).")
print("GET latency: one connection, sequential GETs of a key in a kept slot (Python probe, includes client overhead);")
print("'during deletion' = requests between sending the push and 99% of the freed memory being released.")
print()
hdr = f"{'metric':<38} {'median':>10} {'min':>10} {'max':>10}  target (median)"
print(hdr)
print("-" * len(hdr))
def line(label, vals, fmt="{:>10.2f}", target="", ok=None):
    verdict = "" if ok is None else ("  ok" if ok(median(vals)) else "  MISSED")
    print(f"{label:<38} " + " ".join(fmt.format(v) for v in (median(vals), min(vals), max(vals)))
          + f"  {target}{verdict}")
line("DFLYCLUSTER CONFIG push, ms", col("push_ms"), target="< 10", ok=lambda v: v < 10)
line("DBSIZE at final value after, ms", col("dbsize_ms"))
line("memory released (99%) after, ms", col("mem_ms"))
line("GETs during deletion", col("del_n"), "{:>10.0f}")
line("GET p50 idle, us", col("idle_p50_us"), "{:>10.1f}")
line("GET p50 during deletion, us", col("del_p50_us"), "{:>10.1f}")
line("GET p99 idle, us", col("idle_p99_us"), "{:>10.1f}")
line("GET p99 during deletion, us", col("del_p99_us"), "{:>10.1f}")
line("GET max during deletion, us", col("del_max_us"), "{:>10.1f}")
line("p99 during deletion / idle p99", ratio, target="<= 2", ok=lambda v: v <= 2)
freed = [(float(r["mem_before"]) - float(r["mem_after"])) / 1048576 for r in rows]
line("used_memory released, MiB", freed, "{:>10.1f}")
print()
if min(col("del_n")) < 1000:
    print("note: fewer than 1000 GETs fell in the deletion window in some round; its p99 is rough.")
    print()
PYEOF
  stop_pid "$pid"
}

want_part throughput && run_throughput
want_part delete && run_delete
exit 0
