#include "cluster/outgoing_migration.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <thread>

#include "base/logging.h"
#include "base/strings.h"
#include "cluster/cluster_family.h"
#include "cluster/stream_codec.h"
#include "io/as_tuple.h"
#include "io/link.h"
#include "server/engine_shard.h"
#include "server/service.h"

ABSL_FLAG(uint32_t, slot_migration_connection_timeout_ms, 2000,
          "Connect timeout of every connection a migration source opens");
ABSL_FLAG(uint32_t, replication_timeout, 30000,
          "Milliseconds a migration flow may fail to write before the attempt fails");
ABSL_FLAG(uint32_t, replication_stream_output_limit, 1u << 20,
          "Bytes a migration flow buffers before its traversal waits for the socket");
ABSL_FLAG(uint32_t, pause_wait_timeout, 1,
          "Seconds finalization waits for commands in flight on the migrating slots (at most "
          "--migration_pause_limit_ms, which bounds the whole pause)");
ABSL_FLAG(uint32_t, migration_pause_limit_ms, 50,
          "Darner: longest a finalization attempt keeps writes to the migrating slots paused. "
          "When the in-flight commands, the finalization markers or the target's ACK reply take "
          "longer, the attempt is given up, the pause lifted, and a later attempt (with a new "
          "attempt number) finishes the migration");
ABSL_FLAG(uint64_t, serialization_max_chunk_size, 64u << 10,
          "Largest command a migration emits for one container (Darner has strings only, which "
          "are sent whole)");
ABSL_FLAG(uint32_t, slot_migration_unknown_grace_ms, 30000,
          "How long after a migration starts a target's UNKNOWN_MIGRATION reply to INIT is retried "
          "without counting as an error (Dragonfly: 30 s, fixed)");
// Dragonfly's names for the traversal's throttle. Dragonfly's defaults are 0.2, 10 and 500;
// Darner's traversal instead yields to the shard's other work every 100 us and otherwise runs at
// full speed (budget 1.0), which is what the migration benchmark measures.
ABSL_FLAG(float, migration_buckets_cpu_budget, 1.0f,
          "Share of a shard's CPU (0-1] a migration traversal may use; above it the traversal "
          "sleeps --migration_buckets_sleep_usec between steps (1: no throttle)");
ABSL_FLAG(uint32_t, migration_buckets_serialization_threshold, 32,
          "Buckets a traversal step serializes between checks of its 100 us time slice");
ABSL_FLAG(uint32_t, migration_buckets_sleep_usec, 500,
          "Sleep of a traversal over its CPU budget (microseconds)");
ABSL_FLAG(std::string, masterauth, "", "Password migration connections AUTH with");
ABSL_FLAG(std::string, masteruser, "", "User name migration connections AUTH with");
ABSL_DECLARE_FLAG(uint32_t, migration_finalization_timeout_ms);

namespace darner {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kRetryDelay = 500ms;
// How long a flow may take to exit once its attempt was cancelled (its I/O is bound to the
// scope, so this is only ever reached by a bug; it is logged).
constexpr auto kFlowExitTimeout = 2s;
constexpr size_t kMaxReplyLine = 64 * 1024;
// Finalization pauses the migrating slots only once every flow has at most this much unsent
// output, and gives up the pause if the markers are not written within kMaxMarkerWait.
constexpr size_t kDrainedBytes = 64 * 1024;
constexpr auto kMaxMarkerWait = 1s;
// Failed finalization attempts in a row after which the migration starts over.
constexpr uint64_t kMaxFinalizeAttempts = 5;
// A traversal step yields to the shard's other work after this long.
constexpr auto kTraverseBudget = 100us;
// Journal records are never dropped; when a flow's unsent output passes this many times the
// stream output limit, the target is hopelessly behind and the attempt fails (it restarts).
constexpr size_t kOverflowFactor = 64;

std::atomic<uint64_t> g_total_migrated_keys{0};

std::chrono::milliseconds Millis(uint32_t ms) { return std::chrono::milliseconds(ms); }
std::chrono::milliseconds FinalizationTimeout() {
  return Millis(absl::GetFlag(FLAGS_migration_finalization_timeout_ms));
}
std::chrono::milliseconds PauseLimit() {
  return Millis(absl::GetFlag(FLAGS_migration_pause_limit_ms));
}
// Why a finalization attempt was given up once its pause reached the limit.
std::string OverPauseLimit() {
  return StrCat("writes to the migrating slots were paused for the limit of ", PauseLimit().count(),
                " ms (--migration_pause_limit_ms)");
}
// Milliseconds left until `deadline` (0 once it passed).
std::chrono::milliseconds MillisUntil(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

std::string Resp(const std::vector<std::string>& args) {
  std::string out = StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  return out;
}

// The text of a reply line without its type byte.
std::string_view ReplyText(std::string_view line) { return line.empty() ? line : line.substr(1); }

// Connects `link` to the target and AUTHs when --masterauth is set. Returns "" or the error.
asio::awaitable<std::string> OpenLink(Link& link, const MigrationInfo& info) {
  auto timeout = Millis(absl::GetFlag(FLAGS_slot_migration_connection_timeout_ms));
  std::error_code ec = co_await link.Connect(info.ip, info.port, timeout);
  if (ec) co_return StrCat(ec.message(), ": Couldn't connect to source.");
  std::string pass = absl::GetFlag(FLAGS_masterauth);
  if (pass.empty()) co_return "";
  std::vector<std::string> auth = {"AUTH"};
  if (std::string user = absl::GetFlag(FLAGS_masteruser); !user.empty()) auth.push_back(user);
  auth.push_back(pass);
  std::string request = Resp(auth);
  auto [wec, n] = co_await link.Write(asio::buffer(request), Deadline::After(timeout));
  if (wec) co_return StrCat(wec.message(), ": Couldn't connect to source.");
  auto [rec, line] = co_await link.ReadLine(kMaxReplyLine, Deadline::After(timeout));
  if (rec) co_return StrCat(rec.message(), ": Couldn't connect to source.");
  if (line != "+OK") co_return StrCat("AUTH failed: ", ReplyText(line));
  co_return "";
}

}  // namespace

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
               unsigned num_shards, asio::io_context& ctx)
      : migration_(std::move(migration)),
        attempt_(std::move(attempt)),
        shard_id_(shard),
        num_shards_(num_shards),
        ctx_(ctx),
        wake_(ctx),
        peer_done_(ctx) {
    for (unsigned slot = shard; slot < kNumSlots; slot += num_shards) {
      if (migration_->slots().Contains(static_cast<SlotId>(slot))) {
        slots_.push_back(static_cast<SlotId>(slot));
      }
    }
    output_limit_ = absl::GetFlag(FLAGS_replication_stream_output_limit);
    buckets_per_check_ =
        std::max(1u, absl::GetFlag(FLAGS_migration_buckets_serialization_threshold));
    cpu_budget_ = absl::GetFlag(FLAGS_migration_buckets_cpu_budget);
    budget_sleep_ = std::chrono::microseconds(absl::GetFlag(FLAGS_migration_buckets_sleep_usec));
  }

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
  Clock::duration budget_sleep_{};
  Clock::time_point traversal_start_{};
  Clock::duration traversal_busy_{};

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

asio::awaitable<void> OutgoingFlow::Run(std::shared_ptr<OutgoingFlow> self) {
  CancelScope& scope = attempt_->scope;
  CancelScope::Registration wake_on_cancel =
      scope.OnCancel(ctx_.get_executor(), [this] { wake_.cancel(); });
  std::string error;
  {
    Link link(ctx_, scope);
    error = co_await Handshake(link);
    if (error.empty() && !scope.cancelled()) {
      shard_ = EngineShard::tlocal();
      shard_->AddJournalConsumer(this, migration_->slots().bits());
      registered_ = true;
      watching_ = true;
      asio::co_spawn(ctx_, WatchPeer(link), asio::detached);
      error = co_await Stream(link);
      shard_->RemoveJournalConsumer(this);
      registered_ = false;
      UpdateStall();  // clears the flow's stall
      g_total_migrated_keys.fetch_add(keys_written_, std::memory_order_relaxed);
    }
    if (!error.empty() && !scope.cancelled()) {
      LOG(WARNING) << "Migration flow " << shard_id_ << " to " << migration_->target_id()
                   << " failed: " << error;
      attempt_->Fail(std::move(error));
    }
    // The scope is cancelled now (the attempt ended or failed): the watcher's read returns,
    // and the watcher wakes us (same thread) when it is done with the link.
    while (watching_) {
      peer_done_.expires_at(Clock::time_point::max());
      co_await peer_done_.async_wait(kAsTuple);
    }
  }
  wake_on_cancel.Reset();
  out_.clear();
  out_.shrink_to_fit();
  exited_.store(true, std::memory_order_release);
  attempt_->FlowExited();
  migration_->Release();
}

asio::awaitable<void> OutgoingFlow::WatchPeer(Link& link) {
  // The target never writes on a flow: anything a read returns means the connection is gone.
  char byte;
  auto [ec, n] = co_await link.ReadSome(asio::buffer(&byte, 1));
  if (!attempt_->scope.cancelled()) {
    std::string why = ec ? ec.message() : std::string("unexpected data");
    LOG(WARNING) << "Migration flow " << shard_id_ << " to " << migration_->target_id()
                 << " closed by the target: " << why;
    attempt_->Fail(StrCat("Flow connection lost: ", why));
  }
  watching_ = false;
  peer_done_.cancel();
}

asio::awaitable<std::string> OutgoingFlow::Handshake(Link& link) {
  const MigrationInfo& info = migration_->info();
  std::string error = co_await OpenLink(link, info);
  if (!error.empty()) co_return error;
  std::string flow_cmd = StrCat("DFLYMIGRATE FLOW ", migration_->my_id_, " ", shard_id_);
  std::string request = Resp({"DFLYMIGRATE", "FLOW", migration_->my_id_, StrCat(shard_id_)});
  auto timeout = Millis(absl::GetFlag(FLAGS_slot_migration_connection_timeout_ms));
  auto [wec, n] = co_await link.Write(asio::buffer(request), Deadline::After(timeout));
  if (wec) co_return StrCat(wec.message(), ": ", flow_cmd);
  auto [rec, line] = co_await link.ReadLine(kMaxReplyLine, Deadline::After(FinalizationTimeout()));
  if (rec) co_return StrCat(rec.message(), ": ", flow_cmd);
  if (line != "+OK") co_return StrCat("Incorrect response for FLOW cmd: ", ReplyText(line));
  co_return "";
}

asio::awaitable<std::string> OutgoingFlow::Stream(Link& link) {
  CancelScope& scope = attempt_->scope;
  const auto write_timeout = Millis(absl::GetFlag(FLAGS_replication_timeout));
  std::string sending;
  while (!scope.cancelled()) {
    if (!failure_.empty()) co_return failure_;
    if (!out_.empty()) {
      sending.clear();
      sending.swap(out_);
      uint64_t lsn = std::exchange(pending_lsn_, 0);
      in_flight_ = sending.size();
      auto [ec, n] = co_await link.Write(asio::buffer(sending), Deadline::After(write_timeout));
      in_flight_ = 0;
      UpdateStall();
      migration_->bytes_streamed_.fetch_add(n, std::memory_order_relaxed);
      if (ec == asio::error::timed_out) co_return "JournalStreamer write operation timeout";
      if (ec && scope.cancelled()) co_return "";
      if (ec) co_return StrCat("Flow connection lost: ", ec.message());
      if (lsn) lsn_written_.store(lsn, std::memory_order_release);
      unacked_bytes_.store(link.UnackedBytes(), std::memory_order_relaxed);
      continue;
    }
    if (!traversal_done()) {
      if (traversal_start_ == Clock::time_point{}) traversal_start_ = Clock::now();
      if (OverCpuBudget()) {
        // Woken early by new output or by the scope's cancel, like the waits below.
        wake_.expires_after(budget_sleep_);
        waiting_ = true;
        co_await wake_.async_wait(kAsTuple);
        waiting_ = false;
        continue;
      }
      TraverseStep();
      UpdateStall();
      if (out_.empty() && !traversal_done()) {
        co_await asio::post(ctx_.get_executor(), asio::use_awaitable);  // let clients run
      }
      continue;
    }
    unacked_bytes_.store(link.UnackedBytes(), std::memory_order_relaxed);
    if (drain_watch_ && unacked_bytes_.load(std::memory_order_relaxed) > 0) {
      // Finalization waits for the target to catch up: keep the figure fresh.
      wake_.expires_after(1ms);
      waiting_ = true;
      co_await wake_.async_wait(kAsTuple);
      waiting_ = false;
      continue;
    }
    waiting_ = true;
    wake_.expires_at(Clock::time_point::max());
    co_await wake_.async_wait(kAsTuple);
    waiting_ = false;
  }
  co_return "";
}

void OutgoingFlow::TraverseStep() {
  DbSlice& db = shard_->db(0);
  const auto start = Clock::now();
  const size_t fill = output_limit_ / 3;
  const int64_t now_ms = NowMs();
  uint64_t keys = 0;
  unsigned steps = 0;
  while (slot_index_ < slots_.size() && out_.size() < fill) {
    unsigned pos = slots_[slot_index_] / num_shards_;
    cursor_ = db.ScanSlot(pos, cursor_, [&](const KeyEntry* e) {
      if (e->has_expire() && e->expire_at() <= now_ms) return;  // dead already
      AppendState(e->key(), e, 0);
      ++keys;
    });
    ++buckets_looped_;
    if (cursor_ == 0) ++slot_index_;
    if (++steps % buckets_per_check_ == 0 && Clock::now() - start > kTraverseBudget) break;
  }
  traversal_busy_ += Clock::now() - start;
  keys_written_ += keys;
  migration_->keys_streamed_.fetch_add(keys, std::memory_order_relaxed);
  if (slot_index_ == slots_.size()) traversal_done_.store(true, std::memory_order_release);
}

bool OutgoingFlow::OverCpuBudget() const {
  if (cpu_budget_ >= 1) return false;
  auto elapsed = Clock::now() - traversal_start_;
  return traversal_busy_.count() > cpu_budget_ * static_cast<float>(elapsed.count());
}

bool OutgoingFlow::Passed(SlotId slot, std::string_view key) const {
  using key_table_internal::Rev;
  if (slot_index_ >= slots_.size()) return true;
  SlotId current = slots_[slot_index_];
  if (slot != current) return slot < current;
  if (cursor_ == 0) return false;
  return Rev(KeyTable::Hash(key)) < Rev(cursor_);
}

void OutgoingFlow::OnKeyChange(SlotId slot, std::string_view key, const KeyEntry* entry) {
  if (!failure_.empty()) return;  // the attempt failed: nothing more goes out
  if (!Passed(slot, key)) {
    ++changes_dropped_;
    return;
  }
  AppendState(key, entry, ++txid_);
  UpdateStall();
  ++changes_forwarded_;
  migration_->changes_streamed_.fetch_add(1, std::memory_order_relaxed);
  if (out_.size() > output_limit_ * kOverflowFactor) {
    FailNow("JournalStreamer write operation timeout");
  }
  Wake();
}

void OutgoingFlow::UpdateStall() {
  size_t pending = out_.size() + in_flight_;
  pending_bytes_.store(pending, std::memory_order_relaxed);
  bool stalled = stalled_ ? pending > output_limit_ / 2 : pending > output_limit_;
  if (!registered_) stalled = false;
  if (stalled == stalled_) return;
  stalled_ = stalled;
  for (SlotId slot : slots_) SetSlotStalled(slot, stalled);
}

void OutgoingFlow::AppendState(std::string_view key, const KeyEntry* entry, uint64_t txid) {
  if (entry == nullptr) {
    flow::AppendSelectAndCommand(&out_, 0, txid, {"DEL", key});
    return;
  }
  char scratch[CompactValue::kScratchSize];
  std::string_view value = entry->value.GetString(scratch);
  if (entry->has_expire()) {
    char at[24];
    int len = snprintf(at, sizeof(at), "%lld", static_cast<long long>(entry->expire_at()));
    flow::AppendSelectAndCommand(&out_, 0, txid,
                                 {"SET", key, value, "PXAT", std::string_view(at, len)});
  } else {
    flow::AppendSelectAndCommand(&out_, 0, txid, {"SET", key, value});
  }
}

void OutgoingFlow::MarkFinalize(uint64_t attempt) {
  // The line Dragonfly's tests parse (spec §6.3), with Darner's figures: every key is one
  // command (strings only), nothing is skipped (a flow walks only its own slots).
  LOG(INFO) << "RestoreStreamer LSN of " << SlotRangesToString(migration_->info().slot_ranges)
            << ", shard " << shard_id_ << " attempt " << attempt << " with " << keys_written_
            << " commands. Buckets looped " << buckets_looped_ << ", buckets on_db_update "
            << changes_forwarded_ << ", buckets skipped 0, buckets written " << buckets_looped_
            << ". Keys skipped 0, keys written " << keys_written_
            << " throttle count: 0, throttle on db update: 0, throttle usec on db update: 0, "
               "iter_skips: 0";
  flow::AppendLsn(&out_, attempt);
  pending_lsn_ = attempt;
  UpdateStall();
  Wake();
}

// ---- OutgoingMigration ------------------------------------------------------------------------

OutgoingMigration::OutgoingMigration(std::string my_id, MigrationInfo info, Service* service,
                                     ClusterFamily* family)
    : my_id_(std::move(my_id)),
      info_(std::move(info)),
      slots_(info_.slot_ranges),
      service_(service),
      family_(family) {}

OutgoingMigration::~OutgoingMigration() = default;

MigrationState OutgoingMigration::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

std::string OutgoingMigration::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

uint64_t OutgoingMigration::error_count() const {
  std::lock_guard lk(mu_);
  return error_count_;
}

uint64_t OutgoingMigration::keys_at_finish() const {
  std::lock_guard lk(mu_);
  return keys_at_finish_;
}

MigrationStatus OutgoingMigration::Status() const {
  std::lock_guard lk(mu_);
  return {.direction = "out",
          .peer_id = info_.node_id,
          .ranges = info_.slot_ranges,
          .state = state_,
          .error = error_,
          .keys_at_finish = keys_at_finish_};
}

OutgoingProgress OutgoingMigration::progress() const {
  return {keys_streamed_.load(std::memory_order_relaxed),
          changes_streamed_.load(std::memory_order_relaxed),
          bytes_streamed_.load(std::memory_order_relaxed)};
}

std::string_view OutgoingMigration::phase() const {
  switch (state()) {
    case MigrationState::kFinished:
      return "finished";
    case MigrationState::kFatal:
      return "fatal";
    default:
      break;
  }
  switch (phase_.load(std::memory_order_relaxed)) {
    case Phase::kConnecting:
      return "connecting";
    case Phase::kTraversal:
      return "traversal";
    case Phase::kStreaming:
      return "streaming";
    case Phase::kFinalizing:
      return "finalizing";
  }
  return "connecting";
}

uint64_t OutgoingMigration::keys_per_sec() const {
  int64_t start = sync_start_ns_.load(std::memory_order_relaxed);
  if (start == 0) return 0;
  int64_t ns = Clock::now().time_since_epoch().count() - start;
  if (ns <= 0) return 0;
  uint64_t keys = keys_streamed_.load(std::memory_order_relaxed) -
                  sync_start_keys_.load(std::memory_order_relaxed);
  return static_cast<uint64_t>(double(keys) * 1e9 / double(ns));
}

uint64_t OutgoingMigration::TotalMigratedKeys() {
  return g_total_migrated_keys.load(std::memory_order_relaxed);
}

void OutgoingMigration::SetState(MigrationState state) {
  std::lock_guard lk(mu_);
  if (state_ != MigrationState::kFinished && state_ != MigrationState::kFatal) state_ = state;
}

void OutgoingMigration::RecordError(std::string error, bool fatal) {
  std::lock_guard lk(mu_);
  error_ = std::move(error);
  ++error_count_;
  if (fatal) state_ = MigrationState::kFatal;
}

void OutgoingMigration::MarkFinished(uint64_t keys) {
  std::lock_guard lk(mu_);
  state_ = MigrationState::kFinished;
  keys_at_finish_ = keys;
}

void OutgoingMigration::Start() {
  if (started_.exchange(true)) return;
  start_ = Clock::now();
  live_.store(1, std::memory_order_release);
  LOG(INFO) << "Outgoing migration of " << SlotRangesToString(info_.slot_ranges) << " to "
            << info_.node_id << " at " << info_.ip << ":" << info_.port;
  asio::co_spawn(service_->pool()->context(0), Run(), asio::detached);
}

void OutgoingMigration::Cancel() { scope_.Cancel(); }

asio::awaitable<bool> OutgoingMigration::Stop(std::chrono::milliseconds timeout,
                                              std::chrono::microseconds* took) {
  auto start = Clock::now();
  Cancel();
  if (live_.load(std::memory_order_acquire) > 0) {
    // Woken by the last of the driver and the flows to exit (all_exited_), or at the deadline.
    co_await SleepFor(all_exited_, timeout);
  }
  *took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  bool stopped = live_.load(std::memory_order_acquire) == 0;
  if (!stopped) LOG(ERROR) << "Can't stop outgoing migration to " << info_.node_id << " in time";
  co_return stopped;
}

bool OutgoingMigration::StopBlocking(std::chrono::milliseconds timeout,
                                     std::chrono::microseconds* took) {
  auto start = Clock::now();
  Cancel();
  while (live_.load(std::memory_order_acquire) > 0 && Clock::now() - start < timeout) {
    std::this_thread::sleep_for(200us);
  }
  *took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  return live_.load(std::memory_order_acquire) == 0;
}

asio::awaitable<void> OutgoingMigration::Run() {
  auto self = shared_from_this();
  std::string error;
  bool retry = false;
  while (!scope_.cancelled()) {
    if (retry) {
      if (!error.empty()) {
        LOG(WARNING) << "Outgoing migration to " << info_.node_id << " failed: " << error;
        SetState(MigrationState::kError);
        RecordError(std::exchange(error, {}), false);
      }
      if (co_await SleepFor(scope_, kRetryDelay)) break;
    }
    SetState(MigrationState::kConnecting);
    Outcome outcome = co_await RunAttempt(&error);
    if (outcome != Outcome::kFailed) break;
    retry = true;
  }
  Release();
}

asio::awaitable<OutgoingMigration::Outcome> OutgoingMigration::RunAttempt(std::string* error) {
  auto attempt = std::make_shared<Attempt>(scope_);
  // The attempt and its flows point at each other (a flow's own coroutine keeps it alive while it
  // runs): the attempt lets go of its flows once the driver is done with them, or when its frame
  // is dropped at shutdown, so that neither outlives the other.
  struct ReleaseFlows {
    Attempt* attempt;
    ~ReleaseFlows() { attempt->flows.clear(); }
  } release_flows{attempt.get()};
  asio::io_context& ctx = service_->pool()->context(0);
  auto control = std::make_unique<Link>(ctx, attempt->scope);
  auto fail = [&](std::string why) {
    *error = std::move(why);
    return scope_.cancelled() ? Outcome::kCancelled : Outcome::kFailed;
  };

  std::string open_error = co_await OpenLink(*control, info_);
  if (!open_error.empty()) co_return fail(open_error);
  unsigned num_flows = service_->num_shards();
  std::vector<std::string> init = {"DFLYMIGRATE", "INIT", my_id_, StrCat(num_flows)};
  for (const SlotRange& r : info_.slot_ranges) {
    init.push_back(StrCat(r.start));
    init.push_back(StrCat(r.end));
  }
  std::string request = Resp(init);
  auto [wec, n] = co_await control->Write(
      asio::buffer(request), Deadline::After(Millis(absl::GetFlag(FLAGS_replication_timeout))));
  if (wec) co_return fail(StrCat(wec.message(), ": Could not send INIT command."));
  auto [rec, reply] =
      co_await control->ReadLine(kMaxReplyLine, Deadline::After(FinalizationTimeout()));
  if (rec) co_return fail(StrCat(rec.message(), ": Could not send INIT command."));
  if (reply.starts_with("-INCOMING_MIGRATION_OOM")) {
    LOG(ERROR) << "Outgoing migration to " << info_.node_id << ": target out of memory";
    RecordError("Cannot allocate memory: INCOMING_MIGRATION_OOM", true);
    co_return Outcome::kFatal;
  }
  if (reply == "+UNKNOWN_MIGRATION") {
    // The target has not applied the config yet: retry quietly for a while.
    // INIT answered UNKNOWN_MIGRATION: the target has not applied the config yet. Retried
    // quietly for a while after the migration started, then counted as an error.
    auto grace = Millis(absl::GetFlag(FLAGS_slot_migration_unknown_grace_ms));
    co_return fail(Clock::now() - start_ < grace ? "" : "UNKNOWN_MIGRATION");
  }
  if (reply != "+OK") co_return fail(std::string(ReplyText(reply)));

  SetState(MigrationState::kSync);
  sync_start_keys_.store(keys_streamed_.load(std::memory_order_relaxed));
  sync_start_ns_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  phase_.store(Phase::kTraversal, std::memory_order_relaxed);
  for (unsigned i = 0; i < num_flows; ++i) {
    auto flow = std::make_shared<OutgoingFlow>(shared_from_this(), attempt, i, num_flows,
                                               service_->pool()->context(i));
    attempt->flows.push_back(flow);
    attempt->running_flows.fetch_add(1, std::memory_order_relaxed);
    live_.fetch_add(1, std::memory_order_relaxed);  // the driver's own count keeps it above 0
    // The flow is passed to its own coroutine, whose frame holds it from creation: the attempt
    // may let go of it before the coroutine first runs on its thread.
    asio::co_spawn(service_->pool()->context(i), flow->Run(flow), asio::detached);
  }
  // Every traversal must be done before finalization; the flows keep forwarding changes.
  Outcome outcome = Outcome::kFailed;
  auto traversals_done = [&attempt] {
    bool done = true;
    for (const auto& f : attempt->flows) done &= f->traversal_done();
    return done;
  };
  co_await WaitUntil(&attempt->scope, Clock::time_point::max(), traversals_done, {1ms, 1ms});
  if (attempt->scope.cancelled()) {
    outcome = fail(attempt->Error());
  } else {
    phase_.store(Phase::kStreaming, std::memory_order_relaxed);
    outcome = co_await Finalize(*attempt, std::move(control), error);
  }
  co_await EndAttempt(*attempt);
  phase_.store(Phase::kConnecting, std::memory_order_relaxed);
  co_return outcome;
}

void OutgoingMigration::RecordPause(Clock::time_point start) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  last_pause_us_.store(us, std::memory_order_relaxed);
  if (static_cast<uint64_t>(us) > max_pause_us_.load(std::memory_order_relaxed)) {
    max_pause_us_.store(us, std::memory_order_relaxed);
  }
}

asio::awaitable<void> OutgoingMigration::DrainFlows(Attempt& attempt) {
  // A target that does not take the flows' output within the write timeout has stalled the
  // stream: the attempt fails.
  auto drained_by = Clock::now() + Millis(absl::GetFlag(FLAGS_replication_timeout));
  for (const auto& f : attempt.flows) {
    service_->pool()->Post(f->shard_id(), [f] { f->WatchDrain(true); });
  }
  auto flows_drained = [&attempt] {
    bool drained = true;
    for (const auto& f : attempt.flows) drained &= f->pending_bytes() <= kDrainedBytes;
    return drained;
  };
  if (!co_await WaitUntil(&attempt.scope, drained_by, flows_drained, {200us, 200us}) &&
      !attempt.scope.cancelled()) {
    attempt.Fail("JournalStreamer write operation timeout");
  }
  for (const auto& f : attempt.flows) {
    service_->pool()->Post(f->shard_id(), [f] { f->WatchDrain(false); });
  }
}

asio::awaitable<bool> OutgoingMigration::WriteMarkers(Attempt& attempt, uint64_t k,
                                                      Clock::time_point pause_deadline) {
  for (const auto& f : attempt.flows) {
    service_->pool()->Post(f->shard_id(), [f, k] { f->MarkFinalize(k); });
  }
  // The flows were nearly drained before the pause, so the markers go out at once unless
  // the target stopped reading just now; then the pause ends and a later attempt tries again.
  const auto write_timeout = Millis(absl::GetFlag(FLAGS_replication_timeout));
  auto marked_by = std::min(Clock::now() + std::min<Clock::duration>(write_timeout, kMaxMarkerWait),
                            pause_deadline);
  auto markers_written = [&attempt, k] {
    bool marked = true;
    for (const auto& f : attempt.flows) marked &= f->lsn_written() >= k;
    return marked;
  };
  bool marked = false;
  if (!attempt.scope.cancelled()) {
    marked = co_await WaitUntil(&attempt.scope, marked_by, markers_written, {100us, 100us});
  }
  co_return marked;
}

asio::awaitable<OutgoingMigration::AckReply> OutgoingMigration::SendAck(
    Link& control, uint64_t k, Clock::time_point pause_deadline) {
  AckReply result;
  std::string ack = Resp({"DFLYMIGRATE", "ACK", my_id_, StrCat(k)});
  auto [wec, n] = co_await control.Write(
      asio::buffer(ack),
      Deadline::At(std::min(Clock::now() + Millis(absl::GetFlag(FLAGS_replication_timeout)),
                            pause_deadline)));
  if (wec) {
    result.why = StrCat(wec.message(), ": Could not send ACK command.");
    co_return result;
  }
  // Only this attempt's reply counts. A reply still on its way when the limit passes is never
  // read: the caller closes the connection before the pause is lifted, and the next attempt
  // opens a new one (and sends a new attempt number, which the target joins only once every
  // flow has passed that attempt's marker).
  bool limited = pause_deadline < Clock::now() + FinalizationTimeout();
  Deadline reply_by = Deadline::At(std::min(Clock::now() + FinalizationTimeout(), pause_deadline));
  while (true) {
    auto [rec, line] = co_await control.ReadLine(kMaxReplyLine, reply_by);
    if (rec) {
      result.why = rec == asio::error::timed_out && limited
                       ? StrCat("no ACK reply: ", OverPauseLimit())
                       : StrCat("no ACK reply: ", rec.message());
      co_return result;
    }
    if (line == StrCat(":", k)) {
      result.acked = true;
      co_return result;
    }
    if (line.starts_with(":")) continue;  // the reply to an older attempt
    result.target_oom = line.starts_with("-INCOMING_MIGRATION_OOM");
    result.why = std::string(ReplyText(line));
    co_return result;
  }
}

asio::awaitable<OutgoingMigration::Outcome> OutgoingMigration::Finalize(
    Attempt& attempt, std::unique_ptr<Link> control, std::string* error) {
  asio::io_context& ctx = service_->pool()->context(0);
  auto stream_failed = [&]() {
    *error = attempt.Error();
    return scope_.cancelled() ? Outcome::kCancelled : Outcome::kFailed;
  };
  std::string why;  // why the last finalization attempt failed
  for (uint64_t k = 1;; ++k) {
    if (attempt.scope.cancelled()) co_return stream_failed();
    if (!why.empty()) {
      LOG(WARNING) << "Finalization attempt " << k - 1 << " to " << info_.node_id << ": " << why;
      if (k > kMaxFinalizeAttempts) {
        // The flows may be as broken as the control connection (a network path that drops
        // everything silently): start over rather than retrying the ACK forever.
        *error = StrCat("Finalization failed ", k - 1, " times, restarting: ", why);
        co_return Outcome::kFailed;
      }
      RecordError(StrCat("Finalization attempt ", k - 1, ": ", std::exchange(why, {})), false);
    }
    if (k > 1) {
      if (co_await SleepFor(attempt.scope, kRetryDelay)) co_return stream_failed();
      control = std::make_unique<Link>(ctx, attempt.scope);
      std::string open_error = co_await OpenLink(*control, info_);
      if (!open_error.empty()) {
        if (attempt.scope.cancelled()) co_return stream_failed();
        why = std::move(open_error);
        continue;
      }
    }
    // Let the flows catch up before pausing anything: the pause then lasts only as long as
    // the last few changes take to go out.
    co_await DrainFlows(attempt);
    if (attempt.scope.cancelled()) co_return stream_failed();
    phase_.store(Phase::kFinalizing, std::memory_order_relaxed);
    // Pause the migrating slots and let commands already admitted to them finish: from then
    // on nothing changes them, and the marker below follows their last change on every flow.
    // Everything the pause waits for is bounded by --migration_pause_limit_ms: past it the
    // attempt is given up and the pause lifted (a frozen target must not stall writers).
    auto pause_start = Clock::now();
    bool paused = co_await family_->SetSlotsPaused(slots_, true, scope_);
    if (!paused) co_return Outcome::kCancelled;
    const auto pause_deadline = Clock::now() + PauseLimit();
    bool drained = co_await family_->WaitForRoutedCommands(
        std::min<std::chrono::milliseconds>(
            std::chrono::seconds(absl::GetFlag(FLAGS_pause_wait_timeout)),
            MillisUntil(pause_deadline)),
        scope_);
    if (!drained && scope_.cancelled()) co_return Outcome::kCancelled;  // the config lifts it
    if (!drained) {
      // Darner does not finalize past commands it could not wait for (Dragonfly does).
      RecordError(
          StrCat("Migration finalization time out ", my_id_, " : ", info_.node_id, " attempt ", k),
          false);
      bool resumed = co_await family_->SetSlotsPaused(slots_, false, scope_);
      RecordPause(pause_start);
      if (!resumed) co_return Outcome::kCancelled;
      continue;
    }
    if (!co_await WriteMarkers(attempt, k, pause_deadline)) {
      bool resumed = co_await family_->SetSlotsPaused(slots_, false, scope_);
      RecordPause(pause_start);
      if (!resumed || attempt.scope.cancelled()) co_return stream_failed();
      why = Clock::now() >= pause_deadline
                ? OverPauseLimit()
                : std::string("the flows did not write the finalization marker in time");
      continue;
    }
    AckReply reply = co_await SendAck(*control, k, pause_deadline);
    why = std::move(reply.why);
    if (reply.acked && !attempt.scope.cancelled()) {
      // The target serves the slots now; this node stops serving them before resuming them.
      bool finished = co_await family_->FinishOutgoing(this, scope_);
      RecordPause(pause_start);
      if (!finished) co_return Outcome::kCancelled;
      LOG(INFO) << "Finish outgoing migration for " << my_id_ << ": " << info_.node_id
                << " (attempt " << k << ", pause " << last_pause_us() << " us)";
      co_return Outcome::kFinished;
    }
    // Attempt k is over: its connection goes first (the target sees it closed and does not
    // finish k any more), then writes resume.
    control->Close();
    bool resumed = co_await family_->SetSlotsPaused(slots_, false, scope_);
    RecordPause(pause_start);
    if (!resumed) co_return Outcome::kCancelled;
    if (reply.target_oom) {
      *error = "INCOMING_MIGRATION_OOM";  // the next INIT makes the target reply OOM: FATAL
      co_return Outcome::kFailed;
    }
  }
}

asio::awaitable<void> OutgoingMigration::EndAttempt(Attempt& attempt) {
  attempt.scope.Cancel();
  // A stopped migration's flows are waited for by Stop() itself (live_), in parallel with the
  // driver's own exit; a failed attempt's before the next one starts.
  if (scope_.cancelled()) co_return;
  if (attempt.running_flows.load(std::memory_order_acquire) == 0) co_return;
  // Woken by the last flow to exit (flows_exited), or at the deadline.
  if (!co_await SleepFor(attempt.flows_exited, kFlowExitTimeout))
    LOG(ERROR) << "Migration flows to " << info_.node_id << " did not exit in time";
}

}  // namespace darner
