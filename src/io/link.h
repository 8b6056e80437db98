// Link: one TCP connection of a migration (either side), bound to a CancelScope. It owns the
// socket, the bytes read ahead of the caller, and the timers that enforce deadlines; it knows
// nothing about RESP beyond splitting a line at CRLF.
//
// Threading: every operation must be awaited from a coroutine running on the link's executor
// (the io_context passed in, or the adopted socket's). At most one read (ReadSome/ReadLine) and
// one Write may be in flight at a time; Connect excludes both. Destruction may happen on any
// thread. The executor's context must outlive the Link.
//
// Errors are values, never exceptions:
//  - asio::error::operation_aborted: the scope is cancelled. Once it is, every operation that
//    starts returns this at once without touching the socket, and an operation in flight
//    completes with it promptly (even if the socket op itself reported eof or reset).
//  - asio::error::timed_out: the operation's deadline passed first (the op is cancelled).
//    After a timed-out Write the stream position is unknown; treat the link as failed. A
//    timed-out read loses nothing (ReadLine keeps the partial line buffered), so reading may
//    continue.
//  - asio::error::not_connected: the link is not open (never connected, or Close()d). An
//    operation already pending when Close() runs completes with operation_aborted.
//  - asio::error::message_size: ReadLine found no CRLF within max_len bytes.
//  - asio::error::eof: the peer closed the connection (ReadLine: before a complete line).
//  - anything else the socket reports.
//
// On cancel, on the link's own thread, the link cancels its pending operations and shuts the
// socket down both ways (the peer sees EOF); it does not close the fd. Close() or destruction
// closes it. Deadlines are steady_timers raced against the operation, never socket timeouts.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>

#include "io/cancel_scope.h"

namespace darner {

// An absolute point on the steady clock, or none (wait as long as the scope allows).
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  Deadline() = default;  // none
  static Deadline None() { return Deadline(); }
  static Deadline At(Clock::time_point at) { return Deadline(at); }
  // Saturates: a huge `timeout` is the same as none.
  static Deadline After(Clock::duration timeout);

  bool none() const { return at_ == Clock::time_point::max(); }
  Clock::time_point at() const { return at_; }

 private:
  explicit Deadline(Clock::time_point at) : at_(at) {}
  Clock::time_point at_ = Clock::time_point::max();
};

class Link {
 public:
  using IoResult = std::tuple<std::error_code, size_t>;

  // A link that Connect() will open.
  Link(asio::io_context& ctx, CancelScope& scope);
  // Adopts a connected socket (e.g. an accepted connection handed over by the server) and the
  // bytes already read from it but not consumed; they are returned by the next reads.
  Link(asio::ip::tcp::socket socket, CancelScope& scope, std::string_view buffered = {});
  // Closes the socket: at once if called on the link's thread, otherwise posted there.
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Resolves `host` (numeric addresses skip the resolver) and connects to the first address
  // that accepts, within `timeout` overall. Sets TCP_NODELAY and keepalive (idle 300 s,
  // interval 100 s, 3 probes). Replaces any socket the link had.
  asio::awaitable<std::error_code> Connect(std::string host, uint16_t port,
                                           std::chrono::steady_clock::duration timeout);

  // Reads at least one byte into `buf` (buffered bytes first, without touching the socket).
  asio::awaitable<IoResult> ReadSome(asio::mutable_buffer buf, Deadline deadline = {});
  // Writes all of `buf`; the size is how much was written (all of it on success).
  asio::awaitable<IoResult> Write(asio::const_buffer buf, Deadline deadline = {});
  // Reads one line ending in CRLF and returns it without the CRLF. Bytes after it stay buffered
  // for the next read. A line longer than `max_len` (CRLF excluded) fails with message_size.
  asio::awaitable<std::tuple<std::error_code, std::string>> ReadLine(size_t max_len,
                                                                     Deadline deadline = {});

  // Closes the socket; pending operations complete with an error. Call on the link's thread.
  void Close();

  bool is_open() const;
  // True once the scope is cancelled (any thread).
  bool cancelled() const;
  // Bytes read from the socket and not yet returned to the caller.
  std::string_view buffered() const;
  // Bytes written to the socket that the peer's TCP has not acknowledged yet (SIOCOUTQ): with a
  // peer that bounds its receive buffer, how far behind the peer's reader is. 0 when closed.
  size_t UnackedBytes() const;
  const asio::any_io_executor& executor() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with operations in flight
};

// Applies the migration link socket options (TCP_NODELAY, keepalive 300/100/3).
std::error_code SetLinkSocketOptions(asio::ip::tcp::socket& socket);

}  // namespace darner
