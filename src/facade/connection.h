// One client connection: owns its socket, read buffer, parser and reply buffer. Lives on and is
// touched only by the thread that accepted it (other threads ask that thread to act on it).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "facade/reply_builder.h"
#include "facade/resp_parser.h"
#include "facade/service_interface.h"

namespace darner {

// Traffic counters of the connections of one thread (INFO stats sums them).
struct ConnectionStats {
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
};
ConnectionStats& ThreadConnectionStats();

// A protocol that takes a connection over after the RESP command loop (a slot-migration flow:
// after `DFLYMIGRATE FLOW` the peer only streams binary records). The connection keeps reading
// and hands every byte to the takeover, on its own thread.
class ConnectionTakeover {
 public:
  virtual ~ConnectionTakeover() = default;
  // `data` holds every byte received and not yet consumed. Returns how many bytes it consumed
  // (it may consume none and wait for more), or -1 to close the connection.
  virtual asio::awaitable<int64_t> Consume(std::string_view data) = 0;
  // Bytes the takeover needs buffered at least before Consume can make progress (0: any).
  virtual size_t MinBytesWanted() const { return 0; }
  // Called once when the connection ends, for whatever reason.
  virtual void OnClose() {}
};

class Connection {
 public:
  Connection(asio::ip::tcp::socket socket, ServiceInterface* service, ParserLimits limits,
             bool privileged, unsigned thread_index);
  ~Connection();

  // The read-parse-execute-write loop; returns when the peer closes, on a protocol error, or
  // after Close().
  asio::awaitable<void> Run();

  // Asks the connection to finish its in-flight reply and end. Idempotent; own thread only.
  void Close();
  bool closing() const { return closing_; }
  // Close after the replies of the current batch are written (QUIT, protocol errors).
  void CloseAfterReply() { close_after_reply_ = true; }
  bool close_after_reply() const { return close_after_reply_; }
  // Unauthenticated connections get Redis's tighter request limits.
  void SetAuthenticated(bool on) { parser_.SetAuthenticated(on); }

  // Hands the connection to `takeover` once the replies of the current batch are sent.
  void SetTakeover(std::unique_ptr<ConnectionTakeover> takeover) {
    takeover_ = std::move(takeover);
  }

  ReplyBuilder& reply() { return reply_; }
  bool privileged() const { return privileged_; }
  unsigned thread_index() const { return thread_index_; }
  const std::string& remote_addr() const { return remote_addr_; }
  const std::string& local_addr() const { return local_addr_; }
  int native_fd() { return fd_; }
  size_t read_buffer_size() const { return buf_capacity_; }
  size_t read_buffer_used() const { return buf_end_ - buf_start_; }

  // Opaque per-connection state owned by the server layer.
  void set_user_data(std::shared_ptr<void> data) { user_data_ = std::move(data); }
  void* user_data() const { return user_data_.get(); }

 private:
  asio::awaitable<bool> FlushReplies();
  // Reads what the socket has into the buffer's free space; false on EOF or error.
  asio::awaitable<bool> ReadMore();
  // The read loop after a takeover.
  asio::awaitable<void> RunTakeover();
  bool EnsureReadSpace(size_t wanted);

  asio::ip::tcp::socket socket_;
  ServiceInterface* service_;
  RespParser parser_;
  ReplyBuilder reply_;
  bool privileged_;
  unsigned thread_index_;
  int fd_;
  bool closing_ = false;
  bool close_after_reply_ = false;
  std::unique_ptr<ConnectionTakeover> takeover_;
  std::string remote_addr_, local_addr_;

  std::unique_ptr<char[]> buf_;
  size_t buf_capacity_ = 0;
  size_t buf_start_ = 0;  // first byte of the request being parsed
  size_t buf_end_ = 0;    // one past the last byte read
  size_t max_buffer_;
  std::shared_ptr<void> user_data_;
};

}  // namespace darner
