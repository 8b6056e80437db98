"""A bounded chaos run of slot migrations (issue 4): three nodes under write load; configs that
open, close and cancel migrations are pushed in random order; the network between the nodes
delays, drops and resets migration connections; nodes freeze (SIGSTOP) for a while. Nothing
crashes, every node that is not frozen answers PING within 1 s throughout, and after the last
config every acknowledged write is where it belongs, with its TTL: writers' keys (some written
with PX), and populated keys of which every tenth has its own expiry time. A last calm round
(writers stopped) moves slots of every node, so some checked keys surely got their final state
from a migration. Nodes are also killed and restarted empty: without replicas their keys are
gone, so their slots leave the checks from then on. Writers may lose replies only while the
test freezes or kills a node (Manager.fault)."""
import os
import random
import signal
import time

import pytest

from cluster_util import slot, start_yes
from fault_proxy import FaultProxy
from helpers import CheckedThread, ConnectionClosed, scaled, stop_threads, wait_until
from migration_model import TTL_TOLERANCE_MS, Manager, Writer, check

pytestmark = [pytest.mark.darner_only, pytest.mark.own_nodes]

SECONDS = float(os.environ.get("DARNER_CHAOS_SECONDS", "20"))
MAX_KILLS = 2
BULK = 30000  # keys per node, populated before the chaos and never written again
# Every TTL_EVERY-th bulk key gets its own absolute expiry time: migrated over and over, never
# rewritten, so their TTLs at the end are what the migrations carried.
TTL_EVERY = 10


def bulk_expiry(base_ms: int, i: int) -> int:
    return base_ms + 600_000 + (i % 1000) * 97


class Pinger(CheckedThread):
    """PINGs every node that is not frozen, every 100 ms, and records replies slower than 1 s
    (scaled for sanitizer runs) or missing."""

    def __init__(self, servers, frozen):
        super().__init__(name="Pinger")
        self.servers = servers
        self.frozen = frozen  # set of ids, changed by the test
        self.slow = []
        self.pings = 0

    def work(self):
        limit = scaled(1.0)
        while not self.stop_event.is_set():
            for nid, srv in self.servers.items():
                if nid in self.frozen:
                    continue
                start = time.monotonic()
                try:
                    with srv.client(timeout=limit) as c:
                        ok = c.cmd_raw("PING") == b"+PONG\r\n"
                except (OSError, ConnectionClosed):
                    ok = False
                took = time.monotonic() - start
                self.pings += 1
                # A node frozen while this PING was in flight does not count.
                if (not ok or took > limit) and nid not in self.frozen:
                    self.slow.append((nid, round(took, 3), ok))
            time.sleep(0.1)


@pytest.mark.timeout(300)
def test_chaos(spawn_darner, tmp_path):
    rnd = random.Random(int(os.environ.get("DARNER_CHAOS_SEED", "4")))
    servers = {nid: start_yes(spawn_darner, nid, threads=2,
                              migration_finalization_timeout_ms=1000,
                              slot_migration_connection_timeout_ms=500,
                              replication_timeout=2000)
               for nid in ("A", "B", "C")}
    proxies = {nid: FaultProxy(srv.port) for nid, srv in servers.items()}
    manager = Manager(servers, {nid: p.port for nid, p in proxies.items()})
    manager.push()
    initial_owner = list(manager.owner)
    base_ms = int(time.time() * 1000)
    for nid, srv in servers.items():
        with srv.client() as c:
            c.cmd("DEBUG", "POPULATE", str(BULK), f"bulk{nid}", "200")
        r = srv.redis()
        pipe = r.pipeline(transaction=False)
        for i in range(0, BULK, TTL_EVERY):
            k = f"bulk{nid}:{i}"
            if initial_owner[slot(k)] == nid:
                pipe.pexpireat(k, bulk_expiry(base_ms, i))
        assert all(pipe.execute())
        r.close()
    writers = [Writer(manager, f"w{i}_", 300, seed=i) for i in range(3)]
    for w in writers:
        w.start()
    frozen: set = set()
    pinger = Pinger(servers, frozen)
    pinger.start()
    actions = {"open": 0, "cancel": 0, "close": 0, "net": 0, "freeze": 0, "kill": 0}
    tainted: set = set()  # slots whose keys died with a killed node
    try:
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            time.sleep(rnd.uniform(0.1, 0.4))
            action = rnd.choice(["open", "open", "cancel", "close", "close", "net", "freeze",
                                 "kill"])
            if action == "open":
                busy = manager.migrating_slots()
                src, dst = rnd.sample(manager.ids, 2)
                if (src, dst) in manager.migrations:
                    continue
                owned = [s for s in range(16384) if manager.owner[s] == src and s not in busy]
                if len(owned) < 2:
                    continue
                start = rnd.randrange(len(owned) - 1)
                chosen = owned[start:start + rnd.randint(1, 600)]
                manager.start(src, dst, Manager.runs(chosen))
            elif action == "cancel" and manager.migrations:
                manager.cancel(rnd.choice(sorted(manager.migrations)))
            elif action == "close":
                done = [k for k in sorted(manager.migrations) if manager.finished(k)]
                if not done:
                    continue
                manager.close(rnd.choice(done))
            elif action == "net":
                p = proxies[rnd.choice(manager.ids)]
                fault = rnd.choice(["delay", "blackhole", "reset", "clear"])
                if fault == "delay":
                    p.delay(rnd.uniform(0.01, 0.1))
                elif fault == "blackhole":
                    p.blackhole(rnd.choice(["up", "down", "both"]))
                elif fault == "reset":
                    p.reset_all()
                else:
                    p.clear()
                actions["net"] += 1
                continue
            elif action == "freeze":
                nid = rnd.choice(manager.ids)
                if nid in frozen:
                    continue
                frozen.add(nid)
                with manager.fault(f"freeze {nid}"):
                    servers[nid].signal(signal.SIGSTOP)
                    time.sleep(rnd.uniform(0.2, 0.8))
                    servers[nid].signal(signal.SIGCONT)
                    time.sleep(0.05)
                frozen.discard(nid)
                actions["freeze"] += 1
                continue
            elif action == "kill" and actions["kill"] < MAX_KILLS:
                # Without replicas a killed node loses its keys: its slots leave the checks
                # (from now on), every other slot stays checked.
                nid = rnd.choice(manager.ids)
                frozen.add(nid)
                lost = {s for s in range(16384) if manager.owner[s] == nid}
                tainted.update(lost)
                for w in writers:
                    w.taint(lost)
                with manager.fault(f"kill {nid}"):
                    servers[nid].kill()
                    servers[nid].restart()
                    manager.push(to=[nid])
                frozen.discard(nid)
                actions["kill"] += 1
                continue
            else:
                continue
            actions[action] += 1
            order = list(manager.ids)
            rnd.shuffle(order)
            manager.push(order)

        # Calm down: no more faults; let what runs finish, close it, cancel the rest.
        for p in proxies.values():
            p.clear()
        settle = time.monotonic() + 30
        while manager.migrations and time.monotonic() < settle:
            done = [k for k in sorted(manager.migrations) if manager.finished(k)]
            for k in done:
                manager.close(k)
            if done:
                manager.push()
            time.sleep(0.2)
        for k in sorted(manager.migrations):
            manager.cancel(k)
        manager.push()
    finally:
        for nid in list(frozen):
            servers[nid].signal(signal.SIGCONT)
        for p in proxies.values():
            p.close()
        stop_threads([pinger, *writers])
    for nid, srv in servers.items():
        assert srv.alive(), f"{nid} died"
    assert pinger.pings > SECONDS, pinger.pings  # it kept pinging throughout
    assert not pinger.slow, pinger.slow
    for w in writers:
        assert not w.errors, w.errors[:5]
    assert sum(w.acked for w in writers) > 1000
    print("chaos actions:", actions, "acked:", sum(w.acked for w in writers))
    # A last, calm round with the writers stopped: every node gives some of its slots to the
    # next one. Writers rewrite their keys all the time and kills taint slots, so without it the
    # checks below might never see a key whose final state (value, TTL) a migration carried.
    manager.migration_ports = {}  # the proxies are gone
    final, final_slots = [], set()
    for i, src in enumerate(manager.ids):
        dst = manager.ids[(i + 1) % len(manager.ids)]
        owned = [s for s in range(16384) if manager.owner[s] == src and s not in tainted]
        if owned:
            chosen = rnd.sample(owned, min(400, len(owned)))
            manager.start(src, dst, Manager.runs(chosen))
            final.append((src, dst))
            final_slots.update(chosen)
    manager.push()
    for key in final:
        wait_until(lambda: manager.finished(key), timeout=scaled(30), msg=f"final {key}")
    for key in final:
        manager.close(key)
    manager.push()
    assert actions["open"] >= 3 and actions["close"] >= 1, actions
    missing = []
    wrong_ttl = []
    carried_ttls = 0  # TTLs checked on keys the final round moved
    baseline = 0
    for nid, srv in servers.items():
        for i in range(BULK):
            k = f"bulk{nid}:{i}"
            if initial_owner[slot(k)] != nid or slot(k) in tainted:
                continue
            baseline += 1
            owner = manager.owner[slot(k)]
            with servers[owner].client() as c:
                if c.cmd("EXISTS", k) != 1:
                    missing.append((k, slot(k), nid, owner))
                    continue
                before_ms = time.time() * 1000
                pttl = c.cmd("PTTL", k)
                after_ms = time.time() * 1000
            if i % TTL_EVERY:
                ok = pttl == -1
            else:
                at = bulk_expiry(base_ms, i)
                ok = at - after_ms - TTL_TOLERANCE_MS <= pttl <= at - before_ms + TTL_TOLERANCE_MS
                carried_ttls += slot(k) in final_slots
            if not ok:
                wrong_ttl.append((k, slot(k), nid, owner, pttl))
    if missing:
        with open(tmp_path / "chaos_history.txt", "w") as f:
            f.write(repr(missing[:50]) + "\n")
            for h in manager.history:
                f.write(repr(h) + "\n")
        for nid, srv in servers.items():
            (tmp_path / f"chaos_{nid}.log").write_text(srv.log_text())
    assert not missing, (len(missing), missing[:10], f"history and node logs in {tmp_path}")
    assert not wrong_ttl, (len(wrong_ttl), wrong_ttl[:10])
    assert carried_ttls > 0
    check(manager, writers, baseline, tainted)
