// An in-process harness for family tests (the model is Dragonfly's BaseFamilyTest): a real
// Service over a real ProactorPool with N shards, driven without sockets. Run({"getdel", "k"})
// sends one command line through the same dispatch a client's does (DispatchBatch on a
// connection of thread 0) and returns the raw RESP reply, so a family test costs microseconds,
// not a server start, and runs under ASan and TSan with everything else.
//
// Owns its pool, service and connection; the connection has no socket (an unopened one), so
// anything that needs a peer address sees "".
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/proactor_pool.h"
#include "server/service.h"

namespace darner {

class Connection;

class BaseFamilyTest : public ::testing::Test {
 protected:
  explicit BaseFamilyTest(unsigned shards = 2) : shards_(shards) {}
  void SetUp() override;
  void TearDown() override;

  // One command line; its raw RESP reply ("+OK\r\n", "$3\r\nbar\r\n", ...).
  std::string Run(std::initializer_list<std::string_view> args);
  std::string Run(const std::vector<std::string>& args);
  // Several command lines as one batch (one read's worth: the pipelined path); the replies
  // concatenated.
  std::string RunBatch(const std::vector<std::vector<std::string>>& lines);

  Service& service() { return *service_; }
  unsigned shards() const { return shards_; }

  // RESP encodings, for expectations.
  static std::string Bulk(std::string_view s);
  static std::string Int(int64_t v);
  static std::string Error(std::string_view text) { return "-" + std::string(text) + "\r\n"; }
  static constexpr std::string_view kOk = "+OK\r\n";
  static constexpr std::string_view kNil = "$-1\r\n";

 private:
  unsigned shards_;
  std::unique_ptr<ProactorPool> pool_;
  std::unique_ptr<Service> service_;
  std::shared_ptr<Connection> conn_;
};

}  // namespace darner
