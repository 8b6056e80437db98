"""A TCP proxy for fault injection between two nodes (127.0.0.1 only).

Every accepted connection is forwarded to the target port by two pump threads, one per
direction: "up" (client to server) and "down" (server to client). Faults apply per direction
and either to every connection or to one (by the order connections were accepted, from 0):

    proxy = FaultProxy(target_port)       # listens on proxy.port
    proxy.delay(0.2, "down")              # hold every chunk 200 ms before passing it on
    proxy.blackhole("up", conn=1)         # connection 1: read client bytes, drop them
    proxy.clear()                         # no faults
    proxy.reset_all()                     # RST every open connection
    proxy.refuse(True)                    # new connections are reset at once
    proxy.close()

Bytes are never reordered: a delayed chunk holds back the ones after it.
"""
import socket
import struct
import threading
import time

DIRECTIONS = ("up", "down")


def _rst(sock: socket.socket):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _send_all(conn, dst: socket.socket, data: bytes) -> bool:
    """Sends all of data, waiting as long as the receiver does not read (until conn closes)."""
    view = memoryview(data)
    while view and not conn.closed.is_set():
        try:
            view = view[dst.send(view):]
        except socket.timeout:
            continue
        except OSError:
            return False
    return not view


class _Conn:
    def __init__(self, index: int, client: socket.socket, server: socket.socket):
        self.index = index
        self.client = client
        self.server = server
        self.closed = threading.Event()

    def close(self, rst: bool = False):
        if self.closed.is_set():
            return
        self.closed.set()
        for s in (self.client, self.server):
            if rst:
                _rst(s)
            else:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._faults: dict[tuple, tuple] = {}  # (direction, conn or None) -> (kind, arg)
        self._refuse = False
        self._conns: list[_Conn] = []
        self._stopped = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    # ---- faults ------------------------------------------------------------------------------

    def _set(self, kind, arg, direction, conn):
        directions = DIRECTIONS if direction == "both" else (direction,)
        with self._lock:
            for d in directions:
                self._faults[(d, conn)] = (kind, arg)

    def delay(self, seconds: float, direction: str = "both", conn: int | None = None):
        self._set("delay", seconds, direction, conn)

    def blackhole(self, direction: str = "both", conn: int | None = None):
        self._set("blackhole", None, direction, conn)

    def clear(self):
        with self._lock:
            self._faults.clear()

    def refuse(self, on: bool = True):
        with self._lock:
            self._refuse = on

    def reset_all(self):
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            c.close(rst=True)

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self._conns)

    def close(self):
        self._stopped.set()
        self._acceptor.join()
        self._listener.close()
        self.reset_all()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- pumping -----------------------------------------------------------------------------

    def _fault(self, direction: str, index: int):
        with self._lock:
            return self._faults.get((direction, index)) or self._faults.get((direction, None))

    def _accept_loop(self):
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                refuse = self._refuse
            if refuse:
                _rst(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _rst(client)
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(0.1)
            with self._lock:
                conn = _Conn(len(self._conns), client, server)
                self._conns.append(conn)
            threading.Thread(target=self._pump, args=(conn, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(conn, "down"), daemon=True).start()

    def _pump(self, conn: _Conn, direction: str):
        src, dst = (conn.client, conn.server) if direction == "up" else (conn.server, conn.client)
        while not conn.closed.is_set() and not self._stopped.is_set():
            try:
                data = src.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            fault = self._fault(direction, conn.index)
            if fault and fault[0] == "blackhole":
                continue
            if fault and fault[0] == "delay":
                time.sleep(fault[1])
            if not _send_all(conn, dst, data):
                break
        # One side ended: pass the end on (half-close), like a real network path would.
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if direction == "down":
            conn.close()
