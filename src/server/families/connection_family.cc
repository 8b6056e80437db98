// Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT.
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include "base/strings.h"
#include "facade/arg_parser.h"
#include "server/cluster_support.h"
#include "server/families/families.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(std::string, requirepass);
ABSL_DECLARE_FLAG(uint32_t, dbnum);

namespace darner {
namespace {

constexpr std::string_view kWrongPass =
    "-WRONGPASS invalid username-password pair or user is disabled.";
constexpr std::string_view kBadClientName =
    "Client names cannot contain spaces, newlines or special characters.";

bool ValidClientName(std::string_view name) {
  for (unsigned char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// Checks a password for the default user; Redis without requirepass accepts any password.
bool PasswordMatches(std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  std::string required = absl::GetFlag(FLAGS_requirepass);
  return required.empty() || pass == required;
}

void CmdPing(CmdArgList args, CommandContext& cx) {
  if (args.size() > 1) {
    cx.rb->SendError("wrong number of arguments for 'ping' command");
    return;
  }
  if (args.empty()) {
    cx.rb->SendSimpleString("PONG");
  } else {
    cx.rb->SendBulk(args[0]);
  }
}

void CmdEcho(CmdArgList args, CommandContext& cx) { cx.rb->SendBulk(args[0]); }

void CmdAuth(CmdArgList args, CommandContext& cx) {
  if (args.size() > 2) {
    cx.rb->SendError(kSyntaxErr);
    return;
  }
  if (args.size() == 1 && absl::GetFlag(FLAGS_requirepass).empty()) {
    cx.rb->SendError(
        "AUTH <password> called without any password configured for the default user. Are you "
        "sure your configuration is correct?");
    return;
  }
  std::string_view user = args.size() == 2 ? args[0] : "default";
  std::string_view pass = args.back();
  if (!PasswordMatches(user, pass)) {
    cx.rb->SendError(kWrongPass);
    return;
  }
  cx.conn->authenticated = true;
  cx.conn->conn->SetAuthenticated(true);
  cx.rb->SendOk();
}

void CmdHello(CmdArgList args, CommandContext& cx) {
  ArgParser parser(args);
  int64_t proto = cx.rb->resp3() ? 3 : 2;
  if (parser.HasNext()) {
    int64_t ver = 0;
    if (!ParseInt64(parser.Next(), &ver)) {
      cx.rb->SendError("Protocol version is not an integer or out of range");
      return;
    }
    if (ver < 2 || ver > 3) {
      cx.rb->SendError("-NOPROTO unsupported protocol version");
      return;
    }
    proto = ver;
  }
  std::string_view user, pass, name;
  bool auth = false, setname = false;
  while (parser.HasNext()) {
    std::string_view opt = parser.Next();
    if (EqualsIgnoreCase(opt, "AUTH") && parser.remaining() >= 2) {
      user = parser.Next();
      pass = parser.Next();
      auth = true;
    } else if (EqualsIgnoreCase(opt, "SETNAME") && parser.remaining() >= 1) {
      name = parser.Next();
      setname = true;
    } else {
      cx.rb->SendError(StrCat("Syntax error in HELLO option '", opt, "'"));
      return;
    }
  }
  if (auth) {
    if (!PasswordMatches(user, pass)) {
      cx.rb->SendError(kWrongPass);
      return;
    }
    cx.conn->authenticated = true;
    cx.conn->conn->SetAuthenticated(true);
  }
  if (!cx.conn->authenticated) {
    cx.rb->SendError(
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (setname) {
    if (!ValidClientName(name)) {
      cx.rb->SendError(kBadClientName);
      return;
    }
    cx.conn->name = std::string(name);
  }
  cx.rb->SetResp3(proto == 3);
  cx.rb->StartMap(7);
  cx.rb->SendBulk("server");
  cx.rb->SendBulk("redis");
  cx.rb->SendBulk("version");
  cx.rb->SendBulk(kRedisVersion);
  cx.rb->SendBulk("proto");
  cx.rb->SendLong(proto);
  cx.rb->SendBulk("id");
  cx.rb->SendLong(static_cast<int64_t>(cx.conn->id));
  cx.rb->SendBulk("mode");
  cx.rb->SendBulk(ClusterEnabled() ? "cluster" : "standalone");
  cx.rb->SendBulk("role");
  cx.rb->SendBulk("master");
  cx.rb->SendBulk("modules");
  cx.rb->SendEmptyArray();
}

void CmdSelect(CmdArgList args, CommandContext& cx) {
  int64_t index;
  if (!ParseInt64(args[0], &index)) {
    cx.rb->SendError(kInvalidIntErr);
    return;
  }
  if (index < INT32_MIN || index > INT32_MAX) {
    cx.rb->SendError("value is out of range, value must between -2147483648 and 2147483647");
    return;
  }
  if (index != 0 && GetClusterMode() == ClusterMode::kYes) {
    cx.rb->SendError("SELECT is not allowed in cluster mode");
    return;
  }
  if (index < 0 || index >= static_cast<int64_t>(absl::GetFlag(FLAGS_dbnum))) {
    cx.rb->SendError(kDbIndexOutOfRangeErr);
    return;
  }
  cx.conn->db = static_cast<DbIndex>(index);
  cx.rb->SendOk();
}

void CmdQuit(CmdArgList args, CommandContext& cx) {
  cx.rb->SendOk();
  cx.conn->conn->CloseAfterReply();
}

void CmdReset(CmdArgList args, CommandContext& cx) {
  cx.conn->db = 0;
  cx.conn->name.clear();
  cx.conn->authenticated = !AuthRequired(*cx.conn->conn);
  cx.conn->conn->SetAuthenticated(cx.conn->authenticated);
  cx.rb->SetResp3(false);
  cx.rb->SendSimpleString("RESET");
}

std::string ClientInfoLine(ConnectionContext* cc, bool resp3) {
  int64_t now = NowMs();
  Connection* c = cc->conn;
  return StrCat("id=", cc->id, " addr=", c->remote_addr(), " laddr=", c->local_addr(),
                " fd=", c->native_fd(), " name=", cc->name, " age=", (now - cc->created_ms) / 1000,
                " idle=", (now - cc->last_active_ms) / 1000, " flags=", cc->no_evict ? "e" : "N",
                " db=", cc->db, " sub=0 psub=0 ssub=0 multi=-1 qbuf=", c->read_buffer_used(),
                " qbuf-free=", c->read_buffer_size() - c->read_buffer_used(),
                " argv-mem=0 multi-mem=0 rbs=", c->read_buffer_size(),
                " rbp=0 obl=0 oll=0 omem=0 tot-mem=", c->read_buffer_size() + sizeof(Connection),
                " events=r cmd=", cc->last_cmd ? ToLower(cc->last_cmd->name) : std::string("NULL"),
                " user=default redir=-1 resp=", resp3 ? 3 : 2,
                " lib-name=", cc->lib ? cc->lib->name : "",
                " lib-ver=", cc->lib ? cc->lib->version : "", "\n");
}

// Matching rules of CLIENT LIST ID / CLIENT KILL filters.
struct ClientFilter {
  std::vector<uint64_t> ids;
  std::string addr, laddr;
  bool skip_me = true;
  int64_t max_age = -1;
  bool Matches(ConnectionContext* cc, uint64_t self_id) const {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), cc->id) == ids.end()) return false;
    if (!addr.empty() && cc->conn->remote_addr() != addr) return false;
    if (!laddr.empty() && cc->conn->local_addr() != laddr) return false;
    if (skip_me && cc->id == self_id) return false;
    if (max_age >= 0 && (NowMs() - cc->created_ms) / 1000 < max_age) return false;
    return true;
  }
};

asio::awaitable<void> ClientList(CmdArgList args, CommandContext& cx) {
  ClientFilter filter;
  filter.skip_me = false;
  ArgParser parser(args);
  while (parser.HasNext()) {
    if (parser.Check("TYPE")) {
      std::string_view type = parser.Next();
      if (!EqualsIgnoreCase(type, "normal") && !EqualsIgnoreCase(type, "master") &&
          !EqualsIgnoreCase(type, "replica") && !EqualsIgnoreCase(type, "pubsub")) {
        cx.rb->SendError(StrCat("Unknown client type '", type, "'"));
        co_return;
      }
      if (!EqualsIgnoreCase(type, "normal")) filter.ids.push_back(0);  // matches none
    } else if (parser.Check("ID")) {
      if (!parser.HasNext()) {
        cx.rb->SendError(kSyntaxErr);
        co_return;
      }
      while (parser.HasNext()) {
        int64_t id;
        if (!ParseInt64(parser.Next(), &id) || id <= 0) {
          cx.rb->SendError("Invalid client ID");
          co_return;
        }
        filter.ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      cx.rb->SendError(kSyntaxErr);
      co_return;
    }
  }
  std::string out;
  Service* svc = cx.service;
  ConnectionContext* self = cx.conn;
  bool self_resp3 = cx.rb->resp3();
  for (unsigned i = 0; i < svc->pool()->size(); ++i) {
    out += co_await cx.tx->RunOn(i, [&](EngineShard&) {
      std::string part;
      for (ConnectionContext* cc : svc->ThreadConnections()) {
        if (!filter.Matches(cc, 0)) continue;
        part += ClientInfoLine(cc, cc == self ? self_resp3 : cc->conn->reply().resp3());
      }
      return part;
    });
  }
  cx.rb->SendVerbatim(out);
}

asio::awaitable<void> ClientKill(CmdArgList args, CommandContext& cx) {
  ClientFilter filter;
  bool old_form = args.size() == 1;
  if (old_form) {
    filter.addr = std::string(args[0]);
    filter.skip_me = false;
  } else {
    if (args.size() % 2 != 0) {
      cx.rb->SendError(kSyntaxErr);
      co_return;
    }
    for (size_t i = 0; i < args.size(); i += 2) {
      std::string_view opt = args[i], val = args[i + 1];
      if (EqualsIgnoreCase(opt, "ID")) {
        int64_t id;
        if (!ParseInt64(val, &id) || id <= 0) {
          cx.rb->SendError("client-id should be greater than 0");
          co_return;
        }
        filter.ids.push_back(static_cast<uint64_t>(id));
      } else if (EqualsIgnoreCase(opt, "ADDR")) {
        filter.addr = std::string(val);
      } else if (EqualsIgnoreCase(opt, "LADDR")) {
        filter.laddr = std::string(val);
      } else if (EqualsIgnoreCase(opt, "SKIPME")) {
        if (EqualsIgnoreCase(val, "yes")) {
          filter.skip_me = true;
        } else if (EqualsIgnoreCase(val, "no")) {
          filter.skip_me = false;
        } else {
          cx.rb->SendError(kSyntaxErr);
          co_return;
        }
      } else if (EqualsIgnoreCase(opt, "MAXAGE")) {
        if (!ParseInt64(val, &filter.max_age)) {
          cx.rb->SendError(kInvalidIntErr);
          co_return;
        }
      } else if (EqualsIgnoreCase(opt, "USER")) {
        if (val != "default") {
          cx.rb->SendError(StrCat("No such user '", val, "'"));
          co_return;
        }
      } else if (EqualsIgnoreCase(opt, "TYPE")) {
        if (!EqualsIgnoreCase(val, "normal")) filter.ids.push_back(0);
      } else {
        cx.rb->SendError(kSyntaxErr);
        co_return;
      }
    }
  }
  Service* svc = cx.service;
  uint64_t self_id = cx.conn->id;
  size_t killed = 0;
  bool kill_self = false;
  for (unsigned i = 0; i < svc->pool()->size(); ++i) {
    killed += co_await cx.tx->RunOn(i, [&](EngineShard&) {
      size_t n = 0;
      for (ConnectionContext* cc : svc->ThreadConnections()) {
        if (!filter.Matches(cc, self_id)) continue;
        ++n;
        if (cc->id == self_id) {
          kill_self = true;  // closed after this reply is written
        } else {
          cc->conn->Close();
        }
      }
      return n;
    });
  }
  if (kill_self) cx.conn->conn->CloseAfterReply();
  if (old_form) {
    if (killed == 0) {
      cx.rb->SendError("No such client");
    } else {
      cx.rb->SendOk();
    }
  } else {
    cx.rb->SendLong(static_cast<int64_t>(killed));
  }
}

// Redis's reply to a CLIENT subcommand given too many arguments.
void SendClientArgsError(std::string_view sub, ReplyBuilder* rb) {
  rb->SendError(
      StrCat("unknown subcommand or wrong number of arguments for '", sub, "'. Try CLIENT HELP."));
}

void CmdClientPause(CmdArgList args, CommandContext& cx) {
  if (args.size() > 3) return SendClientArgsError(args[0], cx.rb);
  int64_t ms;
  if (!ParseInt64(args[1], &ms))
    return cx.rb->SendError("timeout is not an integer or out of range");
  if (ms < 0) return cx.rb->SendError("timeout is negative");
  ClientPauseMode mode = ClientPauseMode::kAll;
  if (args.size() == 3) {
    if (EqualsIgnoreCase(args[2], "WRITE")) {
      mode = ClientPauseMode::kWrite;
    } else if (!EqualsIgnoreCase(args[2], "ALL")) {
      return cx.rb->SendError("CLIENT PAUSE mode must be WRITE or ALL");
    }
  }
  int64_t now = NowMs();
  PauseClients(ms > INT64_MAX - now ? INT64_MAX : now + ms, mode);
  cx.rb->SendOk();
}

void CmdClientUnpause(CmdArgList, CommandContext& cx) {
  UnpauseClients();
  cx.rb->SendOk();
}

void CmdClientUnblock(CmdArgList args, CommandContext& cx) {
  if (args.size() > 3) return SendClientArgsError(args[0], cx.rb);
  int64_t id;
  if (!ParseInt64(args[1], &id)) return cx.rb->SendError(kInvalidIntErr);
  if (args.size() == 3 && !EqualsIgnoreCase(args[2], "TIMEOUT") &&
      !EqualsIgnoreCase(args[2], "ERROR")) {
    return cx.rb->SendError("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  }
  // No Darner command blocks a client yet (the blocking list commands will register their
  // waiters here), so no client is ever unblocked: 0, as Redis replies for a client that is
  // not blocked.
  cx.rb->SendLong(0);
}

void CmdClientReply(CmdArgList args, CommandContext& cx) {
  ConnectionContext* cc = cx.conn;
  if (EqualsIgnoreCase(args[1], "ON")) {
    cc->reply_off = false;
    cc->reply_skip = 0;
  } else if (EqualsIgnoreCase(args[1], "OFF")) {
    cc->reply_off = true;
  } else if (EqualsIgnoreCase(args[1], "SKIP")) {
    if (!cc->reply_off) cc->reply_skip = 2;  // this command's reply and the next one's
  } else {
    return cx.rb->SendError(kSyntaxErr);
  }
  cx.rb->SendOk();  // dropped after the command in OFF and SKIP modes (ApplyReplyMode)
}

void CmdClientNoEvict(CmdArgList args, CommandContext& cx) {
  if (EqualsIgnoreCase(args[1], "ON")) {
    cx.conn->no_evict = true;
  } else if (EqualsIgnoreCase(args[1], "OFF")) {
    cx.conn->no_evict = false;
  } else {
    return cx.rb->SendError(kSyntaxErr);
  }
  cx.rb->SendOk();
}

// CLIENT SETINFO LIB-NAME|LIB-VER <value>, as Redis 7.2 has it: shown by CLIENT LIST and INFO.
void CmdClientSetInfo(CmdArgList args, CommandContext& cx) {
  bool name = EqualsIgnoreCase(args[1], "LIB-NAME");
  if (!name && !EqualsIgnoreCase(args[1], "LIB-VER")) {
    return cx.rb->SendError(StrCat("Unrecognized option '", args[1], "'"));
  }
  for (char c : args[2]) {
    if (c < '!' || c > '~') {
      return cx.rb->SendError(StrCat(name ? "lib-name" : "lib-ver",
                                     " cannot contain spaces, newlines or special characters."));
    }
  }
  auto& lib = cx.conn->lib;
  if (!lib) lib = std::make_unique<ConnectionContext::LibInfo>();
  (name ? lib->name : lib->version) = std::string(args[2]);
  cx.rb->SendOk();
}

asio::awaitable<void> CmdClient(CmdArgList args, CommandContext& cx) {
  std::string sub = ToUpper(args[0]);
  CmdArgList rest = args.subspan(1);
  ReplyBuilder* rb = cx.rb;
  if (sub == "ID" && rest.empty()) {
    rb->SendLong(static_cast<int64_t>(cx.conn->id));
  } else if (sub == "SETNAME" && rest.size() == 1) {
    if (!ValidClientName(rest[0])) {
      rb->SendError(kBadClientName);
    } else {
      cx.conn->name = std::string(rest[0]);
      rb->SendOk();
    }
  } else if (sub == "GETNAME" && rest.empty()) {
    if (cx.conn->name.empty()) {
      rb->SendNull();
    } else {
      rb->SendBulk(cx.conn->name);
    }
  } else if (sub == "INFO" && rest.empty()) {
    rb->SendVerbatim(ClientInfoLine(cx.conn, rb->resp3()));
  } else if (sub == "LIST") {
    co_await ClientList(rest, cx);
  } else if (sub == "KILL" && !rest.empty()) {
    co_await ClientKill(rest, cx);
  } else if (sub == "HELP" && rest.empty()) {
    rb->SendSimpleStrings(
        {"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
         "GETNAME",
         "    Return the name of the current connection.",
         "ID",
         "    Return the ID of the current connection.",
         "INFO",
         "    Return information about the current client connection.",
         "KILL <ip:port>",
         "    Kill connection made from <ip:port>.",
         "KILL <option> <value> [<option> <value> [...]]",
         "    Kill connections. Options are: ID, ADDR, LADDR, SKIPME, MAXAGE, USER, TYPE.",
         "LIST [options ...]",
         "    Return information about client connections.",
         "NO-EVICT (ON|OFF)",
         "    Exempt this connection from client eviction, or not.",
         "PAUSE <timeout> [WRITE|ALL]",
         "    Hold back the commands of all clients (or only writes) for <timeout> ms.",
         "REPLY (ON|OFF|SKIP)",
         "    Turn replies off, on, or off for the next command only.",
         "SETINFO <LIB-NAME|LIB-VER> <value>",
         "    Record the client library's name or version.",
         "SETNAME <name>",
         "    Assign the name <name> to the current connection.",
         "UNBLOCK <clientid> [TIMEOUT|ERROR]",
         "    Wake a client blocked in a blocking command.",
         "UNPAUSE",
         "    End CLIENT PAUSE at once.",
         "HELP",
         "    Print this help."});
  } else {
    rb->SendError(StrCat("unknown subcommand '", args[0], "'. Try CLIENT HELP."));
  }
}

using namespace co;

constexpr uint32_t kClientAdmin = kAdmin | kNoScript | kLoading | kStale;
constexpr const char* kClientAdminAcl = "@admin @slow @dangerous @connection";

// The family's declarations, registered in this order.
const CommandId kConnectionCommands[] = {
    CommandId{.name = "PING",
              .arity = -1,
              .flags = kFast,
              .acl = "@fast @connection",
              .tips = "request_policy:all_shards response_policy:all_succeeded",
              .sync = CmdPing,
              .group = "connection",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Checks that the server responds, replying PONG or the given message.",
              .args = {{.name = "message", .flags = arg::kOptional}}},
    CommandId{.name = "ECHO",
              .arity = 2,
              .flags = kFast | kStale | kLoading,
              .acl = "@fast @connection",
              .sync = CmdEcho,
              .group = "connection",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Replies with the message it was sent.",
              .args = {{.name = "message"}}},
    CommandId{.name = "AUTH",
              .arity = -2,
              .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
              .acl = "@fast @connection",
              .sync = CmdAuth,
              .group = "connection",
              .since = "1.0.0",
              .complexity = "O(N), N being the number of passwords the user has",
              .summary = "Logs this connection in with a password, optionally for a named user.",
              .history = {{"6.0.0", "A username may be given with the password, for ACL users."}},
              .args = {{.name = "username", .since = "6.0.0", .flags = arg::kOptional},
                       {.name = "password"}}},
    CommandId{
        .name = "HELLO",
        .arity = -1,
        .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
        .acl = "@fast @connection",
        .sync = CmdHello,
        .group = "connection",
        .since = "6.0.0",
        .complexity = "O(1)",
        .summary = "Negotiates the protocol version and connection settings with the server.",
        .history = {{"6.2.0",
                     "The protocol version became optional; with no arguments the "
                     "command only reports the connection's state."}},
        .args = {{.name = "arguments",
                  .type = arg::kBlock,
                  .flags = arg::kOptional,
                  .args = {{.name = "protover", .type = arg::kInteger},
                           {.name = "username_password",
                            .type = arg::kBlock,
                            .token = "AUTH",
                            .flags = arg::kOptional,
                            .args = {{.name = "username"}, {.name = "password"}}},
                           {.name = "clientname", .token = "SETNAME", .flags = arg::kOptional}}}}},
    CommandId{.name = "SELECT",
              .arity = 2,
              .flags = kLoading | kStale | kFast,
              .acl = "@fast @connection",
              .sync = CmdSelect,
              .group = "connection",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Switches this connection to a different database.",
              .args = {{.name = "index", .type = arg::kInteger}}},
    CommandId{.name = "QUIT",
              .arity = -1,
              .flags = kAllowBusy | kNoScript | kLoading | kStale | kFast | kNoAuth,
              .acl = "@fast @connection",
              .sync = CmdQuit,
              .group = "connection",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Asks the server to close this connection."},
    CommandId{.name = "RESET",
              .arity = 1,
              .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
              .acl = "@fast @connection",
              .sync = CmdReset,
              .group = "connection",
              .since = "6.2.0",
              .complexity = "O(1)",
              .summary = "Returns this connection to its default state."},
    CommandId{.name = "CLIENT",
              .arity = -2,
              .acl = "@slow",
              .async = CmdClient,
              .group = "connection",
              .since = "2.4.0",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands that inspect and manage client connections."},
    CommandId{.name = "CLIENT|ID",
              .arity = 2,
              .flags = kNoScript | kLoading | kStale,
              .acl = "@slow @connection",
              .async = CmdClient,
              .group = "connection",
              .since = "5.0.0",
              .complexity = "O(1)",
              .summary = "Reports the unique numeric identifier of this connection."},
    CommandId{.name = "CLIENT|SETNAME",
              .arity = 3,
              .flags = kNoScript | kLoading | kStale,
              .acl = "@slow @connection",
              .async = CmdClient,
              .group = "connection",
              .since = "2.6.9",
              .complexity = "O(1)",
              .summary = "Assigns a name to this connection.",
              .args = {{.name = "connection-name"}}},
    CommandId{.name = "CLIENT|GETNAME",
              .arity = 2,
              .flags = kNoScript | kLoading | kStale,
              .acl = "@slow @connection",
              .async = CmdClient,
              .group = "connection",
              .since = "2.6.9",
              .complexity = "O(1)",
              .summary = "Reports the name assigned to this connection."},
    CommandId{.name = "CLIENT|INFO",
              .arity = 2,
              .flags = kNoScript | kLoading | kStale,
              .acl = "@slow @connection",
              .tips = "nondeterministic_output",
              .async = CmdClient,
              .group = "connection",
              .since = "6.2.0",
              .complexity = "O(1)",
              .summary = "Describes the attributes and state of this connection."},
    CommandId{.name = "CLIENT|LIST",
              .arity = -2,
              .flags = kAdmin | kNoScript | kLoading | kStale,
              .acl = "@admin @slow @dangerous @connection",
              .tips = "nondeterministic_output",
              .async = CmdClient,
              .group = "connection",
              .since = "2.4.0",
              .complexity = "O(N), N being the number of client connections",
              .summary = "Describes every client that is currently connected.",
              .history = {{"2.8.12", "Each entry shows the client's unique id."},
                          {"5.0.0", "The TYPE filter was introduced."},
                          {"6.0.0", "Each entry shows the authenticated user."},
                          {"6.2.0",
                           "Entries show argv-mem, tot-mem, laddr and redir; the ID filter was "
                           "introduced."},
                          {"7.0.0", "Entries show resp, multi-mem, rbs and rbp."},
                          {"7.0.3", "Entries show ssub."}},
              .args = {{.name = "normal_master_replica_pubsub",
                        .type = arg::kOneOf,
                        .token = "TYPE",
                        .since = "5.0.0",
                        .flags = arg::kOptional,
                        .args = {{.name = "normal", .type = arg::kPureToken, .token = "NORMAL"},
                                 {.name = "master", .type = arg::kPureToken, .token = "MASTER"},
                                 {.name = "replica", .type = arg::kPureToken, .token = "REPLICA"},
                                 {.name = "pubsub", .type = arg::kPureToken, .token = "PUBSUB"}}},
                       {.name = "id",
                        .type = arg::kBlock,
                        .token = "ID",
                        .since = "6.2.0",
                        .flags = arg::kOptional,
                        .args = {{.name = "client-id",
                                  .type = arg::kInteger,
                                  .flags = arg::kMultiple}}}}},
    CommandId{
        .name = "CLIENT|KILL",
        .arity = -3,
        .flags = kAdmin | kNoScript | kLoading | kStale,
        .acl = "@admin @slow @dangerous @connection",
        .async = CmdClient,
        .group = "connection",
        .since = "2.4.0",
        .complexity = "O(N), N being the number of client connections",
        .summary = "Forcibly closes the client connections matching a filter.",
        .history = {{"2.8.12", "Filters written as field/value pairs were introduced."},
                    {"2.8.12", "Clients can be selected by ID."},
                    {"3.2.0", "TYPE accepts master."},
                    {"5.0.0", "TYPE takes replica in place of slave, which is still understood."},
                    {"6.2.0", "Clients can be selected by LADDR (the local address)."}},
        .args =
            {{.name = "filter",
              .type =
                  arg::kOneOf,
              .args =
                  {{.name = "ip:port", .deprecated_since = "2.8.12"},
                   {.name = "new-format",
                    .type =
                        arg::kOneOf,
                    .flags =
                        arg::kMultiple,
                    .args =
                        {{.name = "client-id",
                          .type =
                              arg::kInteger,
                          .token = "ID",
                          .since = "2.8.12",
                          .flags = arg::kOptional},
                         {.name = "normal_master_slave_pubsub",
                          .type = arg::kOneOf,
                          .token = "TYPE",
                          .since = "2.8.12",
                          .flags = arg::kOptional,
                          .args = {{.name = "normal", .type = arg::kPureToken, .token = "NORMAL"},
                                   {.name = "master",
                                    .type = arg::kPureToken,
                                    .token = "MASTER",
                                    .since = "3.2.0"},
                                   {.name = "slave", .type = arg::kPureToken, .token = "SLAVE"},
                                   {.name = "replica",
                                    .type = arg::kPureToken,
                                    .token = "REPLICA",
                                    .since = "5.0.0"},
                                   {.name = "pubsub", .type = arg::kPureToken, .token = "PUBSUB"}}},
                         {.name = "username", .token = "USER", .flags = arg::kOptional},
                         {.name = "ip:port", .token = "ADDR", .flags = arg::kOptional},
                         {.name = "ip:port",
                          .token = "LADDR",
                          .since = "6.2.0",
                          .flags = arg::kOptional},
                         {.name = "yes/no", .token = "SKIPME", .flags = arg::kOptional}}}}}}},
    CommandId{.name = "CLIENT|SETINFO",
              .arity = 4,
              .flags = kNoScript | kLoading | kStale,
              .acl = "@slow @connection",
              .sync = CmdClientSetInfo,
              .group = "connection",
              .since = "7.2.0",
              .complexity = "O(1)",
              .summary = "Records the client library name or version for this connection.",
              // Redis 7.2's shape (7.0 has no CLIENT SETINFO).
              .args = {{.name = "attr",
                        .type = arg::kOneOf,
                        .args = {{.name = "libname", .token = "LIB-NAME"},
                                 {.name = "libver", .token = "LIB-VER"}}}}},
    CommandId{.name = "CLIENT|PAUSE",
              .arity = -3,
              .flags = kClientAdmin,
              .acl = kClientAdminAcl,
              .sync = CmdClientPause,
              .group = "connection",
              .since = "2.9.50",
              .complexity = "O(1)",
              .summary = "Holds back the commands of every client (or only their writes) for "
                         "a while.",
              .history = {{"6.2.0", "CLIENT PAUSE WRITE holds back only writes."}},
              .args = {{.name = "timeout", .type = arg::kInteger},
                       {.name = "mode",
                        .type = arg::kOneOf,
                        .since = "6.2.0",
                        .flags = arg::kOptional,
                        .args = {{.name = "write", .type = arg::kPureToken, .token = "WRITE"},
                                 {.name = "all", .type = arg::kPureToken, .token = "ALL"}}}}},
    CommandId{.name = "CLIENT|UNPAUSE",
              .arity = 2,
              .flags = kClientAdmin,
              .acl = kClientAdminAcl,
              .sync = CmdClientUnpause,
              .group = "connection",
              .since = "6.2.0",
              .complexity = "O(N), N being the number of clients held back",
              .summary = "Ends a CLIENT PAUSE before its time."},
    CommandId{.name = "CLIENT|UNBLOCK",
              .arity = -3,
              .flags = kClientAdmin,
              .acl = kClientAdminAcl,
              .sync = CmdClientUnblock,
              .group = "connection",
              .since = "5.0.0",
              .complexity = "O(log N), N being the number of clients",
              .summary = "Wakes a client waiting in a blocking command, as a timeout or an error.",
              .args = {{.name = "client-id", .type = arg::kInteger},
                       {.name = "timeout_error",
                        .type = arg::kOneOf,
                        .flags = arg::kOptional,
                        .args = {{.name = "timeout", .type = arg::kPureToken, .token = "TIMEOUT"},
                                 {.name = "error", .type = arg::kPureToken, .token = "ERROR"}}}}},
    CommandId{.name = "CLIENT|REPLY",
              .arity = 3,
              .flags = kNoScript | kLoading | kStale,
              .acl = "@slow @connection",
              .sync = CmdClientReply,
              .group = "connection",
              .since = "3.2.0",
              .complexity = "O(1)",
              .summary = "Turns this connection's replies off, on, or off for the next command.",
              .args = {{.name = "on_off_skip",
                        .type = arg::kOneOf,
                        .args = {{.name = "on", .type = arg::kPureToken, .token = "ON"},
                                 {.name = "off", .type = arg::kPureToken, .token = "OFF"},
                                 {.name = "skip", .type = arg::kPureToken, .token = "SKIP"}}}}},
    CommandId{.name = "CLIENT|NO-EVICT",
              .arity = 3,
              .flags = kClientAdmin,
              .acl = kClientAdminAcl,
              .sync = CmdClientNoEvict,
              .group = "connection",
              .since = "7.0.0",
              .complexity = "O(1)",
              .summary = "Marks this connection as exempt from client eviction, or not.",
              .args = {{.name = "enabled",
                        .type = arg::kOneOf,
                        .args = {{.name = "on", .type = arg::kPureToken, .token = "ON"},
                                 {.name = "off", .type = arg::kPureToken, .token = "OFF"}}}}},
    CommandId{.name = "CLIENT|HELP",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .async = CmdClient,
              .group = "connection",
              .since = "5.0.0",
              .complexity = "O(1)",
              .summary = "Describes the available subcommands and their usage."},
};

}  // namespace

void RegisterConnectionFamily(CommandRegistry* r) {
  for (const CommandId& cid : kConnectionCommands) *r << cid;
}

}  // namespace darner
