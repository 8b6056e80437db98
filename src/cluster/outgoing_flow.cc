#include "cluster/outgoing_flow.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "base/strings.h"
#include "cluster/stream_codec.h"
#include "io/as_tuple.h"
#include "server/cluster_support.h"
#include "server/service.h"

ABSL_DECLARE_FLAG(uint32_t, replication_timeout);
ABSL_DECLARE_FLAG(uint32_t, slot_migration_connection_timeout_ms);
ABSL_DECLARE_FLAG(uint32_t, replication_stream_output_limit);
ABSL_DECLARE_FLAG(float, migration_buckets_cpu_budget);
ABSL_DECLARE_FLAG(uint32_t, migration_buckets_serialization_threshold);
ABSL_DECLARE_FLAG(uint32_t, migration_buckets_sleep_usec);

namespace darner {

using namespace outgoing_internal;
using namespace std::chrono_literals;

namespace {
// A traversal step yields to the shard's other work after this long.
constexpr auto kTraverseBudget = 100us;
// Journal records are never dropped; when a flow's unsent output passes this many times the
// stream output limit, the target is hopelessly behind and the attempt fails (it restarts).
constexpr size_t kOverflowFactor = 64;
}  // namespace

OutgoingFlow::OutgoingFlow(std::shared_ptr<OutgoingMigration> migration,
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
  buckets_per_check_ = std::max(1u, absl::GetFlag(FLAGS_migration_buckets_serialization_threshold));
  cpu_budget_ = absl::GetFlag(FLAGS_migration_buckets_cpu_budget);
  budget_sleep_ = std::chrono::microseconds(absl::GetFlag(FLAGS_migration_buckets_sleep_usec));
}

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

}  // namespace darner
