#include "io/link.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/logging.h"
#include "io/as_tuple.h"

namespace darner {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 16 * 1024;
constexpr int kKeepAliveIdleSec = 300;
constexpr int kKeepAliveIntervalSec = 100;
constexpr int kKeepAliveProbes = 3;

// Bytes read from the socket and not yet handed to the caller: data_[begin_, end_).
class ReadBuffer {
 public:
  explicit ReadBuffer(std::string_view initial) { Append(initial); }

  size_t size() const { return end_ - begin_; }
  std::string_view view() const { return {data_.data() + begin_, size()}; }

  void Append(std::string_view bytes) {
    if (bytes.empty()) return;
    asio::mutable_buffer space = Prepare(bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    Commit(bytes.size());
  }
  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Free space for at least `min` bytes at the end.
  asio::mutable_buffer Prepare(size_t min) {
    if (data_.size() - end_ < min && begin_ > 0) {
      std::memmove(data_.data(), data_.data() + begin_, size());
      end_ -= begin_;
      begin_ = 0;
    }
    if (data_.size() - end_ < min) data_.resize(end_ + min);
    return {data_.data() + end_, data_.size() - end_};
  }
  void Commit(size_t n) { end_ += n; }
  void Clear() { begin_ = end_ = 0; }

 private:
  std::vector<char> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

// State of one deadline race, shared with the timer's handler so that a timer that fires after
// the operation finished (its handler already queued) finds `done` and does nothing.
struct RaceState {
  explicit RaceState(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  asio::cancellation_signal signal;  // bound to the socket operation only
  bool done = false;
  bool timed_out = false;
};

// Connect's wait for the resolver. The resolver runs getaddrinfo on Asio's private thread and
// cannot be interrupted, so the coroutine waits on `wake` instead: the resolver's handler, the
// deadline (wake's expiry) and the scope (via Impl::resolving) each end that wait; a resolver
// that answers later finds nobody waiting and only fills this object.
struct ResolveWait {
  explicit ResolveWait(const asio::any_io_executor& ex) : resolver(ex), wake(ex) {}
  tcp::resolver resolver;
  asio::steady_timer wake;
  bool done = false;
  std::error_code ec;
  tcp::resolver::results_type results;
};

}  // namespace

Deadline Deadline::After(Clock::duration timeout) {
  Clock::time_point now = Clock::now();
  if (timeout >= Clock::time_point::max() - now) return None();
  return At(now + timeout);
}

std::error_code SetLinkSocketOptions(tcp::socket& socket) {
  std::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (ec) return ec;
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  if (ec) return ec;
  const int fd = socket.native_handle();
  for (auto [name, value] :
       {std::pair{TCP_KEEPIDLE, kKeepAliveIdleSec}, std::pair{TCP_KEEPINTVL, kKeepAliveIntervalSec},
        std::pair{TCP_KEEPCNT, kKeepAliveProbes}}) {
    if (setsockopt(fd, IPPROTO_TCP, name, &value, sizeof(value)) != 0) {
      return std::error_code(errno, std::system_category());
    }
  }
  return {};
}

struct Link::Impl {
  Impl(asio::any_io_executor executor, tcp::socket sock, std::string_view buffered,
       CancelScope& scope)
      : ex(std::move(executor)),
        socket(std::move(sock)),
        rbuf(buffered),
        // Raw `this` is safe: see the comment on `registration`.
        registration(scope.OnCancel(ex, [this] { OnCancel(); })) {}

  // The scope's action, posted to `ex`: stop everything in flight, keep the fd.
  void OnCancel() {
    std::error_code ignored;
    if (resolving != nullptr) resolving->wake.cancel();
    if (socket.is_open()) {
      socket.cancel(ignored);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
    }
  }

  void Close() {
    std::error_code ignored;
    if (socket.is_open()) socket.close(ignored);
    rbuf.Clear();
  }

  bool cancelled() const { return registration.cancelled(); }

  bool OnOwnThread() const {
    const auto* io = ex.target<asio::io_context::executor_type>();
    return io != nullptr && io->running_in_this_thread();
  }

  // A failed operation on a cancelled link reports the cancellation, whatever the socket said
  // (after shutdown a read may see eof first).
  std::error_code MapError(std::error_code ec) const {
    if (ec && cancelled()) return asio::error::operation_aborted;
    return ec;
  }

  // Starts one socket operation via `start(token)` and cancels just that operation (per-op
  // cancellation slot, so a concurrent op in the other direction is untouched) if `deadline`
  // passes first. Scope cancellation reaches the operation through OnCancel's socket.cancel().
  // Result is the operation's as_tuple result; the error is mapped to timed_out/aborted.
  template <typename Result, typename Start>
  asio::awaitable<Result> Race(Deadline deadline, Start start) {
    Result result{};
    // Checked here, with no suspension before the operation starts: the scope's action cannot
    // run in between, so an operation either sees the flag or is cancelled by the action.
    if (cancelled()) {
      std::get<0>(result) = asio::error::operation_aborted;
      co_return result;
    }
    if (deadline.none()) {
      result = co_await start(kAsTuple);
      std::get<0>(result) = MapError(std::get<0>(result));
      co_return result;
    }
    if (Clock::now() >= deadline.at()) {
      std::get<0>(result) = asio::error::timed_out;
      co_return result;
    }
    auto race = std::make_shared<RaceState>(ex);
    race->timer.expires_at(deadline.at());
    race->timer.async_wait([race](std::error_code ec) {
      if (ec || race->done) return;
      race->timed_out = true;
      race->signal.emit(asio::cancellation_type::terminal);
    });
    result = co_await start(asio::bind_cancellation_slot(race->signal.slot(), kAsTuple));
    race->done = true;
    race->timer.cancel();
    std::error_code& ec = std::get<0>(result);
    if (ec && cancelled()) {
      ec = asio::error::operation_aborted;  // the scope wins over the deadline
    } else if (ec && race->timed_out) {
      ec = asio::error::timed_out;
    }
    co_return result;
  }

  asio::awaitable<std::error_code> Resolve(const std::string& host, uint16_t port,
                                           Deadline deadline, std::vector<tcp::endpoint>* out) {
    auto wait = std::make_shared<ResolveWait>(ex);
    wait->resolver.async_resolve(host, std::to_string(port),
                                 [wait](std::error_code ec, tcp::resolver::results_type results) {
                                   wait->done = true;
                                   wait->ec = ec;
                                   wait->results = std::move(results);
                                   wait->wake.cancel();
                                 });
    wait->wake.expires_at(deadline.at());
    resolving = wait.get();
    co_await wait->wake.async_wait(kAsTuple);
    resolving = nullptr;
    if (cancelled() || !wait->done) {
      wait->resolver.cancel();
      co_return cancelled() ? asio::error::operation_aborted : asio::error::timed_out;
    }
    if (wait->ec) co_return wait->ec;
    for (const auto& entry : wait->results) out->push_back(entry.endpoint());
    co_return std::error_code{};
  }

  asio::awaitable<std::error_code> Connect(std::string host, uint16_t port,
                                           Clock::duration timeout) {
    DCHECK(!reading && !writing);
    const Deadline deadline = Deadline::After(timeout);
    if (cancelled()) co_return asio::error::operation_aborted;
    std::vector<tcp::endpoint> endpoints;
    std::error_code ec;
    asio::ip::address address = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoints.emplace_back(address, port);
    } else {
      ec = co_await Resolve(host, port, deadline, &endpoints);
      if (ec) co_return ec;
      if (endpoints.empty()) co_return asio::error::host_not_found;
    }
    Close();
    for (const tcp::endpoint& endpoint : endpoints) {
      socket.open(endpoint.protocol(), ec);
      if (ec) continue;
      auto [connect_ec] = co_await Race<std::tuple<std::error_code>>(
          deadline, [&](auto token) { return socket.async_connect(endpoint, token); });
      if (!connect_ec) {
        ec = SetLinkSocketOptions(socket);
        if (ec) Close();
        co_return ec;
      }
      Close();
      ec = connect_ec;
      if (ec == asio::error::operation_aborted || ec == asio::error::timed_out) break;
    }
    co_return ec;
  }

  asio::awaitable<IoResult> ReadSome(asio::mutable_buffer buf, Deadline deadline) {
    if (cancelled()) co_return IoResult{asio::error::operation_aborted, 0};
    if (buf.size() == 0) co_return IoResult{};
    if (rbuf.size() > 0) {
      size_t n = std::min(buf.size(), rbuf.size());
      std::memcpy(buf.data(), rbuf.view().data(), n);
      rbuf.Consume(n);
      co_return IoResult{std::error_code{}, n};
    }
    if (!socket.is_open()) co_return IoResult{asio::error::not_connected, 0};
    DCHECK(!reading);
    reading = true;
    IoResult result = co_await Race<IoResult>(
        deadline, [&](auto token) { return socket.async_read_some(buf, token); });
    reading = false;
    co_return result;
  }

  asio::awaitable<IoResult> Write(asio::const_buffer buf, Deadline deadline) {
    if (cancelled()) co_return IoResult{asio::error::operation_aborted, 0};
    if (!socket.is_open()) co_return IoResult{asio::error::not_connected, 0};
    DCHECK(!writing);
    writing = true;
    IoResult result = co_await Race<IoResult>(
        deadline, [&](auto token) { return asio::async_write(socket, buf, token); });
    writing = false;
    co_return result;
  }

  asio::awaitable<std::tuple<std::error_code, std::string>> ReadLine(size_t max_len,
                                                                     Deadline deadline) {
    using LineResult = std::tuple<std::error_code, std::string>;
    size_t scanned = 0;  // bytes already searched for CRLF (minus a trailing '\r')
    for (;;) {
      if (cancelled()) co_return LineResult{asio::error::operation_aborted, {}};
      std::string_view view = rbuf.view();
      size_t pos = view.find("\r\n", scanned);
      if (pos != std::string_view::npos) {
        if (pos > max_len) co_return LineResult{asio::error::message_size, {}};
        LineResult result{std::error_code{}, std::string(view.substr(0, pos))};
        rbuf.Consume(pos + 2);
        co_return result;
      }
      const bool maybe_cr = !view.empty() && view.back() == '\r';
      if (view.size() - (maybe_cr ? 1 : 0) > max_len) {
        co_return LineResult{asio::error::message_size, {}};
      }
      scanned = view.size() - (maybe_cr ? 1 : 0);
      if (!socket.is_open()) co_return LineResult{asio::error::not_connected, {}};
      DCHECK(!reading);
      reading = true;
      asio::mutable_buffer space = rbuf.Prepare(kReadChunk);
      auto [ec, n] = co_await Race<IoResult>(
          deadline, [&](auto token) { return socket.async_read_some(space, token); });
      reading = false;
      if (ec) co_return LineResult{ec, {}};
      rbuf.Commit(n);
    }
  }

  const asio::any_io_executor ex;
  tcp::socket socket;
  ReadBuffer rbuf;
  bool reading = false;
  bool writing = false;
  ResolveWait* resolving = nullptr;  // while Connect waits for the resolver
  // Last member, so destroyed first: once it is gone the scope's action (which holds a raw
  // pointer to this Impl) is neither running nor able to start.
  CancelScope::Registration registration;
};

Link::Link(asio::io_context& ctx, CancelScope& scope)
    : impl_(std::make_shared<Impl>(asio::any_io_executor(ctx.get_executor()), tcp::socket(ctx),
                                   std::string_view(), scope)) {}

namespace {

tcp::socket WithLinkOptions(tcp::socket socket) {
  if (socket.is_open()) {
    std::error_code ec = SetLinkSocketOptions(socket);
    if (ec) LOG(WARNING) << "Link: cannot set socket options: " << ec.message();
  }
  return socket;
}

}  // namespace

Link::Link(tcp::socket socket, CancelScope& scope, std::string_view buffered) {
  asio::any_io_executor ex = socket.get_executor();
  impl_ =
      std::make_shared<Impl>(std::move(ex), WithLinkOptions(std::move(socket)), buffered, scope);
}

Link::~Link() {
  if (impl_->OnOwnThread()) {
    impl_->Close();
    return;
  }
  // Off the link's thread the socket must not be touched here; operations in flight (which
  // share the Impl) complete when the posted Close() runs.
  asio::any_io_executor ex = impl_->ex;  // before impl_ is moved into the closure
  asio::post(ex, [impl = std::move(impl_)] { impl->Close(); });
}

asio::awaitable<std::error_code> Link::Connect(std::string host, uint16_t port,
                                               std::chrono::steady_clock::duration timeout) {
  std::shared_ptr<Impl> impl = impl_;  // operations keep the Impl alive, not the Link
  co_return co_await impl->Connect(std::move(host), port, timeout);
}

asio::awaitable<Link::IoResult> Link::ReadSome(asio::mutable_buffer buf, Deadline deadline) {
  std::shared_ptr<Impl> impl = impl_;
  co_return co_await impl->ReadSome(buf, deadline);
}

asio::awaitable<Link::IoResult> Link::Write(asio::const_buffer buf, Deadline deadline) {
  std::shared_ptr<Impl> impl = impl_;
  co_return co_await impl->Write(buf, deadline);
}

asio::awaitable<std::tuple<std::error_code, std::string>> Link::ReadLine(size_t max_len,
                                                                         Deadline deadline) {
  std::shared_ptr<Impl> impl = impl_;
  co_return co_await impl->ReadLine(max_len, deadline);
}

void Link::Close() { impl_->Close(); }

bool Link::is_open() const { return impl_->socket.is_open(); }

bool Link::cancelled() const { return impl_->cancelled(); }

std::string_view Link::buffered() const { return impl_->rbuf.view(); }

size_t Link::UnackedBytes() const {
  if (!impl_->socket.is_open()) return 0;
  int queued = 0;
  if (ioctl(impl_->socket.native_handle(), SIOCOUTQ, &queued) != 0 || queued < 0) return 0;
  return static_cast<size_t>(queued);
}

const asio::any_io_executor& Link::executor() const { return impl_->ex; }

}  // namespace darner
