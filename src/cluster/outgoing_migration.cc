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
#include "cluster/outgoing_flow.h"
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

using namespace outgoing_internal;

using namespace std::chrono_literals;

constexpr auto kRetryDelay = 500ms;
// How long a flow may take to exit once its attempt was cancelled (its I/O is bound to the
// scope, so this is only ever reached by a bug; it is logged).
constexpr auto kFlowExitTimeout = 2s;
// Finalization pauses the migrating slots only once every flow has at most this much unsent
// output, and gives up the pause if the markers are not written within kMaxMarkerWait.
constexpr size_t kDrainedBytes = 64 * 1024;
constexpr auto kMaxMarkerWait = 1s;
// Failed finalization attempts in a row after which the migration starts over.
constexpr uint64_t kMaxFinalizeAttempts = 5;

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

}  // namespace

namespace outgoing_internal {

std::atomic<uint64_t> g_total_migrated_keys{0};

std::chrono::milliseconds Millis(uint32_t ms) { return std::chrono::milliseconds(ms); }
std::chrono::milliseconds FinalizationTimeout() {
  return Millis(absl::GetFlag(FLAGS_migration_finalization_timeout_ms));
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

}  // namespace outgoing_internal

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
