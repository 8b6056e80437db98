// Cluster mode's commands (CLUSTER, DFLYCLUSTER, READONLY, READWRITE) and the node's cluster
// state: its id and, in `yes` mode, the topology last pushed with DFLYCLUSTER CONFIG. Applying a
// topology publishes a new routing snapshot to the data plane (Service::PublishRouting) and
// detaches the keys of slots the node gave up. Control plane only: nothing here runs per data
// command.
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/cluster_config.h"
#include "cluster/incoming_migration.h"
#include "server/cluster_support.h"

namespace darner {

class CommandRegistry;
class Service;

class ClusterFamily {
 public:
  explicit ClusterFamily(Service* service);
  ~ClusterFamily();

  // Checks the cluster flags and fixes the node id. False, with the message to exit with, on a
  // bad combination.
  bool Init(std::string* error);
  // Adds the commands to the service's table (before Service::Init).
  void Register(CommandRegistry* registry);

  const std::string& my_id() const { return my_id_; }
  // The installed topology (`yes` mode), or nullptr before the first DFLYCLUSTER CONFIG.
  std::shared_ptr<const ClusterConfig> config() const;

  // Builds the data plane's routing snapshot: `served` slots, redirects per spec §3.5.
  static std::shared_ptr<const SlotRouting> BuildRouting(const ClusterConfig& config,
                                                         const SlotSet& served);
  // The slots this node serves under `config`: those it owns, plus those of incoming migrations
  // that finished.
  SlotSet ServedSlots(const ClusterConfig& config) const;

  // Incoming migrations, in creation order.
  std::vector<std::shared_ptr<IncomingMigration>> incoming() const;
  std::shared_ptr<IncomingMigration> FindIncoming(std::string_view source_id) const;

 private:
  Service* service_;
  std::string my_id_;
  mutable std::mutex config_mu_;  // guards config_ (the pointer, not the immutable config)
  std::shared_ptr<const ClusterConfig> config_;
  // Set while a config (or a migration's slot change) is being applied; one at a time.
  std::atomic<bool> applying_{false};
  asio::awaitable<void> LockApply();
  void UnlockApply() { applying_.store(false, std::memory_order_release); }

  mutable std::mutex migrations_mu_;  // guards incoming_ (the list, not the objects)
  std::vector<std::shared_ptr<IncomingMigration>> incoming_;

  friend struct ClusterCommands;
};

}  // namespace darner
