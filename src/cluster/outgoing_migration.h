// The source side of one slot migration (spec dragonfly-cluster.md §4.3, §4.6, §4.7): created
// by a config that lists a migration on this node's shard, it connects to the target, sends
// `DFLYMIGRATE INIT`, opens one flow per shard, streams a point-in-time image of the slots
// together with every later change to them, and finalizes with LSN markers and
// `DFLYMIGRATE ACK` while writes to the migrating slots (and only those) are paused — for at
// most --migration_pause_limit_ms per attempt: past it the attempt is given up (its control
// connection closed first, so neither side can finish it any more) and a later one retries.
//
// Stopping is bounded (DESIGN.md §7). The migration owns a CancelScope; each attempt a child
// of it. Every socket operation is a Link bound to the attempt's scope and every wait is bound
// to a scope or a deadline, so Cancel() (idempotent, any thread) makes everything return
// promptly; Stop() then waits for the driver and every flow to have exited.
//
// Threads: the driver coroutine runs on pool thread 0; flow i runs on shard i's thread and is
// the only code touching its buffers and traversal state. Shared state is atomics or `mu_`.
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/cluster_config.h"
#include "cluster/incoming_migration.h"
#include "cluster/migration_status.h"
#include "io/cancel_scope.h"

namespace darner {

class ClusterFamily;
class Link;
class OutgoingFlow;
class Service;

// Progress of a migration's streams, for INFO and logs.
struct OutgoingProgress {
  uint64_t keys_streamed = 0;     // baseline keys serialized by the traversals
  uint64_t changes_streamed = 0;  // journal records forwarded
  uint64_t bytes_streamed = 0;    // bytes written to the flow sockets
};

class OutgoingMigration : public std::enable_shared_from_this<OutgoingMigration> {
 public:
  OutgoingMigration(std::string my_id, MigrationInfo info, Service* service, ClusterFamily* family);
  ~OutgoingMigration();

  const MigrationInfo& info() const { return info_; }
  const std::string& target_id() const { return info_.node_id; }
  const SlotSet& slots() const { return slots_; }

  MigrationState state() const;
  std::string error() const;  // the last error recorded, "" if none ever
  uint64_t error_count() const;
  uint64_t keys_at_finish() const;
  // State, error and keys at once, as SLOT-MIGRATION-STATUS reports them (direction "out").
  MigrationStatus Status() const;
  OutgoingProgress progress() const;
  // "connecting", "traversal" (baseline being streamed), "streaming" (baseline sent, changes
  // forwarded), "finalizing", "finished" or "fatal".
  std::string_view phase() const;
  // Baseline keys per second since the current attempt entered SYNC (0 before).
  uint64_t keys_per_sec() const;
  // Finalization pauses: the last one and the longest, in microseconds.
  uint64_t last_pause_us() const { return last_pause_us_.load(std::memory_order_relaxed); }
  uint64_t max_pause_us() const { return max_pause_us_.load(std::memory_order_relaxed); }

  // Starts the driver. Once.
  void Start();
  // Makes every wait of the migration return; idempotent, any thread.
  void Cancel();
  // Cancel() and wait until the driver and every flow exited, up to `timeout`. Returns whether
  // they did, and in *took how long it took.
  asio::awaitable<bool> Stop(std::chrono::milliseconds timeout, std::chrono::microseconds* took);
  // The same, blocking the calling thread (which must not be a pool thread): for shutdown.
  bool StopBlocking(std::chrono::milliseconds timeout, std::chrono::microseconds* took);

  // Called by ClusterFamily::FinishOutgoing, under its config lock.
  void MarkFinished(uint64_t keys);

  // Sums over every migration this process ran (INFO total_migrated_keys).
  static uint64_t TotalMigratedKeys();

 private:
  // What one attempt (one INIT and its flows) shares between the driver and the flows.
  struct Attempt;
  enum class Outcome { kFinished, kFatal, kFailed, kCancelled };

  asio::awaitable<void> Run();
  // One pass of §4.3: INIT, flows, traversal, finalization. Sets *error when it fails.
  asio::awaitable<Outcome> RunAttempt(std::string* error);
  // The finalization loop of §4.7, once every traversal is done; `control` is the connection
  // INIT went over.
  asio::awaitable<Outcome> Finalize(Attempt& attempt, std::unique_ptr<Link> control,
                                    std::string* error);
  // The steps of one finalization attempt:
  // Waits until every flow has at most a little unsent output; fails the attempt if the target
  // does not take it within --replication_timeout.
  asio::awaitable<void> DrainFlows(Attempt& attempt);
  // Has every flow write the marker of attempt `k` and waits until they did; false if they did
  // not in time (or the attempt was cancelled).
  asio::awaitable<bool> WriteMarkers(Attempt& attempt, uint64_t k,
                                     std::chrono::steady_clock::time_point pause_deadline);
  // Sends `DFLYMIGRATE ACK <k>` on `control` and reads the target's reply to it.
  struct AckReply {
    bool acked = false;       // the target joined attempt k
    bool target_oom = false;  // the target ran out of memory applying the data
    std::string why;          // why not, when not acked
  };
  asio::awaitable<AckReply> SendAck(Link& control, uint64_t k,
                                    std::chrono::steady_clock::time_point pause_deadline);
  // Cancels the attempt and waits (bounded) until its flows exited.
  asio::awaitable<void> EndAttempt(Attempt& attempt);
  void RecordPause(std::chrono::steady_clock::time_point start);
  void SetState(MigrationState state);
  void RecordError(std::string error, bool fatal);

  const std::string my_id_;
  const MigrationInfo info_;
  const SlotSet slots_;
  Service* service_;
  ClusterFamily* family_;
  CancelScope scope_;
  // The driver and every flow it started that have not exited yet. Whoever brings it to 0
  // cancels all_exited_, a scope used as a one-shot event that wakes Stop() at once.
  std::atomic<int64_t> live_{0};
  CancelScope all_exited_;
  void Release() {
    if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1) all_exited_.Cancel();
  }
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> started_{false};
  std::atomic<uint64_t> last_pause_us_{0}, max_pause_us_{0};
  std::atomic<uint64_t> keys_streamed_{0}, changes_streamed_{0}, bytes_streamed_{0};
  enum class Phase : uint8_t { kConnecting, kTraversal, kStreaming, kFinalizing };
  std::atomic<Phase> phase_{Phase::kConnecting};
  std::atomic<int64_t> sync_start_ns_{0};  // steady clock, when the attempt entered SYNC
  std::atomic<uint64_t> sync_start_keys_{0};

  mutable std::mutex mu_;  // guards the fields below
  MigrationState state_ = MigrationState::kConnecting;
  std::string error_;
  uint64_t error_count_ = 0;
  uint64_t keys_at_finish_ = 0;

  friend class OutgoingFlow;
};

}  // namespace darner
