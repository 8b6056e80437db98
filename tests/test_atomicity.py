"""Multi-key atomicity across shards.

Darner splits the keyspace over proactor threads (shards); MSET / MGET / DEL
over keys on several shards must still look atomic to every client, as they
do on single-threaded Redis. The tests start their own server with
--proactor_threads=2 (ignored by redis-server, where they trivially hold,
which validates the tests themselves) and are bounded to a few seconds.
"""

import time

import pytest

from helpers import CheckedThread, encode_command

N_KEYS = 20
KEYS = [f"atom:{i}" for i in range(N_KEYS)]  # hash to different shards
DURATION = 2.5


class Worker(CheckedThread):
    """Runs fn(worker, client) for DURATION seconds; an exception (a failed check in fn, a lost
    connection) ends it and is reported by `check()`."""

    def __init__(self, srv, fn):
        super().__init__()
        self.srv, self.fn = srv, fn
        self.count = 0

    def work(self):
        with self.srv.client(timeout=10) as c:
            deadline = time.monotonic() + DURATION
            while time.monotonic() < deadline:
                self.fn(self, c)
                self.count += 1


def run_workers(workers):
    for w in workers:
        w.start()
    for w in workers:
        w.join(DURATION + 20)
    assert not any(w.is_alive() for w in workers), "a worker did not finish in time"


@pytest.fixture
def sharded(spawn_server):
    return spawn_server(threads=2)


@pytest.mark.timeout(60)
def test_mset_mget_never_torn(sharded):
    with sharded.client() as c:
        assert c.cmd_raw("MSET", *[x for k in KEYS for x in (k, "init")]) == b"+OK\r\n"
    seen_values = set()
    torn = []

    def writer_fn(wid):
        def fn(w, c):
            v = f"w{wid}:{w.count}"
            reply = c.cmd_raw("MSET", *[x for k in KEYS for x in (k, v)])
            assert reply == b"+OK\r\n", reply
        return fn

    def reader_fn(w, c):
        vals = c.cmd("MGET", *KEYS)
        assert len(vals) == N_KEYS
        if len(set(vals)) != 1:
            torn.append(vals)
            raise AssertionError(f"torn MGET: {sorted(set(vals))[:4]}")
        seen_values.add(vals[0])

    writers = [Worker(sharded, writer_fn(i)) for i in range(2)]
    readers = [Worker(sharded, reader_fn) for _ in range(3)]
    run_workers(writers + readers)
    assert not torn, f"{len(torn)} MGETs saw mixed values, e.g. {torn[0][:6]}"
    for w in writers + readers:
        w.check()
    assert all(w.count > 50 for w in writers), [w.count for w in writers]
    assert all(w.count > 50 for w in readers), [w.count for w in readers]
    # the readers really raced the writers
    assert len(seen_values) > 10, f"readers saw only {len(seen_values)} distinct values"


@pytest.mark.timeout(60)
def test_del_and_mset_all_or_nothing(sharded):
    bad = []

    def writer(w, c):
        if w.count % 2 == 0:
            assert c.cmd_raw("MSET", *[x for k in KEYS for x in (k, f"v{w.count}")]) == b"+OK\r\n"
        else:
            n = c.cmd("DEL", *KEYS)
            assert n == N_KEYS, n

    def reader(w, c):
        if w.count % 2 == 0:
            vals = c.cmd("MGET", *KEYS)
            if not (all(v is None for v in vals) or len(set(vals)) == 1):
                bad.append(vals)
                raise AssertionError("partial MGET")
        else:
            n = c.cmd("EXISTS", *KEYS)
            if n not in (0, N_KEYS):
                bad.append(n)
                raise AssertionError(f"EXISTS saw {n} of {N_KEYS} keys")

    ws = [Worker(sharded, writer)]
    rs = [Worker(sharded, reader) for _ in range(3)]
    run_workers(ws + rs)
    assert not bad, f"non-atomic observation, e.g. {bad[0]!r}"
    for w in ws + rs:
        w.check()
    assert ws[0].count > 50 and all(r.count > 50 for r in rs)


@pytest.mark.timeout(60)
def test_msetnx_exactly_one_winner(sharded):
    """Concurrent MSETNX over the same keys: exactly one wins each round, never a mix."""
    rounds = 100
    conns = [sharded.client(timeout=10) for _ in range(4)]
    try:
        for r in range(rounds):
            keys = [f"nx{r}:{i}" for i in range(10)]
            for j, c in enumerate(conns):
                c.send(encode_command("MSETNX", *[x for k in keys for x in (k, f"c{j}")]))
            wins = [c.read() for c in conns]
            assert sorted(wins) == [0, 0, 0, 1], (r, wins)
            vals = conns[0].cmd("MGET", *keys)
            assert vals == [f"c{wins.index(1)}".encode()] * 10, (r, vals)
    finally:
        for c in conns:
            c.close()


@pytest.mark.timeout(60)
def test_concurrent_incr_no_lost_updates(sharded):
    n_clients, per_client = 8, 500
    conns = [sharded.client(timeout=10) for _ in range(n_clients)]
    try:
        batch = b"".join(encode_command("INCR", "counter") + encode_command("INCRBY", f"own{i % 3}", "2")
                         for i in range(per_client))
        for c in conns:
            c.send(batch)
        for c in conns:
            for _ in range(2 * per_client):
                r = c.read()
                assert isinstance(r, int), r
        assert conns[0].cmd("GET", "counter") == str(n_clients * per_client).encode()
        total = sum(int(conns[0].cmd("GET", f"own{i}")) for i in range(3))
        assert total == 2 * n_clients * per_client
    finally:
        for c in conns:
            c.close()
