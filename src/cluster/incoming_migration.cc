#include "cluster/incoming_migration.h"

#include <algorithm>

#include "base/logging.h"
#include "facade/connection.h"
#include "io/cancel_scope.h"
#include "io/proactor_pool.h"

namespace darner {

IncomingMigration::IncomingMigration(std::string source_id, SlotRanges ranges, ProactorPool* pool)
    : source_id_(std::move(source_id)), ranges_(std::move(ranges)), slots_(ranges_), pool_(pool) {}

IncomingMigration::~IncomingMigration() = default;

MigrationState IncomingMigration::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

std::string IncomingMigration::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

uint64_t IncomingMigration::error_count() const {
  std::lock_guard lk(mu_);
  return error_count_;
}

uint64_t IncomingMigration::keys_at_finish() const {
  std::lock_guard lk(mu_);
  return keys_at_finish_;
}

MigrationStatus IncomingMigration::Status() const {
  std::lock_guard lk(mu_);
  return {.direction = "in",
          .peer_id = source_id_,
          .ranges = ranges_,
          .state = state_,
          .error = error_,
          .keys_at_finish = keys_at_finish_};
}

uint64_t IncomingMigration::generation() const {
  std::lock_guard lk(mu_);
  return generation_;
}

bool IncomingMigration::Init(uint32_t num_flows, uint64_t expected_generation) {
  std::vector<std::shared_ptr<CancelScope>> wake;
  {
    std::lock_guard lk(mu_);
    if (generation_ != expected_generation) return false;
    ++generation_;
    flows_.assign(num_flows, Flow{});
    running_flows_ = 0;
    attempt_failed_ = false;
    stopping_ = false;
    state_ = MigrationState::kSync;
    wake.swap(exit_waiters_);  // the old flows are forgotten: nothing left to wait for
  }
  for (const auto& w : wake) w->Cancel();
  return true;
}

bool IncomingMigration::AttachFlow(uint32_t flow, Connection* conn, std::string* error) {
  std::lock_guard lk(mu_);
  if (state_ != MigrationState::kSync) {
    *error = "migration is not in SYNC state";
    return false;
  }
  if (attempt_failed_) {
    *error = "migration attempt failed";
    return false;
  }
  if (stopping_) {
    *error = "migration is stopping";
    return false;
  }
  if (flow >= flows_.size()) {
    *error = "invalid flow id";
    return false;
  }
  if (flows_[flow].conn != nullptr) {
    *error = "flow already connected";
    return false;
  }
  flows_[flow].conn = conn;
  flows_[flow].thread = static_cast<unsigned>(ProactorPool::CurrentIndex());
  ++running_flows_;
  return true;
}

void IncomingMigration::FlowExited(uint32_t flow, Connection* conn) {
  std::vector<std::shared_ptr<CancelScope>> wake;
  {
    std::lock_guard lk(mu_);
    // After a re-INIT the flow table is new: an old consumer's exit must not touch it.
    if (flow < flows_.size() && flows_[flow].conn == conn) {
      flows_[flow].conn = nullptr;
      --running_flows_;
      if (running_flows_ == 0) wake.swap(exit_waiters_);
    }
  }
  for (const auto& w : wake) w->Cancel();
}

void IncomingMigration::FlowMarker(uint32_t flow, uint64_t attempt) {
  std::lock_guard lk(mu_);
  if (flow >= flows_.size()) return;
  flows_[flow].attempt = attempt;
  flows_[flow].parked = true;
  flows_[flow].data_after_marker = false;
}

void IncomingMigration::FlowData(uint32_t flow) {
  std::lock_guard lk(mu_);
  if (flow >= flows_.size() || !flows_[flow].parked) return;
  flows_[flow].parked = false;
  flows_[flow].data_after_marker = true;
}

void IncomingMigration::RecordError(std::string error, bool fatal) {
  std::lock_guard lk(mu_);
  error_ = std::move(error);
  ++error_count_;
  if (fatal) state_ = MigrationState::kFatal;
}

void IncomingMigration::FailAttempt(std::string error) {
  {
    std::lock_guard lk(mu_);
    if (state_ != MigrationState::kSync) return;
    attempt_failed_ = true;
    error_ = std::move(error);
    ++error_count_;
  }
  Cancel();
}

IncomingMigration::Join IncomingMigration::Joined(uint64_t attempt) const {
  std::lock_guard lk(mu_);
  if (attempt_failed_ || flows_.empty()) return Join::kWaiting;
  bool all_reported = true;
  bool all_parked = true;
  for (const Flow& f : flows_) {
    // Markers only grow within one INIT: a flow past this attempt never comes back to it.
    if (f.attempt > attempt) return Join::kSuperseded;
    all_reported &= f.attempt == attempt;
    all_parked &= f.attempt == attempt && f.parked;
  }
  if (all_parked) return Join::kJoined;
  return all_reported ? Join::kDataAfterMarker : Join::kWaiting;
}

void IncomingMigration::Finish(uint64_t keys) {
  std::lock_guard lk(mu_);
  state_ = MigrationState::kFinished;
  keys_at_finish_ = keys;
}

void IncomingMigration::Cancel() {
  std::lock_guard lk(mu_);
  for (uint32_t i = 0; i < flows_.size(); ++i) {
    Connection* conn = flows_[i].conn;
    if (conn == nullptr) continue;
    // The connection lives on its own thread: close it there, if it is still this flow's.
    pool_->Post(flows_[i].thread, [self = shared_from_this(), i, conn, gen = generation_] {
      bool current;
      {
        std::lock_guard lk(self->mu_);
        current =
            self->generation_ == gen && i < self->flows_.size() && self->flows_[i].conn == conn;
      }
      if (current) conn->Close();
    });
  }
}

asio::awaitable<bool> IncomingMigration::Stop(std::chrono::milliseconds timeout,
                                              std::chrono::microseconds* took) {
  auto start = std::chrono::steady_clock::now();
  auto waiter = std::make_shared<CancelScope>();
  bool stopped;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    stopped = running_flows_ == 0;
    if (!stopped) exit_waiters_.push_back(waiter);
  }
  Cancel();
  if (!stopped) {
    // Woken by the last flow to exit (FlowExited), or at the deadline.
    co_await SleepFor(*waiter, timeout);
    std::lock_guard lk(mu_);
    stopped = running_flows_ == 0;
    std::erase(exit_waiters_, waiter);
  }
  *took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                start);
  if (!stopped) LOG(ERROR) << "Can't stop migration in time (from " << source_id_ << ")";
  co_return stopped;
}

}  // namespace darner
