#!/usr/bin/env bash
# Cache workload: Darner vs redis-server at the same --maxmemory with allkeys-lru, under a
# Zipf-distributed cache-aside GET/SET load (bench/cache_load) over a key space several times
# the memory limit. Reports ops/s, hit ratio and the highest RSS relative to maxmemory.
# See bench/README.md for details. All knobs are environment variables.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAXMEMORY_MB=${MAXMEMORY_MB:-128}
VALUE_SIZE=${VALUE_SIZE:-256}
KEY_FACTOR=${KEY_FACTOR:-4}           # raw bytes of the key space / maxmemory
ZIPF=${ZIPF:-0.99}
CONNECTIONS=${CONNECTIONS:-50}
PIPELINES=${PIPELINES:-"16 1"}
WARMUP_SECONDS=${WARMUP_SECONDS:-10}  # per server, fills the cache before measuring
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
ROUNDS=${ROUNDS:-5}
DARNER_THREADS=${DARNER_THREADS:-1}
CACHE_LOAD=${CACHE_LOAD:-$REPO_DIR/build/release/bench/cache_load}

for v in MAXMEMORY_MB VALUE_SIZE KEY_FACTOR CONNECTIONS WARMUP_SECONDS SECONDS_PER_RUN ROUNDS \
  DARNER_THREADS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for p in $PIPELINES; do
  [[ "$p" =~ ^[1-9][0-9]*$ ]] || die "PIPELINES must list positive integers (got '$PIPELINES')"
done
[[ -x "$CACHE_LOAD" ]] || die "cache_load not found: $CACHE_LOAD (ninja -C build/release bench/cache_load)"

check_tools
install_traps
setup_workdir

MAXMEMORY=$((MAXMEMORY_MB * 1024 * 1024))
# key:%012d is 16 bytes; the key space holds KEY_FACTOR x maxmemory of keys and values.
KEYS=$((KEY_FACTOR * MAXMEMORY / (VALUE_SIZE + 16)))

SERVERS=(darner-lru darner-cache redis)
read -r -a PORTS <<<"$(free_ports 3)"
declare -A PORT PID
PORT[darner-lru]=${PORTS[0]}
PORT[darner-cache]=${PORTS[1]}
PORT[redis]=${PORTS[2]}

DARNER_ARGS="${DARNER_ARGS:-} --maxmemory=$MAXMEMORY --maxmemory_policy=allkeys-lru" \
  start_darner darner-lru "${PORT[darner-lru]}" "$DARNER_THREADS"
PID[darner-lru]=$SERVER_PID
DARNER_ARGS="${DARNER_ARGS:-} --maxmemory=$MAXMEMORY --cache_mode=true" \
  start_darner darner-cache "${PORT[darner-cache]}" "$DARNER_THREADS"
PID[darner-cache]=$SERVER_PID
REDIS_ARGS="${REDIS_ARGS:-} --maxmemory $MAXMEMORY --maxmemory-policy allkeys-lru" \
  start_redis redis "${PORT[redis]}"
PID[redis]=$SERVER_PID

# Highest VmRSS of every server, sampled every 100 ms from start to end (load included).
RSS_FILE="$WORK_DIR/rss.tsv"
rss_sampler() {
  local s kb
  declare -A max
  for s in "${SERVERS[@]}"; do max[$s]=0; done
  while :; do
    for s in "${SERVERS[@]}"; do
      kb=0
      # Builtins only: a fork per sample would take CPU from the servers being measured.
      if [[ -r "/proc/${PID[$s]}/status" ]]; then
        while read -r key value _; do
          if [[ "$key" == VmRSS: ]]; then kb=$value; fi
        done <"/proc/${PID[$s]}/status" || true
      fi
      if ((kb > ${max[$s]})); then max[$s]=$kb; fi
    done
    : >"$RSS_FILE.tmp"
    for s in "${SERVERS[@]}"; do printf '%s\t%s\n' "$s" "${max[$s]}" >>"$RSS_FILE.tmp"; done
    mv "$RSS_FILE.tmp" "$RSS_FILE"
    sleep 0.1
  done
}
rss_sampler &
STARTED_PIDS+=("$!")

RUNS="$WORK_DIR/runs.tsv"
: >"$RUNS"
# run_load SERVER PIPELINE SECONDS PHASE -> appends "server phase P ops/s hit_ratio" to $RUNS
run_load() {
  local s=$1 p=$2 secs=$3 phase=$4 out ops hit
  assert_alive "$s" "${PID[$s]}"
  # shellcheck disable=SC2046
  out=$(timeout $((secs + 60)) $(client_prefix) "$CACHE_LOAD" --host="$HOST" --port="${PORT[$s]}" \
    --keys="$KEYS" --value_size="$VALUE_SIZE" --zipf="$ZIPF" --connections="$CONNECTIONS" \
    --pipeline="$p" --seconds="$secs" --seed=$((RANDOM + 1))) ||
    { echo "$out" >&2; die "cache_load against $s failed"; }
  ops=$(tr ' ' '\n' <<<"$out" | awk -F= '$1 == "ops_per_sec" { print $2 }')
  hit=$(tr ' ' '\n' <<<"$out" | awk -F= '$1 == "hit_ratio" { print $2 }')
  [[ -n "$ops" && -n "$hit" ]] || die "cannot read cache_load's output: $out"
  printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$phase" "$p" "$ops" "$hit" >>"$RUNS"
  log "$s P$p $phase: $ops ops/s, hit ratio $hit"
}

log "key space: $KEYS keys of ${VALUE_SIZE}B (${KEY_FACTOR}x maxmemory ${MAXMEMORY_MB} MiB), zipf $ZIPF"
for s in "${SERVERS[@]}"; do
  run_load "$s" 16 "$WARMUP_SECONDS" warmup
done
for ((r = 0; r < ROUNDS; r++)); do
  for p in $PIPELINES; do
    # Rotate the order each round so drift on the machine spreads over every server.
    for ((k = 0; k < ${#SERVERS[@]}; k++)); do
      s=${SERVERS[$(((k + r) % ${#SERVERS[@]}))]}
      run_load "$s" "$p" "$SECONDS_PER_RUN" "round$r"
    done
  done
done

for s in "${SERVERS[@]}"; do
  assert_alive "$s" "${PID[$s]}"
  keys=$(cli "${PORT[$s]}" dbsize | tr -d '\r')
  evicted=$(cli "${PORT[$s]}" info stats | tr -d '\r' | awk -F: '$1 == "evicted_keys" { print $2 }')
  log "$s: DBSIZE $keys, evicted_keys $evicted"
  [[ "$keys" =~ ^[0-9]+$ && "$keys" -gt 0 ]] || die "$s: DBSIZE is '$keys' after the run"
  [[ "${evicted:-0}" -gt 0 ]] || die "$s: nothing was evicted; the key space does not exceed maxmemory"
done
sleep 0.3  # one more RSS sample after the last run

"$PY" - "$RUNS" "$RSS_FILE" "$MAXMEMORY" <<'PYEOF'
import statistics, sys
runs, rss_file, maxmemory = sys.argv[1], sys.argv[2], int(sys.argv[3])
servers = ["darner-lru", "darner-cache", "redis"]
R = {}
for line in open(runs):
    s, phase, p, ops, hit = line.split("\t")
    if phase != "warmup":
        R.setdefault((s, int(p)), []).append((float(ops), float(hit)))
rss = {s: int(kb) * 1024 for s, kb in (l.split("\t") for l in open(rss_file))}
pipelines = sorted({p for _, p in R}, reverse=True)
med = {k: (statistics.median(o for o, _ in v), statistics.median(h for _, h in v))
       for k, v in R.items()}

print(f"{'server':<13}{'P':>3}{'ops/s':>12}{'spread':>8}{'hit ratio':>11}{'max RSS/maxmemory':>19}")
for p in pipelines:
    for s in servers:
        ops = [o for o, _ in R[(s, p)]]
        spread = (max(ops) - min(ops)) / statistics.median(ops) * 100
        print(f"{s:<13}{p:>3}{med[(s, p)][0]:>12,.0f}{spread:>7.1f}%{med[(s, p)][1]:>11.4f}"
              f"{rss[s] / maxmemory:>19.3f}")
print()
print("vs redis-server (ops/s ratio, hit ratio difference):")
for p in pipelines:
    for s in servers[:2]:
        print(f"{s:<13}{p:>3}{med[(s, p)][0] / med[('redis', p)][0]:>8.2f}x"
              f"{med[(s, p)][1] - med[('redis', p)][1]:>+10.4f}")
PYEOF
