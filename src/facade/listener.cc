#include "facade/listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <string_view>

#include "base/logging.h"
#include "facade/connection.h"
#include "io/as_tuple.h"

namespace darner {
Listener::Listener(ProactorPool* pool, ServiceInterface* service, ParserLimits limits,
                   bool privileged)
    : pool_(pool),
      service_(service),
      limits_(limits),
      privileged_(privileged),
      spare_fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

Listener::~Listener() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

bool Listener::Bind(const std::string& address, uint16_t port, std::string* error) {
  asio::error_code ec;
  auto addr = asio::ip::make_address(address.empty() ? "0.0.0.0" : address, ec);
  if (ec) {
    *error = "invalid bind address '" + address + "'";
    return false;
  }
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(pool_->context(0));
  asio::ip::tcp::endpoint ep(addr, port);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "could not listen on " + address + ":" + std::to_string(port) + ": " + ec.message();
    return false;
  }
  port_ = acceptor_->local_endpoint().port();
  return true;
}

void Listener::Start() { asio::co_spawn(pool_->context(0), AcceptLoop(), asio::detached); }

void Listener::Stop() {
  pool_->Post(0, [this] {
    asio::error_code ec;
    acceptor_->close(ec);
  });
}

bool Listener::RejectOneWithSpareFd() {
  if (spare_fd_ < 0) return false;
  ::close(spare_fd_);
  spare_fd_ = -1;
  int fd = ::accept4(acceptor_->native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  bool rejected = fd >= 0;
  if (rejected) {
    static constexpr std::string_view kFull = "-ERR max number of clients reached\r\n";
    [[maybe_unused]] ssize_t n = ::send(fd, kFull.data(), kFull.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return rejected;
}

asio::awaitable<void> Listener::AcceptLoop() {
  asio::steady_timer backoff(acceptor_->get_executor());
  while (acceptor_->is_open()) {
    auto [ec, socket] = co_await acceptor_->async_accept(kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) break;
      LOG_EVERY_N_SEC(WARNING, 1) << "accept failed: " << ec.message();
      // Out of descriptors: the pending client is told so and closed (with the descriptor kept
      // in reserve for this), rather than left hanging; then accepting pauses briefly, so the
      // loop never spins on an error that repeats.
      bool out_of_fds = ec.value() == EMFILE || ec.value() == ENFILE;
      if (out_of_fds && RejectOneWithSpareFd()) continue;
      backoff.expires_after(std::chrono::milliseconds(out_of_fds ? 100 : 10));
      co_await backoff.async_wait(kAsTuple);
      continue;
    }
    unsigned thread = next_thread_++ % pool_->size();
    auto protocol = socket.local_endpoint(ec).protocol();
    int fd = socket.release(ec);
    if (ec) continue;
    pool_->Post(thread, [this, fd, protocol, thread] {
      asio::ip::tcp::socket sock(pool_->context(thread));
      asio::error_code aec;
      sock.assign(protocol, fd, aec);
      if (aec) {
        ::close(fd);
        return;
      }
      auto conn =
          std::make_shared<Connection>(std::move(sock), service_, limits_, privileged_, thread);
      Connection* raw = conn.get();
      asio::co_spawn(pool_->context(thread), raw->Run(std::move(conn)), asio::detached);
    });
  }
}

}  // namespace darner
