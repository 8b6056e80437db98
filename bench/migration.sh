#!/usr/bin/env bash
# Live slot migration benchmark: Darner's DFLYCLUSTER migration vs `redis-cli --cluster reshard`,
# side by side in one run, with the same data, the same slots and the same client load.
#
#   Darner: two nodes (--cluster_mode=yes --proactor_threads=1). A owns all 16384 slots and is
#     filled with DEBUG POPULATE COUNT key VALUE_SIZE (keys key:0..COUNT-1, values "value:<n>"
#     NUL-padded); slots 0..SLOTS-1 (default 8192, half) then move A->B, B->A, A->B, ... ROUNDS
#     times (a config with a `migrations` entry pushed to the target, then the source; polling
#     SLOT-MIGRATION-STATUS on the source until FINISHED; then the closing config). Each round
#     gives keys/s, wire MB/s (INFO migration_out_bytes), the finalization pause
#     (migration_last_pause_us) and the source's VmRSS before vs its peak (sampled every 20 ms).
#     Then CANCEL_ROUNDS migrations are cancelled CANCEL_AFTER_MS after they start (the config
#     without the migration pushed to the source, then the target) and migration_last_stop_us is
#     read on both nodes.
#   Redis: two redis-server --cluster-enabled nodes; A gets all slots (CLUSTER ADDSLOTSRANGE;
#     `redis-cli --cluster create` needs 3 masters), B joins with CLUSTER MEET; the same keys and
#     values are loaded with redis-cli --pipe; then `redis-cli --cluster reshard --cluster-from A
#     --cluster-to B --cluster-slots SLOTS --cluster-yes --cluster-pipeline 1000` moves the same
#     slots 0..SLOTS-1 (it takes A's lowest slots), timed once (it is too slow to repeat).
#
# Client load (LOAD=on): redis-benchmark --cluster aims each master's whole load at one slot, and
# without --cluster it cannot follow MOVED/ASK nor tell migrating from other slots, so the load
# is a small Python generator (written into the work dir) run as two groups of LOAD_CONNS
# processes: one group picks random keys of the migrating slots, the other random keys of the
# other slots. Each process is a closed loop on one connection per node (one request in flight),
# the group capped at LOAD_RATE requests/s (0 = no cap), WRITE_PCT% SETs (rewriting the key's
# original value) and the rest GETs (checked against the expected value: a missing or wrong
# value is a data error and fails the script). Several processes per group keep ops/s a
# throughput figure: with one request in flight it would just be 1 / latency.
# It follows -MOVED (updating its slot map) and -ASK (ASKING + retry), like a cluster client, and
# timestamps every request (latency = first send to final reply, redirects included). The cap
# keeps the generator (Python, ~15 us CPU per request) from taking the CPU the migration needs
# on a small machine, so "ops/s during / before" shows whether a node keeps serving the offered
# load while it migrates (a stalled event loop shows up as lost ops/s and a higher p99), rather
# than how the cores are shared; LOAD_RATE=0 measures closed-loop capacity instead. The same
# generator with the same settings drives both systems, so their figures are comparable; its
# own per-request overhead (~25 us) is in every latency figure. On a 2-core machine a migration
# keeps two server threads busy, so the clients also queue for a core: the report prints, per
# window, the CPU use and run-queue wait (/proc/<pid>/task/*/schedstat) of both nodes and the
# clients, and how busy the whole machine was, so a drop can be told apart from CPU starvation.
#
# Windows: "before" = BEFORE_SECONDS of load before the first migration; "during" = from the
# opening config push to the closing push's reply (Darner; the union over all ROUNDS rounds) or
# the run of redis-cli --cluster reshard (Redis). ops/s = requests completed in the window /
# its length; latency percentiles over requests overlapping it.
#
# Targets (from the issue): Darner keys/s >= 20x redis-cli resharding's; non-migrating slots
# keep >= 90% of their ops/s; finalization pause p99 < 10 ms; source peak RSS during a migration
# <= 1.2x its RSS before. Each gets PASS/FAIL; STRICT=1 makes a FAIL exit 3. A data error seen by
# the load, a migration that does not finish, or wrong DBSIZEs / values afterwards exit 1.
# See bench/README.md. All knobs are environment variables.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

QUICK=${QUICK:-0}                         # 1: small sizes for a fast sanity run (~30 s)
if [[ "$QUICK" == 1 ]]; then
  COUNT=${COUNT:-100000}; ROUNDS=${ROUNDS:-3}; CANCEL_ROUNDS=${CANCEL_ROUNDS:-2}
  BEFORE_SECONDS=${BEFORE_SECONDS:-1}; GAP_SECONDS=${GAP_SECONDS:-0.3}
fi
COUNT=${COUNT:-1000000}                   # keys
VALUE_SIZE=${VALUE_SIZE:-64}              # bytes per value
SLOTS=${SLOTS:-8192}                      # slots moved: 0..SLOTS-1
ROUNDS=${ROUNDS:-20}                      # Darner migrations (alternating A->B, B->A)
CANCEL_ROUNDS=${CANCEL_ROUNDS:-3}         # Darner migrations cancelled midway
CANCEL_AFTER_MS=${CANCEL_AFTER_MS:-100}   # cancel this long after the push (at most 1/3 of the fastest round)
LOAD=${LOAD:-on}                          # on / off: client load during the migrations
LOAD_RATE=${LOAD_RATE:-4000}              # requests/s cap per group (migrating / other slots); 0 = no cap
LOAD_CONNS=${LOAD_CONNS:-4}               # load processes per group (one request in flight each)
WRITE_PCT=${WRITE_PCT:-50}                # % of load requests that are SETs
BEFORE_SECONDS=${BEFORE_SECONDS:-3}       # load-only window before the first migration
GAP_SECONDS=${GAP_SECONDS:-1}             # rest between Darner rounds (the old owner frees its copy)
SYSTEMS=${SYSTEMS:-"darner redis"}        # which systems to run
DARNER_THREADS=${DARNER_THREADS:-1}       # --proactor_threads of both Darner nodes
MIGRATION_TIMEOUT=${MIGRATION_TIMEOUT:-120}  # seconds for one Darner migration to reach FINISHED
RESHARD_TIMEOUT=${RESHARD_TIMEOUT:-900}   # seconds for redis-cli --cluster reshard
RESHARD_PIPELINE=${RESHARD_PIPELINE:-1000}  # redis-cli --cluster-pipeline
CLUSTER_TIMEOUT=${CLUSTER_TIMEOUT:-30}    # seconds for the redis cluster to agree on its config
STRICT=${STRICT:-0}                       # 1: exit 3 if a target is missed
RESULTS_FILE=${RESULTS_FILE:-}            # optional: copy the JSON results here (.darner / .redis)

for v in COUNT VALUE_SIZE SLOTS ROUNDS CANCEL_AFTER_MS MIGRATION_TIMEOUT RESHARD_TIMEOUT RESHARD_PIPELINE \
  CLUSTER_TIMEOUT DARNER_THREADS LOAD_CONNS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for v in CANCEL_ROUNDS LOAD_RATE WRITE_PCT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
for v in BEFORE_SECONDS GAP_SECONDS; do
  [[ "${!v}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v must be a number of seconds (got '${!v}')"
done
((SLOTS < 16384)) || die "SLOTS must be below 16384 (got $SLOTS)"
((WRITE_PCT <= 100)) || die "WRITE_PCT must be at most 100 (got $WRITE_PCT)"
[[ "$LOAD" == on || "$LOAD" == off ]] || die "LOAD must be 'on' or 'off' (got '$LOAD')"
for s in $SYSTEMS; do
  [[ "$s" == darner || "$s" == redis ]] || die "SYSTEMS entries must be 'darner' or 'redis' (got '$s')"
done
want() { [[ " $SYSTEMS " == *" $1 "* ]]; }

check_tools
install_traps
setup_workdir

HELPER="$WORK_DIR/migration_helper.py"
export COUNT VALUE_SIZE SLOTS ROUNDS CANCEL_ROUNDS CANCEL_AFTER_MS LOAD LOAD_RATE LOAD_CONNS WRITE_PCT BEFORE_SECONDS \
  GAP_SECONDS MIGRATION_TIMEOUT RESHARD_TIMEOUT RESHARD_PIPELINE CLUSTER_TIMEOUT DARNER_THREADS STRICT REDIS_CLI \
  WORK_DIR

# ---- Python helper: load generator, the two migration runs, the report --------------------
cat >"$HELPER" <<'PYEOF'
"""Helpers for bench/migration.sh (written into its work dir, run with /usr/bin/python3)."""
import array, binascii, bisect, ctypes, json, math, os, random, signal, socket, subprocess, sys
import statistics, threading, time

NSLOTS = 16384
E = os.environ
COUNT, VSIZE, SLOTS = int(E["COUNT"]), int(E["VALUE_SIZE"]), int(E["SLOTS"])
MOVE = (0, SLOTS - 1)          # the slots that migrate
REST = (SLOTS, NSLOTS - 1)     # the slots that stay on A
mono = time.monotonic_ns


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def die(msg):
    log("ERROR: " + msg)
    sys.exit(1)


def key(i):
    return b"key:%d" % i


def value(i):  # what DEBUG POPULATE key VSIZE stores under key:<i>
    return (b"value:%d" % i).ljust(VSIZE, b"\0")[:VSIZE]


def slot(k):  # the keys have no hash tags
    return binascii.crc_hqx(k, 0) & (NSLOTS - 1)


def moving(s):
    return MOVE[0] <= s <= MOVE[1]


def pct(sorted_vals, p):  # nearest rank
    if not sorted_vals:
        return float("nan")
    return sorted_vals[max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)]


# ---- RESP ---------------------------------------------------------------------------------
def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port, timeout=60):
        self.port = int(port)
        self.s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise ConnectionError("server on port %d closed the connection" % self.port)
        self.buf += d

    def _line(self):
        while True:
            j = self.buf.find(b"\r\n")
            if j >= 0:
                line, self.buf = self.buf[:j], self.buf[j + 2:]
                return line
            self._fill()

    def _n(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read(self):
        """+x -> ('+', b'x'); -x -> ('-', b'x'); :n -> int; $ -> bytes/None; * -> list."""
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return (t.decode(), rest)
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._n(n + 2)[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError("bad reply line %r" % line)

    def cmd(self, *args):
        self.s.sendall(resp(*args))
        return self.read()

    def ok(self, *args):
        r = self.cmd(*args)
        if r != ("+", b"OK"):
            die("%s on port %d -> %r" % (" ".join(map(str, args))[:120], self.port, r))

    def info(self, section):
        r = self.cmd("INFO", section)
        if not isinstance(r, bytes):
            die("INFO %s on port %d -> %r" % (section, self.port, r))
        out = {}
        for line in r.decode().split("\r\n"):
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def dbsize(self):
        return self.cmd("DBSIZE")

    def close(self):
        self.s.close()


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ValueError("no VmRSS for pid %d" % pid)


class RssSampler:
    """Peak VmRSS of a process, sampled every 20 ms on a thread until stop()."""

    def __init__(self, pid):
        self.pid, self.peak, self.ev = pid, vmrss_kb(pid), threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.ev.wait(0.02):
            self.peak = max(self.peak, vmrss_kb(self.pid))

    def stop(self):
        self.ev.set()
        self.t.join()
        self.peak = max(self.peak, vmrss_kb(self.pid))
        return self.peak


# ---- the load generator ------------------------------------------------------------------
def group_keys():
    """{"mig": indices of the keys in the moving slots, "other": the rest}"""
    out = {"mig": array.array("l"), "other": array.array("l")}
    for i in range(COUNT):
        out["mig" if moving(slot(key(i))) else "other"].append(i)
    return out


def cmd_loadgen(argv):
    """loadgen KEYFILE PORT RATE OUT READY MAXSEC SEED: closed loop, one request in flight, at most
    RATE req/s (0: no cap), on random keys whose indices KEYFILE holds."""
    keyfile, port0, rate, out, ready, maxsec, seed = argv
    port0, rate, maxsec = int(port0), float(rate), float(maxsec)
    wfrac = int(E["WRITE_PCT"]) / 100.0
    idx = array.array("l")
    with open(keyfile, "rb") as f:
        idx.frombytes(f.read())
    if not idx:
        die("loadgen: no keys in %s" % keyfile)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    slot_port = [port0] * NSLOTS
    conns = {}
    st = dict(ops=0, gets=0, sets=0, moved=0, ask=0, tryagain=0, reconnects=0, errors=0, missing=0,
              wrong=0, first_error="")
    ts, lat = array.array("q"), array.array("q")
    rnd = random.Random(int(seed))
    asking = resp("ASKING")
    interval = int(1e9 / rate) if rate > 0 else 0
    open(ready, "w").close()
    deadline = mono() + int(maxsec * 1e9)
    next_t = mono()
    while not stop[0]:
        now = mono()
        if now > deadline:
            break
        if interval:
            if now < next_t:
                # oversleep by 4 ms and then catch up: a few requests per wake-up instead of one
                # (each sleep costs this Python client as much CPU as a request)
                time.sleep((next_t - now + 4_000_000) / 1e9)
                continue
            # no catch-up burst after a stall longer than 10 ms: the lost requests stay lost
            next_t = max(next_t + interval, now - 10_000_000)
        i = idx[rnd.randrange(len(idx))]
        k = key(i)
        s = slot(k)
        is_set = rnd.random() < wfrac
        if is_set:
            v = value(i)
            req = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v)
        else:
            req = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k)
        port, ask, tries = slot_port[s], False, 0
        t0 = mono()
        while True:
            tries += 1
            if tries > 50:
                st["errors"] += 1
                st["first_error"] = st["first_error"] or "too many redirects/retries for %r" % k
                break
            c = conns.get(port)
            try:
                if c is None:
                    c = conns[port] = Conn(port, timeout=120)
                if ask:
                    c.s.sendall(asking + req)
                    c.read()
                else:
                    c.s.sendall(req)
                r = c.read()
            except (OSError, ConnectionError, ValueError) as e:
                conns.pop(port, None)
                st["reconnects"] += 1
                st["first_error"] = st["first_error"] or "connection: %s" % e
                time.sleep(0.01)
                continue
            ask = False
            if isinstance(r, tuple) and r[0] == "-":
                msg = r[1]
                if msg.startswith(b"MOVED ") or msg.startswith(b"ASK "):
                    _, sl, addr = msg.split()
                    port = int(addr.rsplit(b":", 1)[1])
                    if msg.startswith(b"MOVED "):
                        slot_port[int(sl)] = port
                        st["moved"] += 1
                    else:
                        ask = True
                        st["ask"] += 1
                    continue
                if msg.startswith((b"TRYAGAIN", b"LOADING", b"CLUSTERDOWN")):
                    st["tryagain"] += 1
                    time.sleep(0.001)
                    continue
                st["errors"] += 1
                st["first_error"] = st["first_error"] or msg[:200].decode(errors="replace")
                break
            if is_set:
                if r != ("+", b"OK"):
                    st["errors"] += 1
                    st["first_error"] = st["first_error"] or "SET -> %r" % (r,)
            elif r is None:
                st["missing"] += 1
                st["first_error"] = st["first_error"] or "GET %s -> nil" % k.decode()
            elif r != value(i):
                st["wrong"] += 1
                st["first_error"] = st["first_error"] or "GET %s -> %r" % (k.decode(), r[:80])
            break
        t1 = mono()
        ts.append(t1)
        lat.append(t1 - t0)
        st["ops"] += 1
        st["sets" if is_set else "gets"] += 1
    try:
        with open(out, "wb") as f:
            f.write(len(ts).to_bytes(8, "little"))
            ts.tofile(f)
            lat.tofile(f)
        with open(out + ".json", "w") as f:
            json.dump(st, f)
    except OSError:
        sys.exit(1)  # the work dir is gone: the script is exiting


_LIBC = ctypes.CDLL(None)


def _pdeathsig():  # in the child before exec: SIGTERM when the helper dies
    _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Load:
    """LOAD_CONNS load processes per group (migrating slots / other slots), each with its own
    connection(s) and LOAD_RATE / LOAD_CONNS req/s; every request is first sent to port0."""

    GROUPS = ("mig", "other")

    def __init__(self, name, port0, keys):
        self.on = E["LOAD"] == "on"
        self.procs = {}  # (group, j) -> (Popen, out file)
        if not self.on:
            return
        wd = E["WORK_DIR"]
        conns = int(E["LOAD_CONNS"])
        rate = float(E["LOAD_RATE"]) / conns
        readies = []
        for g in self.GROUPS:
            keyfile = os.path.join(wd, "keys-%s.bin" % g)
            with open(keyfile, "wb") as f:
                f.write(keys[g].tobytes())
            for j in range(conns):
                out = os.path.join(wd, "load-%s-%s-%d.bin" % (name, g, j))
                ready = out + ".ready"
                readies.append(ready)
                p = subprocess.Popen([sys.executable, __file__, "loadgen", keyfile, str(port0), str(rate), out, ready,
                                      "3600", str(len(self.procs) + 1)], preexec_fn=_pdeathsig)
                self.procs[(g, j)] = (p, out)
        t_end = time.monotonic() + 120
        while not all(os.path.exists(r) for r in readies):
            self.alive()
            if time.monotonic() > t_end:
                die("load processes did not start")
            time.sleep(0.02)
        time.sleep(0.5)  # warm-up: connections made, slot maps learnt
        log("%s: load running (%d x %d processes, %s, %s%% SET)" % (
            name, len(self.GROUPS), conns, "%s req/s per group" % E["LOAD_RATE"] if rate else "no rate cap",
            E["WRITE_PCT"]))

    def pids(self):
        return {"load-%s-%d" % k: p.pid for k, (p, _) in self.procs.items()}

    def alive(self):
        for k, (p, _) in self.procs.items():
            if p.poll() is not None:
                die("load process %s-%d died (rc %s)" % (k[0], k[1], p.returncode))

    def stop(self):
        """-> {group: [(ts_end, lat, stats) per process]}"""
        out = {g: [] for g in self.GROUPS}
        for p, _ in self.procs.values():
            p.send_signal(signal.SIGTERM)
        for (g, j), (p, f_out) in self.procs.items():
            try:
                rc = p.wait(timeout=150)
            except subprocess.TimeoutExpired:
                p.kill()
                die("load process %s-%d did not stop" % (g, j))
            if rc != 0:
                die("load process %s-%d failed (rc %d)" % (g, j, rc))
            with open(f_out, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                ts, lat = array.array("q"), array.array("q")
                ts.fromfile(f, n)
                lat.fromfile(f, n)
            with open(f_out + ".json") as f:
                out[g].append((ts, lat, json.load(f)))
        return out


def window_stats(procs, windows):
    """ops/s completed inside the windows, latency (us) of requests overlapping them; procs: the
    (ts_end, lat, stats) of each load process of a group."""
    done, dur, lats = 0, 0, []
    for a, b in windows:
        dur += b - a
        for ts, lat, _ in procs:
            lo, hi = bisect.bisect_left(ts, a), bisect.bisect_right(ts, b)
            done += hi - lo
            lats.extend(lat[lo:hi])
            if hi < len(ts) and ts[hi] - lat[hi] <= b:  # the one request that straddles the end
                lats.append(lat[hi])
    lats.sort()
    us = lambda v: v / 1000.0
    return dict(ops_s=done / (dur / 1e9) if dur else float("nan"), n=len(lats), p50_us=us(pct(lats, 50)),
                p99_us=us(pct(lats, 99)), max_us=us(lats[-1]) if lats else float("nan"))


def sched_ns(pid):
    """(cpu, run-queue wait) nanoseconds summed over the process's threads (/proc/*/schedstat)."""
    cpu = wait = 0
    d = "/proc/%d/task" % pid
    for t in os.listdir(d):
        try:
            with open("%s/%s/schedstat" % (d, t)) as f:
                a = f.read().split()
            cpu += int(a[0])
            wait += int(a[1])
        except (OSError, IndexError, ValueError):
            pass  # a thread that just exited
    return cpu, wait


def machine_ns(steal):
    """From /proc/stat: busy CPU time of the whole machine (all cores; user nice system irq softirq),
    or the time the hypervisor took away (steal); no wait figure."""
    with open("/proc/stat") as f:
        a = [int(x) for x in f.readline().split()[1:]]
    v = a[7] if steal else a[0] + a[1] + a[2] + a[5] + a[6]
    return v * 1_000_000_000 // os.sysconf("SC_CLK_TCK"), 0


def kthreads_ns():
    """CPU time of the kernel's threads (ksoftirqd, kworkers: children of kthreadd, pid 2)."""
    cpu = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            if st[st.rindex(")") + 2:].split()[1] != "2":  # ppid
                continue
            with open("/proc/%s/schedstat" % d) as f:
                cpu += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return cpu, 0


class CpuWatch:
    """CPU time and run-queue wait of named processes, summed over windows (start()/end())."""

    def __init__(self, pids):
        self.pids = dict(pids, controller=os.getpid(), machine=0, steal=-1, kthreads=-2)
        self.acc = {}  # window name -> [ns, {proc: [cpu, wait]}]

    @staticmethod
    def _get(pid):
        if pid == -2:
            return kthreads_ns()
        return sched_ns(pid) if pid > 0 else machine_ns(pid < 0)

    def start(self):
        return mono(), {n: self._get(p) for n, p in self.pids.items()}

    def end(self, window, snap):
        t0, s0 = snap
        a = self.acc.setdefault(window, [0, {n: [0, 0] for n in self.pids}])
        a[0] += mono() - t0
        for n, p in self.pids.items():
            c, w = self._get(p)
            a[1][n][0] += c - s0[n][0]
            a[1][n][1] += w - s0[n][1]

    def summary(self):
        """{window: {proc: {"cpu": share of one core, "wait": share of the window}}}"""
        return {w: {n: {"cpu": c / ns, "wait": wt / ns} for n, (c, wt) in procs.items()}
                for w, (ns, procs) in self.acc.items() if ns}


def load_summary(load_data, before, during):
    out = {}
    for g, procs in load_data.items():
        stats = {}
        for _, _, st in procs:
            for k, v in st.items():
                stats[k] = (stats.get(k) or v) if isinstance(v, str) else stats.get(k, 0) + v
        out[g] = dict(before=window_stats(procs, [before]), during=window_stats(procs, during), stats=stats)
    return out


def group_payload(keys):
    """(keys, key+value bytes) in the moving slots: what a migration has to move."""
    return len(keys["mig"]), sum(len(key(i)) + VSIZE for i in keys["mig"])


# ---- Darner --------------------------------------------------------------------------------
def darner_config(pa, pb, owner, migrate_to=None):
    """owner of MOVE: 'A' or 'B'; A always owns REST; migrate_to: move MOVE from owner to it."""
    nodes = {"A": pa, "B": pb}
    ranges = {"A": [REST] + ([MOVE] if owner == "A" else []), "B": [MOVE] if owner == "B" else []}
    shards = []
    for n in ("A", "B"):
        sh = {"slot_ranges": [{"start": a, "end": b} for a, b in ranges[n]],
              "master": {"id": n, "ip": "127.0.0.1", "port": nodes[n]}, "replicas": []}
        if migrate_to and n == owner:
            sh["migrations"] = [{"node_id": migrate_to, "ip": "127.0.0.1", "port": nodes[migrate_to],
                                 "slot_ranges": [{"start": MOVE[0], "end": MOVE[1]}]}]
        shards.append(sh)
    return json.dumps(shards)


def status_row(c):
    rows = c.cmd("DFLYCLUSTER", "SLOT-MIGRATION-STATUS")
    if not isinstance(rows, list):
        die("SLOT-MIGRATION-STATUS on port %d -> %r" % (c.port, rows))
    if len(rows) > 1:
        die("SLOT-MIGRATION-STATUS on port %d lists %d migrations: %r" % (c.port, len(rows), rows))
    return rows[0] if rows else None


def cmd_darner(argv):
    pa, pb, pida, pidb, out_json = argv
    pa, pb = int(pa), int(pb)
    rounds, cancels = int(E["ROUNDS"]), int(E["CANCEL_ROUNDS"])
    timeout = int(E["MIGRATION_TIMEOUT"])
    gap = float(E["GAP_SECONDS"])
    node = {"A": (Conn(pa), int(pida)), "B": (Conn(pb), int(pidb))}
    ca, cb = node["A"][0], node["B"][0]
    cfg0 = darner_config(pa, pb, "A")
    cb.ok("DFLYCLUSTER", "CONFIG", cfg0)
    ca.ok("DFLYCLUSTER", "CONFIG", cfg0)
    t = mono()
    ca.ok("DEBUG", "POPULATE", COUNT, "key", VSIZE)
    if ca.dbsize() != COUNT or cb.dbsize() != 0:
        die("after DEBUG POPULATE: DBSIZE A %r, B %r (want %d, 0)" % (ca.dbsize(), cb.dbsize(), COUNT))
    log("darner: DEBUG POPULATE %d key %d in %.2f s" % (COUNT, VSIZE, (mono() - t) / 1e9))
    keys = group_keys()
    want_keys, payload = group_payload(keys)
    anomalies = []

    load = Load("darner", pa, keys)
    cpu = CpuWatch(dict(A=int(pida), B=int(pidb), **load.pids()))
    snap = cpu.start()
    b0 = mono()
    time.sleep(float(E["BEFORE_SECONDS"]))
    before = (b0, mono())
    cpu.end("before", snap)

    owner = "A"
    res_rounds, during = [], []
    for r in range(1, rounds + 1):
        src, dst = owner, ("B" if owner == "A" else "A")
        (cs, pid_s), (cd, _) = node[src], node[dst]
        cfg_open = darner_config(pa, pb, src, migrate_to=dst)
        cfg_close = darner_config(pa, pb, dst)
        rss_before = vmrss_kb(pid_s)
        sampler = RssSampler(pid_s)
        snap = cpu.start()
        t0 = mono()
        cd.ok("DFLYCLUSTER", "CONFIG", cfg_open)
        cs.ok("DFLYCLUSTER", "CONFIG", cfg_open)
        states, errors = [], set()
        deadline = t0 + timeout * 1_000_000_000
        while True:
            row = status_row(cs)
            if row is not None:
                st = row[2].decode()
                if not states or states[-1] != st:
                    states.append(st)
                if row[4] not in (b"0", b""):
                    errors.add(row[4].decode(errors="replace"))
                if st == "FINISHED":
                    break
                if st == "FATAL":
                    die("round %d: migration %s->%s FATAL: %r" % (r, src, dst, row))
            if mono() > deadline:
                die("round %d: migration %s->%s not FINISHED after %d s; last row %r" % (r, src, dst, timeout, row))
            load.alive()
            time.sleep(0.005)
        t_fin = mono()
        while (drow := status_row(cd)) is None or drow[2] != b"FINISHED":
            if mono() > t_fin + 10_000_000_000:
                die("round %d: target %s not FINISHED 10 s after the source: %r" % (r, dst, drow))
            time.sleep(0.002)
        inf = cs.info("cluster")
        cd.ok("DFLYCLUSTER", "CONFIG", cfg_close)
        cs.ok("DFLYCLUSTER", "CONFIG", cfg_close)
        t_close = mono()
        cpu.end("during", snap)
        peak = sampler.stop()
        during.append((t0, t_close))
        keys = int(row[3])
        if keys != want_keys:
            anomalies.append("round %d: status row reports %d keys moved, the slots hold %d" % (r, keys, want_keys))
        if errors:
            anomalies.append("round %d: status row error field: %s" % (r, "; ".join(sorted(errors))))
        if int(inf.get("migration_errors_total", "0")):
            anomalies.append("round %d: migration_errors_total %s on %s" % (r, inf["migration_errors_total"], src))
        na, nb = ca.dbsize(), cb.dbsize()
        if na + nb != COUNT:
            die("round %d: DBSIZE A %d + B %d != %d" % (r, na, nb, COUNT))
        rr = dict(round=r, src=src, dst=dst, keys=keys, secs=(t_close - t0) / 1e9, fin_secs=(t_fin - t0) / 1e9,
                  close_ms=(t_close - t_fin) / 1e6, out_bytes=int(inf["migration_out_bytes"]),
                  pause_us=int(inf["migration_last_pause_us"]), rss_before_kb=rss_before, rss_peak_kb=peak,
                  states=states)
        res_rounds.append(rr)
        log("darner round %d %s->%s: %d keys, FINISHED after %.3f s, closed after %.3f s (%.0f keys/s), "
            "%.1f MB streamed, pause %.2f ms, source RSS %.1f -> peak %.1f MiB, states %s" % (
                r, src, dst, keys, rr["fin_secs"], rr["secs"], keys / rr["secs"], rr["out_bytes"] / 1e6,
                rr["pause_us"] / 1e3, rss_before / 1024, peak / 1024, "->".join(states)))
        owner = dst
        time.sleep(gap)

    fastest = min(x["fin_secs"] for x in res_rounds) if res_rounds else 1.0
    delay = min(int(E["CANCEL_AFTER_MS"]) / 1000.0, fastest / 3)
    res_cancels = []
    for r in range(1, cancels + 1):
        src, dst = owner, ("B" if owner == "A" else "A")
        (cs, _), (cd, _) = node[src], node[dst]
        cfg_before = darner_config(pa, pb, src)
        cfg_open = darner_config(pa, pb, src, migrate_to=dst)
        ns0, nd0 = cs.dbsize(), cd.dbsize()
        cd.ok("DFLYCLUSTER", "CONFIG", cfg_open)
        cs.ok("DFLYCLUSTER", "CONFIG", cfg_open)
        time.sleep(delay)
        row = status_row(cs)
        state = row[2].decode() if row else "none"
        if state == "FINISHED":  # too late to cancel: complete it instead
            while (drow := status_row(cd)) is None or drow[2] != b"FINISHED":
                time.sleep(0.002)
            cfg_close = darner_config(pa, pb, dst)
            cd.ok("DFLYCLUSTER", "CONFIG", cfg_close)
            cs.ok("DFLYCLUSTER", "CONFIG", cfg_close)
            owner = dst
            anomalies.append("cancel %d: the migration had FINISHED %.0f ms after the push; nothing to cancel "
                             "(the next cancel waits half as long; use more keys)" % (r, delay * 1e3))
            delay /= 2
            time.sleep(gap)
            continue
        t0 = mono()
        cs.ok("DFLYCLUSTER", "CONFIG", cfg_before)
        t1 = mono()
        cd.ok("DFLYCLUSTER", "CONFIG", cfg_before)
        t2 = mono()
        stop_src = int(cs.info("cluster")["migration_last_stop_us"])
        stop_dst = int(cd.info("cluster")["migration_last_stop_us"])
        if status_row(cs) is not None or status_row(cd) is not None:
            die("cancel %d: a migration is still listed after the cancel" % r)
        t_end = time.monotonic() + 10
        while cs.dbsize() != ns0 or cd.dbsize() != nd0:
            if time.monotonic() > t_end:
                die("cancel %d: DBSIZE %s %d, %s %d after the cancel (want %d, %d)" % (
                    r, src, cs.dbsize(), dst, cd.dbsize(), ns0, nd0))
            time.sleep(0.01)
        rc = dict(cancel=r, src=src, dst=dst, after_ms=delay * 1e3, state=state, keys_at_cancel=int(row[3]) if row else 0,
                  stop_src_us=stop_src, stop_dst_us=stop_dst, push_src_ms=(t1 - t0) / 1e6, push_dst_ms=(t2 - t1) / 1e6)
        res_cancels.append(rc)
        log("darner cancel %d %s->%s after %.0f ms (%s, %d keys sent): stop/join source %d us, target %d us; "
            "config push source %.2f ms, target %.2f ms" % (r, src, dst, delay * 1e3, state, rc["keys_at_cancel"],
                                                          stop_src, stop_dst, rc["push_src_ms"], rc["push_dst_ms"]))
        time.sleep(gap)

    load_data = load.stop() if load.on else {}
    # every key is where the config says, with its original value
    rnd = random.Random(7)
    owner_conn = {True: node[owner][0], False: ca}
    bad = 0
    for i in rnd.sample(range(COUNT), min(COUNT, 2000)):
        k = key(i)
        if owner_conn[moving(slot(k))].cmd("GET", k) != value(i):
            bad += 1
    if bad:
        die("darner: %d of 2000 sampled keys are missing or wrong on their owner after the run" % bad)
    if ca.dbsize() + cb.dbsize() != COUNT:
        die("darner: DBSIZE A %d + B %d != %d at the end" % (ca.dbsize(), cb.dbsize(), COUNT))
    res = dict(system="darner", count=COUNT, vsize=VSIZE, slots=SLOTS, want_keys=want_keys, payload=payload,
               rounds=res_rounds, cancels=res_cancels, anomalies=anomalies, cpu=cpu.summary(),
               load=load_summary(load_data, before, during) if load_data else None)
    with open(out_json, "w") as f:
        json.dump(res, f)


# ---- Redis ---------------------------------------------------------------------------------
def cmd_gen(argv):  # RESP SET stream of the DEBUG POPULATE data set on stdout
    out = sys.stdout.buffer
    chunk = []
    for i in range(COUNT):
        k, v = key(i), value(i)
        chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
        if len(chunk) >= 20000:
            out.write(b"".join(chunk))
            chunk = []
    out.write(b"".join(chunk))
    out.flush()


def cluster_ok(c):
    r = c.cmd("CLUSTER", "INFO")
    text = r.decode() if isinstance(r, bytes) else ""
    return "cluster_state:ok" in text and "cluster_known_nodes:2" in text


def cmd_redis(argv):
    pa, pb, busb, pida, pidb, out_json = argv
    pa, pb, pida, pidb = int(pa), int(pb), int(pida), int(pidb)
    cli = E["REDIS_CLI"]
    ca, cb = Conn(pa), Conn(pb)
    ca.ok("CLUSTER", "ADDSLOTSRANGE", 0, NSLOTS - 1)
    ca.ok("CLUSTER", "MEET", "127.0.0.1", pb, busb)
    t_end = time.monotonic() + int(E["CLUSTER_TIMEOUT"])
    while True:
        if cluster_ok(ca) and cluster_ok(cb):
            chk = subprocess.run([cli, "--cluster", "check", "127.0.0.1:%d" % pa], capture_output=True, text=True)
            if chk.returncode == 0 and "[ERR]" not in chk.stdout and "All nodes agree" in chk.stdout:
                break
        if time.monotonic() > t_end:
            die("redis: the two nodes did not agree on the cluster config in %s s" % E["CLUSTER_TIMEOUT"])
        time.sleep(0.2)
    t = mono()
    gen = subprocess.Popen([sys.executable, __file__, "gen"], stdout=subprocess.PIPE, preexec_fn=_pdeathsig)
    pipe = subprocess.run([cli, "-h", "127.0.0.1", "-p", str(pa), "--pipe"], stdin=gen.stdout,
                          capture_output=True, text=True, preexec_fn=_pdeathsig)
    gen.stdout.close()
    if gen.wait() != 0 or pipe.returncode != 0 or ("errors: 0, replies: %d" % COUNT) not in pipe.stdout:
        die("redis: loading the keys failed: %s %s" % (pipe.stdout[-500:], pipe.stderr[-500:]))
    if ca.dbsize() != COUNT:
        die("redis: DBSIZE %r after the load, want %d" % (ca.dbsize(), COUNT))
    log("redis: loaded %d keys through redis-cli --pipe in %.2f s" % (COUNT, (mono() - t) / 1e9))
    keys = group_keys()
    want_keys, payload = group_payload(keys)
    ida, idb = ca.cmd("CLUSTER", "MYID").decode(), cb.cmd("CLUSTER", "MYID").decode()

    load = Load("redis", pa, keys)
    cpu = CpuWatch(dict(A=pida, B=pidb, **load.pids()))
    snap = cpu.start()
    b0 = mono()
    time.sleep(float(E["BEFORE_SECONDS"]))
    before = (b0, mono())
    cpu.end("before", snap)
    rss_before = vmrss_kb(pida)
    sampler = RssSampler(pida)
    cmd = [cli, "--cluster", "reshard", "127.0.0.1:%d" % pa, "--cluster-from", ida, "--cluster-to", idb,
           "--cluster-slots", str(SLOTS), "--cluster-yes", "--cluster-pipeline", E["RESHARD_PIPELINE"]]
    log("redis: " + " ".join(cmd[:1] + cmd[1:]))
    outf = os.path.join(E["WORK_DIR"], "reshard.out")
    snap = cpu.start()
    c0 = os.times()
    t0 = mono()
    with open(outf, "w") as f:
        try:
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=int(E["RESHARD_TIMEOUT"]),
                                preexec_fn=_pdeathsig).returncode
        except subprocess.TimeoutExpired:
            die("redis: reshard did not finish within %s s" % E["RESHARD_TIMEOUT"])
    t1 = mono()
    c1 = os.times()
    cpu.end("during", snap)
    peak = sampler.stop()
    cli_cpu = (c1.children_user + c1.children_system - c0.children_user - c0.children_system) / ((t1 - t0) / 1e9)
    text = open(outf, errors="replace").read()
    if rc != 0 or "[ERR]" in text:
        die("redis: reshard failed (rc %d): %s" % (rc, text[-1500:]))
    load_data = load.stop() if load.on else {}
    na, nb = ca.dbsize(), cb.dbsize()
    if na + nb != COUNT:
        die("redis: DBSIZE A %d + B %d != %d after the reshard" % (na, nb, COUNT))
    nodes = cb.cmd("CLUSTER", "NODES").decode()
    bline = [l for l in nodes.splitlines() if "myself" in l][0]
    want_ranges = "%d-%d" % MOVE if MOVE[0] != MOVE[1] else str(MOVE[0])
    if bline.split()[8:] != [want_ranges]:
        die("redis: B owns %r after the reshard, expected %s" % (bline.split()[8:], want_ranges))
    rnd = random.Random(7)
    bad = 0
    for i in rnd.sample(range(COUNT), min(COUNT, 2000)):
        k = key(i)
        if (cb if moving(slot(k)) else ca).cmd("GET", k) != value(i):
            bad += 1
    if bad:
        die("redis: %d of 2000 sampled keys are missing or wrong on their owner" % bad)
    secs = (t1 - t0) / 1e9
    log("redis: reshard of %d slots moved %d keys in %.2f s (%.0f keys/s); source RSS %.1f -> peak %.1f MiB" % (
        SLOTS, nb, secs, nb / secs, rss_before / 1024, peak / 1024))
    cpu_summary = cpu.summary()
    cpu_summary["during"]["redis-cli"] = {"cpu": cli_cpu, "wait": 0.0}
    res = dict(system="redis", count=COUNT, vsize=VSIZE, slots=SLOTS, want_keys=want_keys, payload=payload,
               keys=nb, secs=secs, rss_before_kb=rss_before, rss_peak_kb=peak, anomalies=[], cpu=cpu_summary,
               load=load_summary(load_data, before, [(t0, t1)]) if load_data else None)
    with open(out_json, "w") as f:
        json.dump(res, f)


# ---- report --------------------------------------------------------------------------------
def cmd_report(argv):
    d = json.load(open(argv[0])) if argv[0] != "-" and os.path.exists(argv[0]) else None
    rd = json.load(open(argv[1])) if argv[1] != "-" and os.path.exists(argv[1]) else None
    verdicts, problems = [], []
    ref = d or rd
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    mb = 1e6
    print()
    print("Slot migration: 2 nodes, %s keys key:<n> with %d-byte values; slots %d-%d (%d of 16384, %s keys, "
          "%.1f MB of keys+values) move" % (f"{ref['count']:,}", ref["vsize"], MOVE[0], MOVE[1], ref["slots"],
                                            f"{ref['want_keys']:,}", ref["payload"] / mb))
    if E["LOAD"] == "on":
        print("Load: %s closed-loop Python client processes on the migrating slots and as many on the others, one "
              "request in flight each, %s, %s%% SET / %d%% GET" % (
                  E["LOAD_CONNS"], "at most %s req/s per group" % E["LOAD_RATE"] if E["LOAD_RATE"] != "0"
                  else "no rate cap", E["WRITE_PCT"], 100 - int(E["WRITE_PCT"])))
    else:
        print("Load: off")
    print("darner: 2 x Darner --cluster_mode=yes --proactor_threads=%s; %d migration(s) alternating A->B, B->A "
          "(keys/s: median)" % (E["DARNER_THREADS"], len(d["rounds"])) if d else "darner: not run")
    print("redis:  2 x redis-server --cluster-enabled yes; redis-cli --cluster reshard --cluster-slots %d "
          "--cluster-pipeline %s, once" % (ref["slots"], E["RESHARD_PIPELINE"]) if rd else "redis: not run")
    print()
    hdr = f"{'system':<7} {'slots':>6} {'keys moved':>11} {'seconds':>8} {'keys/s':>11} {'MB/s data':>10} {'MB/s wire':>10}"
    print(hdr)
    print("-" * len(hdr))
    dk = rk = None
    if d and d["rounds"]:
        rs = d["rounds"]
        i_med = sorted(range(len(rs)), key=lambda i: rs[i]["keys"] / rs[i]["secs"])[len(rs) // 2]
        m = rs[i_med]
        dk = m["keys"] / m["secs"]
        print(f"{'darner':<7} {d['slots']:>6} {m['keys']:>11,} {m['secs']:>8.3f} {dk:>11,.0f} "
              f"{d['payload'] / m['secs'] / mb:>10.1f} {m['out_bytes'] / m['secs'] / mb:>10.1f}")
        r1 = rs[0]
        print(f"{'  (1st)':<7} {'':>6} {r1['keys']:>11,} {r1['secs']:>8.3f} {r1['keys'] / r1['secs']:>11,.0f} "
              f"{d['payload'] / r1['secs'] / mb:>10.1f} {r1['out_bytes'] / r1['secs'] / mb:>10.1f}")
    if rd:
        rk = rd["keys"] / rd["secs"]
        print(f"{'redis':<7} {rd['slots']:>6} {rd['keys']:>11,} {rd['secs']:>8.3f} {rk:>11,.0f} "
              f"{rd['payload'] / rd['secs'] / mb:>10.1f} {'n/a':>10}")
    print()
    print("seconds: Darner from the opening config push to the closing push's reply (FINISHED comes a few ms "
          "earlier);")
    print("redis-cli's wall time. MB/s data = key+value bytes of the moved keys / s; wire = Darner's "
          "migration_out_bytes / s.")
    if dk and rk:
        ratio = dk / rk
        ok = ratio >= 20
        verdicts.append(("keys/s Darner / redis-cli reshard", f"{ratio:.1f}x", ">= 20x", ok))
    if d and d["rounds"]:
        pauses = sorted(x["pause_us"] / 1e3 for x in d["rounds"])
        print()
        print(f"Darner finalization pause over {len(pauses)} migration(s): median {med(pauses):.2f} ms, "
              f"p99 {pct(pauses, 99):.2f} ms, max {pauses[-1]:.2f} ms (p99 = nearest rank: the max below 100 rounds)")
        verdicts.append(("Darner finalization pause p99", f"{pct(pauses, 99):.2f} ms", "< 10 ms", pct(pauses, 99) < 10))
        ratios = [(x["rss_peak_kb"] / x["rss_before_kb"], x) for x in d["rounds"]]
        worst = max(ratios, key=lambda t: t[0])
        r1 = d["rounds"][0]
        print(f"Darner source VmRSS: round 1 (A->B) {r1['rss_before_kb'] / 1024:.1f} MiB before, peak "
              f"{r1['rss_peak_kb'] / 1024:.1f} MiB ({r1['rss_peak_kb'] / r1['rss_before_kb']:.3f}x); worst round "
              f"{worst[1]['round']} ({worst[1]['src']}->{worst[1]['dst']}) {worst[0]:.3f}x")
        verdicts.append(("Darner source peak RSS / before (worst round)", f"{worst[0]:.3f}x", "<= 1.2x", worst[0] <= 1.2))
    if rd:
        print(f"redis source VmRSS: {rd['rss_before_kb'] / 1024:.1f} MiB before, peak {rd['rss_peak_kb'] / 1024:.1f} "
              f"MiB ({rd['rss_peak_kb'] / rd['rss_before_kb']:.3f}x)")
    if d:
        cs = d["cancels"]
        if cs:
            ss, ts = sorted(c["stop_src_us"] for c in cs), sorted(c["stop_dst_us"] for c in cs)
            ps = sorted(c["push_src_ms"] + c["push_dst_ms"] for c in cs)
            print(f"Darner cancel ({len(cs)}x, {cs[0]['after_ms']:.0f} ms into a migration, states "
                  f"{','.join(sorted(set(c['state'] for c in cs)))}): stop/join source median {med(ss):.0f} us, max "
                  f"{ss[-1]} us; target median {med(ts):.0f} us, max {ts[-1]} us; cancelling pushes (both) median "
                  f"{med(ps):.2f} ms, max {ps[-1]:.2f} ms")
        elif int(E["CANCEL_ROUNDS"]):
            print("Darner cancel: not measured (every migration finished before the cancel)")
    print()
    systems = [x for x in (d, rd) if x and x.get("load")]
    if systems:
        print("Client load: ops/s and latency per group, before (load only) vs during the migration(s)")
        print()
        hdr = (f"{'system':<7} {'slots':<10} {'ops/s bef':>10} {'ops/s dur':>10} {'dur/bef':>8} {'p50 bef':>8} "
               f"{'p50 dur':>8} {'p99 bef':>8} {'p99 dur':>8} {'max dur':>9} {'n dur':>8} {'MOVED':>6} {'ASK':>6}")
        print(hdr)
        print("-" * len(hdr))
        for x in systems:
            for g, label in (("mig", "migrating"), ("other", "other")):
                s = x["load"][g]
                b, du, st = s["before"], s["during"], s["stats"]
                rr = du["ops_s"] / b["ops_s"] if b["ops_s"] else float("nan")
                print(f"{x['system']:<7} {label:<10} {b['ops_s']:>10,.0f} {du['ops_s']:>10,.0f} {rr:>8.3f} "
                      f"{b['p50_us'] / 1e3:>8.3f} {du['p50_us'] / 1e3:>8.3f} {b['p99_us'] / 1e3:>8.3f} {du['p99_us'] / 1e3:>8.3f} "
                      f"{du['max_us'] / 1e3:>9.2f} {du['n']:>8,} {st['moved']:>6,} {st['ask']:>6,}")
                bad = st["errors"] + st["missing"] + st["wrong"]
                if bad or st["reconnects"] or st["tryagain"]:
                    msg = (f"{x['system']} {label}: {st['errors']} errors, {st['missing']} GETs missing, "
                           f"{st['wrong']} wrong values, {st['reconnects']} reconnects, {st['tryagain']} retries; "
                           f"first: {st['first_error']}")
                    (problems if bad else x["anomalies"]).append(msg)
                if x is d and g == "other":
                    verdicts.append(("Darner other-slot ops/s during / before", f"{rr:.3f}", ">= 0.90", rr >= 0.9))
        print()
        print("latencies in ms (a request's first send to its final reply, redirects included); n dur = requests "
              "in the window")
        if d and d.get("load"):
            m = d["load"]["mig"]
            print(f"Darner migrating-slot p99 during / before: "
                  f"{m['during']['p99_us'] / m['before']['p99_us']:.2f}x; other slots: "
                  f"{d['load']['other']['during']['p99_us'] / d['load']['other']['before']['p99_us']:.2f}x")
        if rd and rd.get("load") and d and d.get("load"):
            print("p99 during, Darner / redis: migrating %.3f, other %.3f" % tuple(
                d["load"][g]["during"]["p99_us"] / rd["load"][g]["during"]["p99_us"] for g in ("mig", "other")))
        print()
    cpu_systems = [x for x in (d, rd) if x and x.get("cpu")]
    if cpu_systems:
        busy = []
        print("CPU in the windows (% of one core; 'waited' = runnable but queued for a core, % of the window;")
        print("controller = this script's poller; kernel threads = ksoftirqd, kworkers (loopback TCP work lands there);")
        print("the machine has %d cores; 'other processes' = user processes not started by this script):"
              % os.cpu_count())
        for x in cpu_systems:
            for w in ("before", "during"):
                c = x.get("cpu", {}).get(w)
                if not c:
                    continue
                ld = [v for n, v in c.items() if n.startswith("load-")]
                lds = (f"  load clients {100 * sum(v['cpu'] for v in ld):5.1f}% (waited up to "
                       f"{100 * max(v['wait'] for v in ld):4.1f}%)") if ld else ""
                print(f"  {x['system']:<7} {w:<7} node A {100 * c['A']['cpu']:5.1f}% (waited {100 * c['A']['wait']:4.1f}%)  "
                      f"node B {100 * c['B']['cpu']:5.1f}% (waited {100 * c['B']['wait']:4.1f}%){lds}")
                ours = sum(v["cpu"] for n, v in c.items() if n not in ("machine", "steal"))
                extra = "".join(f"  {n} {100 * c[n]['cpu']:4.1f}%" for n in ("controller", "redis-cli") if n in c)
                extra += f"  kernel threads {100 * c['kthreads']['cpu']:4.1f}%"
                foreign = max(0.0, c["machine"]["cpu"] - ours)
                steal = c["steal"]["cpu"]
                print(f"  {'':<7} {'':<7} {extra.strip()}  machine busy {100 * c['machine']['cpu']:5.1f}% of one core,"
                      f" {100 * foreign:5.1f}% of it by other processes; steal {100 * steal:4.1f}%")
                if foreign > 0.25:
                    busy.append(f"{x['system']} {w}: {100 * foreign:.0f}%")
                if steal > 0.25:
                    busy.append(f"{x['system']} {w}: hypervisor steal {100 * steal:.0f}%")
        if busy:
            print("WARNING: processes this script did not start (or the hypervisor) took more than 25% of a core ("
                  + ", ".join(busy) + "); the figures are disturbed: rerun on an idle machine.")
        print()
    if verdicts:
        print("Targets")
        print()
        hdr = f"{'target':<48} {'value':>10} {'wanted':>8}  result"
        print(hdr)
        print("-" * len(hdr))
        for name, val, want_, ok in verdicts:
            print(f"{name:<48} {val:>10} {want_:>8}  {'PASS' if ok else 'FAIL'}")
        print()
    for x in (d, rd):
        if x:
            for a in x["anomalies"]:
                print(f"note ({x['system']}): {a}")
    for p in problems:
        print(f"DATA ERROR: {p}")
    if problems:
        sys.exit(2)
    if E["STRICT"] == "1" and any(not v[3] for v in verdicts):
        sys.exit(3)


if __name__ == "__main__":
    {"loadgen": cmd_loadgen, "darner": cmd_darner, "gen": cmd_gen, "redis": cmd_redis,
     "report": cmd_report}[sys.argv[1]](sys.argv[2:])
PYEOF

log "COUNT=$COUNT VALUE_SIZE=$VALUE_SIZE SLOTS=$SLOTS ROUNDS=$ROUNDS CANCEL_ROUNDS=$CANCEL_ROUNDS LOAD=$LOAD LOAD_RATE=$LOAD_RATE LOAD_CONNS=$LOAD_CONNS WRITE_PCT=$WRITE_PCT SYSTEMS='$SYSTEMS'"

DARNER_JSON=-
REDIS_JSON=-

# The helper runs in the background and is waited for, so that a signal runs the cleanup trap at
# once (a foreground child would delay it); the trap then stops the helper too, and its load
# processes follow (PR_SET_PDEATHSIG).
run_helper() {
  "$PY" "$HELPER" "$@" &
  local pid=$!
  STARTED_PIDS=("$pid" "${STARTED_PIDS[@]}")  # stopped before the servers
  wait "$pid"
}

# ---- Darner ----------------------------------------------------------------------------------
if want darner; then
  read -r -a ports <<<"$(free_ports 2)"
  # shellcheck disable=SC2086
  start_server darner-A "${ports[0]}" "$DARNER_BIN" --port="${ports[0]}" --bind="$HOST" \
    --proactor_threads="$DARNER_THREADS" --cluster_mode=yes --cluster_node_id=A ${DARNER_ARGS:-}
  pid_a=$SERVER_PID
  # shellcheck disable=SC2086
  start_server darner-B "${ports[1]}" "$DARNER_BIN" --port="${ports[1]}" --bind="$HOST" \
    --proactor_threads="$DARNER_THREADS" --cluster_mode=yes --cluster_node_id=B ${DARNER_ARGS:-}
  pid_b=$SERVER_PID
  DARNER_JSON="$WORK_DIR/darner.json"
  run_helper darner "${ports[0]}" "${ports[1]}" "$pid_a" "$pid_b" "$DARNER_JSON" || {
    assert_alive darner-A "$pid_a"; assert_alive darner-B "$pid_b"
    for n in A B; do log "darner-$n log tail:"; tail -n 8 "$WORK_DIR/darner-$n.log" >&2 || true; done
    die "Darner migration run failed (KEEP_WORKDIR=1 keeps the logs)"; }
  assert_alive darner-A "$pid_a"
  assert_alive darner-B "$pid_b"
  stop_pid "$pid_a"
  stop_pid "$pid_b"
  [[ -z "$RESULTS_FILE" ]] || cp "$DARNER_JSON" "$RESULTS_FILE.darner"
fi

# ---- Redis -----------------------------------------------------------------------------------
if want redis; then
  read -r -a ports <<<"$(free_ports 4)"
  for i in 0 1; do
    # shellcheck disable=SC2086
    start_server "redis-$i" "${ports[$i]}" "$REDIS_SERVER" --port "${ports[$i]}" --bind "$HOST" --save '' \
      --appendonly no --daemonize no --logfile '' --dir "$WORK_DIR" --cluster-enabled yes \
      --cluster-port "${ports[$((i + 2))]}" --cluster-config-file "$WORK_DIR/redis-$i-nodes.conf" ${REDIS_ARGS:-}
    [[ $i == 0 ]] && rpid_a=$SERVER_PID || rpid_b=$SERVER_PID
  done
  REDIS_JSON="$WORK_DIR/redis.json"
  run_helper redis "${ports[0]}" "${ports[1]}" "${ports[3]}" "$rpid_a" "$rpid_b" "$REDIS_JSON" || {
    assert_alive redis-0 "$rpid_a"; assert_alive redis-1 "$rpid_b"
    die "redis reshard run failed (KEEP_WORKDIR=1 keeps the logs and reshard.out)"; }
  assert_alive redis-0 "$rpid_a"
  assert_alive redis-1 "$rpid_b"
  stop_pid "$rpid_a"
  stop_pid "$rpid_b"
  [[ -z "$RESULTS_FILE" ]] || cp "$REDIS_JSON" "$RESULTS_FILE.redis"
fi

rc=0
"$PY" "$HELPER" report "$DARNER_JSON" "$REDIS_JSON" || rc=$?
((rc != 2)) || die "the load saw missing or wrong values (see DATA ERROR above)"
if ((rc == 3)); then log "STRICT=1: a target was missed"; exit 3; fi
((rc == 0)) || die "report failed (rc $rc)"
exit 0
