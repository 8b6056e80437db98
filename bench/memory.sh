#!/usr/bin/env bash
# Memory-per-key comparison: Darner vs redis-server after loading KEYS string keys.
# See bench/README.md for details. All knobs are environment variables.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEYS=${KEYS:-1000000}
VALUE_SIZE=${VALUE_SIZE:-64}
DARNER_THREADS=${DARNER_THREADS:-1}   # a single value here
SETTLE_SECONDS=${SETTLE_SECONDS:-1}   # pause after loading before sampling

for v in KEYS VALUE_SIZE DARNER_THREADS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done

check_tools
install_traps
setup_workdir

vmrss_bytes() {  # VmRSS of PID in bytes
  awk '$1 == "VmRSS:" { print $2 * 1024; found = 1 } END { exit !found }' "/proc/$1/status"
}

# sample SERVER PHASE -> appends "server phase used_memory used_memory_rss vmrss" to $SAMPLES
SAMPLES="$WORK_DIR/samples.tsv"
: >"$SAMPLES"
sample() {
  local s=$1 phase=$2 um umr rss
  assert_alive "$s" "${PID[$s]}"
  um=$(info_field "${PORT[$s]}" used_memory) || { log "WARN: $s: INFO memory has no used_memory"; um=NA; }
  umr=$(info_field "${PORT[$s]}" used_memory_rss) || { log "WARN: $s: INFO memory has no used_memory_rss"; umr=NA; }
  rss=$(vmrss_bytes "${PID[$s]}")
  printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$phase" "$um" "$umr" "$rss" >>"$SAMPLES"
}

read -r -a PORTS <<<"$(free_ports 2)"
declare -A PORT PID
SERVERS=(darner redis)
PORT[darner]=${PORTS[0]}
PORT[redis]=${PORTS[1]}
start_darner darner "${PORT[darner]}" "$DARNER_THREADS"
PID[darner]=$SERVER_PID
start_redis redis "${PORT[redis]}"
PID[redis]=$SERVER_PID

for s in "${SERVERS[@]}"; do
  n=$(cli "${PORT[$s]}" dbsize | tr -d '\r')
  [[ "$n" == 0 ]] || die "$s: DBSIZE is '$n' right after startup, expected 0"
  sample "$s" empty
done

for s in "${SERVERS[@]}"; do
  log "loading $KEYS keys (key:%012d, ${VALUE_SIZE}B values) into $s"
  start=$SECONDS
  load_keys "${PORT[$s]}" "$KEYS" "$VALUE_SIZE"
  log "  done in $((SECONDS - start))s"
done

for s in "${SERVERS[@]}"; do
  n=$(cli "${PORT[$s]}" dbsize | tr -d '\r')
  [[ "$n" == "$KEYS" ]] || die "$s: DBSIZE is '$n' after load, expected $KEYS"
  log "$s: DBSIZE = $n"
done

sleep "$SETTLE_SECONDS"
for s in "${SERVERS[@]}"; do
  sample "$s" loaded
done

"$PY" - "$SAMPLES" "$KEYS" "$VALUE_SIZE" <<'PYEOF'
import sys
path, keys, vsize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
S = {}
for line in open(path):
    s, phase, um, umr, rss = line.rstrip("\n").split("\t")
    S[(s, phase)] = {k: (None if v == "NA" else int(v))
                     for k, v in (("used_memory", um), ("used_memory_rss", umr), ("VmRSS", rss))}

rows = []  # (label, darner_value, redis_value)
for m in ("used_memory", "used_memory_rss", "VmRSS"):
    d, r = S[("darner", "loaded")][m], S[("redis", "loaded")][m]
    rows.append((m, d, r))
    d0, r0 = S[("darner", "empty")][m], S[("redis", "empty")][m]
    dd = None if d is None or d0 is None else d - d0
    rr = None if r is None or r0 is None else r - r0
    rows.append((m + " - empty", dd, rr))

def fmt_mib(v):
    return f"{v / 1048576:10.1f}" if v is not None else f"{'n/a':>10}"
def fmt_bpk(v):
    return f"{v / keys:10.1f}" if v is not None else f"{'n/a':>10}"
def fmt_ratio(a, b):
    return f"{a / b:7.2f}" if a is not None and b else f"{'n/a':>7}"

print()
print(f"{keys:,} keys 'key:%012d' (16 B) with {vsize} B values, loaded via redis-cli --pipe")
print("'- empty' rows subtract the same metric sampled right after startup (empty server)")
print()
hdr = (f"{'metric':<24} {'Darner MiB':>10} {'redis MiB':>10} "
       f"{'Darner B/key':>12} {'redis B/key':>12} {'Darner/redis':>12}")
print(hdr)
print("-" * len(hdr))
for label, d, r in rows:
    print(f"{label:<24} {fmt_mib(d)} {fmt_mib(r)} {fmt_bpk(d):>12} {fmt_bpk(r):>12} {fmt_ratio(d, r):>12}")
print()
print("Darner/redis < 1 means Darner uses less memory.")
PYEOF
