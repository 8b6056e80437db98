"""Real cluster clients against a 3-node Darner cluster (--cluster_mode=yes).

A module-scoped fixture starts three Darner processes on free loopback ports and pushes one
`DFLYCLUSTER CONFIG` to all of them, splitting the slots in three:

    node-a  0-5460        node-b  5461-10922        node-c  10923-16383

Before every test the baseline config is pushed again (a no-op when nothing changed), every
node is flushed, and a node that died is restarted (the test it died in fails, like every test
whose nodes log a sanitizer report). The tests then drive the cluster with
the clients people actually use and check, node by node, where the data landed:

  * redis-py `redis.cluster.RedisCluster` (sync) and `redis.asyncio.cluster.RedisCluster`;
  * `redis-cli -c` (follows MOVED);
  * ioredis `Cluster` (Node.js; tests/js, installed with `npm ci` on first use);
  * `redis-benchmark --cluster`;
  * a slot reassignment without migration (slots 0-100 from node-a to node-b).

Placement is verified with plain single-node connections: on the owner GET returns the value
and CLUSTER COUNTKEYSINSLOT counts it, every other node answers `-MOVED <slot> <ip>:<port>`.

Darner only: redis-server has no DFLYCLUSTER.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter

import pytest
import redis
from redis.crc import key_slot

from helpers import (
    IO_TIMEOUT,
    REPO_ROOT,
    RespError,
    ServerProcess,
    check_servers,
    reuse_servers,
    scaled,
    start_darner,
    wait_until,
)

pytestmark = pytest.mark.darner_only

HOST = "127.0.0.1"
NODE_IDS = ("node-a", "node-b", "node-c")
# proactor threads per node: two of them sharded, so slot deletion / routing crosses shards
NODE_THREADS = (2, 2, 1)
BASELINE = (((0, 5460),), ((5461, 10922),), ((10923, 16383),))
CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
JS_DIR = REPO_ROOT / "tests" / "js"
TOOL_TIMEOUT = 120  # seconds for any external tool run (redis-cli, node, redis-benchmark)
NPM_TIMEOUT = 240


def _slot(key) -> int:
    return key_slot(key.encode() if isinstance(key, str) else key)


class Cluster:
    """Three Darner nodes plus the slot assignment they were last given."""

    def __init__(self, servers: list[ServerProcess]):
        self.servers = servers
        self.assignment = BASELINE

    # ---- process lifecycle ----
    @classmethod
    def start(cls) -> "Cluster":
        servers: list[ServerProcess] = []
        try:
            for node_id, threads in zip(NODE_IDS, NODE_THREADS):
                servers.append(start_darner({"cluster_mode": "yes", "cluster_node_id": node_id},
                                            threads=threads))
        except BaseException:
            for s in servers:
                s.stop()
            raise
        c = cls(servers)
        c.push(BASELINE)
        return c

    def stop(self):
        for s in self.servers:
            s.stop()  # SIGTERM, SIGKILL after 5 s

    # ---- config ----
    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    def config_json(self, assignment) -> str:
        shards = []
        for node_id, port, ranges in zip(NODE_IDS, self.ports, assignment):
            shards.append({
                "slot_ranges": [{"start": a, "end": b} for a, b in ranges],
                "master": {"id": node_id, "ip": HOST, "port": port},
                "replicas": [],
            })
        return json.dumps(shards)

    def push(self, assignment):
        cfg = self.config_json(assignment)
        for s in self.servers:
            with s.client(timeout=10) as c:
                reply = c.cmd("DFLYCLUSTER", "CONFIG", cfg)
            assert reply == "OK", f"DFLYCLUSTER CONFIG on {s.port}: {reply!r}"
        self.assignment = assignment

    def owner(self, slot: int) -> int:
        for i, ranges in enumerate(self.assignment):
            if any(a <= slot <= b for a, b in ranges):
                return i
        raise AssertionError(f"slot {slot} not assigned")

    def moved(self, slot: int) -> str:
        return f"MOVED {slot} {HOST}:{self.ports[self.owner(slot)]}"

    # ---- clients ----
    def node(self, i: int, **kw) -> redis.Redis:
        kw.setdefault("decode_responses", True)
        return self.servers[i].redis(**kw)

    def raw(self, i: int):
        return self.servers[i].client(timeout=IO_TIMEOUT)

    def cluster_client(self, **kw):
        from redis.cluster import RedisCluster

        kw.setdefault("decode_responses", True)
        return RedisCluster(host=HOST, port=self.ports[0], socket_timeout=IO_TIMEOUT,
                            socket_connect_timeout=IO_TIMEOUT, **kw)

    def keys_for_node(self, i: int, n: int, prefix: str, slot_filter=None) -> list[str]:
        """n key names owned by node i (optionally only slots where slot_filter(slot))."""
        out, j = [], 0
        while len(out) < n:
            k = f"{prefix}:{j}"
            j += 1
            s = _slot(k)
            if self.owner(s) == i and (slot_filter is None or slot_filter(s)):
                out.append(k)
            assert j < 10_000_000, "could not generate keys"
        return out

    # ---- checks ----
    def dbsizes(self) -> list[int]:
        out = []
        for i in range(3):
            with self.raw(i) as c:
                out.append(c.cmd("DBSIZE"))
        return out

    def assert_placement(self, expected: dict[str, str], others_empty: bool = True):
        """Every key of `expected` is on its owner only, with its value.

        On the owner: GET == value and CLUSTER COUNTKEYSINSLOT counts it; on every other node:
        GET answers exactly MOVED <slot> <owner>; COUNTKEYSINSLOT there is 0. With others_empty
        each node's DBSIZE equals the number of keys of `expected` it owns.
        """
        keys = list(expected)
        per_slot = Counter(_slot(k) for k in keys)
        for i in range(3):
            with self.raw(i) as c:
                # one pipelined burst of GETs, then the replies in order
                c.send(b"".join(_encode("GET", k) for k in keys))
                replies = [c.read() for _ in keys]
                wrong = []
                for k, rep in zip(keys, replies):
                    s = _slot(k)
                    want = expected[k].encode() if self.owner(s) == i else RespError(self.moved(s))
                    if rep != want:
                        wrong.append((k, s, rep, want))
                assert not wrong, f"node {NODE_IDS[i]} (port {self.ports[i]}): {len(wrong)} wrong replies, e.g. {wrong[:5]}"
                c.send(b"".join(_encode("CLUSTER", "COUNTKEYSINSLOT", s) for s in per_slot))
                counts = {s: c.read() for s in per_slot}
                bad = {s: (n, per_slot[s] if self.owner(s) == i else 0) for s, n in counts.items()
                       if n != (per_slot[s] if self.owner(s) == i else 0)}
                assert not bad, f"node {NODE_IDS[i]}: COUNTKEYSINSLOT slot -> (got, want): {dict(list(bad.items())[:5])}"
                if others_empty:
                    owned = sum(1 for k in keys if self.owner(_slot(k)) == i)
                    assert c.cmd("DBSIZE") == owned, f"node {NODE_IDS[i]}: DBSIZE"


def _encode(*args) -> bytes:
    from helpers import encode_command

    return encode_command(*args)


@pytest.fixture(scope="module")
def _cluster_module():
    c = Cluster.start()
    yield c
    c.stop()
    check_servers(c.servers, "the cluster's nodes, stopped after the module's last test")


@pytest.fixture
def cluster(_cluster_module, request):
    c = _cluster_module
    # let conftest attach the nodes' log tails to a failing test's report
    request.node._darner_servers = list(c.servers)
    reuse_servers(c.servers, request.node.nodeid)  # a dead node restarts (its port may change)
    c.push(BASELINE)  # a no-op unless a test left another assignment (or a node restarted)
    for i in range(3):
        with c.raw(i) as cl:
            assert cl.cmd("FLUSHALL") == "OK"
    yield c
    check_servers(c.servers, "the cluster's nodes, during this test")


def _run(argv, timeout=TOOL_TIMEOUT, **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, **kw)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{argv[0]} did not finish within {timeout}s: {argv}\n"
                             f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}") from None


def _cross_slot_pair(cluster: Cluster, first_owner: int, second_owner: int) -> tuple[str, str]:
    a = cluster.keys_for_node(first_owner, 1, "xs-a")[0]
    for b in cluster.keys_for_node(second_owner, 50, "xs-b"):
        if _slot(b) != _slot(a):
            return a, b
    raise AssertionError("no cross-slot pair")


# --------------------------------------------------------------------------
# the fixture itself
# --------------------------------------------------------------------------


def test_topology_as_configured(cluster):
    """Every node reports the same three shards (CLUSTER SLOTS) and knows which one it is."""
    want = sorted([[a, b, [HOST, port, node_id]]
                   for node_id, port, ranges in zip(NODE_IDS, cluster.ports, BASELINE) for a, b in ranges])
    for i in range(3):
        with cluster.raw(i) as c:
            slots = c.cmd("CLUSTER", "SLOTS")
            got = sorted([[e[0], e[1], [e[2][0].decode(), e[2][1], e[2][2].decode()]] for e in slots])
            assert got == want, f"CLUSTER SLOTS on {NODE_IDS[i]}"
            # Redis replies with a bulk string, Dragonfly (and Darner) with a simple string
            myid = c.cmd("CLUSTER", "MYID")
            assert (myid.encode() if isinstance(myid, str) else myid) == NODE_IDS[i].encode()
            info = c.cmd("CLUSTER", "INFO").decode()
            assert "cluster_state:ok" in info and "cluster_slots_assigned:16384" in info
            for k in ("foo", "{user:42}:x", "pyc:17", ""):
                assert c.cmd("CLUSTER", "KEYSLOT", k) == _slot(k), k


# --------------------------------------------------------------------------
# redis-py
# --------------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_redis_py_cluster_sync(cluster):
    rc = cluster.cluster_client()
    try:
        assert sorted(n.port for n in rc.get_primaries()) == sorted(cluster.ports)

        # ~1000 keys across all slots, one round trip each through the cluster client
        data = {f"pyc:{i}": f"value-{i}" for i in range(1000)}
        for k, v in data.items():
            assert rc.set(k, v) is True, k
        for k, v in data.items():
            assert rc.get(k) == v, k
        owners = Counter(cluster.owner(_slot(k)) for k in data)
        assert all(owners[i] > 200 for i in range(3)), owners
        cluster.assert_placement(data)

        # multi-key commands within one hash tag
        tagged = {f"{{user:42}}:f{i}": str(i) for i in range(20)}
        tag_slot = _slot("{user:42}")
        assert rc.mset(tagged) is True
        assert rc.mget(list(tagged)) == list(tagged.values())
        assert rc.delete(*list(tagged)[:5]) == 5
        assert rc.mget(list(tagged)[:6]) == [None] * 5 + ["5"]
        assert rc.exists(*list(tagged)) == 15
        owner = cluster.owner(tag_slot)
        with cluster.node(owner) as direct:
            assert direct.cluster("COUNTKEYSINSLOT", tag_slot) == 15
            assert direct.mget(list(tagged)[5:8]) == ["5", "6", "7"]
            assert direct.mset({"{user:42}:extra": "e"}) is True
        for i in range(3):
            if i != owner:
                with cluster.raw(i) as c:
                    assert c.cmd("MGET", *list(tagged)[:3]) == RespError(cluster.moved(tag_slot))

        # pipelines: commands for all three nodes in one pipeline, split by the client
        pipe = rc.pipeline(transaction=False)
        pkeys = [f"pipe:{i}" for i in range(300)]
        for k in pkeys:
            pipe.set(k, k.upper())
        for _ in range(3):
            pipe.incr("{user:42}:counter")
        for k in pkeys:
            pipe.get(k)
        res = pipe.execute()
        assert res == [True] * 300 + [1, 2, 3] + [k.upper() for k in pkeys]
        assert len({cluster.owner(_slot(k)) for k in pkeys}) == 3
        data.update({k: k.upper() for k in pkeys})
        cluster.assert_placement(data, others_empty=False)
    finally:
        rc.close()


def test_cross_slot_through_plain_client(cluster):
    """A plain single-node client sending a cross-slot MSET gets the exact CROSSSLOT error,
    whichever node it talks to, and nothing is written."""
    pairs = [_cross_slot_pair(cluster, 0, 1), _cross_slot_pair(cluster, 0, 0), _cross_slot_pair(cluster, 2, 1)]
    for a, b in pairs:
        for i in range(3):
            with cluster.raw(i) as c:
                assert c.cmd_raw("MSET", a, "1", b, "2") == f"-{CROSSSLOT}\r\n".encode(), (i, a, b)
                assert c.cmd_raw("MGET", a, b) == f"-{CROSSSLOT}\r\n".encode(), (i, a, b)
            with cluster.node(i) as r:
                with pytest.raises(redis.ResponseError) as ei:
                    r.mset({a: "1", b: "2"})
                assert str(ei.value) == CROSSSLOT
        for k in (a, b):
            with cluster.node(cluster.owner(_slot(k))) as r:
                assert r.exists(k) == 0, k
    assert cluster.dbsizes() == [0, 0, 0]


@pytest.mark.timeout(90)
def test_redis_py_cluster_asyncio(cluster):
    from redis.asyncio import Redis as AsyncRedis
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

    data = {f"apyc:{i}": f"av-{i}" for i in range(1000)}
    tagged = {f"{{async-tag}}:{i}": f"t{i}" for i in range(20)}
    pkeys = [f"apipe:{i}" for i in range(300)]
    a, b = _cross_slot_pair(cluster, 1, 2)

    async def body():
        rc = AsyncRedisCluster(host=HOST, port=cluster.ports[1], decode_responses=True,
                               socket_timeout=IO_TIMEOUT, socket_connect_timeout=IO_TIMEOUT)
        try:
            await rc.initialize()
            assert sorted(n.port for n in rc.get_primaries()) == sorted(cluster.ports)
            items = list(data.items())
            # bounded concurrency: 50 requests in flight at a time
            for j in range(0, len(items), 50):
                chunk = items[j:j + 50]
                assert await asyncio.gather(*(rc.set(k, v) for k, v in chunk)) == [True] * len(chunk)
            for j in range(0, len(items), 50):
                chunk = items[j:j + 50]
                assert await asyncio.gather(*(rc.get(k) for k, _ in chunk)) == [v for _, v in chunk]

            assert await rc.mset(tagged) is True
            assert await rc.mget(list(tagged)) == list(tagged.values())
            assert await rc.exists(*tagged) == 20

            pipe = rc.pipeline()
            for k in pkeys:
                pipe.set(k, k[::-1])
            for _ in range(2):
                pipe.incr("{async-tag}:n")
            for k in pkeys:
                pipe.get(k)
            assert await pipe.execute() == [True] * 300 + [1, 2] + [k[::-1] for k in pkeys]
        finally:
            await rc.close()

        # cross-slot MSET through a plain asyncio client on the first key's owner
        r = AsyncRedis(host=HOST, port=cluster.ports[1], decode_responses=True, socket_timeout=IO_TIMEOUT)
        try:
            with pytest.raises(redis.ResponseError) as ei:
                await r.mset({a: "1", b: "2"})
            assert str(ei.value) == CROSSSLOT
        finally:
            await r.close()

    asyncio.run(asyncio.wait_for(body(), timeout=60))

    expected = dict(data)
    expected.update(tagged)
    expected.update({k: k[::-1] for k in pkeys})
    expected["{async-tag}:n"] = "2"
    cluster.assert_placement(expected)


# --------------------------------------------------------------------------
# redis-cli -c
# --------------------------------------------------------------------------


def test_redis_cli_follows_moved(cluster):
    cli = shutil.which("redis-cli")
    if not cli:
        pytest.skip("redis-cli not found")
    port0 = str(cluster.ports[0])
    written = {}
    for owner in (1, 2, 0):
        for k in cluster.keys_for_node(owner, 3, f"cli-{owner}"):
            v = f"val-{k}"
            p = _run([cli, "-c", "-h", HOST, "-p", port0, "SET", k, v], timeout=30)
            assert (p.returncode, p.stdout.strip()) == (0, "OK"), (k, p.stdout, p.stderr)
            p = _run([cli, "-c", "-h", HOST, "-p", port0, "GET", k], timeout=30)
            assert (p.returncode, p.stdout.strip()) == (0, v), (k, p.stdout, p.stderr)
            written[k] = v
            if owner != 0:
                # without -c the MOVED error is shown as is
                p = _run([cli, "-h", HOST, "-p", port0, "GET", k], timeout=30)
                assert p.stdout.strip() == cluster.moved(_slot(k)), (p.stdout, p.stderr)
    # a hash-tagged multi-key command is redirected as a whole
    tag = "{cli-tag-x}"
    p = _run([cli, "-c", "-h", HOST, "-p", port0, "MSET", f"{tag}1", "a", f"{tag}2", "b"], timeout=30)
    assert (p.returncode, p.stdout.strip()) == (0, "OK"), (p.stdout, p.stderr)
    p = _run([cli, "-c", "-h", HOST, "-p", port0, "MGET", f"{tag}1", f"{tag}2"], timeout=30)
    assert p.stdout.split() == ["a", "b"], (p.stdout, p.stderr)
    written.update({f"{tag}1": "a", f"{tag}2": "b"})
    cluster.assert_placement(written)


# --------------------------------------------------------------------------
# ioredis (Node.js)
# --------------------------------------------------------------------------


def _ensure_ioredis():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node/npm not found on PATH (make deps installs them)")
    if (JS_DIR / "node_modules" / "ioredis" / "package.json").exists():
        return node
    try:
        p = subprocess.run([npm, "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"],
                           capture_output=True, text=True, timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm ci did not finish within {NPM_TIMEOUT}s (registry unreachable?)")
    if p.returncode != 0 or not (JS_DIR / "node_modules" / "ioredis" / "package.json").exists():
        pytest.fail(f"npm ci failed (rc={p.returncode}; offline?): {(p.stderr or p.stdout)[-800:]}")
    return node


@pytest.mark.timeout(NPM_TIMEOUT + 120)
def test_ioredis_cluster(cluster):
    node = _ensure_ioredis()
    nkeys = 300
    seeds = [f"{HOST}:{cluster.ports[2]}"]  # one seed: the client must discover the others
    p = _run([node, str(JS_DIR / "ioredis_cluster.js"), *seeds, "--keys", str(nkeys), "--prefix", "iokey"],
             timeout=90, env={**os.environ, "IOREDIS_TIMEOUT_MS": "60000"})
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no JSON summary; rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    summary = json.loads(lines[-1])
    assert p.returncode == 0 and summary["ok"], json.dumps(summary, indent=1) + "\n" + p.stderr
    assert summary["crossslot_error"] == CROSSSLOT
    assert summary["masters"] == sorted(f"{HOST}:{port}" for port in cluster.ports)

    expected = {f"iokey:{i}": f"v-iokey:{i}" for i in range(nkeys)}
    expected.update({f"{{iokey-tag}}:{i}": f"t{i}" for i in range(5, 10)})
    expected.update({"{iokey-pipe}:a": "1", "{iokey-pipe}:n": "2"})
    cluster.assert_placement(expected)


# --------------------------------------------------------------------------
# redis-benchmark --cluster
# --------------------------------------------------------------------------


@pytest.mark.timeout(150)
def test_redis_benchmark_cluster(cluster):
    bench = shutil.which("redis-benchmark")
    if not bench:
        pytest.skip("redis-benchmark not found")
    p = _run([bench, "--cluster", "-h", HOST, "-p", str(cluster.ports[0]), "-n", "20000", "-c", "10",
              "-t", "set,get", "-q"], timeout=TOOL_TIMEOUT)
    out = p.stdout.replace("\r", "\n")
    assert p.returncode == 0, f"rc={p.returncode}\n{out[-2000:]}\n{p.stderr[-2000:]}"
    assert "Cluster has 3 master nodes" in out, out[-2000:]
    rps = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\s*(SET|GET): ([\d.]+) requests per second", out, re.M)}
    assert set(rps) == {"SET", "GET"} and all(v > 0 for v in rps.values()), (rps, out[-2000:])

    # the keys it wrote (key:{tag}:__rand_int__, one tag per node) live only on their owners
    found = {}
    for i in range(3):
        with cluster.node(i) as r:
            keys = list(r.scan_iter(count=1000))
            assert keys, f"redis-benchmark wrote nothing to {NODE_IDS[i]}"
            for k in keys:
                assert cluster.owner(_slot(k)) == i, (NODE_IDS[i], k, _slot(k))
                found[k] = r.get(k)
    assert len(found) >= 3
    cluster.assert_placement(found)


# --------------------------------------------------------------------------
# slot reassignment without migration
# --------------------------------------------------------------------------


def _count_in_slots(c, slots) -> int:
    c.send(b"".join(_encode("CLUSTER", "COUNTKEYSINSLOT", s) for s in slots))
    return sum(c.read() for _ in slots)


@pytest.mark.timeout(90)
def test_reassign_slots_without_migration(cluster):
    low = set(range(0, 101))
    moved_away = cluster.keys_for_node(0, 200, "low", lambda s: s in low)
    kept = {i: cluster.keys_for_node(i, 300, f"keep{i}", lambda s: s not in low) for i in range(3)}
    data = {k: f"v:{k}" for k in moved_away}
    for ks in kept.values():
        data.update({k: f"v:{k}" for k in ks})
    for i in range(3):
        with cluster.node(i) as r:
            pipe = r.pipeline(transaction=False)
            for k, v in data.items():
                if cluster.owner(_slot(k)) == i:
                    pipe.set(k, v)
            assert all(pipe.execute())
    cluster.assert_placement(data)
    assert cluster.dbsizes() == [500, 300, 300]
    low_slots_used = sorted({_slot(k) for k in moved_away})

    # a cluster client that learnt the old slot map
    rc = cluster.cluster_client()
    try:
        probe = moved_away[0]
        assert rc.get(probe) == data[probe]

        new = (((101, 5460),), ((0, 100), (5461, 10922)), ((10923, 16383),))
        t0 = time.monotonic()
        cluster.push(new)
        push_s = time.monotonic() - t0

        # node-a drops exactly its keys in 0-100, the others keep everything
        wait_until(lambda: cluster.dbsizes() == [300, 300, 300], timeout=10, msg="DBSIZE [300, 300, 300]")
        with cluster.raw(0) as c:
            wait_until(lambda: _count_in_slots(c, low_slots_used) == 0, timeout=10,
                       msg="node-a COUNTKEYSINSLOT 0 in slots 0-100")
        with cluster.raw(1) as c:
            assert _count_in_slots(c, low_slots_used) == 0
        for i in range(3):
            with cluster.raw(i) as c:
                slots = sorted([[e[0], e[1], e[2][1]] for e in c.cmd("CLUSTER", "SLOTS")])
                assert slots == [[0, 100, cluster.ports[1]], [101, 5460, cluster.ports[0]],
                                 [5461, 10922, cluster.ports[1]], [10923, 16383, cluster.ports[2]]], NODE_IDS[i]
        survivors = {k: v for k, v in data.items() if k not in set(moved_away)}
        cluster.assert_placement(survivors)
        # the dropped keys are gone everywhere; node-a redirects them to node-b
        with cluster.raw(0) as c:
            assert c.cmd("GET", probe) == RespError(f"MOVED {_slot(probe)} {HOST}:{cluster.ports[1]}")
        with cluster.raw(1) as c:
            c.send(b"".join(_encode("EXISTS", k) for k in moved_away))
            assert [c.read() for _ in moved_away] == [0] * len(moved_away)

        # the stale client follows the new MOVED: node-b has no data for the key (not migrated)
        assert rc.get(probe) is None
        assert rc.set(probe, "rewritten") is True
        assert rc.get(probe) == "rewritten"
        with cluster.node(1) as r:
            assert r.get(probe) == "rewritten"
        assert cluster.dbsizes() == [300, 301, 300]
    finally:
        rc.close()
        # give the slots back: node-b now loses the key written into slot range 0-100
        cluster.push(BASELINE)
    wait_until(lambda: cluster.dbsizes() == [300, 300, 300], timeout=10, msg="DBSIZE after restoring")
    cluster.assert_placement(survivors)
    assert push_s < scaled(5), f"DFLYCLUSTER CONFIG push to 3 nodes took {push_s:.3f}s"
