// Coordinates work whose keys may live on several shards, from the connection's thread: one
// command (MSET, DEL k1 k2, ...), several commands that must run as one (MULTI/EXEC, scripts:
// the union of their keys), or none (control work that visits shards: DFLYCLUSTER, FLUSHALL).
//
// Lock() takes the key locks of every shard involved at once, in parallel, when each shard can
// grant them immediately; otherwise it falls back to taking them shard by shard in increasing
// shard order, waiting in each shard's FIFO queue (so two transactions never wait on each
// other in a cycle). Readers (every command read-only) share their keys. Only after Lock() does
// the work read or change anything, through RunOn/RunOnEach hops; Unlock() releases. Other
// clients therefore never observe a multi-shard change half applied. Keyless work uses
// RunOn/RunOnAll without locks.
#pragma once

#include <asio/awaitable.hpp>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "io/proactor_pool.h"
#include "server/command_registry.h"
#include "server/engine_shard.h"
#include "server/key_locks.h"

namespace darner {

class Service;

// How a command takes its keys' locks: read-only commands share them.
inline LockMode LockModeOf(const CommandId& cid) {
  return (cid.flags & co::kReadOnly) ? LockMode::kShared : LockMode::kExclusive;
}

class Transaction {
 public:
  struct ShardKeys {
    unsigned shard;
    std::vector<std::string> lock_keys;  // distinct keys on this shard
    std::vector<size_t> positions;       // their positions in the full argument list
  };

  // One command line of a multi-command transaction.
  struct Command {
    CmdArgList args;  // name at 0
    const CommandId* cid;
  };

  // No keys: RunOn/RunOnAll only; Lock() and Unlock() do nothing.
  explicit Transaction(Service* service);
  // One command; `args` is the full argument list (command name at 0).
  Transaction(Service* service, CmdArgList args, const CommandId* cid);
  // Several commands run as one: Lock() takes the union of their keys, shared only when every
  // command is read-only. ShardKeys::positions are left empty (they index one argument list).
  Transaction(Service* service, std::span<const Command> commands);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const std::vector<ShardKeys>& shards() const { return shards_; }
  unsigned ShardOfPosition(size_t pos) const;

  LockMode mode() const { return mode_; }
  bool locked() const { return locked_; }
  asio::awaitable<void> Lock();
  void Unlock();

  // Runs f(EngineShard&) on `shard` (inline when it is the caller's) and returns its result.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F&, EngineShard&>> RunOn(unsigned shard, F f);

  // Runs f(EngineShard&, const ShardKeys&) on every shard holding keys of this command, on all
  // of them at once: f runs concurrently on several threads, so it may write only what belongs
  // to its shard (the reply slots of its positions, an atomic counter).
  template <typename F>
  asio::awaitable<void> RunOnEach(F f) {
    co_await RunParallel([this, &f](size_t i) {
      f(*EngineShard::tlocal(), static_cast<const ShardKeys&>(shards_[i]));
    });
  }

  // Runs f(EngineShard&) on every shard of the node.
  template <typename F>
  asio::awaitable<void> RunOnAll(F f);

 private:
  // Runs fn(i) on the thread of shards_[i].shard for every i, all at once (the caller's own
  // shard inline), and resumes once every one has run.
  template <typename F>
  asio::awaitable<void> RunParallel(F fn);

  // Adds the keys of one command line (positions recorded when `positions`).
  void AddKeys(CmdArgList args, const CommandId* cid, bool positions);
  // Takes every shard's locks in one parallel round when all can grant them now; false (with
  // nothing held) when one could not.
  asio::awaitable<bool> TryLockAll();
  asio::awaitable<void> LockShard(ShardKeys& sk);
  void ReleaseShard(ShardKeys& sk);

  Service* service_;
  ProactorPool* pool_;
  std::vector<ShardKeys> shards_;
  LockMode mode_ = LockMode::kExclusive;
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
asio::awaitable<void> Transaction::RunParallel(F fn) {
  std::vector<unsigned> threads;
  threads.reserve(shards_.size());
  for (const ShardKeys& sk : shards_) threads.push_back(sk.shard);
  co_await RunOnLoops(pool_, threads, fn);
}

template <typename F>
asio::awaitable<void> Transaction::RunOnAll(F f) {
  for (unsigned i = 0; i < pool_->size(); ++i) {
    co_await RunOn(i, [&f](EngineShard& s) { f(s); });
  }
}

}  // namespace darner
