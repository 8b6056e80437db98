// The node's cluster state: its id, in `yes` mode the topology last pushed with DFLYCLUSTER
// CONFIG, and the migrations in both directions. Applying a topology publishes a new routing
// snapshot to the data plane (Service::PublishRouting) and detaches the keys of slots the node
// gave up. Register() installs cluster mode's commands (CLUSTER, DFLYCLUSTER, DFLYMIGRATE,
// READONLY, READWRITE), whose handlers (ClusterCommands, cluster_commands.h) are the only code
// besides this class that touches its state. Control plane only: nothing here runs per data
// command. Its mutexes are never held across a wait; the apply lock (LockApply), a queue of
// waiters, is: it lets one config apply or migration routing change run at a time.
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/apply_lock.h"
#include "cluster/cluster_config.h"
#include "cluster/incoming_migration.h"
#include "cluster/outgoing_migration.h"
#include "server/cluster_support.h"

namespace darner {

class CancelScope;
class CommandRegistry;
class Service;
class Transaction;

class ClusterFamily {
 public:
  explicit ClusterFamily(Service* service);
  ~ClusterFamily();

  // Checks the cluster flags and fixes the node id. False, with the message to exit with, on a
  // bad combination.
  bool Init(std::string* error);
  // Adds the commands to the service's table (before Service::Init).
  void Register(CommandRegistry* registry);
  // Cancels every migration and waits (bounded) for them to stop; before the pool stops.
  void Shutdown();

  const std::string& my_id() const { return my_id_; }
  // The installed topology (`yes` mode), or nullptr before the first DFLYCLUSTER CONFIG.
  std::shared_ptr<const ClusterConfig> config() const;

  // Builds the data plane's routing snapshot: `served` slots, redirects per spec §3.5.
  static std::shared_ptr<const SlotRouting> BuildRouting(const ClusterConfig& config,
                                                         const SlotSet& served);
  // The slots this node serves under `config`: those it owns, plus those of incoming migrations
  // that finished, minus those of outgoing migrations that finished.
  SlotSet ServedSlots(const ClusterConfig& config) const;
  // The slots whose keys this node keeps under `config`: those it owns (even when they finished
  // migrating out: only a config that takes them away deletes them, so a cancelled migration
  // leaves the data in place) plus those of incoming migrations that finished.
  SlotSet HeldSlots(const ClusterConfig& config) const;
  // The routing to publish under `config` now: served slots, and the paused ones among them.
  std::shared_ptr<const SlotRouting> RoutingNow(const ClusterConfig& config) const;

  // Incoming migrations, in creation order.
  std::vector<std::shared_ptr<IncomingMigration>> incoming() const;
  std::shared_ptr<IncomingMigration> FindIncoming(std::string_view source_id) const;
  // Outgoing migrations, in creation order.
  std::vector<std::shared_ptr<OutgoingMigration>> outgoing() const;

  // For outgoing migrations (each returns false, doing nothing, if `scope` is cancelled while
  // it waits for its turn to change the routing):
  // Pauses or resumes commands on `slots`.
  asio::awaitable<bool> SetSlotsPaused(const SlotSet& slots, bool paused, CancelScope& scope);
  // Marks `m` finished: its slots are no longer served here (MOVED to the target), and resumed.
  asio::awaitable<bool> FinishOutgoing(OutgoingMigration* m, CancelScope& scope);
  // Waits until commands admitted before the last routing change finished; false on timeout or
  // when `scope` is cancelled.
  asio::awaitable<bool> WaitForRoutedCommands(std::chrono::milliseconds timeout,
                                              CancelScope& scope);

 private:
  Service* service_;
  std::string my_id_;
  mutable std::mutex config_mu_;  // guards config_ (the pointer, not the immutable config)
  std::shared_ptr<const ClusterConfig> config_;
  // One config apply (or migration routing change) at a time, in arrival order.
  ApplyLock apply_lock_;
  // Waits for the apply lock; gives up (false) when `scope` is cancelled. Without a scope it
  // always gets the lock (true).
  asio::awaitable<bool> LockApply(CancelScope* scope = nullptr) { return apply_lock_.Lock(scope); }
  void UnlockApply() { apply_lock_.Unlock(); }

  mutable std::mutex migrations_mu_;  // guards the lists and paused_ (not the objects)
  std::vector<std::shared_ptr<IncomingMigration>> incoming_;
  std::vector<std::shared_ptr<OutgoingMigration>> outgoing_;
  SlotSet paused_;  // slots of outgoing migrations that are finalizing
  // How long the last and the longest stop of a cancelled migration (either side) took.
  std::atomic<uint64_t> last_stop_us_{0}, max_stop_us_{0};
  void RecordStop(std::chrono::microseconds took);

  friend struct ClusterCommands;
};

}  // namespace darner
