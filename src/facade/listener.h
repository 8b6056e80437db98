// Accepts TCP connections on one address and hands them round-robin to the pool's threads.
#pragma once

#include <asio/ip/tcp.hpp>
#include <atomic>
#include <memory>
#include <string>

#include "facade/resp_parser.h"
#include "facade/service_interface.h"
#include "io/proactor_pool.h"

namespace darner {

class Listener {
 public:
  Listener(ProactorPool* pool, ServiceInterface* service, ParserLimits limits, bool privileged);
  ~Listener();

  // Binds and listens; port 0 lets the kernel choose. Returns false with *error on failure.
  bool Bind(const std::string& address, uint16_t port, std::string* error);
  uint16_t port() const { return port_; }

  // Starts accepting on pool thread 0.
  void Start();
  // Stops accepting. Safe from any thread; returns at once.
  void Stop();

 private:
  asio::awaitable<void> AcceptLoop();
  // Out of descriptors: frees the spare one, accepts a pending client with it, tells it the
  // server is full and closes it. False if there was no spare or no pending client.
  bool RejectOneWithSpareFd();

  ProactorPool* pool_;
  ServiceInterface* service_;
  ParserLimits limits_;
  bool privileged_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  uint16_t port_ = 0;
  unsigned next_thread_ = 0;
  int spare_fd_;  // a descriptor held in reserve for RejectOneWithSpareFd
};

}  // namespace darner
