"""maxmemory-policy: keys are evicted at --maxmemory instead of writes failing, by each policy's
rule; OBJECT FREQ / IDLETIME; evicted_keys in INFO. Every test holds for redis-server 7.0 too
(its sampling is approximate, so the assertions are about what survives most), except those
marked darner_only."""
import time

import pytest

from helpers import encode_command, parse_info, sanitizer_build, wait_until

OK = b"+OK\r\n"
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
VALUE = b"x" * 1000
ROOM = 4 * 1024 * 1024  # maxmemory above the empty server's use


def memory(c):
    return parse_info(c.cmd("INFO", "memory"))["memory"]


def evicted(c) -> int:
    return int(parse_info(c.cmd("INFO", "stats"))["stats"]["evicted_keys"])


def limit_memory(c, policy: str) -> int:
    """Sets the policy and a limit ROOM above what the server uses now; returns the limit."""
    assert c.cmd_raw("CONFIG", "SET", "maxmemory-policy", policy) == OK
    limit = int(memory(c)["used_memory"]) + ROOM
    assert c.cmd_raw("CONFIG", "SET", "maxmemory", str(limit)) == OK
    return limit


def write(c, keys, ttl=None):
    """SETs every key (pipelined in batches); returns the replies that were not +OK."""
    bad = []
    for start in range(0, len(keys), 500):
        batch = keys[start:start + 500]
        extra = ("EX", str(ttl)) if ttl else ()
        c.send(b"".join(encode_command("SET", k, VALUE, *extra) for k in batch))
        bad += [r for r in (c.read_raw(timeout=30) for _ in batch) if r != OK]
    return bad


@pytest.fixture
def srv(spawn_server):
    # Each policy's choice is checked a few MB from the limit, where Darner's RSS is mostly fixed
    # costs; RSS-driven eviction (which lowers the target by up to a tenth) has its own tests.
    return spawn_server({"enable_heartbeat_rss_eviction": "false"}, threads=2)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_evict_instead_of_failing(srv, policy):
    with srv.client(timeout=30) as c:
        limit = limit_memory(c, policy)
        keys = [f"k{i}" for i in range(20000)]  # about 20 MB into 4 MB of room
        assert write(c, keys) == []
        n = c.cmd("DBSIZE")
        assert 0 < n < 20000
        assert evicted(c) >= 20000 - n
        wait_until(lambda: int(memory(c)["used_memory"]) <= limit * 1.1, timeout=5,
                   msg="used memory back within 10% of maxmemory")
        assert memory(c)["maxmemory_policy"] == policy


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_evict_only_keys_with_a_ttl(srv, policy):
    with srv.client(timeout=30) as c:
        limit_memory(c, policy)
        persistent = [f"p{i}" for i in range(1000)]  # 1 MB that must stay
        assert write(c, persistent) == []
        volatile = [f"v{i}" for i in range(10000)]
        assert write(c, volatile, ttl=1000) == []
        assert sum(c.cmd("EXISTS", k) for k in persistent) == 1000
        assert evicted(c) > 0
        # Once no key with a TTL is left, writes fail as with noeviction.
        bad = write(c, [f"q{i}" for i in range(20000)])
        assert bad and set(bad) == {OOM}


def test_volatile_ttl_evicts_the_nearest_deadlines_first(srv):
    with srv.client(timeout=30) as c:
        limit_memory(c, "volatile-ttl")
        for i in range(6000):  # TTLs 1000 s .. 6999 s, in a shuffled order of writing
            j = (i * 7919) % 6000
            c.send(encode_command("SET", f"t{j}", VALUE, "EX", str(1000 + j)))
        assert [c.read_raw(timeout=30) for _ in range(6000)] == [OK] * 6000
        gone = [j for j in range(6000) if c.cmd("EXISTS", f"t{j}") == 0]
        assert gone
        # Evicted keys are mostly those with the shortest TTLs (Redis samples; Darner is exact).
        assert sum(gone) / len(gone) < 3000


def test_lfu_keeps_hot_keys(srv):
    with srv.client(timeout=30) as c:
        limit_memory(c, "allkeys-lfu")
        hot = [f"hot{i}" for i in range(200)]
        assert write(c, hot) == []
        for _ in range(50):
            c.send(b"".join(encode_command("GET", k) for k in hot))
            for _ in hot:
                c.read_raw()
        assert write(c, [f"cold{i}" for i in range(20000)]) == []
        assert evicted(c) > 0
        survivors = sum(c.cmd("EXISTS", k) for k in hot)
        assert survivors >= 180, survivors
        assert c.cmd("OBJECT", "FREQ", "hot0") > 5


def test_lru_keeps_recently_used_keys(srv):
    with srv.client(timeout=30) as c:
        limit_memory(c, "allkeys-lru")
        hot = [f"hot{i}" for i in range(200)]
        assert write(c, hot) == []
        assert write(c, [f"old{i}" for i in range(2500)]) == []
        time.sleep(2.1)  # the LRU clock counts seconds
        for k in hot:
            assert c.cmd_raw("GET", k) == b"$1000\r\n" + VALUE + b"\r\n"
        # Fewer new keys than old ones: evicting the old ones is enough to make room.
        assert write(c, [f"new{i}" for i in range(2000)]) == []
        assert evicted(c) > 0
        survivors = sum(c.cmd("EXISTS", k) for k in hot)
        assert survivors >= 180, survivors


def test_object_freq_and_idletime_follow_the_policy(srv):
    with srv.client() as c:
        assert c.cmd_raw("SET", "k", "v") == OK
        time.sleep(1.2)
        assert c.cmd("OBJECT", "IDLETIME", "k") >= 1
        assert c.cmd("OBJECT", "IDLETIME", "k") >= 1  # OBJECT itself is no access
        assert c.cmd_raw("OBJECT", "FREQ", "k") == (
            b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            b"note that when switching between policies at runtime LRU and LFU data will take "
            b"some time to adjust.\r\n")
        assert c.cmd_raw("GET", "k") == b"$1\r\nv\r\n"
        assert c.cmd("OBJECT", "IDLETIME", "k") == 0
        assert c.cmd_raw("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == OK
        assert c.cmd_raw("OBJECT", "IDLETIME", "k") == (
            b"-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
            b"when switching between policies at runtime LRU and LFU data will take some time to "
            b"adjust.\r\n")
        assert c.cmd_raw("SET", "f", "v") == OK
        assert c.cmd("OBJECT", "FREQ", "f") == 5  # a new key's counter (LFU_INIT_VAL)
        assert c.cmd_raw("OBJECT", "FREQ", "missing") == b"$-1\r\n"


def test_policy_errors_and_config(srv):
    with srv.client() as c:
        assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"noeviction"]
        assert c.cmd_raw("CONFIG", "SET", "maxmemory-policy", "bogus") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "
            b"argument(s) must be one of the following: volatile-lru, volatile-lfu, "
            b"volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
            b"noeviction\r\n")
        assert c.cmd_raw("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU") == OK
        assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
        assert memory(c)["maxmemory_policy"] == "allkeys-lru"


def test_noeviction_still_refuses_writes(srv):
    with srv.client(timeout=30) as c:
        limit_memory(c, "noeviction")
        bad = write(c, [f"k{i}" for i in range(20000)])
        assert bad and set(bad) == {OOM}
        assert evicted(c) == 0


@pytest.mark.darner_only
def test_cache_mode_flag_evicts(spawn_darner):
    srv = spawn_darner({"cache_mode": "true", "maxmemory": "8mb"}, threads=2)
    with srv.client(timeout=30) as c:
        assert memory(c)["maxmemory_policy"] == "allkeys-lfu"
        assert write(c, [f"k{i}" for i in range(20000)]) == []
        assert evicted(c) > 0
    srv2 = spawn_darner({"cache_mode": "true", "maxmemory_policy": "allkeys-random"})
    with srv2.client() as c:
        assert memory(c)["maxmemory_policy"] == "allkeys-random"


def fill_and_settle(c, keys: int) -> float:
    """Writes `keys` 1000-byte keys, lets the periodic eviction run; returns used/maxmemory."""
    assert write(c, [f"k{i}" for i in range(keys)]) == []
    time.sleep(0.5)  # several 100 ms ticks: RSS sampled, background eviction done
    m = memory(c)
    return int(m["used_memory"]) / int(m["maxmemory"])


@pytest.mark.darner_only
@pytest.mark.skipif(sanitizer_build(), reason="RSS eviction is off in sanitizer builds")
def test_rss_over_the_limit_lowers_the_eviction_target(spawn_darner):
    # At 6 MB the allocator's fixed costs alone carry RSS past the limit: with RSS eviction the
    # data settles below the limit, by at most a tenth of it (the cap); without, at the limit.
    on = spawn_darner({"maxmemory_policy": "allkeys-lru", "maxmemory": "6mb"}, threads=1)
    with on.client(timeout=30) as c:
        ratio = fill_and_settle(c, 20000)
        assert 0.88 <= ratio <= 0.97, ratio
        assert evicted(c) > 0
    off = spawn_darner({"maxmemory_policy": "allkeys-lru", "maxmemory": "6mb",
                        "enable_heartbeat_rss_eviction": "false"}, threads=1)
    with off.client(timeout=30) as c:
        ratio = fill_and_settle(c, 20000)
        assert 0.97 < ratio <= 1.0, ratio


@pytest.mark.darner_only
def test_heartbeat_eviction_flag(spawn_darner):
    # Without heartbeat eviction only writes evict: memory over the limit after CONFIG SET
    # maxmemory stays there until the next write (with it, the periodic task evicts).
    for heartbeat, expect_evicted in (("true", True), ("false", False)):
        srv = spawn_darner({"maxmemory_policy": "allkeys-lru",
                            "enable_heartbeat_eviction": heartbeat}, threads=1)
        with srv.client(timeout=30) as c:
            assert write(c, [f"k{i}" for i in range(4000)]) == []
            used = int(memory(c)["used_memory"])
            assert c.cmd_raw("CONFIG", "SET", "maxmemory", str(used // 2)) == OK
            time.sleep(0.5)
            assert (evicted(c) > 0) == expect_evicted, heartbeat
            assert c.cmd_raw("SET", "one-more", "v") == OK
            assert evicted(c) > 0
