#include "facade/connection.h"

#include <sys/socket.h>

#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/logging.h"
#include "io/as_tuple.h"

namespace darner {
namespace {

constexpr size_t kInitialBuffer = 16 * 1024;
// Execute at most this many pipelined requests before writing their replies.
constexpr size_t kMaxBatch = 1024;

std::string FormatEndpoint(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

thread_local ConnectionStats tl_stats;

}  // namespace

ConnectionStats& ThreadConnectionStats() { return tl_stats; }

Connection::Connection(asio::ip::tcp::socket socket, ServiceInterface* service, ParserLimits limits,
                       bool privileged, unsigned thread_index)
    : socket_(std::move(socket)),
      service_(service),
      parser_(limits),
      privileged_(privileged),
      thread_index_(thread_index),
      fd_(socket_.native_handle()) {
  // The whole request must fit in the buffer; allow the largest bulk plus headers, and at least
  // Redis's default client-query-buffer-limit of 1 GiB.
  max_buffer_ = std::max<size_t>(size_t{1} << 30, limits.max_bulk_len + (64u << 10));
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_addr_ = FormatEndpoint(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_addr_ = FormatEndpoint(local);
}

Connection::~Connection() = default;

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  asio::error_code ec;
  // Wakes a pending read with EOF; a reply being written still goes out.
  socket_.shutdown(asio::socket_base::shutdown_receive, ec);
  socket_.cancel(ec);
}

bool Connection::EnsureReadSpace(size_t wanted) {
  size_t used = buf_end_ - buf_start_;
  size_t need = std::max(wanted, used + 1);
  if (need > max_buffer_) return false;
  if (buf_start_ > 0 && (buf_end_ == buf_capacity_ || need > buf_capacity_ - buf_start_)) {
    std::memmove(buf_.get(), buf_.get() + buf_start_, used);
    buf_start_ = 0;
    buf_end_ = used;
  }
  size_t target = std::max(need, used + 4096);  // read at least a few KiB at a time
  if (target > buf_capacity_ || buf_end_ == buf_capacity_) {
    size_t cap = std::max(kInitialBuffer, buf_capacity_);
    while (cap < target) cap *= 2;
    cap = std::min(cap, max_buffer_);
    if (cap <= buf_capacity_) return buf_end_ < buf_capacity_;
    auto fresh = std::make_unique<char[]>(cap);
    std::memcpy(fresh.get(), buf_.get() + buf_start_, used);
    buf_ = std::move(fresh);
    buf_capacity_ = cap;
    buf_start_ = 0;
    buf_end_ = used;
  }
  return true;
}

asio::awaitable<bool> Connection::FlushReplies() {
  std::string& out = reply_.buffer();
  if (out.empty()) co_return true;
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
  if (!ec && done < out.size()) {
    auto [wec, n] = co_await asio::async_write(
        socket_, asio::buffer(out.data() + done, out.size() - done), kAsTuple);
    ec = wec;
    done += n;
  }
  tl_stats.net_output_bytes += done;
  if (out.capacity() > (1u << 20)) {
    std::string().swap(out);
  } else {
    out.clear();
  }
  co_return !ec;
}

asio::awaitable<bool> Connection::ReadMore() {
  auto [ec, n] = co_await socket_.async_read_some(
      asio::buffer(buf_.get() + buf_end_, buf_capacity_ - buf_end_), kAsTuple);
  if (ec || n == 0) co_return false;
  buf_end_ += n;
  tl_stats.net_input_bytes += n;
  co_return true;
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
    if (!EnsureReadSpace(wanted)) {
      LOG(WARNING) << "Takeover of " << remote_addr_ << " needs more than the buffer limit";
      break;
    }
    if (!co_await ReadMore()) break;
  }
}

asio::awaitable<void> Connection::Run() {
  if (!service_->OnConnectionOpen(this)) {
    co_await FlushReplies();
    asio::error_code ec;
    socket_.close(ec);
    service_->OnConnectionClose(this);
    co_return;
  }
  buf_ = std::make_unique<char[]>(kInitialBuffer);
  buf_capacity_ = kInitialBuffer;
  std::vector<CmdArgList> batch;
  std::vector<std::string_view> arg_storage;
  std::vector<std::pair<size_t, size_t>> arg_ranges;
  size_t wanted = 0;
  bool protocol_error = false;

  while (!closing_ && !protocol_error && !close_after_reply_) {
    if (!EnsureReadSpace(wanted)) {
      reply_.SendError("Protocol error: query buffer limit exceeded");
      co_await FlushReplies();
      break;
    }
    if (!co_await ReadMore()) break;
    if (buf_end_ - buf_start_ < wanted) continue;

    // Parse and execute every complete request in the buffer, flushing between batches.
    while (!protocol_error && !close_after_reply_) {
      batch.clear();
      arg_storage.clear();
      arg_ranges.clear();
      size_t batch_bytes = 0;
      while (batch.size() < kMaxBatch) {
        std::string_view avail(buf_.get() + buf_start_ + batch_bytes,
                               buf_end_ - buf_start_ - batch_bytes);
        size_t consumed = 0;
        RespParser::Status st = parser_.Parse(avail, &consumed);
        if (st == RespParser::Status::kIncomplete) {
          wanted = parser_.MinBytesWanted();  // relative to the request start
          break;
        }
        if (st == RespParser::Status::kError) {
          protocol_error = true;
          break;
        }
        batch_bytes += consumed;
        if (parser_.Args().empty()) continue;
        arg_ranges.emplace_back(arg_storage.size(), parser_.Args().size());
        arg_storage.insert(arg_storage.end(), parser_.Args().begin(), parser_.Args().end());
        batch.emplace_back();  // filled below once arg_storage stops growing
        wanted = 0;
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i] = CmdArgList(arg_storage.data() + arg_ranges[i].first, arg_ranges[i].second);
      }
      if (!batch.empty()) co_await service_->DispatchBatch(this, batch);
      parser_.ReleaseInlineArgs();
      buf_start_ += batch_bytes;
      if (buf_start_ == buf_end_) buf_start_ = buf_end_ = 0;
      if (protocol_error) {
        LOG(WARNING) << "Protocol error from " << remote_addr_ << ": " << parser_.Error();
        reply_.SendError("Protocol error: " + parser_.Error());
      }
      if (!co_await FlushReplies()) {
        closing_ = true;
        break;
      }
      if (batch.size() < kMaxBatch || takeover_) break;  // drained down to a partial request
    }
    if (closing_ || takeover_) break;
  }
  if (takeover_ && !closing_) co_await RunTakeover();
  if (takeover_) takeover_->OnClose();
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  service_->OnConnectionClose(this);
}

}  // namespace darner
