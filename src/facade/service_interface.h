// The narrow seam between the connection layer and the server: the facade parses requests and
// sends bytes; everything a command means lives behind this interface.
#pragma once

#include <asio/awaitable.hpp>
#include <span>
#include <string_view>

namespace darner {

class Connection;

using CmdArgList = std::span<const std::string_view>;

class ServiceInterface {
 public:
  virtual ~ServiceInterface() = default;

  // Executes `commands` (each: name followed by arguments) in order on behalf of `conn`,
  // appending one reply per command to conn->reply(). Runs on the connection's thread and may
  // suspend (hops to other shards, lock waits). Returns how many commands it went through: it
  // stops early when the connection closes or a command hands it to a takeover (the bytes of
  // the commands after that one belong to the takeover).
  virtual asio::awaitable<size_t> DispatchBatch(Connection* conn,
                                                std::span<const CmdArgList> commands) = 0;

  // Called on the connection's thread right after accept; a false return means the connection
  // is refused: the reply buffer holds the error to send before closing.
  virtual bool OnConnectionOpen(Connection* conn) = 0;
  virtual void OnConnectionClose(Connection* conn) = 0;
};

}  // namespace darner
