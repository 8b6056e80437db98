// The target's reader of one migration flow (spec dragonfly-cluster.md §4.4 "Flow consumer"):
// takes the flow connection over after `DFLYMIGRATE FLOW`, decodes the stream (§4.5) and
// applies every command as a replicated one — whatever the slot ownership, replies discarded.
// Only keyed write commands whose keys are all in the migration's slots are accepted: any other
// record (CONFIG SET, DFLYMIGRATE, a key of another slot) fails the migration's flows.
// Runs on the connection's thread; ends when the connection does (Cancel() closes it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cluster/incoming_migration.h"
#include "cluster/stream_codec.h"
#include "facade/connection.h"

namespace darner {

class Service;
struct ConnectionContext;

class FlowConsumer : public ConnectionTakeover {
 public:
  FlowConsumer(std::shared_ptr<IncomingMigration> migration, uint32_t flow, Service* service,
               Connection* conn);

  asio::awaitable<int64_t> Consume(std::string_view data) override;
  size_t MinBytesWanted() const override { return reader_.MinBytesWanted(); }
  void OnClose() override;

 private:
  // Applies the commands gathered so far; false when the migration must stop (out of memory)
  // or the connection is closing. Yields to the thread's other work every kMaxBatch commands.
  asio::awaitable<bool> ApplyBatch();
  // Why a command record may not be applied, or "" if it may.
  std::string CheckRecord(const std::vector<std::string_view>& args);
  // Records `error` on the migration and closes every flow of it.
  void Fail(std::string error, bool fatal);

  std::shared_ptr<IncomingMigration> migration_;
  uint32_t flow_;
  Service* service_;
  Connection* conn_;
  ConnectionContext* cc_;
  flow::StreamReader reader_;
  flow::Record record_;
  // The commands of the current batch: argument views into the data being consumed.
  std::vector<std::string_view> arg_storage_;
  std::vector<std::pair<size_t, size_t>> arg_ranges_;
  std::vector<CmdArgList> batch_;
  std::vector<size_t> key_positions_;
  size_t applied_since_yield_ = 0;  // commands applied since the consumer last yielded
};

}  // namespace darner
