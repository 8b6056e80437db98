"""A bounded chaos run of slot migrations (issue 4): three nodes under write load; configs that
open, close and cancel migrations are pushed in random order; the network between the nodes
delays, drops and resets migration connections; nodes freeze (SIGSTOP) for a while. Nothing
crashes, every node that is not frozen answers PING within 1 s throughout, and after the last
config every acknowledged write is where it belongs. Nodes are also killed and restarted
empty: without replicas their keys are gone, so their slots leave the checks from then on.
Writers may lose replies only while the test freezes or kills a node (Manager.fault)."""
import os
import random
import signal
import time

import pytest

from cluster_util import slot, start_yes
from fault_proxy import FaultProxy
from helpers import CheckedThread, ConnectionClosed, scaled, stop_threads
from migration_model import Manager, Writer, check

pytestmark = [pytest.mark.darner_only, pytest.mark.own_nodes]

SECONDS = float(os.environ.get("DARNER_CHAOS_SECONDS", "20"))
MAX_KILLS = 2


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
    for nid, srv in servers.items():
        with srv.client() as c:
            c.cmd("DEBUG", "POPULATE", "30000", f"bulk{nid}", "200")
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
    assert actions["open"] >= 3 and actions["close"] >= 1, actions
    missing = []
    baseline = 0
    for nid, srv in servers.items():
        for i in range(30000):
            k = f"bulk{nid}:{i}"
            if initial_owner[slot(k)] != nid or slot(k) in tainted:
                continue
            baseline += 1
            owner = manager.owner[slot(k)]
            with servers[owner].client() as c:
                if c.cmd("EXISTS", k) != 1:
                    missing.append((k, slot(k), nid, owner))
    if missing:
        with open(tmp_path / "chaos_history.txt", "w") as f:
            f.write(repr(missing[:50]) + "\n")
            for h in manager.history:
                f.write(repr(h) + "\n")
        for nid, srv in servers.items():
            (tmp_path / f"chaos_{nid}.log").write_text(srv.log_text())
    assert not missing, (len(missing), missing[:10], f"history and node logs in {tmp_path}")
    check(manager, writers, baseline, tainted)
