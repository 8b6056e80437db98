// Coordinates a command whose keys may live on several shards, from the connection's thread.
// Lock() takes the command's key locks shard by shard in increasing shard order (so two
// transactions can never wait on each other in a cycle); only then does the handler read or
// change anything, through RunOn/RunOnEach hops; Unlock() releases. Other clients therefore
// never observe a multi-shard command half applied. Keyless commands that visit every shard
// (DBSIZE, FLUSHALL, SCAN, ...) use RunOnAll without locks.
#pragma once

#include <asio/awaitable.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "io/proactor_pool.h"
#include "server/command_registry.h"
#include "server/engine_shard.h"

namespace darner {

class Service;

class Transaction {
 public:
  struct ShardKeys {
    unsigned shard;
    std::vector<std::string> lock_keys;  // distinct keys on this shard
    std::vector<size_t> positions;       // their positions in the full argument list
  };

  // `args` is the full argument list (command name at 0).
  Transaction(Service* service, CmdArgList args, const CommandId* cid);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const std::vector<ShardKeys>& shards() const { return shards_; }
  unsigned ShardOfPosition(size_t pos) const;

  asio::awaitable<void> Lock();
  void Unlock();

  // Runs f(EngineShard&) on `shard` (inline when it is the caller's) and returns its result.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F&, EngineShard&>> RunOn(unsigned shard, F f);

  // Runs f(EngineShard&, const ShardKeys&) on every shard holding keys of this command.
  template <typename F>
  asio::awaitable<void> RunOnEach(F f) {
    for (const ShardKeys& sk : shards_) {
      co_await RunOn(sk.shard, [&f, &sk](EngineShard& s) { f(s, sk); });
    }
  }

  // Runs f(EngineShard&) on every shard of the node.
  template <typename F>
  asio::awaitable<void> RunOnAll(F f);

 private:
  asio::awaitable<void> LockShard(ShardKeys& sk);

  Service* service_;
  ProactorPool* pool_;
  std::vector<ShardKeys> shards_;
  bool locked_ = false;
};

template <typename F>
asio::awaitable<std::invoke_result_t<F&, EngineShard&>> Transaction::RunOn(unsigned shard, F f) {
  if (ProactorPool::CurrentIndex() == static_cast<int>(shard)) {
    co_return f(*EngineShard::tlocal());
  }
  co_return co_await RunOnLoop(pool_->context(shard), [&f] { return f(*EngineShard::tlocal()); });
}

template <typename F>
asio::awaitable<void> Transaction::RunOnAll(F f) {
  for (unsigned i = 0; i < pool_->size(); ++i) {
    co_await RunOn(i, [&f](EngineShard& s) { f(s); });
  }
}

}  // namespace darner
