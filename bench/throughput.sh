#!/usr/bin/env bash
# Throughput / latency / server-CPU comparison: Darner vs redis-server.
# See bench/README.md for details. All knobs are environment variables.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}                       # rounds; each round runs every config once
N=${N:-200000}                            # requests per run at -P 1
N_PIPELINED=${N_PIPELINED:-$((N * 5))}    # requests per run at -P > 1
CLIENTS=${CLIENTS:-50}
DATA_SIZE=${DATA_SIZE:-64}
KEYSPACE=${KEYSPACE:-1000000}             # -r; also the number of keys preloaded
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-"set get"}
DARNER_THREADS=${DARNER_THREADS:-"1 2"}   # one Darner instance per value
BENCH_TIMEOUT=${BENCH_TIMEOUT:-180}       # seconds, per redis-benchmark run
RESULTS_FILE=${RESULTS_FILE:-}            # optional: copy raw per-run TSV here

for v in ROUNDS N N_PIPELINED CLIENTS DATA_SIZE KEYSPACE BENCH_TIMEOUT; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for v in $PIPELINES $DARNER_THREADS; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "PIPELINES / DARNER_THREADS entries must be positive integers (got '$v')"
done
for t in $TESTS; do
  [[ "$t" == set || "$t" == get ]] || die "TESTS entries must be 'set' or 'get' (got '$t')"
done

check_tools
install_traps
setup_workdir

CLK_TCK=$(getconf CLK_TCK)
RAW="$WORK_DIR/raw.tsv"
printf 'server\tpipeline\ttest\tround\trps\tp50_ms\tp99_ms\tcpu_us_per_req\n' >"$RAW"

# ---- start servers -----------------------------------------------------------
read -r -a PORTS <<<"$(free_ports $(($(wc -w <<<"$DARNER_THREADS") + 1)))"
declare -A PORT PID
SERVERS=()
i=0
for t in $DARNER_THREADS; do
  name="darner-t$t"
  PORT[$name]=${PORTS[$i]}; i=$((i + 1))
  start_darner "$name" "${PORT[$name]}" "$t"
  PID[$name]=$SERVER_PID
  SERVERS+=("$name")
done
PORT[redis]=${PORTS[$i]}
start_redis redis "${PORT[redis]}"
PID[redis]=$SERVER_PID
SERVERS+=(redis)

# ---- preload -----------------------------------------------------------------
for s in "${SERVERS[@]}"; do
  log "preloading $KEYSPACE keys (${DATA_SIZE}B values) into $s"
  load_keys "${PORT[$s]}" "$KEYSPACE" "$DATA_SIZE"
  n=$(cli "${PORT[$s]}" dbsize | tr -d '\r')
  [[ "$n" == "$KEYSPACE" ]] || die "$s: DBSIZE is '$n' after preload, expected $KEYSPACE"
done

# ---- one measured run ----------------------------------------------------------
# run_one SERVER PIPELINE TEST ROUND
run_one() {
  local s=$1 p=$2 t=$3 r=$4 n out before after rps p50 p99 cpu
  if ((p == 1)); then n=$N; else n=$N_PIPELINED; fi
  before=$(cpu_ticks "${PID[$s]}")
  # shellcheck disable=SC2046
  if ! out=$(timeout "$BENCH_TIMEOUT" $(client_prefix) "$REDIS_BENCHMARK" -h "$HOST" -p "${PORT[$s]}" \
    -c "$CLIENTS" -d "$DATA_SIZE" -r "$KEYSPACE" -P "$p" -n "$n" -t "$t" --csv 2>"$WORK_DIR/bench.err"); then
    cat "$WORK_DIR/bench.err" >&2
    assert_alive "$s" "${PID[$s]}"
    die "redis-benchmark failed or timed out (${BENCH_TIMEOUT}s) against $s (-P $p -t $t)"
  fi
  after=$(cpu_ticks "${PID[$s]}")
  assert_alive "$s" "${PID[$s]}"
  # Locate columns by header name rather than trusting positions.
  read -r rps p50 p99 < <(tr -d '"\r' <<<"$out" | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    NF > 1  { print $col["rps"], $col["p50_latency_ms"], $col["p99_latency_ms"]; exit }') || true
  [[ -n "${p99:-}" ]] || { echo "$out" >&2; die "could not parse redis-benchmark CSV for $s -P $p -t $t"; }
  cpu=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.4f", d * 1e6 / hz / n }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$p" "$t" "$r" "$rps" "$p50" "$p99" "$cpu" >>"$RAW"
  log "round $r  $(printf '%-10s' "$s") -P $(printf '%-2s' "$p") $(printf '%-3s' "$t")  ${rps} ops/s  p50 ${p50}ms  p99 ${p99}ms  cpu ${cpu}us/req"
}

# ---- main loop: servers alternate run by run; order rotates every round --------
nserv=${#SERVERS[@]}
log "ROUNDS=$ROUNDS N=$N N_PIPELINED=$N_PIPELINED CLIENTS=$CLIENTS DATA_SIZE=$DATA_SIZE KEYSPACE=$KEYSPACE PIPELINES='$PIPELINES' TESTS='$TESTS' PIN_SERVER='${PIN_SERVER}' PIN_CLIENT='${PIN_CLIENT}'"
for ((r = 1; r <= ROUNDS; r++)); do
  for p in $PIPELINES; do
    for t in $TESTS; do
      for ((k = 0; k < nserv; k++)); do
        run_one "${SERVERS[$(((k + r - 1) % nserv))]}" "$p" "$t" "$r"
      done
    done
  done
done

[[ -z "$RESULTS_FILE" ]] || cp "$RAW" "$RESULTS_FILE"

# ---- report ------------------------------------------------------------------
"$PY" - "$RAW" "$ROUNDS" "$N" "$N_PIPELINED" "$CLIENTS" "$DATA_SIZE" "$KEYSPACE" <<'PYEOF'
import csv, sys
from statistics import median
raw, rounds, n, npipe, clients, dsize, keyspace = sys.argv[1:]
rows = list(csv.DictReader(open(raw), delimiter="\t"))
metrics = ["rps", "p50_ms", "p99_ms", "cpu_us_per_req"]
data = {}
servers, pipes, tests = [], [], []
for r in rows:
    for lst, key in ((servers, r["server"]), (pipes, r["pipeline"]), (tests, r["test"])):
        if key not in lst:
            lst.append(key)
    d = data.setdefault((r["server"], r["pipeline"], r["test"]), {m: [] for m in metrics})
    for m in metrics:
        d[m].append(float(r[m]))
med = {k: {m: median(v[m]) for m in metrics} for k, v in data.items()}

def spread(vals):  # (max-min)/median, as a rough noise indicator
    m = median(vals)
    return 100.0 * (max(vals) - min(vals)) / m if m else 0.0

print()
print(f"Medians over {rounds} round(s); -c {clients} -d {dsize} -r {keyspace}; "
      f"-n {n} at -P 1, -n {npipe} when pipelined")
print("latency in ms (redis-benchmark, per request); cpu = server utime+stime us per request")
print()
hdr = f"{'server':<10} {'P':>3} {'test':<4} {'ops/s':>11} {'spread':>7} {'p50':>7} {'p99':>7} {'cpu us/req':>10}"
print(hdr)
print("-" * len(hdr))
for p in pipes:
    for t in tests:
        for s in servers:
            k = (s, p, t)
            if k not in med:
                continue
            m = med[k]
            print(f"{s:<10} {p:>3} {t.upper():<4} {m['rps']:>11,.0f} {spread(data[k]['rps']):>6.1f}% "
                  f"{m['p50_ms']:>7.3f} {m['p99_ms']:>7.3f} {m['cpu_us_per_req']:>10.3f}")
        print()

darners = [s for s in servers if s != "redis"]
if "redis" in servers and darners:
    print("Ratio Darner / redis-server (of medians)")
    print("  ops/s: >1 = Darner faster;  p50, p99, cpu/req: <1 = Darner better")
    print()
    hdr = f"{'server':<10} {'P':>3} {'test':<4} {'ops/s':>7} {'p50':>7} {'p99':>7} {'cpu/req':>8}"
    print(hdr)
    print("-" * len(hdr))
    def ratio(a, b):
        return f"{a / b:.2f}" if b else "n/a"
    for p in pipes:
        for t in tests:
            base = med.get(("redis", p, t))
            if not base:
                continue
            for s in darners:
                m = med.get((s, p, t))
                if not m:
                    continue
                print(f"{s:<10} {p:>3} {t.upper():<4} " + " ".join(
                    f"{ratio(m[x], base[x]):>{w}}" for x, w in
                    (("rps", 7), ("p50_ms", 7), ("p99_ms", 7), ("cpu_us_per_req", 8))))
    print()
PYEOF
