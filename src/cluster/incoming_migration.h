// The target side of one slot migration (spec dragonfly-cluster.md §4.4): created in CONNECTING
// by a config that names this node as a migration's target, moved to SYNC by the source's
// `DFLYMIGRATE INIT`, fed by one flow connection per source shard (`DFLYMIGRATE FLOW`), and
// FINISHED by a successful `DFLYMIGRATE ACK` join. Thread-safe: INIT/ACK handlers, flow
// consumers, status readers and config applies run on different threads; state is guarded by
// one mutex, never held across a wait.
//
// Stopping is bounded: Cancel() closes every flow connection on its own thread (the consumer
// then sees the connection end; nothing keeps reading a closed socket), and Stop() waits for
// the consumers to report that they exited, up to a deadline (woken by the last one to exit).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/cluster_config.h"
#include "cluster/migration_status.h"

namespace darner {

class CancelScope;
class Connection;
class ProactorPool;

class IncomingMigration : public std::enable_shared_from_this<IncomingMigration> {
 public:
  IncomingMigration(std::string source_id, SlotRanges ranges, ProactorPool* pool);
  ~IncomingMigration();

  const std::string& source_id() const { return source_id_; }
  const SlotRanges& ranges() const { return ranges_; }
  const SlotSet& slots() const { return slots_; }

  MigrationState state() const;
  // The last error recorded ("" if none ever), and how many were recorded.
  std::string error() const;
  uint64_t error_count() const;
  // Keys frozen when the migration finished (meaningful in FINISHED only).
  uint64_t keys_at_finish() const;
  // State, error and keys at once, as SLOT-MIGRATION-STATUS reports them (direction "in").
  MigrationStatus Status() const;

  // Bumped by every Init(): identifies one flow table.
  uint64_t generation() const;
  // INIT: expect `num_flows` flows; state := SYNC. Call after Stop() when re-initializing.
  // Refuses (false, nothing changed) unless the flow table is still `expected_generation`:
  // another INIT initialized it since the caller looked, and flows may have attached to that
  // table after the caller's Stop(); replacing it would forget them unclosed. The caller then
  // stops again and retries.
  bool Init(uint32_t num_flows, uint64_t expected_generation);
  // Registers the flow connection of source shard `flow` (on the calling thread). False with
  // *error set when the flow id is out of range or already connected, or the migration is not
  // in SYNC.
  bool AttachFlow(uint32_t flow, Connection* conn, std::string* error);
  // Called by a flow's consumer (on the connection's thread) when its connection ends.
  void FlowExited(uint32_t flow, Connection* conn);
  // A flow reached the finalize marker of `attempt` (parked), or got a record after it.
  void FlowMarker(uint32_t flow, uint64_t attempt);
  void FlowData(uint32_t flow);

  // Records `error`; `fatal` moves to FATAL (out of memory applying data).
  void RecordError(std::string error, bool fatal);
  // How far the flows are for an ACK of `attempt`. A join needs every flow parked at exactly
  // this attempt's marker: markers of an older attempt never count, and once a flow has passed
  // a later marker (the source gave this attempt up and sent the next) it never can.
  enum class Join {
    kWaiting,          // some flow has not reached the marker yet
    kJoined,           // every flow parked at the marker, nothing after it
    kDataAfterMarker,  // every flow reported the marker, but one got data after it
    kSuperseded,       // a flow reported a later attempt's marker
  };
  Join Joined(uint64_t attempt) const;
  void Finish(uint64_t keys);

  // Closes every flow connection (each on its own thread). Idempotent, callable from any thread.
  void Cancel();
  // Ends the current attempt with `error` (a FLUSHALL on this node): no ACK can join it any
  // more, and every flow is closed, so the source starts over with a new INIT.
  void FailAttempt(std::string error);
  // Cancel() and wait until every flow consumer exited, up to `timeout`; false if one did not
  // (logs "Can't stop migration in time"). Returns how long it took in *took.
  asio::awaitable<bool> Stop(std::chrono::milliseconds timeout, std::chrono::microseconds* took);

 private:
  struct Flow {
    Connection* conn = nullptr;  // while connected; touched on its own thread only
    unsigned thread = 0;
    uint64_t attempt = 0;  // last finalize marker seen
    bool parked = false;   // no record since that marker
    bool data_after_marker = false;
  };

  const std::string source_id_;
  const SlotRanges ranges_;
  const SlotSet slots_;
  ProactorPool* pool_;
  mutable std::mutex mu_;  // guards everything below
  MigrationState state_ = MigrationState::kConnecting;
  std::string error_;
  uint64_t error_count_ = 0;
  uint64_t keys_at_finish_ = 0;
  std::vector<Flow> flows_;
  uint64_t generation_ = 0;      // bumped by Init(): a queued close of an older flow set is void
  bool attempt_failed_ = false;  // FailAttempt() since the last Init()
  // Stop() since the last Init(): no flow may attach any more. A FLOW racing a re-INIT would
  // otherwise join the old flow table after Cancel() ran and be forgotten by Init(): never
  // closed, applying data after the INIT's flush.
  bool stopping_ = false;
  size_t running_flows_ = 0;
  // Stop() calls waiting for running_flows_ to reach 0: each is a scope used as a one-shot
  // event, cancelled by the flow that exits last (no polling).
  std::vector<std::shared_ptr<CancelScope>> exit_waiters_;
};

}  // namespace darner
