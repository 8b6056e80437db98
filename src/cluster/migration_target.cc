// DFLYMIGRATE INIT, FLOW and ACK: the target side of a slot migration, driven by the source's
// OutgoingMigration (see cluster_commands.h). INIT (re)starts an IncomingMigration, FLOW hands a
// connection over to a FlowConsumer, ACK joins the flows at a finalization marker and, under the
// apply lock, makes the slots served here.
#include <sys/socket.h>

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

#include "base/logging.h"
#include "base/numbers.h"
#include "base/strings.h"
#include "cluster/cluster_commands.h"
#include "cluster/cluster_family.h"
#include "cluster/fault_injection.h"
#include "cluster/flow_consumer.h"
#include "facade/errors.h"
#include "facade/reply_builder.h"
#include "io/as_tuple.h"
#include "io/cancel_scope.h"
#include "server/conn_context.h"
#include "server/engine_shard.h"
#include "server/service.h"
#include "server/transaction.h"

namespace darner {
namespace {

// SO_RCVBUF of incoming flow connections.
constexpr int kFlowReceiveBuffer = 256 * 1024;
// Cap on the flows one INIT may announce (one per source shard).
constexpr uint64_t kMaxFlows = 1024;
// Attempts of one INIT racing other INITs of the same migration (see MigrateInit).
constexpr int kMaxInitTries = 64;

// Whether the peer of `conn` closed it (a pending EOF; requests pipelined after the current
// one count as open). For ACK: a source closes the control connection when it gives up.
bool PeerClosed(Connection* conn) {
  if (conn->closing()) return true;
  char byte;
  return recv(conn->native_fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

}  // namespace

asio::awaitable<void> ClusterCommands::DflyMigrate(CmdArgList args, CommandContext& cx) {
  std::string sub = ToUpper(args[0]);
  if (sub == "INIT" && args.size() >= 5) {
    co_await MigrateInit(args.subspan(1), cx);
  } else if (sub == "FLOW" && args.size() == 3) {
    co_await MigrateFlow(args.subspan(1), cx);
  } else if (sub == "ACK" && args.size() == 3) {
    co_await MigrateAck(args.subspan(1), cx);
  } else {
    cx.rb->SendError(UnknownSubcommand(sub, "DFLYMIGRATE"));
  }
}

// INIT <source_id> <num_flows> <start> <end> [<start> <end> ...]
asio::awaitable<void> ClusterCommands::MigrateInit(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  uint64_t num_flows;
  if (!ParseUint64(args[1], &num_flows)) {
    rb->SendError(kInvalidIntErr);
    co_return;
  }
  if ((args.size() - 2) % 2 != 0) {
    rb->SendError(kSyntaxErr);
    co_return;
  }
  if (num_flows == 0 || num_flows > kMaxFlows) {
    rb->SendError("invalid number of flows");
    co_return;
  }
  SlotRanges ranges;
  for (size_t i = 2; i < args.size(); i += 2) {
    int64_t start, end;
    if (!ParseSlotId(args[i], &start) || !ParseSlotId(args[i + 1], &end)) {
      rb->SendError(kInvalidIntErr);
      co_return;
    }
    ranges.push_back({static_cast<SlotId>(start), static_cast<SlotId>(end)});
  }
  std::sort(ranges.begin(), ranges.end());
  if (TakeMigrationFault(MigrationFault::kInitError)) {
    rb->SendError("injected INIT fault");
    co_return;
  }
  std::shared_ptr<IncomingMigration> m;
  for (const auto& in : family()->incoming()) {
    if (in->source_id() == args[0] && in->ranges() == ranges) m = in;
  }
  if (!m) {
    rb->SendSimpleString("UNKNOWN_MIGRATION");
    co_return;
  }
  // Concurrent INITs of one migration (a restarting source retrying) are serialized by the
  // flow table's generation: an INIT whose table was replaced by another INIT after it looked
  // stops and flushes again, so the last INIT to answer +OK owns every flow that attached.
  // Each retry follows another INIT's success, so the loop is bounded by the concurrency.
  bool initialized = false;
  for (int tries = 0; tries < kMaxInitTries && !initialized; ++tries) {
    uint64_t generation = m->generation();
    if (m->state() != MigrationState::kConnecting) {
      // A re-INIT after a failed attempt: stop the old flows and start over from empty slots.
      std::chrono::microseconds took;
      co_await m->Stop(FinalizationTimeout(), &took);
      LOG(INFO) << "Incoming migration from " << m->source_id() << " restarted; stopped in "
                << took.count() << " us";
      const SlotSet& slots = m->slots();
      co_await cx.tx->RunOnAll([&slots](EngineShard& s) { s.DetachSlots(slots.bits()); });
      if (m->state() == MigrationState::kFatal) {
        rb->SendError("-INCOMING_MIGRATION_OOM");
        co_return;
      }
    }
    if (int64_t ms = MigrationFaultValue(MigrationFault::kInitDelayMs); ms > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(ms));
      co_await timer.async_wait(kAsTuple);
    }
    initialized = m->Init(static_cast<uint32_t>(num_flows), generation);
  }
  if (!initialized) {
    rb->SendError("migration is being restarted by other INITs");
    co_return;
  }
  LOG(INFO) << "Incoming migration from " << m->source_id() << " of " << SlotRangesToString(ranges)
            << " with " << num_flows << " flows";
  rb->SendOk();
}

// FLOW <source_id> <shard_id>: after +OK the connection carries only the flow's records.
asio::awaitable<void> ClusterCommands::MigrateFlow(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  std::shared_ptr<IncomingMigration> m = family()->FindIncoming(args[0]);
  if (!m) {
    rb->SendError("syncid not found");
    co_return;
  }
  uint64_t flow;
  if (!ParseUint64(args[1], &flow) || flow > kMaxFlows) {
    rb->SendError(kInvalidIntErr);
    co_return;
  }
  Connection* conn = cx.conn->conn;
  if (conn->has_takeover() || cx.conn->replicated) {
    rb->SendError("connection is already a migration flow");
    co_return;
  }
  std::string error;
  if (!m->AttachFlow(static_cast<uint32_t>(flow), conn, &error)) {
    rb->SendError(error);
    co_return;
  }
  cx.conn->name = StrCat("migration_flow_", m->source_id());
  cx.conn->replicated = true;
  // A bounded receive buffer keeps what the source has sent but this node has not applied
  // small and visible to the source (as unacknowledged bytes), so the source pauses writes
  // for finalization only once this node has nearly caught up.
  int rcvbuf = kFlowReceiveBuffer;
  setsockopt(conn->native_fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  conn->SetTakeover(
      std::make_unique<FlowConsumer>(m, static_cast<uint32_t>(flow), cx.service, conn));
  rb->SendOk();
}

// ACK <source_id> <attempt>
asio::awaitable<void> ClusterCommands::MigrateAck(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  uint64_t attempt;
  if (!ParseUint64(args[1], &attempt)) {
    rb->SendError(kInvalidIntErr);
    co_return;
  }
  std::shared_ptr<const ClusterConfig> config = family()->config();
  bool configured = false;
  if (config) {
    for (const IncomingMigrationInfo& m : config->incoming_migrations()) {
      configured |= m.source_id == args[0];
    }
  }
  if (!configured) {
    rb->SendSimpleString("UNKNOWN_MIGRATION");
    co_return;
  }
  std::shared_ptr<IncomingMigration> m = family()->FindIncoming(args[0]);
  if (!m) {
    rb->SendError("syncid not found");
    co_return;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  if (int64_t ms = MigrationFaultValue(MigrationFault::kAckDelayMs); ms > 0) {
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(kAsTuple);
  }
  if (TakeMigrationFault(MigrationFault::kAckDrop)) {
    LOG(WARNING) << "Injected fault: dropping ACK " << attempt << " from " << args[0];
    cx.conn->conn->Close();
    co_return;
  }
  // Join: every flow must have parked at this attempt's marker. A source that gave the
  // attempt up (its pause limit passed) closed this connection before it let writes after the
  // marker happen: the attempt is not finished here then, whatever the flows show.
  using Join = IncomingMigration::Join;
  auto deadline = std::chrono::steady_clock::now() + FinalizationTimeout();
  Join join = Join::kWaiting;
  bool abandoned = false;
  bool fatal = false;
  co_await WaitUntil(nullptr, deadline,
                     [&] {
                       fatal = m->state() == MigrationState::kFatal;
                       if (!fatal) {
                         join = m->Joined(attempt);
                         abandoned = PeerClosed(cx.conn->conn);
                       }
                       return fatal || join != Join::kWaiting || abandoned;
                     },
                     // The pause on the source lasts about this long.
                     {std::chrono::microseconds(250), std::chrono::microseconds(250)});
  if (fatal) {
    rb->SendError("-INCOMING_MIGRATION_OOM");
    co_return;
  }
  if (abandoned) {
    LOG(WARNING) << "ACK " << attempt << " from " << m->source_id()
                 << " abandoned by the source: not finishing that attempt";
    co_return;
  }
  if (join != Join::kJoined) {
    LOG(WARNING) << (join == Join::kDataAfterMarker
                         ? "Can't join migration because of data after LSN for "
                     : join == Join::kSuperseded
                         ? "Can't join migration (a later attempt's marker arrived) for "
                         : "Can't join migration in time for ")
                 << m->source_id();
    m->RecordError("Can't join migration in time", false);
    rb->SendError("Join timeout happened");
    co_return;
  }
  if (m->state() != MigrationState::kFinished) {
    // The slots are served from now on, before the closing config arrives.
    ClusterFamily* f = family();
    co_await f->LockApply();
    m->Finish(co_await CountKeys(cx.service, cx.tx, m->slots()));
    std::shared_ptr<const ClusterConfig> now = f->config();
    if (now) {
      co_await cx.service->PublishRouting(f->RoutingNow(*now), cx.tx);
    }
    f->UnlockApply();
    LOG(INFO) << "Incoming migration from " << m->source_id() << " finished at attempt " << attempt;
  }
  rb->SendLong(static_cast<int64_t>(attempt));
}

}  // namespace darner
