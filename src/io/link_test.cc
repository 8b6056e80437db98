#include "io/link.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <barrier>
#include <chrono>
#include <functional>
#include <future>
#include <latch>
#include <thread>
#include <vector>

#include "io/test_racer.h"

namespace darner {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The link's io_context runs on its own thread (a proactor thread); the test thread plays the
// peer with blocking sockets on a second io_context that is never run, and cancels from outside.
class LinkTest : public ::testing::Test {
 protected:
  LinkTest() : thread_([this] { ctx_.run(); }) {
    listener_.open(tcp::v4());
    listener_.set_option(tcp::acceptor::reuse_address(true));
    listener_.bind({asio::ip::address_v4::loopback(), 0});
    listener_.listen();
  }
  ~LinkTest() override {
    guard_.reset();
    ctx_.stop();
    thread_.join();
  }

  uint16_t listen_port() const { return listener_.local_endpoint().port(); }

  // A connected pair: the first socket belongs to the link's io_context, the second is the peer.
  std::pair<tcp::socket, tcp::socket> ConnectedPair() {
    tcp::socket ours(ctx_);
    ours.connect(listener_.local_endpoint());
    tcp::socket peer(peer_ctx_);
    listener_.accept(peer);
    return {std::move(ours), std::move(peer)};
  }

  // Runs `make()` as a coroutine on the link's thread. co_spawn keeps `make` alive until the
  // coroutine ends (a lambda coroutine reads its captures from the closure object).
  template <typename F>
  auto Spawn(F make) {
    return asio::co_spawn(ctx_, std::move(make), asio::use_future);
  }

  // Returns once everything posted to the link's thread before it has run.
  void Sync() { asio::post(ctx_, asio::use_future).get(); }

  asio::io_context ctx_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx_.get_executor()};
  asio::io_context peer_ctx_{1};
  tcp::acceptor listener_{peer_ctx_};
  std::thread thread_;
};

template <typename T>
bool ReadyWithin(std::future<T>& future, Clock::duration limit) {
  return future.wait_for(limit) == std::future_status::ready;
}

// Waits up to `timeout` for `fd` to become readable.
bool PollReadable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// The regression test for Dragonfly's hang (df#4689): a flow blocked reading a silent socket
// must finish promptly on cancel, and no later read may touch the shut-down socket.
TEST_F(LinkTest, CancelUnblocksReadAndLaterOpsFailAtOnce) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  char buf[64];
  auto read = Spawn([&]() { return link.ReadSome(asio::buffer(buf)); });
  EXPECT_FALSE(ReadyWithin(read, 30ms));  // the peer sends nothing

  std::thread canceller([&] { scope.Cancel(); });
  auto start = Clock::now();
  ASSERT_TRUE(ReadyWithin(read, 1s));
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  canceller.join();
  auto [ec, n] = read.get();
  EXPECT_EQ(ec, asio::error::operation_aborted);
  EXPECT_EQ(n, 0u);

  // Later operations fail at once without touching the socket (measured on the link's thread).
  auto later = Spawn([&]() -> asio::awaitable<Clock::duration> {
    auto t0 = Clock::now();
    auto [rec, rn] = co_await link.ReadSome(asio::buffer(buf));
    EXPECT_EQ(rec, asio::error::operation_aborted);
    auto [wec, wn] = co_await link.Write(asio::buffer("x", 1));
    EXPECT_EQ(wec, asio::error::operation_aborted);
    EXPECT_EQ(wn, 0u);
    auto [lec, line] = co_await link.ReadLine(100, Deadline::After(1s));
    EXPECT_EQ(lec, asio::error::operation_aborted);
    auto cec = co_await link.Connect("127.0.0.1", listen_port(), 1s);
    EXPECT_EQ(cec, asio::error::operation_aborted);
    co_return Clock::now() - t0;
  });
  ASSERT_TRUE(ReadyWithin(later, 1s));
  EXPECT_LT(later.get(), Slack(5ms));

  // The socket was shut down, not closed: the peer sees EOF, the fd stays ours until Close().
  ASSERT_TRUE(PollReadable(peer.native_handle(), 1000ms));
  std::error_code peer_ec;
  peer.read_some(asio::buffer(buf), peer_ec);
  EXPECT_EQ(peer_ec, asio::error::eof);
  EXPECT_TRUE(link.is_open());
}

TEST_F(LinkTest, CancelBeforeAnyOperation) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link early(std::move(ours), scope);  // registered before the cancel
  scope.Cancel();
  Link late(ctx_, scope);  // registered after it
  EXPECT_TRUE(early.cancelled());
  EXPECT_TRUE(late.cancelled());
  auto ops = Spawn([&]() -> asio::awaitable<Clock::duration> {
    auto t0 = Clock::now();
    char buf[8];
    for (Link* link : {&early, &late}) {
      auto [rec, rn] = co_await link->ReadSome(asio::buffer(buf));
      EXPECT_EQ(rec, asio::error::operation_aborted);
      auto [wec, wn] = co_await link->Write(asio::buffer("x", 1));
      EXPECT_EQ(wec, asio::error::operation_aborted);
      EXPECT_EQ(co_await link->Connect("127.0.0.1", listen_port(), 1s),
                asio::error::operation_aborted);
    }
    co_return Clock::now() - t0;
  });
  ASSERT_TRUE(ReadyWithin(ops, 1s));
  EXPECT_LT(ops.get(), Slack(5ms));
}

TEST_F(LinkTest, CancelTwiceAndFromFourThreads) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  char buf[8];
  auto read = Spawn([&]() { return link.ReadSome(asio::buffer(buf)); });
  Sync();  // the read is in flight
  std::atomic<int> winners{0};
  std::latch go(4);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      winners += scope.Cancel();
      winners += scope.Cancel();
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(ReadyWithin(read, 1s));
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(std::get<0>(read.get()), asio::error::operation_aborted);
}

// A cancel racing with a read that has data available: the read completes exactly once, with
// either the byte or the cancellation.
TEST_F(LinkTest, CancelRacingNormalCompletion) {
  Racer canceller(1);
  int got_data = 0;
  int got_cancel = 0;
  auto start = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    auto [ours, peer] = ConnectedPair();
    CancelScope scope;
    Link link(std::move(ours), scope);
    std::atomic<int> completions{0};
    char buf[8];
    asio::write(peer, asio::buffer("y", 1));
    canceller.Start([&] { scope.Cancel(); });
    auto read = Spawn([&]() -> asio::awaitable<Link::IoResult> {
      auto result = co_await link.ReadSome(asio::buffer(buf));
      ++completions;
      co_return result;
    });
    const bool ready = ReadyWithin(read, 1s);
    canceller.Join();
    ASSERT_TRUE(ready);
    auto [ec, n] = read.get();
    if (!ec) {
      ASSERT_EQ(n, 1u);
      ++got_data;
    } else {
      ASSERT_EQ(ec, asio::error::operation_aborted);
      ++got_cancel;
    }
    Sync();
    ASSERT_EQ(completions.load(), 1);
  }
  EXPECT_EQ(got_data + got_cancel, 1000);
  EXPECT_LT(Clock::now() - start, 5s);  // typically ~0.3 s
}

TEST_F(LinkTest, ReadDeadlineWithSilentPeer) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  char buf[8];
  auto start = Clock::now();
  auto read = Spawn([&]() { return link.ReadSome(asio::buffer(buf), Deadline::After(100ms)); });
  ASSERT_TRUE(ReadyWithin(read, 1s));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(std::get<0>(read.get()), asio::error::timed_out);
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, Slack(150ms));

  // A timed-out read consumed nothing: the link keeps working.
  asio::write(peer, asio::buffer("z", 1));
  auto again = Spawn([&]() { return link.ReadSome(asio::buffer(buf), Deadline::After(1s)); });
  ASSERT_TRUE(ReadyWithin(again, 1s));
  auto [ec, n] = again.get();
  EXPECT_FALSE(ec);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(buf[0], 'z');

  // A deadline already past fails without waiting.
  auto past = Spawn([&]() { return link.ReadSome(asio::buffer(buf), Deadline::After(-1ms)); });
  ASSERT_TRUE(ReadyWithin(past, 1s));
  EXPECT_EQ(std::get<0>(past.get()), asio::error::timed_out);
}

// A read's deadline cancels only the read: a write in flight on the same link is unaffected.
TEST_F(LinkTest, ReadDeadlineDoesNotCancelConcurrentWrite) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  std::string big(8 << 20, 'w');
  char buf[8];
  auto read = Spawn([&]() { return link.ReadSome(asio::buffer(buf), Deadline::After(50ms)); });
  auto write = Spawn([&]() { return link.Write(asio::buffer(big)); });
  ASSERT_TRUE(ReadyWithin(read, 1s));
  EXPECT_EQ(std::get<0>(read.get()), asio::error::timed_out);
  EXPECT_FALSE(ReadyWithin(write, 0ms));  // still blocked: the peer has not read yet
  std::string sink(big.size(), '\0');
  asio::read(peer, asio::buffer(sink));
  ASSERT_TRUE(ReadyWithin(write, 1s));
  auto [ec, n] = write.get();
  EXPECT_FALSE(ec);
  EXPECT_EQ(n, big.size());
  EXPECT_EQ(sink, big);
}

TEST_F(LinkTest, CancelUnblocksWriteToPeerThatDoesNotRead) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  std::string big(16 << 20, 'w');  // far more than both socket buffers hold
  auto write = Spawn([&]() { return link.Write(asio::buffer(big)); });
  EXPECT_FALSE(ReadyWithin(write, 100ms));
  auto start = Clock::now();
  scope.Cancel();
  ASSERT_TRUE(ReadyWithin(write, 1s));
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  auto [ec, n] = write.get();
  EXPECT_EQ(ec, asio::error::operation_aborted);
  EXPECT_LT(n, big.size());
}

TEST_F(LinkTest, WriteDeadlineWithPeerThatDoesNotRead) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  std::string big(16 << 20, 'w');
  auto start = Clock::now();
  auto write = Spawn([&]() { return link.Write(asio::buffer(big), Deadline::After(150ms)); });
  ASSERT_TRUE(ReadyWithin(write, 1s));
  auto elapsed = Clock::now() - start;
  auto [ec, n] = write.get();
  EXPECT_EQ(ec, asio::error::timed_out);
  EXPECT_LT(n, big.size());
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, Slack(200ms));
}

TEST_F(LinkTest, ConnectToListenerSetsOptions) {
  CancelScope scope;
  Link link(ctx_, scope);
  auto start = Clock::now();
  auto connect = Spawn([&]() { return link.Connect("127.0.0.1", listen_port(), 1s); });
  ASSERT_TRUE(ReadyWithin(connect, 1s));
  EXPECT_FALSE(connect.get());
  EXPECT_LT(Clock::now() - start, Slack(100ms));
  tcp::socket peer(peer_ctx_);
  listener_.accept(peer);

  // The link talks both ways.
  asio::write(peer, asio::buffer("+PONG\r\n", 7));
  auto line = Spawn([&]() -> asio::awaitable<std::tuple<std::error_code, std::string>> {
    auto [wec, wn] = co_await link.Write(asio::buffer("PING\r\n", 6), Deadline::After(1s));
    EXPECT_FALSE(wec);
    co_return co_await link.ReadLine(64, Deadline::After(1s));
  });
  ASSERT_TRUE(ReadyWithin(line, 1s));
  auto [ec, text] = line.get();
  EXPECT_FALSE(ec);
  EXPECT_EQ(text, "+PONG");
  char buf[6];
  asio::read(peer, asio::buffer(buf));
  EXPECT_EQ(std::string_view(buf, 6), "PING\r\n");
}

TEST_F(LinkTest, ConnectByNameUsesTheResolver) {
  CancelScope scope;
  Link link(ctx_, scope);
  auto connect = Spawn([&]() { return link.Connect("localhost", listen_port(), 1s); });
  ASSERT_TRUE(ReadyWithin(connect, 2s));
  // localhost may resolve to ::1 first; the link then falls back to 127.0.0.1.
  EXPECT_FALSE(connect.get());
  tcp::socket peer(peer_ctx_);
  listener_.accept(peer);
}

TEST(LinkOptionsTest, SetLinkSocketOptions) {
  asio::io_context ctx;
  tcp::socket socket(ctx);
  socket.open(tcp::v4());
  ASSERT_FALSE(SetLinkSocketOptions(socket));
  auto get = [&](int level, int name) {
    int value = -1;
    socklen_t len = sizeof(value);
    EXPECT_EQ(getsockopt(socket.native_handle(), level, name, &value, &len), 0);
    return value;
  };
  EXPECT_EQ(get(IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(get(SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(get(IPPROTO_TCP, TCP_KEEPIDLE), 300);
  EXPECT_EQ(get(IPPROTO_TCP, TCP_KEEPINTVL), 100);
  EXPECT_EQ(get(IPPROTO_TCP, TCP_KEEPCNT), 3);
}

TEST_F(LinkTest, ConnectToClosedPortIsRefusedFast) {
  uint16_t port;
  {
    tcp::acceptor probe(peer_ctx_, {asio::ip::address_v4::loopback(), 0});
    port = probe.local_endpoint().port();
  }
  CancelScope scope;
  Link link(ctx_, scope);
  auto start = Clock::now();
  auto connect = Spawn([&]() { return link.Connect("127.0.0.1", port, 1s); });
  ASSERT_TRUE(ReadyWithin(connect, 1s));
  EXPECT_LT(Clock::now() - start, Slack(100ms));
  EXPECT_EQ(connect.get(), asio::error::connection_refused);
  EXPECT_FALSE(link.is_open());
}

// Whatever the sandbox does with a non-routable address (fail at once, connect through a
// gateway, or drop the SYN), Connect returns within its timeout.
TEST_F(LinkTest, ConnectToNonRoutableAddressIsBounded) {
  for (const char* host : {"10.255.255.1", "192.0.2.1"}) {
    CancelScope scope;
    Link link(ctx_, scope);
    auto start = Clock::now();
    auto connect = Spawn([&]() { return link.Connect(host, 81, 200ms); });
    ASSERT_TRUE(ReadyWithin(connect, 1s)) << host;
    EXPECT_LT(Clock::now() - start, Slack(300ms)) << host;
    std::error_code ec = connect.get();
    if (ec) {
      EXPECT_NE(ec, asio::error::operation_aborted) << host;
    }
  }
}

// A listener whose accept queue is full drops further SYNs, so a connect hangs for real.
class FullBacklog {
 public:
  explicit FullBacklog(asio::io_context& ctx) : listener_(ctx) {
    listener_.open(tcp::v4());
    listener_.bind({asio::ip::address_v4::loopback(), 0});
    listener_.listen(0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 4; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      EXPECT_TRUE(rc == 0 || errno == EINPROGRESS) << std::strerror(errno);
      fillers_.push_back(fd);
    }
    std::this_thread::sleep_for(10ms);
  }
  ~FullBacklog() {
    for (int fd : fillers_) ::close(fd);
  }
  uint16_t port() const { return listener_.local_endpoint().port(); }

 private:
  tcp::acceptor listener_;
  std::vector<int> fillers_;
};

TEST_F(LinkTest, ConnectTimesOutAtTheDeadline) {
  FullBacklog backlog(peer_ctx_);
  CancelScope scope;
  Link link(ctx_, scope);
  auto start = Clock::now();
  auto connect = Spawn([&]() { return link.Connect("127.0.0.1", backlog.port(), 150ms); });
  ASSERT_TRUE(ReadyWithin(connect, 1s));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(connect.get(), asio::error::timed_out);
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, Slack(250ms));
  EXPECT_FALSE(link.is_open());
}

TEST_F(LinkTest, CancelDuringConnect) {
  FullBacklog backlog(peer_ctx_);
  CancelScope scope;
  Link link(ctx_, scope);
  auto connect = Spawn([&]() { return link.Connect("127.0.0.1", backlog.port(), 10s); });
  EXPECT_FALSE(ReadyWithin(connect, 50ms));
  std::thread canceller([&] { scope.Cancel(); });
  auto start = Clock::now();
  ASSERT_TRUE(ReadyWithin(connect, 1s));
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  canceller.join();
  EXPECT_EQ(connect.get(), asio::error::operation_aborted);
}

TEST_F(LinkTest, ReadLineAcrossSplitPacketsKeepsSurplus) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  auto lines = Spawn([&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> out;
    for (int i = 0; i < 3; ++i) {
      auto [ec, line] = co_await link.ReadLine(16, Deadline::After(1s));
      EXPECT_FALSE(ec);
      out.push_back(line);
    }
    EXPECT_EQ(link.buffered(), "surplus");
    char buf[64];
    auto [ec, n] = co_await link.ReadSome(asio::buffer(buf), Deadline::After(1s));
    EXPECT_FALSE(ec);
    out.emplace_back(buf, n);
    co_return out;
  });
  for (std::string_view part : {"+O", "K\r\n:12", "3\r", "\n\r\nsurplus"}) {
    asio::write(peer, asio::buffer(part));
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(ReadyWithin(lines, 1s));
  EXPECT_EQ(lines.get(), (std::vector<std::string>{"+OK", ":123", "", "surplus"}));
}

TEST_F(LinkTest, ReadLineLongerThanMaxFails) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  // Exactly max_len fits; one more byte, with or without a CRLF in sight, does not.
  asio::write(peer, asio::buffer(std::string("12345\r\n123456\r\n")));
  auto start = Clock::now();
  auto lines = Spawn([&]() -> asio::awaitable<std::vector<std::error_code>> {
    std::vector<std::error_code> out;
    auto [ec1, line1] = co_await link.ReadLine(5, Deadline::After(1s));
    EXPECT_EQ(line1, "12345");
    out.push_back(ec1);
    auto [ec2, line2] = co_await link.ReadLine(5, Deadline::After(1s));
    out.push_back(ec2);
    co_return out;
  });
  ASSERT_TRUE(ReadyWithin(lines, 1s));
  EXPECT_EQ(lines.get(), (std::vector<std::error_code>{{}, asio::error::message_size}));

  // No CRLF at all: fails as soon as more than max_len bytes are buffered, not at the deadline.
  auto [ours2, peer2] = ConnectedPair();
  Link link2(std::move(ours2), scope);
  asio::write(peer2, asio::buffer(std::string(100, 'a')));
  auto unterminated = Spawn([&]() { return link2.ReadLine(10, Deadline::After(1s)); });
  ASSERT_TRUE(ReadyWithin(unterminated, 1s));
  EXPECT_EQ(std::get<0>(unterminated.get()), asio::error::message_size);
  EXPECT_LT(Clock::now() - start, Slack(100ms));
}

TEST_F(LinkTest, ReadLineEofAndDeadline) {
  {
    auto [ours, peer] = ConnectedPair();
    CancelScope scope;
    Link link(std::move(ours), scope);
    asio::write(peer, asio::buffer(std::string("+partial")));
    peer.close();
    auto line = Spawn([&]() { return link.ReadLine(64, Deadline::After(1s)); });
    ASSERT_TRUE(ReadyWithin(line, 1s));
    EXPECT_EQ(std::get<0>(line.get()), asio::error::eof);
  }
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  asio::write(peer, asio::buffer(std::string("+par")));
  auto start = Clock::now();
  auto line = Spawn([&]() { return link.ReadLine(64, Deadline::After(100ms)); });
  ASSERT_TRUE(ReadyWithin(line, 1s));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(std::get<0>(line.get()), asio::error::timed_out);
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, Slack(150ms));
  // The partial line stays buffered and completes later.
  asio::write(peer, asio::buffer(std::string("tial\r\n")));
  auto rest = Spawn([&]() { return link.ReadLine(64, Deadline::After(1s)); });
  ASSERT_TRUE(ReadyWithin(rest, 1s));
  auto [ec, text] = rest.get();
  EXPECT_FALSE(ec);
  EXPECT_EQ(text, "+partial");
}

TEST_F(LinkTest, AdoptedSocketReturnsBufferedBytesFirst) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope, "+OK\r\nxy");
  asio::write(peer, asio::buffer(std::string("z")));
  auto reads = Spawn([&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> out;
    auto [ec, line] = co_await link.ReadLine(16, Deadline::After(1s));
    out.push_back(line);
    char buf[8];
    auto [ec1, n1] = co_await link.ReadSome(asio::buffer(buf), Deadline::After(1s));
    out.emplace_back(buf, n1);
    auto [ec2, n2] = co_await link.ReadSome(asio::buffer(buf), Deadline::After(1s));
    out.emplace_back(buf, n2);
    co_return out;
  });
  ASSERT_TRUE(ReadyWithin(reads, 1s));
  EXPECT_EQ(reads.get(), (std::vector<std::string>{"+OK", "xy", "z"}));
}

TEST_F(LinkTest, OperationsOnAClosedLink) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  Link link(std::move(ours), scope);
  auto result = Spawn([&]() -> asio::awaitable<std::error_code> {
    link.Close();
    char buf[8];
    auto [ec, n] = co_await link.ReadSome(asio::buffer(buf));
    co_return ec;
  });
  ASSERT_TRUE(ReadyWithin(result, 1s));
  EXPECT_EQ(result.get(), asio::error::not_connected);
  Link never_connected(ctx_, scope);
  auto write = Spawn([&]() { return never_connected.Write(asio::buffer("x", 1)); });
  ASSERT_TRUE(ReadyWithin(write, 1s));
  EXPECT_EQ(std::get<0>(write.get()), asio::error::not_connected);
}

// Links destroyed (off their thread) while a cancel is in flight, with and without a read
// pending: the scope's action must never touch a destroyed link, and a pending read finishes.
TEST_F(LinkTest, DestroyWhileCancelInFlight) {
  Racer canceller(1);
  auto start = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    auto [ours, peer] = ConnectedPair();
    CancelScope scope;
    auto link = std::make_unique<Link>(std::move(ours), scope);
    std::future<Link::IoResult> read;
    char buf[8];
    const bool with_read = i % 2 == 0;
    if (with_read) {
      read = Spawn([&, l = link.get()]() { return l->ReadSome(asio::buffer(buf)); });
      Sync();  // the read is in flight and holds the link's state
    }
    canceller.Start([&] { scope.Cancel(); });
    link.reset();
    canceller.Join();
    if (with_read) {
      ASSERT_TRUE(ReadyWithin(read, 1s));
      EXPECT_EQ(std::get<0>(read.get()), asio::error::operation_aborted);
    }
  }
  Sync();
  EXPECT_LT(Clock::now() - start, 5s);  // typically ~0.3 s
}

// Destroyed on its own thread mid-read: the read completes, the peer sees the close.
TEST_F(LinkTest, DestroyOnOwnThreadWithReadPending) {
  auto [ours, peer] = ConnectedPair();
  CancelScope scope;
  auto link = std::make_unique<Link>(std::move(ours), scope);
  char buf[8];
  auto read = Spawn([&, l = link.get()]() { return l->ReadSome(asio::buffer(buf)); });
  Sync();
  asio::post(ctx_, asio::use_future([&] { link.reset(); })).get();
  ASSERT_TRUE(ReadyWithin(read, 1s));
  EXPECT_EQ(std::get<0>(read.get()), asio::error::operation_aborted);
  ASSERT_TRUE(PollReadable(peer.native_handle(), 1000ms));
  std::error_code ec;
  peer.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(LinkTest, DestroyingTheScopeCancelsItsLinks) {
  auto [ours, peer] = ConnectedPair();
  auto scope = std::make_unique<CancelScope>();
  Link link(std::move(ours), *scope);
  char buf[8];
  auto read = Spawn([&]() { return link.ReadSome(asio::buffer(buf)); });
  Sync();
  auto start = Clock::now();
  scope.reset();
  ASSERT_TRUE(ReadyWithin(read, 1s));
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  EXPECT_EQ(std::get<0>(read.get()), asio::error::operation_aborted);
}

TEST_F(LinkTest, ChildScopeCancelledByParent) {
  auto [ours, peer] = ConnectedPair();
  CancelScope migration;
  CancelScope flow(migration);
  Link link(std::move(ours), flow);
  char buf[8];
  auto read = Spawn([&]() { return link.ReadSome(asio::buffer(buf)); });
  Sync();
  auto start = Clock::now();
  migration.Cancel();
  ASSERT_TRUE(ReadyWithin(read, 1s));
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  EXPECT_EQ(std::get<0>(read.get()), asio::error::operation_aborted);
}

}  // namespace
}  // namespace darner
