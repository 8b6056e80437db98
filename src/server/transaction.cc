#include "server/transaction.h"

#include <absl/container/flat_hash_set.h>

#include <asio/async_result.hpp>
#include <memory>

#include "base/logging.h"
#include "server/service.h"

namespace darner {

Transaction::Transaction(Service* service, CmdArgList args, const CommandId* cid)
    : service_(service), pool_(service->pool()) {
  std::vector<size_t> positions;
  cid->KeyPositions(args, &positions);
  // Distinct keys by hashing, not by scanning: a command's cost stays linear in its key count.
  absl::flat_hash_set<absl::string_view> seen;  // Debian's abseil has its own string_view
  seen.reserve(positions.size());
  for (size_t pos : positions) {
    unsigned shard = service->ShardOf(args[pos]);
    auto it = std::find_if(shards_.begin(), shards_.end(),
                           [shard](const ShardKeys& sk) { return sk.shard == shard; });
    if (it == shards_.end()) {
      shards_.push_back(ShardKeys{shard, {}, {}});
      it = shards_.end() - 1;
    }
    it->positions.push_back(pos);
    // Keys on different shards never compare equal (a key has one shard).
    if (seen.insert(absl::string_view(args[pos].data(), args[pos].size())).second) {
      it->lock_keys.emplace_back(args[pos]);
    }
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
  if (local && local->id() == sk.shard &&
      !local->locks().Conflicts(
          std::vector<std::string_view>(sk.lock_keys.begin(), sk.lock_keys.end()))) {
    local->locks().Acquire(sk.lock_keys, nullptr);
    co_return;
  }
  EngineShard* target = service_->shard(sk.shard);
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [this, target, &sk](auto handler) {
        pool_->Post(sk.shard, [target, &sk, h = std::move(handler)]() mutable {
          // The grant callback may have to wait in the lock queue: keep the handler shareable.
          auto shared = std::make_shared<decltype(h)>(std::move(h));
          auto resume = [shared] {
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, std::move(*shared));
          };
          if (target->locks().Acquire(sk.lock_keys, resume)) resume();
        });
      },
      asio::use_awaitable);
}

asio::awaitable<void> Transaction::Lock() {
  for (ShardKeys& sk : shards_) co_await LockShard(sk);
  locked_ = true;
}

void Transaction::Unlock() {
  if (!locked_) return;
  locked_ = false;
  int current = ProactorPool::CurrentIndex();
  for (ShardKeys& sk : shards_) {
    if (static_cast<int>(sk.shard) == current) {
      EngineShard::tlocal()->locks().Release(sk.lock_keys);
    } else {
      EngineShard* target = service_->shard(sk.shard);
      pool_->Post(sk.shard,
                  [target, keys = std::move(sk.lock_keys)] { target->locks().Release(keys); });
    }
  }
}

}  // namespace darner
