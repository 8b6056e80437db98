"""Connection family: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT *."""

import re

import pytest

from helpers import (
    RE_VERSION,
    RawClient,
    Verbatim,
    cluster_mode_enabled,
    multiple_dbs,
    parse_client_line,
    wait_until,
)

WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
AUTH_NOPASS = (b"-ERR AUTH <password> called without any password configured for the default user. "
               b"Are you sure your configuration is correct?\r\n")
HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                b"HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
                b"the RESP protocol version at the same time\r\n")
BAD_NAME = b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"


def bulk(b) -> bytes:
    if isinstance(b, str):
        b = b.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def expected_hello(proto: int, version: bytes, client_id: int) -> bytes:
    mode = b"cluster" if cluster_mode_enabled() else b"standalone"
    head = b"%7\r\n" if proto == 3 else b"*14\r\n"
    return (head + bulk("server") + bulk("redis") + bulk("version") + bulk(version)
            + bulk("proto") + b":%d\r\n" % proto + bulk("id") + b":%d\r\n" % client_id
            + bulk("mode") + bulk(mode) + bulk("role") + bulk("master")
            + bulk("modules") + b"*0\r\n")


def hello_version(c: RawClient) -> bytes:
    """Version reported by the server (HELLO's own reply, checked for format)."""
    m = c.cmd("HELLO", "2")
    version = m[3]
    assert RE_VERSION.match(version.decode()), version
    return version


# ---------------------------------------------------------------- PING / ECHO


def test_ping(raw):
    assert raw.cmd_raw("PING") == b"+PONG\r\n"
    assert raw.cmd_raw("ping") == b"+PONG\r\n"
    assert raw.cmd_raw("PING", "hello world") == b"$11\r\nhello world\r\n"
    assert raw.cmd_raw("PING", "") == b"$0\r\n\r\n"
    assert raw.cmd_raw("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"


def test_ping_resp3(raw):
    raw.cmd("HELLO", "3")
    assert raw.cmd_raw("PING") == b"+PONG\r\n"
    assert raw.cmd_raw("PING", "x") == b"$1\r\nx\r\n"


def test_echo(raw):
    assert raw.cmd_raw("ECHO", "hi") == b"$2\r\nhi\r\n"
    assert raw.cmd_raw("ECHO", b"a\r\nb\x00\xff") == b"$6\r\na\r\nb\x00\xff\r\n"
    assert raw.cmd_raw("ECHO", "") == b"$0\r\n\r\n"
    big = b"x" * 100_000
    assert raw.cmd_raw("ECHO", big) == b"$100000\r\n" + big + b"\r\n"
    assert raw.cmd_raw("ECHO") == b"-ERR wrong number of arguments for 'echo' command\r\n"
    assert raw.cmd_raw("ECHO", "a", "b") == b"-ERR wrong number of arguments for 'echo' command\r\n"


def test_redis_py_client_smoke(r):
    """The stock redis-py client (RESP2) works against the server."""
    assert r.ping() is True
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == "hello"
    assert r.mget("greeting", "missing") == ["hello", None]
    assert r.incr("counter", 5) == 5
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.set(f"p{i}", i)
        pipe.get(f"p{i}")
    out = pipe.execute()
    assert out[1::2] == [str(i) for i in range(100)]
    assert r.dbsize() == 102


def test_redis_py_bytes_client(rb):
    rb.set(b"bin\x00key", b"\x00\xff\r\n")
    assert rb.get(b"bin\x00key") == b"\x00\xff\r\n"


# ---------------------------------------------------------------- HELLO


def test_hello_3_exact_map(raw):
    cid = raw.cmd("CLIENT", "ID")
    version = hello_version(raw)
    assert raw.cmd_raw("HELLO", "3") == expected_hello(3, version, cid)


def test_hello_2_exact_array(raw):
    cid = raw.cmd("CLIENT", "ID")
    r = raw.cmd_raw("HELLO", "2")
    m = re.match(rb"^\*14\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$\d+\r\n([0-9.]+)\r\n", r)
    assert m, r
    assert r == expected_hello(2, m.group(1), cid)


def test_hello_version_matches_info(raw):
    version = hello_version(raw)
    info = raw.cmd("INFO", "server").decode()
    assert f"redis_version:{version.decode()}\r\n" in info


def test_hello_without_version_keeps_protocol(raw):
    cid = raw.cmd("CLIENT", "ID")
    version = hello_version(raw)
    assert raw.cmd_raw("HELLO") == expected_hello(2, version, cid)
    raw.cmd("HELLO", "3")
    assert raw.cmd_raw("HELLO") == expected_hello(3, version, cid)
    raw.cmd("HELLO", "2")
    assert raw.cmd_raw("HELLO") == expected_hello(2, version, cid)


@pytest.mark.parametrize("ver", ["1", "4", "0", "-1", "100"])
def test_hello_unsupported_version(raw, ver):
    assert raw.cmd_raw("HELLO", ver) == b"-NOPROTO unsupported protocol version\r\n"
    # the connection stays in RESP2
    assert raw.cmd_raw("GET", "missing") == b"$-1\r\n"


@pytest.mark.parametrize("ver", ["foo", "3.0", "", "99999999999999999999"])
def test_hello_version_not_integer(raw, ver):
    assert raw.cmd_raw("HELLO", ver) == b"-ERR Protocol version is not an integer or out of range\r\n"


def test_hello_option_errors(raw):
    assert raw.cmd_raw("HELLO", "3", "foo") == b"-ERR Syntax error in HELLO option 'foo'\r\n"
    assert raw.cmd_raw("HELLO", "3", "AUTH", "default") == b"-ERR Syntax error in HELLO option 'AUTH'\r\n"
    assert raw.cmd_raw("HELLO", "3", "SETNAME") == b"-ERR Syntax error in HELLO option 'SETNAME'\r\n"
    # nothing was switched by the failed HELLOs
    assert raw.cmd_raw("GET", "missing") == b"$-1\r\n"


def test_hello_setname(raw):
    cid = raw.cmd("CLIENT", "ID")
    version = hello_version(raw)
    assert raw.cmd_raw("HELLO", "3", "SETNAME", "conn-1") == expected_hello(3, version, cid)
    assert raw.cmd_raw("CLIENT", "GETNAME") == b"$6\r\nconn-1\r\n"


def test_hello_setname_invalid_changes_nothing(raw):
    raw.cmd("CLIENT", "SETNAME", "before")
    assert raw.cmd_raw("HELLO", "3", "SETNAME", "a b") == BAD_NAME
    assert raw.cmd_raw("CLIENT", "GETNAME") == b"$6\r\nbefore\r\n"
    assert raw.cmd_raw("GET", "missing") == b"$-1\r\n"  # still RESP2


def test_hello_auth_without_requirepass(raw):
    cid = raw.cmd("CLIENT", "ID")
    version = hello_version(raw)
    # the default user has no password: any password is accepted for it
    assert raw.cmd_raw("HELLO", "3", "AUTH", "default", "whatever") == expected_hello(3, version, cid)
    assert raw.cmd_raw("HELLO", "2", "AUTH", "nosuchuser", "x") == WRONGPASS


# ---------------------------------------------------------------- RESP3 types


def test_resp3_null_and_aggregates(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("SET", "a", "1")
    assert raw.cmd_raw("GET", "missing") == b"_\r\n"
    assert raw.cmd_raw("MGET", "a", "missing") == b"*2\r\n$1\r\n1\r\n_\r\n"
    assert raw.cmd_raw("SET", "missing", "x", "XX", "GET") == b"_\r\n"
    assert raw.cmd_raw("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    assert raw.cmd_raw("OBJECT", "ENCODING", "missing") == b"_\r\n"


def test_resp3_verbatim_client_info(raw):
    raw.cmd("HELLO", "3")
    raw.send_command("CLIENT", "INFO")
    data, v = raw.read_both()
    assert isinstance(v, Verbatim) and v.fmt == "txt"
    assert data.startswith(b"=%d\r\ntxt:id=" % (len(v) + 4))
    assert v.endswith(b"\n") and b" resp=3" in v


def test_resp3_verbatim_info(raw):
    raw.cmd("HELLO", "3")
    raw.send_command("INFO", "server")
    v = raw.read()
    assert isinstance(v, Verbatim) and v.fmt == "txt"
    assert v.startswith(b"# Server\r\n")


def test_back_to_resp2(raw):
    raw.cmd("HELLO", "3")
    assert raw.cmd_raw("GET", "missing") == b"_\r\n"
    raw.cmd("HELLO", "2")
    assert raw.cmd_raw("GET", "missing") == b"$-1\r\n"
    assert raw.cmd_raw("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


# ---------------------------------------------------------------- AUTH


def test_auth_without_requirepass(raw):
    assert raw.cmd_raw("AUTH", "foo") == AUTH_NOPASS
    assert raw.cmd_raw("AUTH", "default", "foo") == b"+OK\r\n"
    assert raw.cmd_raw("AUTH", "someone", "foo") == WRONGPASS
    assert raw.cmd_raw("AUTH") == b"-ERR wrong number of arguments for 'auth' command\r\n"
    assert raw.cmd_raw("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"
    assert raw.cmd_raw("PING") == b"+PONG\r\n"


@pytest.fixture
def auth_server(spawn_server):
    return spawn_server({"requirepass": "s3cret"})


def test_requirepass_noauth(auth_server):
    with auth_server.client(auth=False) as c:
        for cmd in (("GET", "a"), ("PING",), ("SET", "a", "b"), ("SELECT", "1"), ("ECHO", "x"), ("CLIENT", "ID")):
            assert c.cmd_raw(*cmd) == NOAUTH, cmd
        assert c.cmd_raw("HELLO") == HELLO_NOAUTH
        assert c.cmd_raw("HELLO", "3") == HELLO_NOAUTH


def test_requirepass_auth_flow(auth_server):
    with auth_server.client(auth=False) as c:
        assert c.cmd_raw("AUTH", "wrong") == WRONGPASS
        assert c.cmd_raw("AUTH", "default", "wrong") == WRONGPASS
        assert c.cmd_raw("AUTH", "someone", "s3cret") == WRONGPASS
        assert c.cmd_raw("GET", "a") == NOAUTH
        assert c.cmd_raw("AUTH", "s3cret") == b"+OK\r\n"
        assert c.cmd_raw("SET", "a", "1") == b"+OK\r\n"
        assert c.cmd_raw("GET", "a") == b"$1\r\n1\r\n"
        # wrong AUTH after a good one does not de-authenticate
        assert c.cmd_raw("AUTH", "wrong") == WRONGPASS
        assert c.cmd_raw("GET", "a") == b"$1\r\n1\r\n"
    with auth_server.client(auth=False) as c:
        assert c.cmd_raw("AUTH", "default", "s3cret") == b"+OK\r\n"
        assert c.cmd_raw("GET", "a") == b"$1\r\n1\r\n"


def test_requirepass_hello_auth(auth_server):
    with auth_server.client(auth=False) as c:
        assert c.cmd_raw("HELLO", "3", "AUTH", "default", "wrong") == WRONGPASS
        assert c.cmd_raw("GET", "a") == NOAUTH
        r = c.cmd("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "authed")
        assert isinstance(r, dict) and r[b"proto"] == 3, r
        assert c.cmd_raw("GET", "a") == b"_\r\n"
        assert c.cmd_raw("CLIENT", "GETNAME") == b"$6\r\nauthed\r\n"


def test_requirepass_reset_deauthenticates(auth_server):
    with auth_server.client(auth=False) as c:
        assert c.cmd_raw("AUTH", "s3cret") == b"+OK\r\n"
        assert c.cmd_raw("RESET") == b"+RESET\r\n"
        assert c.cmd_raw("GET", "a") == NOAUTH


def test_requirepass_quit_allowed(auth_server):
    with auth_server.client(auth=False) as c:
        assert c.cmd_raw("QUIT") == b"+OK\r\n"
        assert c.wait_closed(3)


def test_requirepass_unauthenticated_big_multibulk(auth_server):
    with auth_server.client(auth=False) as c:
        c.send(b"*11\r\n")
        assert c.read_raw() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
        assert c.wait_closed(3)
    with auth_server.client(auth=False) as c:
        c.send(b"*2\r\n$16385\r\n")
        assert c.read_raw() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
        assert c.wait_closed(3)
    with auth_server.client(auth=True) as c:
        # once authenticated, large commands are fine
        assert c.cmd_raw("MSET", *[f"k{i}" for i in range(20)]) == b"+OK\r\n"
        assert c.cmd_raw("SET", "big", "x" * 20000) == b"+OK\r\n"


# ---------------------------------------------------------------- SELECT


@pytest.mark.multidb
def test_select(raw):
    assert raw.cmd_raw("SET", "k", "db0") == b"+OK\r\n"
    assert raw.cmd_raw("SELECT", "1") == b"+OK\r\n"
    assert raw.cmd_raw("GET", "k") == b"$-1\r\n"
    assert raw.cmd_raw("SET", "k", "db1") == b"+OK\r\n"
    assert raw.cmd_raw("SELECT", "15") == b"+OK\r\n"
    assert raw.cmd_raw("DBSIZE") == b":0\r\n"
    assert raw.cmd_raw("SELECT", "0") == b"+OK\r\n"
    assert raw.cmd_raw("GET", "k") == b"$3\r\ndb0\r\n"
    assert raw.cmd_raw("SELECT", "1") == b"+OK\r\n"
    assert raw.cmd_raw("GET", "k") == b"$3\r\ndb1\r\n"


@pytest.mark.multidb
def test_select_is_per_connection(client):
    a, b = client(), client()
    a.cmd("SELECT", "2")
    a.cmd("SET", "k", "v")
    assert b.cmd_raw("GET", "k") == b"$-1\r\n"
    b.cmd("SELECT", "2")
    assert b.cmd_raw("GET", "k") == b"$1\r\nv\r\n"


@pytest.mark.multidb
@pytest.mark.parametrize("idx,err", [
    ("16", b"-ERR DB index is out of range\r\n"),
    ("-1", b"-ERR DB index is out of range\r\n"),
    ("100000000000", b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
    ("foo", b"-ERR value is not an integer or out of range\r\n"),
    ("1.0", b"-ERR value is not an integer or out of range\r\n"),
    ("", b"-ERR value is not an integer or out of range\r\n"),
])
def test_select_errors(raw, idx, err):
    assert raw.cmd_raw("SELECT", idx) == err
    assert raw.cmd_raw("SELECT") == b"-ERR wrong number of arguments for 'select' command\r\n"


@pytest.mark.multidb
def test_select_dbnum_flag(spawn_server):
    srv = spawn_server({"dbnum": 4})
    with srv.client() as c:
        assert c.cmd_raw("SELECT", "3") == b"+OK\r\n"
        assert c.cmd_raw("SELECT", "4") == b"-ERR DB index is out of range\r\n"


# ---------------------------------------------------------------- QUIT / RESET


def test_quit(raw, client):
    raw.send(b"*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\n1\r\n")
    assert raw.read_raw() == b"+OK\r\n"
    assert raw.wait_closed(3)
    assert raw.pending() == b""
    # the command pipelined after QUIT was not executed
    assert client().cmd_raw("EXISTS", "q") == b":0\r\n"


def test_quit_inline(raw):
    raw.send(b"QUIT\r\n")
    assert raw.read_raw() == b"+OK\r\n"
    assert raw.wait_closed(3)


def test_reset(raw):
    multidb = multiple_dbs()
    raw.cmd("HELLO", "3", "SETNAME", "named")
    if multidb:
        raw.cmd("SELECT", "3")
        raw.cmd("SET", "indb3", "x")
    cid = raw.cmd("CLIENT", "ID")
    assert raw.cmd_raw("RESET") == b"+RESET\r\n"
    assert raw.cmd_raw("CLIENT", "GETNAME") == b"$-1\r\n"
    assert raw.cmd_raw("GET", "missing") == b"$-1\r\n"  # back to RESP2
    assert raw.cmd("CLIENT", "ID") == cid  # same connection
    if multidb:
        assert raw.cmd_raw("EXISTS", "indb3") == b":0\r\n"  # back to db 0
        info = parse_client_line(raw.cmd("CLIENT", "INFO"))
        assert info["db"] == "0"
    assert raw.cmd_raw("RESET", "x") == b"-ERR wrong number of arguments for 'reset' command\r\n"


# ---------------------------------------------------------------- CLIENT


def test_client_id(client):
    a, b = client(), client()
    ia, ib = a.cmd("CLIENT", "ID"), b.cmd("CLIENT", "ID")
    assert isinstance(ia, int) and isinstance(ib, int) and ia > 0 and ib > ia
    assert a.cmd("CLIENT", "ID") == ia
    c = client()
    assert c.cmd("CLIENT", "ID") > ib
    assert a.cmd_raw("CLIENT", "ID", "x") == b"-ERR wrong number of arguments for 'client|id' command\r\n"


def test_client_setname_getname(raw):
    assert raw.cmd_raw("CLIENT", "GETNAME") == b"$-1\r\n"
    assert raw.cmd_raw("CLIENT", "SETNAME", "my-conn_1") == b"+OK\r\n"
    assert raw.cmd_raw("CLIENT", "GETNAME") == b"$9\r\nmy-conn_1\r\n"
    for bad in ("a b", "a\nb", "tab\there", "\x01", "caf\xe9"):
        assert raw.cmd_raw("CLIENT", "SETNAME", bad) == BAD_NAME, bad
    assert raw.cmd_raw("CLIENT", "GETNAME") == b"$9\r\nmy-conn_1\r\n"
    assert raw.cmd_raw("CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert raw.cmd_raw("CLIENT", "GETNAME") == b"$-1\r\n"
    assert raw.cmd_raw("CLIENT", "SETNAME") == b"-ERR wrong number of arguments for 'client|setname' command\r\n"
    assert raw.cmd_raw("CLIENT", "GETNAME", "x") == b"-ERR wrong number of arguments for 'client|getname' command\r\n"


def test_client_errors(raw):
    assert raw.cmd_raw("CLIENT") == b"-ERR wrong number of arguments for 'client' command\r\n"
    assert raw.cmd_raw("CLIENT", "foo") == b"-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"


CLIENT_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
                 "multi", "qbuf", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "resp"]


def test_client_info(server, raw):
    raw.cmd("CLIENT", "SETNAME", "infotest")
    r = raw.cmd_raw("CLIENT", "INFO")
    assert r.startswith(b"$") and r.endswith(b"\n\r\n")
    line = raw.cmd("CLIENT", "INFO").decode()
    assert line.endswith("\n") and line.count("\n") == 1
    f = parse_client_line(line)
    for k in CLIENT_FIELDS:
        assert k in f, (k, line)
    assert f["id"] == str(raw.cmd("CLIENT", "ID"))
    assert f["name"] == "infotest"
    assert f["addr"] == "%s:%d" % raw.sock.getsockname()
    assert f["laddr"] == "%s:%d" % (server.host, server.port)
    assert f["cmd"] == "client|info"
    assert f["db"] == "0"
    assert f["resp"] == "2"
    assert f["flags"] == "N"
    assert f["user"] == "default"
    # field order is the Redis one
    keys = list(f)
    assert keys[:10] == ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub"]


def test_client_list(server, client):
    a, b = client(), client()
    a.cmd("CLIENT", "SETNAME", "alpha")
    b.cmd("CLIENT", "SETNAME", "beta")
    if multiple_dbs():
        b.cmd("SELECT", "5")
    ida, idb = a.cmd("CLIENT", "ID"), b.cmd("CLIENT", "ID")
    b.cmd("PING")
    text = a.cmd("CLIENT", "LIST").decode()
    assert text.endswith("\n")
    rows = {int(parse_client_line(l)["id"]): parse_client_line(l) for l in text.split("\n") if l}
    assert ida in rows and idb in rows
    assert rows[ida]["name"] == "alpha" and rows[ida]["cmd"] == "client|list"
    assert rows[idb]["name"] == "beta" and rows[idb]["cmd"] == "ping"
    if multiple_dbs():
        assert rows[idb]["db"] == "5"
    assert rows[idb]["addr"] == "%s:%d" % b.sock.getsockname()
    for row in rows.values():
        for k in CLIENT_FIELDS:
            assert k in row
    # filter by id
    only = a.cmd("CLIENT", "LIST", "ID", str(idb)).decode()
    assert [parse_client_line(l)["id"] for l in only.split("\n") if l] == [str(idb)]
    assert a.cmd_raw("CLIENT", "LIST", "ID", "999999999") == b"$0\r\n\r\n"
    assert a.cmd_raw("CLIENT", "LIST", "ID", "abc") == b"-ERR Invalid client ID\r\n"
    normal = a.cmd("CLIENT", "LIST", "TYPE", "normal").decode()
    assert {int(parse_client_line(l)["id"]) for l in normal.split("\n") if l} >= {ida, idb}
    assert a.cmd_raw("CLIENT", "LIST", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    assert a.cmd_raw("CLIENT", "LIST", "FOO") == b"-ERR syntax error\r\n"


def test_client_list_forgets_closed_clients(client):
    a = client()
    b = client()
    idb = b.cmd("CLIENT", "ID")
    b.close()

    def gone():
        text = a.cmd("CLIENT", "LIST").decode()
        return all(parse_client_line(l)["id"] != str(idb) for l in text.split("\n") if l)

    wait_until(gone, timeout=5, msg="closed client to leave CLIENT LIST")


def test_client_kill_by_id(client):
    a, b = client(), client()
    idb = b.cmd("CLIENT", "ID")
    assert a.cmd_raw("CLIENT", "KILL", "ID", str(idb)) == b":1\r\n"
    assert b.wait_closed(3)
    assert a.cmd_raw("CLIENT", "KILL", "ID", str(idb)) == b":0\r\n"
    assert a.cmd_raw("CLIENT", "KILL", "ID", "999999999") == b":0\r\n"
    assert a.cmd_raw("CLIENT", "KILL", "ID", "0") == b"-ERR client-id should be greater than 0\r\n"
    assert a.cmd_raw("CLIENT", "KILL", "ID", "foo") == b"-ERR client-id should be greater than 0\r\n"
    # with a single argument it is the old "CLIENT KILL ip:port" form
    assert a.cmd_raw("CLIENT", "KILL", "ID") == b"-ERR No such client\r\n"
    assert a.cmd_raw("CLIENT", "KILL", "ID", "1", "SKIPME") == b"-ERR syntax error\r\n"
    assert a.cmd_raw("PING") == b"+PONG\r\n"


def test_client_kill_skipme(raw):
    me = raw.cmd("CLIENT", "ID")
    assert raw.cmd_raw("CLIENT", "KILL", "ID", str(me)) == b":0\r\n"
    assert raw.cmd_raw("PING") == b"+PONG\r\n"
    assert raw.cmd_raw("CLIENT", "KILL", "ID", str(me), "SKIPME", "no") == b":1\r\n"
    assert raw.wait_closed(3)


def test_client_kill_by_addr(client):
    a, b, c = client(), client(), client()
    # one round trip each, so the server has accepted b and c before a names them
    assert b.cmd_raw("PING") == c.cmd_raw("PING") == b"+PONG\r\n"
    addr_b = "%s:%d" % b.sock.getsockname()
    addr_c = "%s:%d" % c.sock.getsockname()
    assert a.cmd_raw("CLIENT", "KILL", addr_b) == b"+OK\r\n"  # old form
    assert b.wait_closed(3)
    assert a.cmd_raw("CLIENT", "KILL", "ADDR", addr_c) == b":1\r\n"  # new form
    assert c.wait_closed(3)
    assert a.cmd_raw("CLIENT", "KILL", "127.0.0.1:1") == b"-ERR No such client\r\n"
    assert a.cmd_raw("CLIENT", "KILL", "ADDR", "127.0.0.1:1") == b":0\r\n"
    assert a.cmd_raw("CLIENT", "KILL", "FOO", "bar") == b"-ERR syntax error\r\n"
