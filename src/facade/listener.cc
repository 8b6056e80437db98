#include "facade/listener.h"

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "base/logging.h"
#include "facade/connection.h"
#include "io/as_tuple.h"

namespace darner {
Listener::Listener(ProactorPool* pool, ServiceInterface* service, ParserLimits limits,
                   bool privileged)
    : pool_(pool), service_(service), limits_(limits), privileged_(privileged) {}

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

asio::awaitable<void> Listener::AcceptLoop() {
  while (acceptor_->is_open()) {
    auto [ec, socket] = co_await acceptor_->async_accept(kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) break;
      LOG(WARNING) << "accept failed: " << ec.message();
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
