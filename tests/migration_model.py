"""A cluster driver for migration tests: a manager that owns the topology (slot owners and
migrations) and pushes it, writers that keep a model of every acknowledged write, and a
checker that compares the cluster's contents with the model.

Writers route each key by the slot map they learned (following -MOVED), so they behave like a
cluster client. Every writer owns its keys, so the model of a key is the sequence of that
writer's acknowledged writes, and its last one is what the cluster must hold: the value, and
the expiry time a `SET ... PX` gave it (kept by APPEND, cleared by a plain SET), which a
migration must carry over as it is (checked within TTL_TOLERANCE_MS). A write whose
reply never came is "uncertain": its key is left out of the checks. Only a fault the test
injected may cost a reply (the test wraps it in `Manager.fault()`: a node frozen or killed);
a lost reply on a connection no fault touched is an error of the writer, and so is any
exception that ends a writer thread (see helpers.CheckedThread).
"""
import contextlib
import json
import random
import threading
import time

from cluster_util import node, shard, slot
from helpers import CheckedThread, ConnectionClosed, RawClient

NUM_SLOTS = 16384
# How far a key's remaining TTL may be from the model's: the model knows the expiry time to
# within the write's round trip, and PTTL is read a round trip later; a lost or restarted TTL
# is off by the whole TTL or by seconds.
TTL_TOLERANCE_MS = 250


class Manager:
    """The topology of a cluster of Darner nodes, pushed with DFLYCLUSTER CONFIG."""

    def __init__(self, servers: dict, migration_ports: dict | None = None):
        self.servers = servers  # id -> ServerProcess
        self.ids = sorted(servers)
        self.migration_ports = migration_ports or {}  # id -> port migrations connect to
        self.owner = [None] * NUM_SLOTS
        per = NUM_SLOTS // len(self.ids)
        for i, nid in enumerate(self.ids):
            hi = NUM_SLOTS if i == len(self.ids) - 1 else (i + 1) * per
            for s in range(i * per, hi):
                self.owner[s] = nid
        self.migrations: dict[tuple, list] = {}  # (src, dst) -> [(a, b), ...]
        self.lock = threading.Lock()  # guards the fault counters below (writers read them)
        self.fault_epoch = 0  # bumped whenever the test starts injecting a fault
        self.faults_active = 0
        self.history = []  # (seconds, what, (src, dst), ranges)
        self.t0 = time.monotonic()

    @contextlib.contextmanager
    def fault(self, what):
        """The test injects a fault that may cost writers replies (a node frozen, killed and
        restarted) inside this block. Writers excuse a lost reply only on a connection that
        was open when a fault began, or while one is in progress."""
        with self.lock:
            self.fault_epoch += 1
            self.faults_active += 1
        self.log("fault", what)
        try:
            yield
        finally:
            with self.lock:
                self.faults_active -= 1

    def faults_since(self, epoch: int) -> bool:
        """Whether a fault is in progress or began after `fault_epoch` was `epoch`."""
        with self.lock:
            return self.faults_active > 0 or self.fault_epoch != epoch

    def log(self, what, key, ranges=None):
        self.history.append((round(time.monotonic() - self.t0, 2), what, key, ranges))

    @staticmethod
    def runs(slots):
        out = []
        for s in sorted(slots):
            if out and out[-1][1] == s - 1:
                out[-1][1] = s
            else:
                out.append([s, s])
        return [tuple(r) for r in out]

    def config(self):
        shards = []
        for nid in self.ids:
            srv = self.servers[nid]
            ranges = self.runs(s for s in range(NUM_SLOTS) if self.owner[s] == nid)
            migs = [{"node_id": dst, "ip": "127.0.0.1",
                     "port": self.migration_ports.get(dst, self.servers[dst].port),
                     "slot_ranges": [{"start": a, "end": b} for a, b in r]}
                    for (src, dst), r in sorted(self.migrations.items()) if src == nid]
            shards.append(shard(ranges, node(nid, srv.port), migrations=migs))
        return shards

    def push(self, order=None, to=None):
        text = json.dumps(self.config())
        for nid in (to or order or self.ids):
            with self.servers[nid].client(timeout=30) as c:
                reply = c.cmd_raw("DFLYCLUSTER", "CONFIG", text)
                assert reply == b"+OK\r\n", (nid, reply)

    def migrating_slots(self):
        return {s for r in self.migrations.values() for a, b in r for s in range(a, b + 1)}

    def start(self, src, dst, ranges):
        self.migrations[(src, dst)] = ranges
        self.log("start", (src, dst), ranges)

    def cancel(self, key):
        self.log("cancel", key, self.migrations.pop(key))

    def close(self, key):
        """Gives a finished migration's slots to its target and drops the entry."""
        src, dst = key
        self.log("close", key, self.migrations[key])
        for a, b in self.migrations.pop(key):
            for s in range(a, b + 1):
                self.owner[s] = dst

    def state(self, nid, peer, direction):
        with self.servers[nid].client(timeout=30) as c:
            for row in c.cmd("DFLYCLUSTER", "SLOT-MIGRATION-STATUS"):
                if row[0].decode() == direction and row[1].decode() == peer:
                    return row[2].decode()
        return None

    def finished(self, key) -> bool:
        src, dst = key
        return self.state(src, dst, "out") == "FINISHED" and self.state(dst, src, "in") == "FINISHED"

    def node_of_port(self, port):
        for nid, srv in self.servers.items():
            if srv.port == port:
                return nid
        return None


class Writer(CheckedThread):
    """Writes keys `<prefix><i>` until stopped, following MOVED like a cluster client.

    `errors` collects error replies and replies lost with no fault to excuse them (the test
    asserts it stays empty); stop writers with helpers.stop_threads, which fails if one died.
    """

    def __init__(self, manager: Manager, prefix: str, count: int, seed: int, timeout: float = 5):
        super().__init__(name=f"Writer {prefix}")
        self.manager = manager
        # Every third key shares a hash tag with others, so some slots get many keys.
        self.keys = [f"{prefix}{{{i % 17}}}{i}" if i % 3 == 0 else f"{prefix}{i}"
                     for i in range(count)]
        self.rnd = random.Random(seed)
        self.timeout = timeout
        self.model: dict[str, bytes | None] = {}
        # key -> (earliest, latest) unix ms its TTL ends at, or None for no TTL
        self.expiry: dict[str, tuple[int, int] | None] = {}
        self.uncertain: set[str] = set()
        self.acked = 0
        self.errors: list = []
        self.port_of_slot = {}
        # port -> (client, the manager's fault_epoch when it connected)
        self.clients: dict[int, tuple[RawClient, int]] = {}

    def taint(self, slots):
        """Keys of `slots` leave the checks (their node died with them)."""
        for k in self.keys:
            if slot(k) in slots:
                self.uncertain.add(k)

    def port_for(self, s):
        port = self.port_of_slot.get(s)
        if port is None:
            port = self.manager.servers[self.manager.owner[s]].port
        return port

    def work(self):
        try:
            self.write_until_stopped()
        finally:
            for c, _ in self.clients.values():
                c.close()

    def write_until_stopped(self):
        n = 0
        while not self.stop_event.is_set():
            k = self.rnd.choice(self.keys)
            if k in self.uncertain:
                continue
            n += 1
            op = self.rnd.random()
            ttl_ms = None  # the write's TTL; "keep" for APPEND
            if op < 0.5:
                args, new = ("SET", k, str(n)), str(n).encode()
            elif op < 0.65:
                # Long enough to outlive the test, distinct per write.
                ttl_ms = self.rnd.randrange(600_000, 900_000)
                args, new = ("SET", k, str(n), "PX", str(ttl_ms)), str(n).encode()
            elif op < 0.8:
                args, new = ("DEL", k), None
            else:
                args, new = ("APPEND", k, "+"), (self.model.get(k) or b"") + b"+"
                ttl_ms = "keep"
            s = slot(k)
            port = self.port_for(s)
            conn = self.clients.get(port)
            since = conn[1] if conn else self.manager.fault_epoch
            try:
                if conn is None:
                    conn = self.clients[port] = (RawClient(port=port, timeout=self.timeout), since)
                sent_ms = time.time() * 1000
                reply = conn[0].cmd_raw(*args)
                acked_ms = time.time() * 1000
            except (OSError, ConnectionClosed) as e:  # OSError includes timeouts
                # No reply: the write may or may not have happened.
                self.uncertain.add(k)
                # A port no node has any more: a restart moved the node (a fault's doing).
                if not self.manager.faults_since(since) and self.manager.node_of_port(port):
                    self.errors.append((args, f"no reply from port {port}, no fault injected: {e!r}"))
                dropped = self.clients.pop(port, None)
                if dropped:
                    dropped[0].close()
                self.port_of_slot.pop(s, None)  # the node may have restarted on another port
                time.sleep(0.05)
                continue
            if reply.startswith(b"-MOVED"):
                host_port = reply.split()[2].decode()
                self.port_of_slot[s] = int(host_port.rsplit(":", 1)[1])
                continue
            if reply.startswith(b"-"):
                self.errors.append((args, reply))
                continue
            self.model[k] = new
            if ttl_ms == "keep":
                if self.model.get(k) == b"+":  # APPEND created the key: no TTL
                    self.expiry[k] = None
            elif ttl_ms is None or new is None:
                self.expiry[k] = None
            else:
                self.expiry[k] = (int(sent_ms) + ttl_ms, int(acked_ms) + 1 + ttl_ms)
            self.acked += 1


def check(manager: Manager, writers, baseline_total: int, tainted=frozenset()):
    """After the last config: every node holds keys of its own slots only, the writers' keys
    hold their last acknowledged values, and the key count adds up. Keys of `tainted` slots
    (lost with a killed node) count only where they are; baseline_total counts the other keys
    that were there before the writers started."""
    seen = {}
    total = 0
    for nid, srv in manager.servers.items():
        with srv.client(timeout=30) as c:
            keys = [k.decode() for k in c.cmd("KEYS", "*")]
            for k in keys:
                assert manager.owner[slot(k)] == nid, f"{k} (slot {slot(k)}) on {nid}"
                seen[k] = nid
                total += slot(k) not in tainted
    expected_total = baseline_total
    for w in writers:
        for k, v in w.model.items():
            if k in w.uncertain:
                continue
            nid = manager.owner[slot(k)]
            with manager.servers[nid].client(timeout=30) as c:
                got = c.cmd("GET", k)
                before_ms = time.time() * 1000
                pttl = c.cmd("PTTL", k)
                after_ms = time.time() * 1000
            assert got == v, f"{k}: expected {v!r}, {nid} has {got!r}"
            expected_total += v is not None
            if v is None:
                continue
            ends = w.expiry.get(k)
            if ends is None:
                assert pttl == -1, f"{k}: expected no TTL, {nid} has PTTL {pttl}"
            else:
                lo = ends[0] - after_ms - TTL_TOLERANCE_MS
                hi = ends[1] - before_ms + TTL_TOLERANCE_MS
                assert lo <= pttl <= hi, \
                    f"{k}: expected PTTL in [{lo:.0f}, {hi:.0f}], {nid} has {pttl}"
        expected_total += sum(1 for k in w.uncertain if k in seen and slot(k) not in tainted)
    assert total == expected_total, (total, expected_total)
