"""Helpers shared by the cluster tests: config JSON builders, pushing configs, the slot
function, and an encoder for Dragonfly's migration flow stream (spec dragonfly-cluster.md §4.5)
so tests can act as a migration source."""
import json
import socket

from helpers import RawClient


def node(id_, port, ip="127.0.0.1", health=None):
    n = {"id": id_, "ip": ip, "port": port}
    if health is not None:
        n["health"] = health
    return n


def shard(ranges, master, replicas=(), migrations=None):
    s = {"slot_ranges": [{"start": a, "end": b} for a, b in ranges], "master": master,
         "replicas": list(replicas)}
    if migrations is not None:
        s["migrations"] = migrations
    return s


def push(c: RawClient, config) -> bytes:
    """DFLYCLUSTER CONFIG; returns the raw reply."""
    text = config if isinstance(config, str) else json.dumps(config)
    return c.cmd_raw("DFLYCLUSTER", "CONFIG", text)


def start_yes(spawn_darner, node_id, threads=2, **flags):
    return spawn_darner({"cluster_mode": "yes", "cluster_node_id": node_id, **flags}, threads=threads)


def slot(key: str) -> int:
    # CRC16-XMODEM of the hash tag, as Redis Cluster computes it.
    k = key.encode()
    s = k.find(b"{")
    if s != -1:
        e = k.find(b"}", s + 1)
        if e != -1 and e != s + 1:
            k = k[s + 1:e]
    crc = 0
    for byte in k:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc & 0x3FFF



def key_in_slots(lo: int, hi: int, prefix: str = "k", skip: int = 0) -> str:
    """The (skip+1)-th key named <prefix><n> whose slot is in [lo, hi]."""
    n = 0
    while True:
        k = f"{prefix}{n}"
        if lo <= slot(k) <= hi:
            if skip == 0:
                return k
            skip -= 1
        n += 1


# --- flow stream encoding (§4.5) ---------------------------------------------------------------


def packed(v: int) -> bytes:
    if v < 64:
        return bytes([v])
    if v < 16384:
        return bytes([0x40 | (v >> 8), v & 0xFF])
    if v <= 0xFFFFFFFF:
        return b"\x80" + v.to_bytes(4, "big")
    return b"\x81" + v.to_bytes(8, "big")


def rec_select(db: int = 0) -> bytes:
    return packed(6) + packed(db)


def rec_command(*args, txid: int = 0) -> bytes:
    parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    body = b"".join(packed(len(p)) + p for p in parts)
    return (packed(10) + packed(txid) + packed(1) + packed(len(parts))
            + packed(sum(len(p) for p in parts)) + body)


def rec_lsn(value: int) -> bytes:
    return packed(15) + packed(value)


def rec_ping() -> bytes:
    return packed(13)


class FakeSource:
    """Plays the source side of a migration against a Darner target: a control connection for
    INIT/ACK and one raw socket per flow."""

    def __init__(self, port: int, source_id: str, ranges, num_flows: int = 2):
        self.port = port
        self.source_id = source_id
        self.ranges = ranges
        self.num_flows = num_flows
        self.control = RawClient(port=port)
        self.flows: list[socket.socket] = []

    def init(self) -> bytes:
        args = [x for r in self.ranges for x in r]
        return self.control.cmd_raw("DFLYMIGRATE", "INIT", self.source_id, self.num_flows, *args)

    def open_flow(self, shard_id: int) -> bytes:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(b"DFLYMIGRATE FLOW %s %d\r\n" % (self.source_id.encode(), shard_id))
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = s.recv(1024)
            if not chunk:
                break
            reply += chunk
        if reply == b"+OK\r\n":
            self.flows.append(s)
        else:
            s.close()
        return reply

    def open_all_flows(self):
        for i in range(self.num_flows):
            assert self.open_flow(i) == b"+OK\r\n"

    def send(self, flow: int, data: bytes):
        self.flows[flow].sendall(data)

    def ack(self, attempt: int, timeout: float = 10) -> bytes:
        return self.control.cmd_raw("DFLYMIGRATE", "ACK", self.source_id, attempt, timeout=timeout)

    def flow_closed_by_peer(self, flow: int, timeout: float) -> bool:
        s = self.flows[flow]
        s.settimeout(timeout)
        try:
            return s.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        for s in self.flows:
            s.close()
        self.control.close()
