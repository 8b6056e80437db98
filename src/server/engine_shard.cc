#include "server/engine_shard.h"

#include <asio/post.hpp>
#include <random>

namespace darner {
namespace {

thread_local EngineShard* tl_shard = nullptr;

// Active expiry: every tick deletes due keys for at most this long; if keys remain due it
// comes back quickly, otherwise it sleeps the idle period.
constexpr auto kIdlePeriod = std::chrono::milliseconds(100);
constexpr auto kBusyPeriod = std::chrono::milliseconds(1);
constexpr size_t kKeysPerStep = 200;
constexpr auto kTickBudget = std::chrono::microseconds(1000);
// Freeing detached slots runs in slices this long, with the loop's other work between them.
constexpr auto kDropBudget = std::chrono::microseconds(20);
constexpr size_t kDropKeysPerCheck = 8;

}  // namespace

EngineShard::EngineShard(unsigned id, unsigned num_shards, unsigned num_dbs, asio::io_context* loop)
    : id_(id),
      num_shards_(num_shards),
      loop_(loop),
      expire_timer_(*loop),
      drop_timer_(*loop),
      eviction_seed_(std::random_device{}()) {
  dbs_.resize(num_dbs);
}

EngineShard::~EngineShard() = default;

EngineShard* EngineShard::tlocal() { return tl_shard; }

void EngineShard::InitThreadLocal(EngineShard* shard) { tl_shard = shard; }

DbSlice& EngineShard::db(DbIndex index) {
  auto& d = dbs_[index];
  if (!d) d = std::make_unique<DbSlice>(id_, num_shards_, &stats_);
  return *d;
}

void EngineShard::AddJournalConsumer(JournalConsumer* consumer,
                                     const std::bitset<kNumSlots>& slots) {
  journal_.Add(consumer, slots);
  db(0).set_journal(&journal_);
}

void EngineShard::RemoveJournalConsumer(JournalConsumer* consumer) {
  journal_.Remove(consumer);
  if (journal_.empty() && dbs_[0]) dbs_[0]->set_journal(nullptr);
}

size_t EngineShard::MemoryBytes() const {
  size_t bytes = 0;
  for (const auto& d : dbs_) {
    if (d) bytes += d->MemoryBytes();
  }
  return bytes;
}

size_t EngineShard::DetachSlots(const std::bitset<kNumSlots>& slots) {
  size_t n = 0;
  for (auto& d : dbs_) {
    if (d) n += d->DetachSlots(slots);
  }
  if (HasDetached() && !dropping_) {
    dropping_ = true;
    asio::post(*loop_, [this] { DropDetachedStep(); });
  }
  return n;
}

bool EngineShard::HasDetached() const {
  for (const auto& d : dbs_) {
    if (d && d->HasDetached()) return true;
  }
  return false;
}

void EngineShard::DropDetachedStep() {
  dropping_ = false;
  if (stopped_) return;
  auto start = std::chrono::steady_clock::now();
  for (auto& d : dbs_) {
    if (!d) continue;
    while (d->HasDetached() && std::chrono::steady_clock::now() - start < kDropBudget) {
      d->DropDetached(kDropKeysPerCheck);
    }
  }
  PublishMemory();
  if (HasDetached()) {
    // Rest as long as the slice ran: at most half of the thread goes to freeing, and on a busy
    // machine the other half is left to clients (and to other processes on the core).
    dropping_ = true;
    drop_timer_.expires_after(kDropBudget);
    drop_timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec) DropDetachedStep();
    });
  }
}

void EngineShard::StartPeriodic(std::function<void()> on_tick) {
  on_tick_ = std::move(on_tick);
  last_tick_ = std::chrono::steady_clock::now();
  expire_timer_.expires_after(kIdlePeriod);
  expire_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) ActiveExpireTick();
  });
}

void EngineShard::StopPeriodic() {
  stopped_ = true;
  expire_timer_.cancel();
  drop_timer_.cancel();
}

namespace {
std::atomic<bool> g_active_expire{true};
}  // namespace

void EngineShard::SetActiveExpire(bool on) { g_active_expire.store(on, std::memory_order_relaxed); }
bool EngineShard::ActiveExpire() { return g_active_expire.load(std::memory_order_relaxed); }

size_t EngineShard::Evict(EvictionPolicy policy, absl::FunctionRef<bool()> over_limit,
                          size_t max_keys, std::chrono::microseconds budget) {
  if (policy == EvictionPolicy::kNoEviction) return 0;
  auto start = std::chrono::steady_clock::now();
  size_t evicted = 0;
  while (evicted < max_keys && over_limit()) {
    bool any = false;
    for (auto& d : dbs_) {
      eviction_seed_ = eviction_seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
      if (d && d->EvictOne(policy, eviction_seed_)) {
        any = true;
        ++evicted;
      }
    }
    PublishMemory();
    if (!any || std::chrono::steady_clock::now() - start > budget) break;
  }
  return evicted;
}

void EngineShard::ActiveExpireTick() {
  auto start = std::chrono::steady_clock::now();
  bool more = false;
  int64_t now = NowMs();
  for (auto& d : dbs_) {
    if (!d || !ActiveExpire()) continue;
    while (d->ExpireDue(now, kKeysPerStep) == kKeysPerStep) {
      if (std::chrono::steady_clock::now() - start > kTickBudget) {
        more = true;
        break;
      }
    }
  }
  PublishMemory();
  if (on_tick_ && start - last_tick_ >= kIdlePeriod) {
    last_tick_ = start;
    on_tick_();
  }
  expire_timer_.expires_after(more ? kBusyPeriod : kIdlePeriod);
  expire_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) ActiveExpireTick();
  });
}

}  // namespace darner
