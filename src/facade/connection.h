// One client connection: owns its socket, read buffer, parser and reply buffer. Lives on and is
// touched only by the thread that accepted it (other threads ask that thread to act on it).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "facade/reply_builder.h"
#include "facade/resp_parser.h"
#include "facade/service_interface.h"

namespace darner {

// Traffic counters of the connections of one thread (INFO stats sums them).
struct ConnectionStats {
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t reads_processed = 0;   // reads that brought bytes
  uint64_t writes_processed = 0;  // reply batches written
};
ConnectionStats& ThreadConnectionStats();

// Bytes that all connections hold in read and reply buffers, on every thread (counted in
// used_memory, and so against maxmemory, as Redis counts client buffers).
size_t ConnectionBufferBytes();

// Redis's client-query-buffer-limit (default 1 GiB): a connection whose unparsed input grows
// past it is closed. Settable at run time from any thread.
void SetQueryBufferLimit(size_t bytes);
size_t QueryBufferLimit();

// Redis's client-output-buffer-limit for one class of clients (0: no limit): a client whose
// unsent replies exceed `hard`, or stay above `soft` for `soft_seconds`, is closed.
struct OutputBufferLimit {
  uint64_t hard = 0;
  uint64_t soft = 0;
  uint32_t soft_seconds = 0;
};
// The limit of the "normal" class (every client until pub/sub exists); any thread.
void SetNormalOutputLimit(OutputBufferLimit limit);
OutputBufferLimit NormalOutputLimit();

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

// The requests of one batch: argument views into the read buffer (or the parser), and where in
// the buffer each request ends (relative to the batch's first byte).
struct RequestBatch {
  std::vector<CmdArgList> requests;
  std::vector<std::string_view> args;
  std::vector<std::pair<size_t, size_t>> arg_ranges;
  std::vector<size_t> request_ends;
  void Clear();
};

class Connection {
 public:
  Connection(asio::ip::tcp::socket socket, ServiceInterface* service, ParserLimits limits,
             bool privileged, unsigned thread_index);
  ~Connection();

  // The read-parse-execute-write loop; `keep_alive` (this connection) keeps it alive while the
  // loop runs. Ends when the peer closes, on a protocol error, or after Close() — and also when
  // ParkIfIdle parks the connection: it then waits for readability with a plain handler
  // (holding `keep_alive`), which spawns the loop anew.
  asio::awaitable<void> Run(std::shared_ptr<Connection> keep_alive);

  // Called by a periodic sweep of its thread's connections. A connection that has waited for
  // requests since the previous sweep, with no request between, is parked: its loop coroutine
  // ends and a plain readability handler (no coroutine frame, no spawn state) waits instead.
  // Busy connections keep their coroutine, so a request costs no respawn; an idle one is parked
  // within two sweeps. Own thread only.
  void ParkIfIdle();

  // Asks the connection to finish its in-flight reply and end. Idempotent; own thread only.
  void Close();
  bool closing() const { return closing_; }
  // Close after the replies of the current batch are written (QUIT, protocol errors).
  void CloseAfterReply() { close_after_reply_ = true; }
  bool close_after_reply() const { return close_after_reply_; }
  // Unauthenticated connections get Redis's tighter request limits. While they apply, requests
  // are parsed and executed one at a time, so that a request sent right behind a successful
  // AUTH is held to the authenticated limits.
  void SetAuthenticated(bool on) { parser_.SetAuthenticated(on); }

  // Hands the connection to `takeover` once the replies of the current batch are sent: the
  // requests pipelined behind this one are not executed, their bytes are the takeover's first
  // input. A connection is taken over at most once: false (and `takeover` dropped) if it already
  // was.
  bool SetTakeover(std::unique_ptr<ConnectionTakeover> takeover) {
    if (takeover_) return false;
    takeover_ = std::move(takeover);
    return true;
  }
  bool has_takeover() const { return takeover_ != nullptr; }

  ReplyBuilder& reply() { return reply_; }
  bool privileged() const { return privileged_; }
  unsigned thread_index() const { return thread_index_; }
  // "ip:port" of the peer and of this end, asked of the socket on each call (CLIENT LIST, logs):
  // not stored, since every idle connection would pay for them. "" once the socket is closed.
  std::string remote_addr() const;
  std::string local_addr() const;
  // Whether the peer connected from a loopback address.
  bool is_local() const { return is_local_; }
  int native_fd() { return fd_; }
  // Read buffer capacity (0 while idle) and the unparsed bytes in it (CLIENT LIST qbuf).
  size_t read_buffer_size() const { return buf_capacity_; }
  size_t read_buffer_used() const { return buf_end_ - buf_start_; }

  // Opaque per-connection state owned by the server layer.
  void set_user_data(std::shared_ptr<void> data) { user_data_ = std::move(data); }
  void* user_data() const { return user_data_.get(); }

 private:
  // Waits for readability without a coroutine (see ParkIfIdle), then spawns Run anew or, when
  // the wait was cancelled by Close() or failed, finishes the connection.
  static void Park(std::shared_ptr<Connection> self);
  // Ends the connection: the takeover's OnClose, the socket closed, the service told.
  void Finish();
  asio::awaitable<bool> FlushReplies();
  // Counts the reply buffer's capacity in ConnectionBufferBytes().
  void AccountReplyCapacity();
  // Closes the connection if its replies stay above the soft limit for `seconds`.
  void ArmSoftLimitTimer(uint32_t seconds);
  void LogOutputLimit(size_t pending, const char* which) const;
  // Reads what the socket has into the buffer's free space, without waiting, and notes whether
  // the socket is now drained (a short read or EAGAIN), after which the next read waits for
  // readability first.
  enum class ReadStatus { kData, kWouldBlock, kClosed };
  ReadStatus TryRead();
  // The wait of the takeover loop (the command loop awaits it inline, to keep one frame):
  // frees an idle connection's buffers, then waits for readability. False on close or error.
  asio::awaitable<bool> WaitReadable();
  // Frees what an idle connection does not need: read buffer, a large reply buffer, the batch
  // vectors.
  void ReleaseIdle();
  // The read loop after a takeover.
  asio::awaitable<void> RunTakeover();
  // Makes room for at least one more byte, and for `wanted` bytes of the current request if the
  // buffer may grow that far: it grows at most to twice what is buffered, so a header that
  // announces a large bulk commits memory only as the bulk's bytes arrive. False when the
  // request would exceed the query buffer limit.
  bool EnsureReadSpace(size_t wanted);
  void LogQueryBufferLimit(size_t wanted) const;
  void LogProtocolError() const;
  // Sets the buffer to `capacity` bytes, keeping the unparsed bytes (0: no buffer, and the
  // unparsed bytes are dropped).
  void ResizeBuffer(size_t capacity);

  asio::ip::tcp::socket socket_;
  ServiceInterface* service_;
  RespParser parser_;
  ReplyBuilder reply_;
  bool privileged_;
  unsigned thread_index_;
  int fd_;
  bool opened_ = false;  // Run has told the service (it runs again after every Park)
  bool closing_ = false;
  bool close_after_reply_ = false;
  bool is_local_ = false;
  bool socket_drained_ = false;    // the last read emptied the socket (see TryRead)
  bool idle_waiting_ = false;      // Run waits for the next request with nothing buffered
  bool park_requested_ = false;    // ParkIfIdle cancelled that wait to park the connection
  uint32_t idle_waits_ = 0;        // idle waits begun so far
  uint32_t swept_idle_waits_ = 0;  // idle_waits_ at the last ParkIfIdle
  std::unique_ptr<ConnectionTakeover> takeover_;

  // The batch being executed; taken from a per-thread pool when requests arrive and given back
  // when the connection goes idle.
  std::unique_ptr<RequestBatch> batch_;

  std::unique_ptr<char[]> buf_;
  size_t buf_capacity_ = 0;
  size_t buf_start_ = 0;       // first byte of the request being parsed
  size_t buf_end_ = 0;         // one past the last byte read
  size_t reply_capacity_ = 0;  // of reply_.buffer(), as last counted in ConnectionBufferBytes()
  std::unique_ptr<asio::steady_timer> soft_timer_;  // made on first use: most never need one
  std::shared_ptr<void> user_data_;
};

}  // namespace darner
