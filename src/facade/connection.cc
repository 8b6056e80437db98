#include "facade/connection.h"

#include <sys/socket.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "base/logging.h"
#include "io/as_tuple.h"

namespace darner {
namespace {

// The size of a fresh read buffer (Redis reads 16 KiB at a time too).
constexpr size_t kInitialBuffer = 16 * 1024;
// Execute at most this many pipelined requests before writing their replies.
constexpr size_t kMaxBatch = 1024;
// Reply buffers up to this capacity go back to a per-thread pool when their connection goes
// idle (larger ones are freed); an idle connection keeps none.
constexpr size_t kPooledReplyCapacity = 16 * 1024;

std::string FormatEndpoint(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

thread_local ConnectionStats tl_stats;

std::atomic<int64_t> g_buffer_bytes{0};
std::atomic<uint64_t> g_output_hard{0}, g_output_soft{0};
std::atomic<uint32_t> g_output_soft_seconds{0};
std::atomic<size_t> g_query_buffer_limit{size_t{1} << 30};

// Read buffers of kInitialBuffer bytes that idle connections gave back, for the next connection
// of this thread that has bytes to read. Holds a few only: a burst of busy connections allocates
// fresh ones.
class BufferPool {
 public:
  std::unique_ptr<char[]> Get() {
    if (free_.empty()) return std::make_unique_for_overwrite<char[]>(kInitialBuffer);
    std::unique_ptr<char[]> buf = std::move(free_.back());
    free_.pop_back();
    return buf;
  }
  void Put(std::unique_ptr<char[]> buf) {
    if (free_.size() < kMaxFree) free_.push_back(std::move(buf));
  }

 private:
  static constexpr size_t kMaxFree = 8;
  std::vector<std::unique_ptr<char[]>> free_;
};
thread_local BufferPool tl_buffers;

template <typename T>
void Free(std::vector<T>* v) {
  std::vector<T>().swap(*v);
}

// Batches that idle connections gave back, for the next busy connection of this thread: a
// connection holds one only between reading requests and going idle.
class BatchPool {
 public:
  std::unique_ptr<RequestBatch> Get() {
    if (free_.empty()) return std::make_unique<RequestBatch>();
    std::unique_ptr<RequestBatch> b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void Put(std::unique_ptr<RequestBatch> b) {
    if (free_.size() >= kMaxFree) return;
    b->Clear();
    // A batch of a long pipeline does not keep its large vectors in the pool.
    if (b->args.capacity() > kMaxPooledArgs) {
      Free(&b->requests);
      Free(&b->args);
      Free(&b->arg_ranges);
      Free(&b->request_ends);
    }
    free_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kMaxFree = 16;
  static constexpr size_t kMaxPooledArgs = 1024;
  std::vector<std::unique_ptr<RequestBatch>> free_;
};
thread_local BatchPool tl_batches;

// Reply buffers that idle connections gave back.
class ReplyPool {
 public:
  void Take(std::string* out) {
    if (free_.empty()) return;
    out->swap(free_.back());
    free_.pop_back();
  }
  void Put(std::string* out) {
    std::string s;
    s.swap(*out);
    if (free_.size() < kMaxFree && s.capacity() <= kPooledReplyCapacity) {
      s.clear();
      free_.push_back(std::move(s));
    }
  }

 private:
  static constexpr size_t kMaxFree = 16;
  std::vector<std::string> free_;
};
thread_local ReplyPool tl_replies;

}  // namespace

void RequestBatch::Clear() {
  requests.clear();
  args.clear();
  arg_ranges.clear();
  request_ends.clear();
}

ConnectionStats& ThreadConnectionStats() { return tl_stats; }

size_t ConnectionBufferBytes() {
  return static_cast<size_t>(std::max<int64_t>(0, g_buffer_bytes.load(std::memory_order_relaxed)));
}

void SetQueryBufferLimit(size_t bytes) {
  g_query_buffer_limit.store(bytes, std::memory_order_relaxed);
}
size_t QueryBufferLimit() { return g_query_buffer_limit.load(std::memory_order_relaxed); }

void SetNormalOutputLimit(OutputBufferLimit limit) {
  g_output_hard.store(limit.hard, std::memory_order_relaxed);
  g_output_soft.store(limit.soft, std::memory_order_relaxed);
  g_output_soft_seconds.store(limit.soft_seconds, std::memory_order_relaxed);
}

OutputBufferLimit NormalOutputLimit() {
  return {g_output_hard.load(std::memory_order_relaxed),
          g_output_soft.load(std::memory_order_relaxed),
          g_output_soft_seconds.load(std::memory_order_relaxed)};
}

Connection::Connection(asio::ip::tcp::socket socket, ServiceInterface* service, ParserLimits limits,
                       bool privileged, unsigned thread_index)
    : socket_(std::move(socket)),
      service_(service),
      parser_(limits),
      privileged_(privileged),
      thread_index_(thread_index),
      fd_(socket_.native_handle()) {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    is_local_ =
        remote.address().is_loopback() ||
        (remote.address().is_v6() && remote.address().to_v6().is_v4_mapped() &&
         asio::ip::make_address_v4(asio::ip::v4_mapped, remote.address().to_v6()).is_loopback());
  }
}

std::string Connection::remote_addr() const {
  asio::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  return ec ? std::string() : FormatEndpoint(ep);
}

std::string Connection::local_addr() const {
  asio::error_code ec;
  auto ep = socket_.local_endpoint(ec);
  return ec ? std::string() : FormatEndpoint(ep);
}

Connection::~Connection() {
  ResizeBuffer(0);
  g_buffer_bytes.fetch_sub(static_cast<int64_t>(reply_capacity_), std::memory_order_relaxed);
  if (soft_timer_) soft_timer_->cancel();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  asio::error_code ec;
  // Wakes a pending read with EOF; a reply being written still goes out.
  socket_.shutdown(asio::socket_base::shutdown_receive, ec);
  socket_.cancel(ec);
}

void Connection::ResizeBuffer(size_t capacity) {
  if (capacity == buf_capacity_) return;
  size_t used = capacity == 0 ? 0 : buf_end_ - buf_start_;  // 0: unparsed bytes are dropped
  std::unique_ptr<char[]> fresh;
  if (capacity == kInitialBuffer) {
    fresh = tl_buffers.Get();
  } else if (capacity > 0) {
    fresh = std::make_unique_for_overwrite<char[]>(capacity);
  }
  if (used > 0) std::memcpy(fresh.get(), buf_.get() + buf_start_, used);
  // Pool buffers are not counted: they are few per thread, and shared.
  int64_t delta = (capacity == kInitialBuffer ? 0 : static_cast<int64_t>(capacity)) -
                  (buf_capacity_ == kInitialBuffer ? 0 : static_cast<int64_t>(buf_capacity_));
  if (delta != 0) g_buffer_bytes.fetch_add(delta, std::memory_order_relaxed);
  if (buf_capacity_ == kInitialBuffer) tl_buffers.Put(std::move(buf_));
  buf_ = std::move(fresh);
  buf_capacity_ = capacity;
  buf_start_ = 0;
  buf_end_ = used;
}

// Logging lives outside the coroutines: a log statement's stream would otherwise take space in
// the frame of every connection, idle or not.
void Connection::LogQueryBufferLimit(size_t wanted) const {
  LOG_EVERY_N_SEC(WARNING, 1) << "Closing client " << remote_addr()
                              << " that reached max query buffer length (wanted " << wanted
                              << " bytes, limit " << QueryBufferLimit() << ")";
}

void Connection::LogProtocolError() const {
  LOG_EVERY_N_SEC(WARNING, 1) << "Protocol error from " << remote_addr() << ": " << parser_.Error();
}

bool Connection::EnsureReadSpace(size_t wanted) {
  size_t used = buf_end_ - buf_start_;
  size_t need = std::max(wanted, used + 1);
  if (need > QueryBufferLimit()) return false;
  if (!buf_) {
    ResizeBuffer(kInitialBuffer);
    return true;
  }
  if (buf_start_ > 0 && (buf_end_ == buf_capacity_ || need > buf_capacity_ - buf_start_)) {
    std::memmove(buf_.get(), buf_.get() + buf_start_, used);
    buf_start_ = 0;
    buf_end_ = used;
  }
  if (buf_end_ < buf_capacity_) return true;
  // Full: grow by half to double (to the end of the bulk being read, if known and in that
  // range): geometric, and never more than twice the bytes that arrived.
  size_t grow = std::min(2 * buf_capacity_, std::max(wanted, buf_capacity_ + buf_capacity_ / 2));
  ResizeBuffer(std::min(grow, std::max(need, QueryBufferLimit())));
  return true;
}

void Connection::AccountReplyCapacity() {
  size_t capacity = reply_.buffer().capacity();
  if (capacity == reply_capacity_) return;
  g_buffer_bytes.fetch_add(static_cast<int64_t>(capacity) - static_cast<int64_t>(reply_capacity_),
                           std::memory_order_relaxed);
  reply_capacity_ = capacity;
}

void Connection::LogOutputLimit(size_t pending, const char* which) const {
  LOG_EVERY_N_SEC(WARNING, 1) << "Client addr=" << remote_addr()
                              << " scheduled to be closed ASAP for overcoming of output buffer "
                                 "limits ("
                              << which << " limit, " << pending << " bytes pending)";
}

asio::awaitable<bool> Connection::FlushReplies() {
  std::string& out = reply_.buffer();
  if (out.empty()) co_return true;
  AccountReplyCapacity();  // counted in used_memory while it waits for the peer
  // Replies almost always fit in the socket buffer: send directly, and fall back to an
  // asynchronous write only for what the kernel did not take.
  ssize_t sent = ::send(fd_, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  asio::error_code ec;
  size_t done = 0;
  if (sent >= 0) {
    done = static_cast<size_t>(sent);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    ec = asio::error_code(errno, asio::error::get_system_category());
  }
  // Redis's client-output-buffer-limit on what the peer has not taken: over the hard limit the
  // client is closed at once; over the soft limit for soft-seconds in a row, too.
  const OutputBufferLimit limit = NormalOutputLimit();
  bool over_soft = false;
  while (!ec && done < out.size()) {
    size_t pending = out.size() - done;
    if (limit.hard > 0 && pending > limit.hard) {
      LogOutputLimit(pending, "hard");
      ec = asio::error::no_buffer_space;
      break;
    }
    if (limit.soft > 0 && pending > limit.soft) {
      if (limit.soft_seconds == 0) {
        LogOutputLimit(pending, "soft");
        ec = asio::error::no_buffer_space;
        break;
      }
      if (!over_soft) {
        over_soft = true;
        ArmSoftLimitTimer(limit.soft_seconds);
      }
    } else if (over_soft) {
      over_soft = false;
      soft_timer_->cancel();
    }
    auto [wec, n] = co_await socket_.async_write_some(
        asio::buffer(out.data() + done, std::min<size_t>(pending, 1u << 20)), kAsTuple);
    ec = wec;
    done += n;
  }
  if (over_soft) soft_timer_->cancel();
  tl_stats.net_output_bytes += done;
  ++tl_stats.writes_processed;
  if (out.capacity() > (1u << 20)) {
    std::string().swap(out);
  } else {
    out.clear();
  }
  AccountReplyCapacity();
  co_return !ec;
}

void Connection::ArmSoftLimitTimer(uint32_t seconds) {
  if (!soft_timer_) soft_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  soft_timer_->expires_after(std::chrono::seconds(seconds));
  // The timer dies with the connection; its handler then sees operation_aborted and touches
  // nothing.
  soft_timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    LogOutputLimit(reply_.buffer().size(), "soft");
    Close();
    asio::error_code ignored;
    socket_.cancel(ignored);  // ends the pending write too
  });
}

Connection::ReadStatus Connection::TryRead() {
  while (!closing_) {
    size_t space = buf_capacity_ - buf_end_;
    ssize_t n = ::recv(fd_, buf_.get() + buf_end_, space, MSG_DONTWAIT);
    if (n > 0) {
      buf_end_ += static_cast<size_t>(n);
      tl_stats.net_input_bytes += static_cast<size_t>(n);
      ++tl_stats.reads_processed;
      // A short read emptied the socket's receive queue: the next read waits first.
      socket_drained_ = static_cast<size_t>(n) < space;
      return ReadStatus::kData;
    }
    if (n == 0) return ReadStatus::kClosed;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ReadStatus::kClosed;
    socket_drained_ = true;
    return ReadStatus::kWouldBlock;
  }
  return ReadStatus::kClosed;
}

asio::awaitable<bool> Connection::WaitReadable() {
  if (buf_start_ == buf_end_) ReleaseIdle();
  auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, kAsTuple);
  socket_drained_ = false;
  co_return !ec && !closing_;
}

void Connection::ReleaseIdle() {
  ResizeBuffer(0);
  std::string& out = reply_.buffer();
  if (out.capacity() > std::string().capacity()) {
    tl_replies.Put(&out);
    AccountReplyCapacity();
  }
  if (batch_) tl_batches.Put(std::move(batch_));
  parser_.ShrinkIdle();
}

asio::awaitable<void> Connection::RunTakeover() {
  // Bytes that arrived behind the request that started the takeover are its first input.
  size_t wanted = 0;
  while (!closing_) {
    if (buf_end_ - buf_start_ >= std::max<size_t>(wanted, 1)) {
      std::string_view data(buf_.get() + buf_start_, buf_end_ - buf_start_);
      int64_t consumed = co_await takeover_->Consume(data);
      if (consumed < 0) break;
      buf_start_ += static_cast<size_t>(consumed);
      if (buf_start_ == buf_end_) buf_start_ = buf_end_ = 0;
      wanted = takeover_->MinBytesWanted();
      if (consumed > 0 && buf_end_ - buf_start_ >= std::max<size_t>(wanted, 1)) continue;
    }
    if (socket_drained_) {
      bool readable = co_await WaitReadable();
      if (!readable) break;
    }
    if (!EnsureReadSpace(wanted)) {
      LogQueryBufferLimit(wanted);
      break;
    }
    if (TryRead() == ReadStatus::kClosed) break;
  }
}

void Connection::ParkIfIdle() {
  if (!idle_waiting_ || closing_ || park_requested_) return;
  if (idle_waits_ != swept_idle_waits_) {
    swept_idle_waits_ = idle_waits_;  // went idle since the last sweep: next time
    return;
  }
  park_requested_ = true;
  asio::error_code ec;
  socket_.cancel(ec);  // the idle wait is the only operation pending on the socket
}

void Connection::Park(std::shared_ptr<Connection> self) {
  Connection* conn = self.get();
  conn->socket_.async_wait(
      asio::socket_base::wait_read, [self = std::move(self)](const asio::error_code& ec) mutable {
        Connection* c = self.get();
        c->socket_drained_ = false;
        if (ec || c->closing_) {
          c->Finish();  // Close() cancels the wait
          return;
        }
        asio::co_spawn(c->socket_.get_executor(), c->Run(std::move(self)), asio::detached);
      });
}

void Connection::Finish() {
  if (takeover_) takeover_->OnClose();
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  service_->OnConnectionClose(this);
}

asio::awaitable<void> Connection::Run(std::shared_ptr<Connection> keep_alive) {
  if (!opened_) {
    opened_ = true;
    if (!service_->OnConnectionOpen(this)) {
      co_await FlushReplies();
      asio::error_code ec;
      socket_.close(ec);
      service_->OnConnectionClose(this);
      co_return;
    }
  }
  size_t wanted = 0;
  bool protocol_error = false;

  while (!closing_ && !protocol_error && !close_after_reply_) {
    // Once the socket is drained, wait for readability before reading: Asio re-arms the
    // descriptor for the wait (one epoll_ctl), which also reports bytes that arrived since the
    // short read, so this costs what a failed speculative read would, and holds no buffer.
    if (socket_drained_) {
      bool idle = buf_start_ == buf_end_;
      if (idle) {
        ReleaseIdle();
        idle_waiting_ = true;
        ++idle_waits_;
      }
      auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, kAsTuple);
      idle_waiting_ = false;
      if (idle && park_requested_) {
        park_requested_ = false;
        if (ec == asio::error::operation_aborted && !closing_) {
          // Idle for a whole sweep: wait without this coroutine (its frame and Asio's spawn
          // state cost an idle connection ~800 bytes); readability spawns the loop anew.
          Park(std::move(keep_alive));
          co_return;
        }
      }
      if (ec) break;
      socket_drained_ = false;
    }
    if (!EnsureReadSpace(wanted)) {
      // As Redis: the client is closed without a reply.
      LogQueryBufferLimit(wanted);
      break;
    }
    ReadStatus st = TryRead();
    if (st == ReadStatus::kClosed) break;
    if (st == ReadStatus::kWouldBlock || buf_end_ - buf_start_ < wanted) continue;

    // Parse and execute every complete request in the buffer, flushing between batches.
    bool drained = false;
    while (!drained && !protocol_error && !close_after_reply_ && !closing_) {
      if (!batch_) {
        batch_ = tl_batches.Get();
        std::string& out = reply_.buffer();
        if (out.empty() && out.capacity() <= std::string().capacity()) tl_replies.Take(&out);
      }
      RequestBatch& b = *batch_;
      b.Clear();
      size_t batch_bytes = 0;
      while (b.requests.size() < kMaxBatch) {
        std::string_view avail(buf_.get() + buf_start_ + batch_bytes,
                               buf_end_ - buf_start_ - batch_bytes);
        size_t consumed = 0;
        RespParser::Status st = parser_.Parse(avail, &consumed);
        if (st == RespParser::Status::kIncomplete) {
          wanted = parser_.MinBytesWanted();  // relative to the request start
          drained = true;
          break;
        }
        if (st == RespParser::Status::kError) {
          protocol_error = true;
          break;
        }
        batch_bytes += consumed;
        if (parser_.Args().empty()) continue;
        b.arg_ranges.emplace_back(b.args.size(), parser_.Args().size());
        b.args.insert(b.args.end(), parser_.Args().begin(), parser_.Args().end());
        b.requests.emplace_back();  // filled below once b.args stops growing
        b.request_ends.push_back(batch_bytes);
        wanted = 0;
        // Until AUTH succeeds, each request runs before the next is parsed: the limits for
        // unauthenticated clients apply to requests parsed before AUTH only.
        if (!parser_.authenticated()) break;
      }
      for (size_t i = 0; i < b.requests.size(); ++i) {
        b.requests[i] = CmdArgList(b.args.data() + b.arg_ranges[i].first, b.arg_ranges[i].second);
      }
      size_t ran = 0;
      if (!b.requests.empty()) ran = co_await service_->DispatchBatch(this, b.requests);
      if (takeover_) {
        // The bytes behind the request that started the takeover are the takeover's, whatever
        // they looked like to the RESP parser.
        batch_bytes = ran > 0 ? b.request_ends[ran - 1] : 0;
        protocol_error = false;
        parser_.Reset();
      }
      parser_.ReleaseInlineArgs();
      buf_start_ += batch_bytes;
      if (buf_start_ == buf_end_) buf_start_ = buf_end_ = 0;
      if (protocol_error) {
        LogProtocolError();
        reply_.SendError("Protocol error: " + parser_.Error());
      }
      if (!co_await FlushReplies()) {
        closing_ = true;
        break;
      }
      if (takeover_) break;
    }
    if (closing_ || takeover_) break;
  }
  if (takeover_ && !closing_) co_await RunTakeover();
  Finish();
}

}  // namespace darner
