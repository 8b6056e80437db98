// Private to the migration source (outgoing_migration.cc, outgoing_flow.cc): what one attempt
// shares between the driver and its flows, and OutgoingFlow, the stream of one shard's part of
// an outgoing migration. Nothing outside those two files includes this.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/logging.h"
#include "cluster/outgoing_migration.h"
#include "io/cancel_scope.h"
#include "io/link.h"
#include "server/engine_shard.h"
#include "server/journal.h"

namespace darner {

// Helpers both files use.
namespace outgoing_internal {
using Clock = std::chrono::steady_clock;
// Keys every outgoing migration has sent (OutgoingMigration::TotalMigratedKeys).
extern std::atomic<uint64_t> g_total_migrated_keys;
// Longest reply line read from the target.
inline constexpr size_t kMaxReplyLine = 64 * 1024;
std::chrono::milliseconds Millis(uint32_t ms);
// --migration_finalization_timeout_ms.
std::chrono::milliseconds FinalizationTimeout();
// A RESP array of bulk strings.
std::string Resp(const std::vector<std::string>& args);
// The text of a reply line without its type byte.
std::string_view ReplyText(std::string_view line);
// Connects `link` to the target and AUTHs when --masterauth is set. Returns "" or the error.
asio::awaitable<std::string> OpenLink(Link& link, const MigrationInfo& info);
}  // namespace outgoing_internal

// What one attempt shares between the driver and its flows. Flows hold it by shared_ptr, so
// it outlives a flow that (by a bug) failed to exit in time.
struct OutgoingMigration::Attempt {
  explicit Attempt(CancelScope& parent) : scope(parent) {}

  // Records the first flow error and cancels the attempt (every flow and the driver's waits).
  void Fail(std::string why) {
    {
      std::lock_guard lk(mu);
      if (error.empty()) error = std::move(why);
    }
    scope.Cancel();
  }
  std::string Error() const {
    std::lock_guard lk(mu);
    return error;
  }

  // Called by each flow as the last thing it does.
  void FlowExited() {
    if (running_flows.fetch_sub(1, std::memory_order_acq_rel) == 1) flows_exited.Cancel();
  }

  CancelScope scope;
  std::vector<std::shared_ptr<OutgoingFlow>> flows;
  // Flows started and not exited yet; when the last one exits it cancels `flows_exited`, a
  // scope used as a one-shot event, which wakes EndAttempt at once (no polling).
  std::atomic<size_t> running_flows{0};
  CancelScope flows_exited;
  mutable std::mutex mu;  // guards error
  std::string error;
};

// One flow: the stream of one shard's part of the migration, on that shard's thread.
//
// Point-in-time traversal (DESIGN.md §6). The flow walks its slots in ascending order, each
// with the key table's stable scan cursor, serializing every key it meets. The cursor visits
// hashes in reverse-binary order and, across resizes, has visited exactly the keys whose
// reversed hash is below the reversed cursor. So for every change the journal reports, the flow
// knows whether the traversal has already sent the key: if so it forwards the key's new state;
// if not, it drops the report, because the traversal will send the key's state when it gets
// there. Either way the last state the target receives for a key is its current one, and no
// per-entry version is needed.
class OutgoingFlow : public JournalConsumer, public std::enable_shared_from_this<OutgoingFlow> {
 public:
  OutgoingFlow(std::shared_ptr<OutgoingMigration> migration,
               std::shared_ptr<OutgoingMigration::Attempt> attempt, unsigned shard,
               unsigned num_shards, asio::io_context& ctx);

  // Connects, sends FLOW, then streams until the attempt is cancelled or fails. `self` (this
  // flow) keeps it alive until the coroutine ends.
  asio::awaitable<void> Run(std::shared_ptr<OutgoingFlow> self);

  // Appends the finalize marker of `attempt` (on the flow's thread).
  void MarkFinalize(uint64_t attempt);

  unsigned shard_id() const { return shard_id_; }
  bool traversal_done() const { return traversal_done_.load(std::memory_order_acquire); }
  uint64_t lsn_written() const { return lsn_written_.load(std::memory_order_acquire); }
  bool exited() const { return exited_.load(std::memory_order_acquire); }
  // Encoded bytes not yet written to the socket, plus written bytes the target's TCP has not
  // acknowledged (its reader is behind; the target bounds its receive buffer). Any thread.
  size_t pending_bytes() const {
    return pending_bytes_.load(std::memory_order_relaxed) +
           unacked_bytes_.load(std::memory_order_relaxed);
  }
  // While set (by finalization, on the flow's thread), an idle flow refreshes the unacked
  // figure every millisecond.
  void WatchDrain(bool on) {
    drain_watch_ = on;
    Wake();
  }

  void OnKeyChange(SlotId slot, std::string_view key, const KeyEntry* entry) override;
  void OnFlush() override { FailNow("FLUSH command during migration"); }

 private:
  asio::awaitable<std::string> Handshake(Link& link);
  asio::awaitable<std::string> Stream(Link& link);
  // Reads the flow socket (which the target never writes to) to notice at once when the
  // target closes it, rather than at the next write. Ends when the attempt's scope does.
  asio::awaitable<void> WatchPeer(Link& link);
  // Serializes keys for a while; sets traversal_done_ at the end.
  void TraverseStep();
  // Whether the traversal has used more than --migration_buckets_cpu_budget of the time since
  // it began.
  bool OverCpuBudget() const;
  // Whether the traversal has already sent (or passed) `key` of `slot`.
  bool Passed(SlotId slot, std::string_view key) const;
  void AppendState(std::string_view key, const KeyEntry* entry, uint64_t txid);
  void Wake() {
    if (waiting_) wake_.cancel();
  }
  // Fails the attempt from the journal side at once: the stream loop may be blocked in a
  // write to a target that stopped reading, so it cannot be the one to notice.
  void FailNow(std::string why) {
    if (!failure_.empty()) return;
    failure_ = why;
    LOG(WARNING) << "Migration flow " << shard_id_ << " to " << migration_->target_id()
                 << " failed: " << why;
    attempt_->Fail(std::move(why));
    Wake();
  }
  // Marks the flow's slots stalled while its unsent output is over the limit (cleared below
  // half of it), which slows client writes to them (SlotStalled).
  void UpdateStall();

  std::shared_ptr<OutgoingMigration> migration_;
  std::shared_ptr<OutgoingMigration::Attempt> attempt_;
  const unsigned shard_id_;
  const unsigned num_shards_;
  asio::io_context& ctx_;
  EngineShard* shard_ = nullptr;
  size_t output_limit_;
  // The traversal's throttle (--migration_buckets_*): its busy time against the time since it
  // began; over the budget it sleeps before the next step.
  unsigned buckets_per_check_ = 32;
  float cpu_budget_ = 1;
  outgoing_internal::Clock::duration budget_sleep_{};
  outgoing_internal::Clock::time_point traversal_start_{};
  outgoing_internal::Clock::duration traversal_busy_{};

  std::vector<SlotId> slots_;  // this shard's slots of the migration, ascending
  size_t slot_index_ = 0;      // the slot being traversed
  uint64_t cursor_ = 0;        // its scan cursor; 0 = not started
  std::atomic<bool> traversal_done_{false};

  std::string out_;                       // encoded records not yet handed to the socket
  size_t in_flight_ = 0;                  // bytes handed to the socket, not yet written
  std::atomic<size_t> pending_bytes_{0};  // out_ + in_flight_, published by UpdateStall
  std::atomic<size_t> unacked_bytes_{0};  // the socket's SIOCOUTQ after the last write
  bool drain_watch_ = false;
  bool stalled_ = false;
  std::string failure_;       // set by the journal side; the stream loop ends with it
  uint64_t pending_lsn_ = 0;  // a marker in out_
  uint64_t txid_ = 0;
  asio::steady_timer wake_;
  bool waiting_ = false;
  bool watching_ = false;         // WatchPeer runs
  asio::steady_timer peer_done_;  // cancelled by WatchPeer when it ends
  bool registered_ = false;       // a journal consumer
  std::atomic<uint64_t> lsn_written_{0};
  std::atomic<bool> exited_{false};

  // For the per-attempt log line (spec §6.3).
  uint64_t buckets_looped_ = 0, keys_written_ = 0, changes_forwarded_ = 0, changes_dropped_ = 0;
};

}  // namespace darner
