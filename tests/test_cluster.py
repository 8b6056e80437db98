"""Cluster mode (spec dragonfly-cluster.md §1-§3): flags, CLUSTER / DFLYCLUSTER commands and
their exact replies, config validation, MOVED / CROSSSLOT routing, and applying a config
(slots a node loses are deleted, the others kept)."""
import copy
import json
import signal
import subprocess
import threading
import time

import pytest

from cluster_util import node, push, shard, slot, start_yes
from helpers import (DARNER_BIN, CheckedThread, RawClient, RespError, Verbatim, parse_info,
                     sanitizer_reports, scaled, stop_threads, wait_until)

pytestmark = pytest.mark.darner_only

OK = b"+OK\r\n"
INVALID = b"-ERR Invalid cluster configuration.\r\n"
NOT_CONFIGURED = b"-ERR Cluster is not yet configured\r\n"
CROSSSLOT = b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
CLUSTER_DISABLED = b"-ERR Cluster is disabled. Enabled via passing --cluster_mode=emulated|yes\r\n"
DFLYCLUSTER_DISABLED = b"-ERR Cluster is disabled. Use --cluster_mode=yes to enable.\r\n"


def two_node_config(port_a, port_b, split=8191, ip_b="127.0.0.1"):
    return [shard([(0, split)], node("a", port_a)),
            shard([(split + 1, 16383)], node("b", port_b, ip=ip_b))]


# --------------------------------------------------------------------------------------------
# flags and mode gating
# --------------------------------------------------------------------------------------------


def run_and_wait(args, timeout=10):
    """Darner run to its (failing) end; its output must hold no sanitizer report."""
    p = subprocess.run([str(DARNER_BIN), "--port=0"] + args, capture_output=True, timeout=timeout)
    reports = sanitizer_reports((p.stdout + p.stderr).decode(errors="replace"))
    assert not reports, reports
    return p


def test_invalid_cluster_mode_exits_1():
    p = run_and_wait(["--cluster_mode=maybe"])
    assert p.returncode == 1
    assert b"Invalid value for flag --cluster_mode. Exiting..." in p.stdout + p.stderr


def test_node_id_with_emulated_exits_1():
    p = run_and_wait(["--cluster_mode=emulated", "--cluster_node_id=x"])
    assert p.returncode == 1
    assert b"Setting --cluster_node_id in emulated mode is unsupported" in p.stdout + p.stderr


def test_bad_announce_port_exits_1():
    for value in ("70000", "abc", "-1"):
        p = run_and_wait(["--cluster_mode=emulated", f"--announce_port={value}"])
        assert p.returncode == 1, value
        assert b"announce_port" in p.stdout + p.stderr


def test_commands_when_cluster_disabled(spawn_darner):
    srv = spawn_darner({"cluster_mode": ""})
    with srv.client() as c:
        for sub in ("HELP", "SLOTS", "MYID", "KEYSLOT"):
            assert c.cmd_raw("CLUSTER", sub) == CLUSTER_DISABLED
        assert c.cmd_raw("DFLYCLUSTER", "CONFIG", "[]") == DFLYCLUSTER_DISABLED
        assert c.cmd_raw("READONLY") == OK
        assert c.cmd_raw("READWRITE") == CLUSTER_DISABLED
        info = parse_info(c.cmd("INFO", "ALL"))
        assert info["cluster"]["cluster_enabled"] == "0"
        assert info["server"]["redis_mode"] == "standalone"


def test_dflycluster_hidden_from_command(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        names = c.cmd("COMMAND", "LIST")
        assert b"cluster" in names and b"readonly" in names
        assert b"dflycluster" not in names
        assert c.cmd("COMMAND", "COUNT") == len(c.cmd("COMMAND"))
        assert c.cmd_raw("COMMAND", "INFO", "dflycluster") == b"*1\r\n$-1\r\n"


# --------------------------------------------------------------------------------------------
# emulated mode
# --------------------------------------------------------------------------------------------


def test_emulated_topology(spawn_darner):
    srv = spawn_darner({"cluster_mode": "emulated"})
    p = srv.port
    with srv.client() as c:
        myid = c.cmd("CLUSTER", "MYID")
        assert len(myid) == 40
        assert c.cmd("CLUSTER", "SLOTS") == [[0, 16383, [b"127.0.0.1", p, myid.encode()]]]
        assert c.cmd("CLUSTER", "SHARDS") == [[
            b"slots", [0, 16383], b"nodes",
            [[b"id", myid.encode(), b"endpoint", b"127.0.0.1", b"ip", b"127.0.0.1", b"port", p,
              b"role", b"master", b"replication-offset", 0, b"health", b"online"]]]]
        assert c.cmd("CLUSTER", "NODES") == (
            f"{myid} 127.0.0.1:{p}@{p} myself,master - 0 0 0 connected 0-16383\n".encode())
        info = c.cmd_raw("CLUSTER", "INFO")
        body = (b"cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
                b"cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\n"
                b"cluster_size:1\r\ncluster_current_epoch:1\r\ncluster_my_epoch:1\r\n"
                b"cluster_stats_messages_ping_sent:1\r\ncluster_stats_messages_pong_sent:1\r\n"
                b"cluster_stats_messages_sent:1\r\ncluster_stats_messages_ping_received:1\r\n"
                b"cluster_stats_messages_pong_received:1\r\ncluster_stats_messages_meet_received:0\r\n"
                b"cluster_stats_messages_received:1\r\n")
        assert info == b"$%d\r\n%s\r\n" % (len(body), body)
        help_ = c.cmd("CLUSTER", "HELP")
        assert len(help_) == 11 and "HELP" in help_ and "SLOTS" in help_
        # No routing in emulated mode: every key is local, SELECT works, keys may span slots.
        assert c.cmd_raw("MSET", "a", "1", "b", "2") == OK
        assert c.cmd_raw("SELECT", "1") == OK
        assert c.cmd_raw("READWRITE") == OK
        assert c.cmd_raw("DFLYCLUSTER", "CONFIG", "[]") == DFLYCLUSTER_DISABLED
        info = parse_info(c.cmd("INFO", "ALL"))
        assert info["cluster"]["cluster_enabled"] == "1"
        assert info["server"]["redis_mode"] == "cluster"


def test_emulated_announce_ip_and_port(spawn_darner):
    srv = spawn_darner({"cluster_mode": "emulated", "cluster_announce_ip": "127.0.0.2",
                        "announce_port": 7777})
    with srv.client() as c:
        myid = c.cmd("CLUSTER", "MYID").encode()
        assert c.cmd("CLUSTER", "SLOTS") == [[0, 16383, [b"127.0.0.2", 7777, myid]]]
        assert c.cmd_raw("CONFIG", "SET", "cluster_announce_ip", "10.1.2.3") == OK
        assert c.cmd_raw("CONFIG", "SET", "announce_port", "0") == OK
        assert c.cmd("CLUSTER", "SLOTS") == [[0, 16383, [b"10.1.2.3", srv.port, myid]]]
        assert c.cmd("CLUSTER", "NODES").startswith(
            b"%s 10.1.2.3:%d@%d myself,master" % (myid, srv.port, srv.port))


# --------------------------------------------------------------------------------------------
# CLUSTER subcommands
# --------------------------------------------------------------------------------------------


def test_keyslot_and_argument_errors(spawn_darner):
    srv = start_yes(spawn_darner, "inigo montoya")
    with srv.client() as c:
        assert c.cmd_raw("CLUSTER", "MYID") == b"+inigo montoya\r\n"
        examples = {"somekey": 11058, "prefix{somekey}suffix": 11058, "keep-local": 3479,
                    "remove-key-4": 6103, "KEY1": 5259, "X": 7165, "Y": 3036, "FOOX": 16022,
                    "kostas": 2833, "x": 16287, "{}a": slot("{}a")}
        for k, v in examples.items():
            assert c.cmd("CLUSTER", "KEYSLOT", k) == v, k
            assert slot(k) == v
        assert c.cmd_raw("CLUSTER", "KEYSLOT") == \
            b"-ERR wrong number of arguments for 'cluster keyslot' command\r\n"
        assert c.cmd_raw("CLUSTER", "KEYSLOT", "a", "b") == \
            b"-ERR wrong number of arguments for 'cluster keyslot' command\r\n"
        assert c.cmd_raw("CLUSTER", "MYID", "x") == \
            b"-ERR wrong number of arguments for 'cluster myid' command\r\n"
        assert c.cmd_raw("CLUSTER", "bogus") == \
            b"-ERR Unknown subcommand or wrong number of arguments for 'BOGUS'. Try CLUSTER HELP.\r\n"
        assert c.cmd_raw("CLUSTER") == b"-ERR wrong number of arguments for 'cluster' command\r\n"


def test_not_configured(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        for args in (("GET", "x"), ("SET", "x", "1"), ("MGET", "{t}1", "{t}2"), ("DEL", "k")):
            assert c.cmd_raw(*args) == NOT_CONFIGURED, args
        assert c.cmd_raw("MSET", "a", "1", "b", "2") == CROSSSLOT  # checked before ownership
        for sub in ("SHARDS", "SLOTS", "NODES"):
            assert c.cmd_raw("CLUSTER", sub) == NOT_CONFIGURED
        info = c.cmd("CLUSTER", "INFO").decode()
        assert info.startswith("cluster_state:fail\r\ncluster_slots_assigned:0\r\n")
        assert "cluster_known_nodes:0\r\ncluster_size:0\r\n" in info
        assert c.cmd_raw("PING") == b"+PONG\r\n"
        assert c.cmd("DBSIZE") == 0
        assert c.cmd("DFLYCLUSTER", "SLOT-MIGRATION-STATUS") == []
        info = parse_info(c.cmd("INFO", "CLUSTER"))["cluster"]
        assert info == {"cluster_enabled": "1", "migration_errors_total": "0",
                        "total_migrated_keys": "0", "migration_out_bytes": "0",
                        "migration_last_pause_us": "0", "migration_max_pause_us": "0",
                        "migration_stalled_writes": "0",
                        "migration_last_stop_us": "0", "migration_max_stop_us": "0"}


FULL_CONFIG = [
    shard([(0, 8191)], node("node-a", 7000, "10.0.0.1", "online"),
          [node("node-a-r1", 7000, "10.0.0.2", "loading"), node("node-a-r2", 7000, "10.0.0.3", "hidden"),
           node("node-a-r3", 7003, "10.0.0.7", "online")],
          [{"node_id": "node-b", "ip": "10.0.0.4", "port": 7001,
            "slot_ranges": [{"start": 4096, "end": 6000}, {"start": 7000, "end": 8191}]}]),
    shard([(8192, 12287)], node("node-b", 7000, "10.0.0.4")),
    shard([(12288, 12300), (12302, 16383), (12301, 12301)], node("node-c", 7000, "10.0.0.5", "fail"),
          [node("node-c-r1", 7000, "10.0.0.6", "FAIL")]),
]


def expected_node(id_, ip, port, role, health):
    return [b"id", id_, b"endpoint", ip, b"ip", ip, b"port", port, b"role", role,
            b"replication-offset", 0, b"health", health]


def test_reply_shapes_with_replicas_and_health(spawn_darner):
    srv = start_yes(spawn_darner, "node-a-r1")
    with srv.client() as c:
        # Shards given out of order come back sorted by master id.
        cfg = [FULL_CONFIG[2], FULL_CONFIG[0], FULL_CONFIG[1]]
        assert push(c, cfg) == OK
        assert c.cmd("CLUSTER", "SHARDS") == [
            [b"slots", [0, 8191], b"nodes", [
                expected_node(b"node-a", b"10.0.0.1", 7000, b"master", b"online"),
                expected_node(b"node-a-r1", b"10.0.0.2", 7000, b"replica", b"loading"),
                expected_node(b"node-a-r3", b"10.0.0.7", 7003, b"replica", b"online")]],
            [b"slots", [8192, 12287], b"nodes", [
                expected_node(b"node-b", b"10.0.0.4", 7000, b"master", b"online")]],
            [b"slots", [12288, 12300, 12301, 12301, 12302, 16383], b"nodes", [
                expected_node(b"node-c", b"10.0.0.5", 7000, b"master", b"fail"),
                expected_node(b"node-c-r1", b"10.0.0.6", 7000, b"replica", b"fail")]],
        ]
        assert c.cmd("CLUSTER", "SLOTS") == [
            [0, 8191, [b"10.0.0.1", 7000, b"node-a"], [b"10.0.0.7", 7003, b"node-a-r3"]],
            [8192, 12287, [b"10.0.0.4", 7000, b"node-b"]],
            [12288, 12300, [b"10.0.0.5", 7000, b"node-c"]],
            [12301, 12301, [b"10.0.0.5", 7000, b"node-c"]],
            [12302, 16383, [b"10.0.0.5", 7000, b"node-c"]],
        ]
        assert c.cmd("CLUSTER", "NODES") == (
            b"node-a 10.0.0.1:7000@7000 master - 0 0 0 connected 0-8191\n"
            b"node-a-r1 10.0.0.2:7000@7000 myself,slave node-a 0 0 0 connected\n"
            b"node-a-r3 10.0.0.7:7003@7003 slave node-a 0 0 0 connected\n"
            b"node-b 10.0.0.4:7000@7000 master - 0 0 0 connected 8192-12287\n"
            b"node-c 10.0.0.5:7000@7000 master - 0 0 0 disconnected 12288-12300 12301 12302-16383\n"
            b"node-c-r1 10.0.0.6:7000@7000 slave node-c 0 0 0 disconnected\n")
        info = c.cmd("CLUSTER", "INFO").decode()
        assert "cluster_state:ok\r\n" in info
        assert "cluster_known_nodes:7\r\ncluster_size:3\r\n" in info  # hidden replicas count
        # A replica in the config serves its shard's slots.
        assert c.cmd_raw("SET", "KEY1", "v") == OK  # slot 5259
        assert c.cmd_raw("GET", "kostas") == b"$-1\r\n"  # slot 2833
        assert c.cmd_raw("GET", "KEY1") == b"$1\r\nv\r\n"
        assert c.cmd_raw("GET", "FOOX") == b"-MOVED 16022 10.0.0.5:7000\r\n"
        assert c.cmd_raw("GET", "x") == b"-MOVED 16287 10.0.0.5:7000\r\n"
        assert c.cmd_raw("GET", "{a}b") == b"-MOVED 15495 10.0.0.5:7000\r\n"


def test_resp3_replies(spawn_darner):
    srv = start_yes(spawn_darner, "node-b")
    with srv.client() as c:
        assert push(c, FULL_CONFIG) == OK
        c.cmd("HELLO", "3")
        nodes = c.cmd("CLUSTER", "NODES")
        assert isinstance(nodes, Verbatim) and nodes.startswith(b"node-a ")
        assert c.cmd("CLUSTER", "SLOTS")[1] == [8192, 12287, [b"10.0.0.4", 7000, b"node-b"]]


def test_count_and_get_keys_in_slot(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        assert push(c, [shard([(0, 16383)], node("a", srv.port))]) == OK
        keys = [f"{{tag}}{i}" for i in range(50)]
        c.cmd("MSET", *[x for k in keys for x in (k, "v")])
        s = slot("tag")
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", s) == 50
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", (s + 1) % 16384) == 0
        got = c.cmd("CLUSTER", "GETKEYSINSLOT", s, 10)
        assert len(got) == 10 and set(got) <= {k.encode() for k in keys}
        assert sorted(c.cmd("CLUSTER", "GETKEYSINSLOT", s, 1000)) == sorted(k.encode() for k in keys)
        assert c.cmd("CLUSTER", "GETKEYSINSLOT", s, 0) == []
        errors = {
            ("COUNTKEYSINSLOT", "x"): b"-ERR value is not an integer or out of range\r\n",
            ("COUNTKEYSINSLOT", "16384"): b"-ERR Invalid slot\r\n",
            ("COUNTKEYSINSLOT", "-1"): b"-ERR Invalid slot\r\n",
            ("COUNTKEYSINSLOT",): b"-ERR wrong number of arguments for 'cluster|countkeysinslot' command\r\n",
            ("COUNTKEYSINSLOT", "1", "2"):
                b"-ERR wrong number of arguments for 'cluster|countkeysinslot' command\r\n",
            ("GETKEYSINSLOT", "1", "-1"): b"-ERR Invalid slot or number of keys\r\n",
            ("GETKEYSINSLOT", "16384", "1"): b"-ERR Invalid slot or number of keys\r\n",
            ("GETKEYSINSLOT", "x", "1"): b"-ERR value is not an integer or out of range\r\n",
            ("GETKEYSINSLOT", "1", "x"): b"-ERR value is not an integer or out of range\r\n",
            ("GETKEYSINSLOT", "1"): b"-ERR wrong number of arguments for 'cluster|getkeysinslot' command\r\n",
        }
        for args, err in errors.items():
            assert c.cmd_raw("CLUSTER", *args) == err, args


# --------------------------------------------------------------------------------------------
# DFLYCLUSTER subcommands
# --------------------------------------------------------------------------------------------


def test_getslotinfo(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        assert push(c, [shard([(0, 16383)], node("a", srv.port))]) == OK
        c.cmd("SET", "KEY1", "value")  # slot 5259
        c.cmd("GET", "KEY1")
        c.cmd("GET", "KEY1")
        reply = c.cmd("DFLYCLUSTER", "GETSLOTINFO", "SLOTS", "5259", "0-1", "3-2", "5259")
        assert [r[0] for r in reply] == [5259, 0, 1, 2, 3, 5259]
        r = reply[0]
        assert r[1::2] == [b"key_count", b"total_reads", b"total_writes", b"memory_bytes"]
        assert r[2] == 1 and r[4] == 2 and r[6] >= 1 and r[8] > 0
        assert reply[1][2] == 0 and reply[1][8] == 0
        errors = {
            (): b"-ERR syntax error\r\n",
            ("SLOTS",): b"-ERR syntax error\r\n",
            ("NOTSLOTS", "1"): b"-ERR syntax error\r\n",
            ("SLOTS", "1-"): b"-ERR Invalid slot range format\r\n",
            ("SLOTS", "1--2"): b"-ERR Invalid slot range format\r\n",
            ("SLOTS", "1-2-3"): b"-ERR Invalid slot range format\r\n",
            ("SLOTS", "abc-def"): b"-ERR Invalid slot range format\r\n",
            ("SLOTS", "16384"): b"-ERR Invalid slot id\r\n",
            ("SLOTS", "0-16384"): b"-ERR Invalid slot id\r\n",
            ("SLOTS", "-1"): b"-ERR value is not an integer or out of range\r\n",
            ("SLOTS", "x"): b"-ERR value is not an integer or out of range\r\n",
        }
        for args, err in errors.items():
            assert c.cmd_raw("DFLYCLUSTER", "GETSLOTINFO", *args) == err, args


def test_flushslots(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        assert push(c, [shard([(0, 16383)], node("a", srv.port))]) == OK
        keys = [f"k{i}" for i in range(300)]
        for k in keys:
            c.send_command("SET", k, k)
        for _ in keys:
            c.read()
        flushed = [k for k in keys if slot(k) <= 5000]
        assert c.cmd_raw("DFLYCLUSTER", "FLUSHSLOTS", "0", "5000") == OK
        assert c.cmd("DBSIZE") == len(keys) - len(flushed)
        for k in keys:
            assert c.cmd("EXISTS", k) == (0 if k in flushed else 1), k
        # The slots keep working afterwards.
        assert c.cmd_raw("SET", flushed[0], "again") == OK
        assert c.cmd("GET", flushed[0]) == b"again"
        errors = {
            (): b"-ERR syntax error\r\n",
            ("1",): b"-ERR syntax error\r\n",
            ("1", "2", "3"): b"-ERR syntax error\r\n",
            ("5", "4"): b"-ERR Invalid slot range\r\n",
            ("0", "16384"): b"-ERR value is not an integer or out of range\r\n",
            ("x", "1"): b"-ERR value is not an integer or out of range\r\n",
        }
        for args, err in errors.items():
            assert c.cmd_raw("DFLYCLUSTER", "FLUSHSLOTS", *args) == err, args
        assert c.cmd("GET", flushed[0]) == b"again"


def test_dflycluster_errors(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        assert c.cmd_raw("DFLYCLUSTER", "CONFIG") == \
            b"-ERR wrong number of arguments for 'dflycluster config' command\r\n"
        assert c.cmd_raw("DFLYCLUSTER", "CONFIG", "[]", "x") == \
            b"-ERR wrong number of arguments for 'dflycluster config' command\r\n"
        assert c.cmd_raw("DFLYCLUSTER", "MYID") == \
            b"-ERR Unknown subcommand or wrong number of arguments for 'MYID'. Try DFLYCLUSTER HELP.\r\n"
        assert c.cmd("DFLYCLUSTER", "SLOT-MIGRATION-STATUS", "somenode") == []


# --------------------------------------------------------------------------------------------
# config validation: a rejected config leaves the previous one in force
# --------------------------------------------------------------------------------------------


def invalid_configs(port):
    good = [shard([(0, 8191)], node("a", port), [node("ar", 1)]),
            shard([(8192, 16383)], node("b", 2))]

    def edit(fn):
        cfg = copy.deepcopy(good)
        fn(cfg)
        return cfg

    mig = {"node_id": "b", "ip": "127.0.0.1", "port": 2, "slot_ranges": [{"start": 0, "end": 10}]}

    def with_mig(**kw):
        m = dict(copy.deepcopy(mig), **kw)
        return edit(lambda c: c[0].__setitem__("migrations", [m]))

    return {
        "malformed json": '[{"slot_ranges": [}',
        "not an array": '{"slot_ranges": []}',
        "empty array": "[]",
        "shard not an object": "[1, 2]",
        "trailing garbage": json.dumps(good) + "x",
        "missing slot_ranges": edit(lambda c: c[0].pop("slot_ranges")),
        "missing master": edit(lambda c: c[0].pop("master")),
        "missing replicas": edit(lambda c: c[0].pop("replicas")),
        "replicas not array": edit(lambda c: c[0].__setitem__("replicas", {})),
        "migrations not array": edit(lambda c: c[0].__setitem__("migrations", "x")),
        "id not string": edit(lambda c: c[0]["master"].__setitem__("id", 5)),
        "ip missing": edit(lambda c: c[0]["master"].pop("ip")),
        "port string": edit(lambda c: c[0]["master"].__setitem__("port", "7000")),
        "port negative": edit(lambda c: c[0]["master"].__setitem__("port", -1)),
        "port too big": edit(lambda c: c[0]["master"].__setitem__("port", 65536)),
        "port fraction": edit(lambda c: c[0]["master"].__setitem__("port", 1.5)),
        "slot 1E383": json.dumps(good).replace('"end": 16383', '"end": 1E383'),
        "slot negative": edit(lambda c: c[0]["slot_ranges"][0].__setitem__("start", -1)),
        "start > end": edit(lambda c: c[0]["slot_ranges"][0].update(start=8191, end=0)),
        "end 16384": edit(lambda c: c[1]["slot_ranges"][0].__setitem__("end", 16384)),
        "slot range not object": edit(lambda c: c[0].__setitem__("slot_ranges", [[0, 8191]])),
        "overlap across shards": edit(lambda c: c[1]["slot_ranges"][0].__setitem__("start", 8000)),
        "overlap within shard": edit(lambda c: c[0]["slot_ranges"].append({"start": 5, "end": 6})),
        "missing slots": edit(lambda c: c[1]["slot_ranges"][0].__setitem__("end", 16382)),
        "duplicate master ids": edit(lambda c: c[1]["master"].__setitem__("id", "a")),
        "duplicate replica id": edit(lambda c: c[1]["replicas"].append(node("ar", 3))),
        "replica id equals master": edit(lambda c: c[1]["replicas"].append(node("b", 3))),
        "migration to self": with_mig(node_id="a"),
        "migration to a replica": with_mig(node_id="ar"),
        "migration to unknown": with_mig(node_id="zz"),
        "migration empty ranges": with_mig(slot_ranges=[]),
        "migration missing ranges": edit(lambda c: c[0].__setitem__(
            "migrations", [{k: v for k, v in mig.items() if k != "slot_ranges"}])),
        "migration outside shard": with_mig(slot_ranges=[{"start": 9000, "end": 9001}]),
        "migration bad range": with_mig(slot_ranges=[{"start": 10, "end": 5}]),
        "migration port": with_mig(port=70000),
        "two migrations to one target": edit(lambda c: c[0].__setitem__("migrations", [
            mig, dict(mig, slot_ranges=[{"start": 20, "end": 30}])])),
        "overlapping migration ranges": with_mig(slot_ranges=[{"start": 0, "end": 10},
                                                              {"start": 5, "end": 20}]),
    }


def test_invalid_configs_are_rejected_and_change_nothing(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        good = [shard([(0, 8191)], node("a", srv.port), [node("ar", 1)]),
                shard([(8192, 16383)], node("b", 2))]
        assert push(c, good) == OK
        c.cmd("SET", "KEY1", "v")
        before = (c.cmd_raw("CLUSTER", "SHARDS"), c.cmd_raw("CLUSTER", "SLOTS"),
                  c.cmd_raw("CLUSTER", "NODES"), c.cmd_raw("CLUSTER", "INFO"))
        for name, cfg in invalid_configs(srv.port).items():
            assert push(c, cfg) == INVALID, name
            after = (c.cmd_raw("CLUSTER", "SHARDS"), c.cmd_raw("CLUSTER", "SLOTS"),
                     c.cmd_raw("CLUSTER", "NODES"), c.cmd_raw("CLUSTER", "INFO"))
            assert after == before, name
        assert c.cmd("GET", "KEY1") == b"v"
        assert c.cmd_raw("GET", "x") == b"-MOVED 16287 127.0.0.1:2\r\n"
        # Lenient parts of the schema: null migrations, unknown fields and health values.
        cfg = copy.deepcopy(good)
        cfg[0]["migrations"] = None
        cfg[0]["extra"] = {"nested": [1, 2]}
        cfg[1]["master"]["health"] = "sleepy"
        assert push(c, cfg) == OK
        assert c.cmd("CLUSTER", "SHARDS")[1][3][0][-1] == b"online"


def test_overflowing_slot_in_pipeline_keeps_connection(spawn_darner):
    srv = start_yes(spawn_darner, "0" * 40, threads=1)
    with srv.client() as c:
        bad = json.dumps([shard([(0, 16383)], node("0" * 40, srv.port))]).replace("16383", "1E383")
        c.send_command("DFLYCLUSTER", "CONFIG", bad)
        c.send_command("CLUSTER", "MYID")
        assert c.read_raw() == INVALID
        assert c.read_raw() == b"+" + b"0" * 40 + b"\r\n"


def test_deeply_nested_config_rejected_quickly(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        t = time.monotonic()
        assert push(c, "[" * 200000 + "]" * 200000) == INVALID
        assert push(c, '[{"a":' * 100000) == INVALID
        assert time.monotonic() - t < scaled(2)
        assert c.cmd_raw("PING") == b"+PONG\r\n"


def test_identical_config_is_a_no_op(spawn_darner):
    srv = start_yes(spawn_darner, "a")
    with srv.client() as c:
        cfg = [shard([(0, 100), (200, 16383)], node("a", srv.port), [node("r1", 1), node("r2", 2)]),
               shard([(101, 199)], node("b", 3))]
        assert push(c, cfg) == OK
        c.cmd("SET", "KEY1", "v")
        # Same config with shards, ranges and replicas reordered: nothing happens.
        again = [copy.deepcopy(cfg[1]), copy.deepcopy(cfg[0])]
        again[1]["slot_ranges"].reverse()
        again[1]["replicas"].reverse()
        assert push(c, again) == OK
        assert c.cmd("GET", "KEY1") == b"v"


# --------------------------------------------------------------------------------------------
# routing and applying configs
# --------------------------------------------------------------------------------------------


def test_moved_and_crossslot(spawn_darner):
    a = start_yes(spawn_darner, "a")
    b = start_yes(spawn_darner, "b")
    cfg = two_node_config(a.port, b.port, split=5000, ip_b="localhost")
    with a.client() as ca, b.client() as cb:
        assert push(ca, cfg) == OK and push(cb, cfg) == OK
        assert ca.cmd_raw("SET", "KEY1", "x") == b"-MOVED 5259 localhost:%d\r\n" % b.port
        assert cb.cmd_raw("SET", "KEY1", "x") == OK
        assert cb.cmd_raw("GET", "Y") == b"-MOVED 3036 127.0.0.1:%d\r\n" % a.port
        assert ca.cmd_raw("SET", "Y", "y") == OK
        for c in (ca, cb):
            assert c.cmd_raw("MSET", "KEY1", "1", "Y", "2") == CROSSSLOT
            assert c.cmd_raw("MGET", "KEY1", "Y") == CROSSSLOT
            assert c.cmd_raw("DEL", "KEY1", "Y") == CROSSSLOT
            assert c.cmd_raw("RENAME", "KEY1", "Y") == CROSSSLOT
            assert c.cmd_raw("EXISTS", "KEY1", "Y", "KEY1") == CROSSSLOT
        # Same slot: fine on the owner, MOVED elsewhere.
        assert ca.cmd_raw("MSET", "{Y}1", "a", "{Y}2", "b") == OK
        assert ca.cmd("MGET", "{Y}1", "{Y}2") == [b"a", b"b"]
        assert cb.cmd_raw("MSET", "{Y}1", "a", "{Y}2", "b") == b"-MOVED 3036 127.0.0.1:%d\r\n" % a.port
        # Keyless commands are never redirected.
        assert cb.cmd_raw("PING") == b"+PONG\r\n"
        assert ca.cmd("DBSIZE") == 3
        # READWRITE: OK in a real cluster too (Dragonfly says "Cluster is disabled" here).
        assert ca.cmd_raw("READWRITE") == OK
        assert ca.cmd_raw("READONLY") == OK
        # Restrictions of a real cluster.
        assert ca.cmd_raw("SELECT", "1") == b"-ERR SELECT is not allowed in cluster mode\r\n"
        assert ca.cmd_raw("SELECT", "0") == OK
        assert ca.cmd_raw("SELECT", "x") == b"-ERR value is not an integer or out of range\r\n"
        assert ca.cmd_raw("MOVE", "Y", "1") == b"-ERR MOVE is not allowed in cluster mode\r\n"
        info = parse_info(ca.cmd("INFO", "ALL"))
        assert info["server"]["redis_mode"] == "cluster"
        assert info["cluster"]["cluster_enabled"] == "1"
        assert info["errorstats"]["errorstat_MOVED"].startswith("count=")
        assert info["errorstats"]["errorstat_CROSSSLOT"].startswith("count=")


def test_reassigning_slots_deletes_exactly_the_lost_keys(spawn_darner):
    a = start_yes(spawn_darner, "a", threads=3)
    b = start_yes(spawn_darner, "b")
    cfg = two_node_config(a.port, b.port, split=16383 // 2)
    cfg[1]["slot_ranges"] = []
    cfg[0]["slot_ranges"] = [{"start": 0, "end": 16383}]
    with a.client() as ca, b.client() as cb:
        assert push(ca, cfg) == OK and push(cb, cfg) == OK
        keys = [f"key:{i}" for i in range(5000)]
        for k in keys:
            ca.send_command("SET", k, k, *(["EX", "1000"] if int(k[4:]) % 3 == 0 else []))
        for _ in keys:
            assert ca.read() == "OK"
        assert ca.cmd("DBSIZE") == len(keys)
        # Slots 1000-2999 and 9000-9500 go to b.
        moved = [(1000, 2999), (9000, 9500)]
        new = [shard([(0, 999), (3000, 8999), (9501, 16383)], node("a", a.port)),
               shard(moved, node("b", b.port))]
        t = time.monotonic()
        assert push(ca, new) == OK
        took = time.monotonic() - t
        assert push(cb, new) == OK
        assert took < scaled(1.0)
        lost = {k for k in keys if any(lo <= slot(k) <= hi for lo, hi in moved)}
        assert 0 < len(lost) < len(keys)
        assert ca.cmd("DBSIZE") == len(keys) - len(lost)
        for k in keys[:500]:
            if k in lost:
                assert ca.cmd_raw("GET", k) == b"-MOVED %d 127.0.0.1:%d\r\n" % (slot(k), b.port)
                assert cb.cmd_raw("GET", k) == b"$-1\r\n"
            else:
                assert ca.cmd("GET", k) == k.encode()
        assert ca.cmd("DFLYCLUSTER", "GETSLOTINFO", "SLOTS", "1000-2999")[0][2] == 0
        # Background deletion frees the memory too.
        wait_until(lambda: all(r[2] == 0 for r in
                               ca.cmd("DFLYCLUSTER", "GETSLOTINFO", "SLOTS", "1000-1010")))
        # Expired-key bookkeeping survives the detach (keys with TTLs were among the dropped).
        assert ca.cmd("TTL", next(k for k in keys if k not in lost and int(k[4:]) % 3 == 0)) > 0
        # A node given nothing by the config keeps nothing.
        only_b = [shard([(0, 16383)], node("b", b.port)), shard([], node("a", a.port))]
        assert push(ca, only_b) == OK
        assert ca.cmd("DBSIZE") == 0
        assert ca.cmd_raw("GET", "key:1") == b"-MOVED %d 127.0.0.1:%d\r\n" % (slot("key:1"), b.port)


def test_node_named_nowhere_keeps_nothing(spawn_darner):
    a = start_yes(spawn_darner, "a")
    with a.client() as c:
        assert push(c, [shard([(0, 16383)], node("a", a.port))]) == OK
        for i in range(100):
            c.cmd("SET", f"k{i}", "v")
        stranger = [shard([(0, 16383)], node("other", 1))]
        assert push(c, stranger) == OK
        assert c.cmd("DBSIZE") == 0
        assert c.cmd_raw("SET", "Y", "1") == b"-MOVED 3036 127.0.0.1:1\r\n"
        assert c.cmd("CLUSTER", "INFO").startswith(b"cluster_state:ok")


def test_config_switch_under_write_load_leaves_no_stray_keys(spawn_darner):
    """Writers keep writing to slots that move back and forth between two configs. After the
    last config, the node holds only keys of slots it owns: no write admitted under an old
    config lands after the slots were dropped."""
    a = start_yes(spawn_darner, "a", threads=3)
    full = [shard([(0, 16383)], node("a", a.port)), shard([], node("b", 1))]
    half = [shard([(0, 8191)], node("a", a.port)), shard([(8192, 16383)], node("b", 1))]
    with a.client() as c:
        assert push(c, full) == OK
    stop = threading.Event()
    errors = []

    def writer(seed):
        with RawClient(port=a.port, timeout=10) as w:
            i = 0
            while not stop.is_set():
                # Half are MSETs: they lock, then write in a second hop, the widest
                # window for a config switch to land in between.
                for j in range(50):
                    if j % 2:
                        w.send_command("MSET", f"{{w{seed}:{i}:{j}}}a", "x", f"{{w{seed}:{i}:{j}}}b", "y")
                    else:
                        w.send_command("SET", f"w{seed}:{i}:{j}", "x")
                for _ in range(50):
                    r = w.read()
                    if isinstance(r, RespError) and not r.startswith("MOVED"):
                        errors.append(r)
                i += 1

    threads = [CheckedThread(target=writer, args=(n,), stop_event=stop) for n in range(4)]
    for t in threads:
        t.start()
    try:
        with a.client() as c:
            for round_ in range(10):
                time.sleep(0.05)
                t = time.monotonic()
                assert push(c, half if round_ % 2 == 0 else full) == OK
                assert time.monotonic() - t < scaled(1.5)
            assert push(c, half) == OK
    finally:
        stop_threads(threads)
    assert not errors, errors[:5]
    with a.client() as c:
        total = c.cmd("DBSIZE")
        for s in range(16384):
            c.send_command("CLUSTER", "COUNTKEYSINSLOT", s)
        counts = [c.read() for _ in range(16384)]
        assert total > 0 and sum(counts[:8192]) == total
        assert sum(counts[8192:]) == 0


def test_debug_populate_fills_only_served_slots(spawn_darner):
    a = start_yes(spawn_darner, "a")
    with a.client() as c:
        assert push(c, [shard([(0, 8191)], node("a", a.port)), shard([(8192, 16383)], node("b", 1))]) == OK
        assert c.cmd_raw("DEBUG", "POPULATE", "1000") == OK
        served = [i for i in range(1000) if slot(f"key:{i}") <= 8191]
        assert c.cmd("DBSIZE") == len(served)
        assert c.cmd("GET", f"key:{served[0]}") == f"value:{served[0]}".encode()
        # SLOTS creates the first 1,000 keys p:<i> whose slot is in the range (Dragonfly's meaning).
        assert c.cmd_raw("DEBUG", "POPULATE", "1000", "p", "8", "SLOTS", "0", "99") == OK
        in_range = [i for i in range(200_000) if slot(f"p:{i}") <= 99][:1000]
        assert c.cmd("DBSIZE") == len(served) + 1000
        assert all(c.cmd("EXISTS", f"p:{i}") == 1 for i in in_range)  # cluster mode: one slot each
        assert c.cmd("STRLEN", f"p:{in_range[0]}") == 8
        assert c.cmd_raw("DEBUG", "POPULATE", "10", "p", "8", "SLOTS", "5", "4") == \
            b"-ERR Invalid slot range\r\n"
        assert c.cmd_raw("DEBUG", "POPULATE", "10", "p", "8", "SLOTS", "5") == b"-ERR syntax error\r\n"
        assert c.cmd_raw("DEBUG", "POPULATE", "10", "p", "8", "9") == b"-ERR syntax error\r\n"


def test_admin_port_accepts_dflycluster(spawn_darner):
    srv = spawn_darner({"cluster_mode": "yes", "cluster_node_id": "a"}, with_admin_port=True)
    with RawClient(port=srv.admin_port) as adm, srv.client() as c:
        assert push(adm, [shard([(0, 16383)], node("a", srv.port))]) == OK
        assert c.cmd_raw("SET", "k", "v") == OK
        assert adm.cmd("CLUSTER", "MYID") == "a"
        assert push(c, [shard([(0, 16383)], node("b", 5)), shard([], node("a", srv.port))]) == OK
        assert adm.cmd_raw("GET", "k") == b"-MOVED %d 127.0.0.1:5\r\n" % slot("k")


@pytest.mark.timeout(60)
def test_sigterm_while_lost_slots_are_being_freed(spawn_darner):
    """Shutdown is not held up by the background freeing of a large detached slot set."""
    a = start_yes(spawn_darner, "a", threads=2)
    with a.client(timeout=30) as c:
        assert push(c, [shard([(0, 16383)], node("a", a.port))]) == OK
        assert c.cmd_raw("DEBUG", "POPULATE", "400000") == OK
        assert c.cmd("DBSIZE") == 400000
        assert push(c, [shard([(0, 16383)], node("b", 1)), shard([], node("a", a.port))]) == OK
        assert c.cmd("DBSIZE") == 0
        t0 = time.monotonic()
        a.signal(signal.SIGTERM)
        rc = a.wait(timeout=scaled(1.0))
        assert rc == 0, f"exit code {rc} {time.monotonic() - t0:.3f}s after SIGTERM"
