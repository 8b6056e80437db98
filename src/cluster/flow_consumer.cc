#include "cluster/flow_consumer.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "base/logging.h"
#include "base/strings.h"
#include "cluster/fault_injection.h"
#include "io/as_tuple.h"
#include "io/cancel_scope.h"
#include "server/cluster_support.h"
#include "server/conn_context.h"
#include "server/service.h"

ABSL_DECLARE_FLAG(uint32_t, dbnum);

namespace darner {
namespace {

// Commands applied per DispatchBatch call: bounds how long one call holds the thread.
constexpr size_t kMaxBatch = 256;

// Never sent by a source; refused because they would wipe data outside the migration.
bool Forbidden(const std::vector<std::string_view>& args) {
  return EqualsIgnoreCase(args[0], "FLUSHALL") || EqualsIgnoreCase(args[0], "FLUSHDB") ||
         (EqualsIgnoreCase(args[0], "DFLYCLUSTER") && args.size() > 1 &&
          EqualsIgnoreCase(args[1], "FLUSHSLOTS"));
}

}  // namespace

std::string FlowConsumer::CheckRecord(const std::vector<std::string_view>& args) {
  if (Forbidden(args)) {
    return StrCat("We don't support command: ", ToUpper(args[0]), " in cluster migration process.");
  }
  // A source streams the writes of keys in the migration's slots (spec §4.5, §4.6): a keyed
  // write command, never an admin or keyless one (CONFIG SET, DFLYMIGRATE, ...).
  const CommandId* cid = service_->registry().Find(args[0]);
  if (cid == nullptr || !cid->IsWrite() || !cid->HasKeys() || (cid->flags & co::kAdmin) ||
      !cid->subcommands.empty()) {
    return StrCat("Unexpected command in migration flow: ", ToUpper(args[0].substr(0, 64)));
  }
  cid->KeyPositions(args, &key_positions_);
  if (key_positions_.empty()) {
    return StrCat("Missing key in migration flow command: ", ToUpper(args[0].substr(0, 64)));
  }
  for (size_t pos : key_positions_) {
    SlotId slot = KeySlot(args[pos]);
    if (!migration_->slots().Contains(slot)) {
      return StrCat("Key of slot ", slot, " is outside the migration in flow command ",
                    ToUpper(args[0].substr(0, 64)));
    }
  }
  return {};
}

FlowConsumer::FlowConsumer(std::shared_ptr<IncomingMigration> migration, uint32_t flow,
                           Service* service, Connection* conn)
    : migration_(std::move(migration)),
      flow_(flow),
      service_(service),
      conn_(conn),
      cc_(static_cast<ConnectionContext*>(conn->user_data())) {}

void FlowConsumer::OnClose() { migration_->FlowExited(flow_, conn_); }

void FlowConsumer::Fail(std::string error, bool fatal) {
  LOG(WARNING) << "Incoming migration from " << migration_->source_id() << ", flow " << flow_
               << ": " << error;
  migration_->RecordError(std::move(error), fatal);
  migration_->Cancel();
}

asio::awaitable<bool> FlowConsumer::ApplyBatch() {
  if (batch_.empty()) co_return true;
  if (int64_t us = MigrationFaultValue(MigrationFault::kApplyDelayUs); us > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::microseconds(us));
    co_await timer.async_wait(kAsTuple);
  }
  for (size_t i = 0; i < batch_.size(); ++i) {
    batch_[i] = CmdArgList(arg_storage_.data() + arg_ranges_[i].first, arg_ranges_[i].second);
  }
  size_t applied = batch_.size();
  ReplyBuilder& rb = conn_->reply();
  uint64_t errors_before = rb.error_count();
  co_await service_->DispatchBatch(conn_, batch_);
  bool oom = rb.error_count() != errors_before && rb.last_error_code() == "OOM";
  rb.buffer().clear();  // nobody reads replies on a flow
  batch_.clear();
  arg_storage_.clear();
  arg_ranges_.clear();
  if (oom) {
    Fail("INCOMING_MIGRATION_OOM", true);
    co_return false;
  }
  if (TakeMigrationFault(MigrationFault::kFlowClose)) {
    LOG(WARNING) << "Injected fault: closing migration flow " << flow_;
    conn_->Close();
    co_return false;
  }
  // Commands of keys on this thread's shard run without suspending, and the connection reads
  // on while bytes are there: without a yield a flow with a backlog holds its thread until the
  // backlog is applied. Every kMaxBatch commands the thread's other work (clients, and the
  // Close() of a stopping migration) gets its turn.
  applied_since_yield_ += applied;
  if (applied_since_yield_ >= kMaxBatch) {
    applied_since_yield_ = 0;
    auto ex = co_await asio::this_coro::executor;
    co_await asio::post(ex, asio::use_awaitable);
  }
  co_return !conn_->closing();
}

asio::awaitable<int64_t> FlowConsumer::Consume(std::string_view data) {
  // DEBUG MIGRATION PAUSE: stop reading, so the source sees its flow stall. Short naps, so a
  // stop of the migration (which closes the connection) is noticed at once.
  if (MigrationFlowsPaused()) {
    co_await WaitUntil(nullptr, std::chrono::steady_clock::time_point::max(),
                       [this] { return !MigrationFlowsPaused() || conn_->closing(); },
                       {std::chrono::milliseconds(1), std::chrono::milliseconds(1)});
  }
  size_t pos = 0;
  while (pos < data.size() && !conn_->closing()) {
    size_t used = 0;
    flow::Status st = reader_.Next(data.substr(pos), &used, &record_);
    if (st == flow::Status::kIncomplete) break;
    if (st == flow::Status::kCorrupt) {
      Fail(reader_.Error(), false);
      co_return -1;
    }
    switch (record_.opcode) {
      case flow::Opcode::kSelect:
        if (record_.db != cc_->db) {
          if (!co_await ApplyBatch()) co_return -1;
          if (record_.db >= absl::GetFlag(FLAGS_dbnum)) {
            Fail(StrCat("invalid database ", record_.db, " in flow stream"), false);
            co_return -1;
          }
          cc_->db = record_.db;
        }
        break;
      case flow::Opcode::kPing:
        break;
      case flow::Opcode::kLsn:
        if (!co_await ApplyBatch()) co_return -1;
        migration_->FlowMarker(flow_, record_.lsn);
        break;
      case flow::Opcode::kCommand:
      case flow::Opcode::kExpired:
        if (std::string error = CheckRecord(record_.args); !error.empty()) {
          Fail(std::move(error), false);
          co_return -1;
        }
        migration_->FlowData(flow_);
        arg_ranges_.emplace_back(arg_storage_.size(), record_.args.size());
        arg_storage_.insert(arg_storage_.end(), record_.args.begin(), record_.args.end());
        batch_.emplace_back();
        break;
    }
    pos += used;  // the views of the batch stay valid: `data` is not touched until we return
    if (batch_.size() >= kMaxBatch && !co_await ApplyBatch()) co_return -1;
  }
  if (!co_await ApplyBatch()) co_return -1;
  co_return static_cast<int64_t>(pos);
}

}  // namespace darner
