#include "server/transaction.h"

#include <asio/async_result.hpp>
#include <atomic>
#include <memory>

#include "base/logging.h"
#include "server/service.h"

namespace darner {

Transaction::Transaction(Service* service) : service_(service), pool_(service->pool()) {}

Transaction::Transaction(Service* service, CmdArgList args, const CommandId* cid)
    : Transaction(service) {
  mode_ = LockModeOf(*cid);
  AddKeys(args, cid, true);
}

Transaction::Transaction(Service* service, std::span<const Command> commands)
    : Transaction(service) {
  mode_ = LockMode::kShared;
  for (const Command& c : commands) {
    if (LockModeOf(*c.cid) == LockMode::kExclusive) mode_ = LockMode::kExclusive;
    AddKeys(c.args, c.cid, false);
  }
}

void Transaction::AddKeys(CmdArgList args, const CommandId* cid, bool record_positions) {
  std::vector<size_t> positions;
  cid->KeyPositions(args, &positions);
  for (size_t pos : positions) {
    unsigned shard = service_->ShardOf(args[pos]);
    auto it = std::find_if(shards_.begin(), shards_.end(),
                           [shard](const ShardKeys& sk) { return sk.shard == shard; });
    if (it == shards_.end()) {
      shards_.push_back(ShardKeys{shard, {}, {}});
      it = shards_.end() - 1;
    }
    if (record_positions) it->positions.push_back(pos);
    it->lock_keys.emplace_back(args[pos]);
  }
  // Distinct keys per shard, sorted (a key has one shard): a transaction's cost stays
  // O(k log k) in its key count.
  for (ShardKeys& sk : shards_) {
    std::sort(sk.lock_keys.begin(), sk.lock_keys.end());
    sk.lock_keys.erase(std::unique(sk.lock_keys.begin(), sk.lock_keys.end()), sk.lock_keys.end());
  }
  std::sort(shards_.begin(), shards_.end(),
            [](const ShardKeys& a, const ShardKeys& b) { return a.shard < b.shard; });
}

Transaction::~Transaction() {
  if (locked_) Unlock();
}

unsigned Transaction::ShardOfPosition(size_t pos) const {
  for (const ShardKeys& sk : shards_) {
    for (size_t p : sk.positions) {
      if (p == pos) return sk.shard;
    }
  }
  LOG(FATAL) << "position " << pos << " is not a key";
  return 0;
}

asio::awaitable<void> Transaction::LockShard(ShardKeys& sk) {
  EngineShard* local = EngineShard::tlocal();
  if (local && local->id() == sk.shard && local->locks().TryAcquire(sk.lock_keys, mode_)) {
    co_return;
  }
  EngineShard* target = service_->shard(sk.shard);
  LockMode mode = mode_;
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [this, target, &sk, mode](auto handler) {
        pool_->Post(sk.shard, [target, &sk, mode, h = std::move(handler)]() mutable {
          // The grant callback may have to wait in the lock queue: keep the handler shareable.
          auto shared = std::make_shared<decltype(h)>(std::move(h));
          auto resume = [shared] {
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, std::move(*shared));
          };
          if (target->locks().Acquire(sk.lock_keys, mode, resume)) resume();
        });
      },
      asio::use_awaitable);
}

asio::awaitable<bool> Transaction::TryLockAll() {
  std::vector<char> granted(shards_.size(), 0);  // one slot per shard: written concurrently
  co_await RunParallel([this, &granted](size_t i) {
    granted[i] = EngineShard::tlocal()->locks().TryAcquire(shards_[i].lock_keys, mode_);
  });
  bool all = std::all_of(granted.begin(), granted.end(), [](char g) { return g; });
  if (!all) {
    for (size_t i = 0; i < shards_.size(); ++i) {
      if (granted[i]) ReleaseShard(shards_[i]);
    }
  }
  co_return all;
}

asio::awaitable<void> Transaction::Lock() {
  if (shards_.empty()) co_return;
  // One shard: its own queue orders it. Several: one parallel round usually does it; when a
  // shard cannot grant at once, fall back to waiting in shard order.
  bool all = false;
  if (shards_.size() > 1) all = co_await TryLockAll();
  if (!all) {
    for (ShardKeys& sk : shards_) co_await LockShard(sk);
  }
  locked_ = true;
}

void Transaction::ReleaseShard(ShardKeys& sk) {
  if (ProactorPool::CurrentIndex() == static_cast<int>(sk.shard)) {
    EngineShard::tlocal()->locks().Release(sk.lock_keys, mode_);
    return;
  }
  EngineShard* target = service_->shard(sk.shard);
  // A copy: the keys may be released again (a failed round, then the ordered path).
  pool_->Post(sk.shard,
              [target, keys = sk.lock_keys, mode = mode_] { target->locks().Release(keys, mode); });
}

void Transaction::Unlock() {
  if (!locked_) return;
  locked_ = false;
  for (ShardKeys& sk : shards_) ReleaseShard(sk);
}

}  // namespace darner
