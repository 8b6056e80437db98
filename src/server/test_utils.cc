#include "server/test_utils.h"

#include <asio/co_spawn.hpp>
#include <future>

#include "base/strings.h"
#include "facade/connection.h"

namespace darner {

namespace {

// Runs f() on `ctx`'s thread and waits for it (f may not block on that thread's loop).
template <typename F>
auto RunOn(asio::io_context& ctx, F&& f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::forward<F>(f));
  auto result = task.get_future();
  asio::post(ctx, [&task] { task(); });
  return result.get();
}

}  // namespace

void BaseFamilyTest::SetUp() {
  pool_ = std::make_unique<ProactorPool>(shards_);
  service_ = std::make_unique<Service>(pool_.get());
  std::string error;
  ASSERT_TRUE(service_->ApplyStartupFlags(&error)) << error;
  pool_->Start({});
  service_->Init();
  conn_ = RunOn(pool_->context(0), [this] {
    auto conn = std::make_shared<Connection>(asio::ip::tcp::socket(pool_->context(0)),
                                             service_.get(), ParserLimits{}, false, 0);
    EXPECT_TRUE(service_->OnConnectionOpen(conn.get()));
    return conn;
  });
}

void BaseFamilyTest::TearDown() {
  if (conn_) {
    RunOn(pool_->context(0), [this] {
      service_->OnConnectionClose(conn_.get());
      conn_.reset();
    });
  }
  if (service_) service_->Shutdown();
  if (pool_) pool_->Stop();
  service_.reset();
  pool_.reset();
}

std::string BaseFamilyTest::RunBatch(const std::vector<std::vector<std::string>>& lines) {
  // Views into `lines`, which outlive the dispatch.
  std::vector<std::vector<std::string_view>> views;
  std::vector<CmdArgList> cmds;
  views.reserve(lines.size());
  for (const auto& line : lines) views.emplace_back(line.begin(), line.end());
  for (const auto& v : views) cmds.emplace_back(v);
  std::promise<void> done;
  asio::co_spawn(pool_->context(0), service_->DispatchBatch(conn_.get(), cmds),
                 [&done](std::exception_ptr e, size_t) {
                   if (e) {
                     done.set_exception(e);
                   } else {
                     done.set_value();
                   }
                 });
  done.get_future().get();
  return RunOn(pool_->context(0), [this] {
    std::string out;
    out.swap(conn_->reply().buffer());
    return out;
  });
}

std::string BaseFamilyTest::Run(const std::vector<std::string>& args) { return RunBatch({args}); }

std::string BaseFamilyTest::Run(std::initializer_list<std::string_view> args) {
  return Run(std::vector<std::string>(args.begin(), args.end()));
}

std::string BaseFamilyTest::Bulk(std::string_view s) {
  return StrCat("$", s.size(), "\r\n", s, "\r\n");
}

std::string BaseFamilyTest::Int(int64_t v) { return StrCat(":", v, "\r\n"); }

}  // namespace darner
