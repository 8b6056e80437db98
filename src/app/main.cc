// Darner's entry point: parses flags, starts the thread pool, the service and the listeners,
// and shuts everything down on SIGTERM/SIGINT or SHUTDOWN.
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <mimalloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "app/dragonfly_flags.h"
#include "base/byte_size.h"
#include "base/logging.h"
#include "cluster/cluster_family.h"
#include "facade/listener.h"
#include "io/proactor_pool.h"
#include "server/service.h"

ABSL_FLAG(bool, heap_huge_pages, true,
          "Back the heap with 2 MiB transparent huge pages (when the kernel's THP mode is "
          "'madvise' or 'always'): far fewer TLB misses on random key lookups");
ABSL_FLAG(uint32_t, admin_port, 0, "Privileged second listener (same protocol); 0 = off");
ABSL_FLAG(std::string, admin_bind, "", "Address of the admin listener (empty: all interfaces)");
ABSL_FLAG(uint32_t, proactor_threads, 0, "Event-loop threads, one shard each (0: CPU count)");
ABSL_FLAG(uint32_t, num_shards, 0,
          "Shards of the keyspace (0: one per thread). Darner runs one shard per thread: a value "
          "below --proactor_threads lowers the thread count to it, a higher one is capped");
ABSL_FLAG(std::string, proactor_affinity_mode, "off",
          "Pin thread i to the i-th allowed CPU: on, off, or auto (on when there are at least as "
          "many allowed CPUs as threads). Dragonfly's default is on; Darner's is off, so that "
          "several local nodes do not share the first CPUs");
// Defined by the server layer, which reports them (CONFIG GET, INFO) and enforces the bulk limit.
ABSL_DECLARE_FLAG(int32_t, port);
ABSL_DECLARE_FLAG(std::string, bind);
ABSL_DECLARE_FLAG(darner::ByteSize, proto_max_bulk_len);
ABSL_DECLARE_FLAG(std::string, enable_debug_command);
ABSL_DECLARE_FLAG(uint32_t, maxclients);

namespace darner {
namespace {

// Set by the shutdown request (signal or SHUTDOWN); main waits on it.
struct ShutdownLatch {
  std::mutex mu;  // guards requested
  std::condition_variable cv;
  bool requested = false;

  void Request() {
    std::lock_guard lk(mu);
    requested = true;
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock lk(mu);
    cv.wait(lk, [this] { return requested; });
  }
};

// The CPUs to pin the pool's threads to (empty: none), per --proactor_affinity_mode.
bool ParseAffinity(std::string_view mode, unsigned threads, std::vector<int>* cpus) {
  if (mode != "on" && mode != "off" && mode != "auto") return false;
  if (mode == "off") return true;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return true;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus->push_back(c);
  }
  if (mode == "auto" && cpus->size() < threads) cpus->clear();
  return true;
}

// The thread count after --proactor_threads and --num_shards, and the CPUs to pin to; false
// (logged) when a flag's value is invalid.
bool ResolveThreads(unsigned* threads, std::vector<int>* cpus) {
  if (std::string mode = absl::GetFlag(FLAGS_enable_debug_command);
      mode != "no" && mode != "yes" && mode != "local") {
    LOG(ERROR) << "--enable_debug_command must be 'no', 'yes' or 'local', not '" << mode << "'";
    return false;
  }
  *threads = absl::GetFlag(FLAGS_proactor_threads);
  if (*threads == 0) *threads = std::max(1u, std::thread::hardware_concurrency());
  if (uint32_t shards = absl::GetFlag(FLAGS_num_shards); shards != 0 && shards < *threads) {
    LOG(WARNING) << "--num_shards=" << shards << " with " << *threads
                 << " threads: Darner runs one shard per thread, so --proactor_threads is lowered "
                    "to "
                 << shards;
    *threads = shards;
  }
  if (!ParseAffinity(absl::GetFlag(FLAGS_proactor_affinity_mode), *threads, cpus)) {
    LOG(ERROR) << "--proactor_affinity_mode must be 'on', 'off' or 'auto', not '"
               << absl::GetFlag(FLAGS_proactor_affinity_mode) << "'";
    return false;
  }
  return true;
}

// As Redis: raise the open-files limit for maxclients, or lower maxclients to fit it, so that
// clients over the limit are refused with an error instead of failing accept().
void FitMaxClients(unsigned threads) {
  uint32_t wanted = absl::GetFlag(FLAGS_maxclients);
  uint32_t fit = FitMaxClientsToFdLimit(wanted, threads);
  if (fit >= wanted) return;
  LOG(WARNING) << "You requested maxclients of " << wanted << " requiring at least "
               << wanted + ReservedFds(threads)
               << " max file descriptors, but the open files limit allows fewer. maxclients "
                  "has been reduced to "
               << fit << " to compensate for low ulimit. If you need higher maxclients "
               << "increase 'ulimit -n'.";
  absl::SetFlag(&FLAGS_maxclients, fit);
}

// The main listener (--port; -1 picks a free port) and the admin listener (--admin_port), bound
// but not started; false (logged) when one cannot bind.
bool BindListeners(ProactorPool* pool, Service* service, unsigned threads,
                   std::vector<std::unique_ptr<Listener>>* listeners) {
  ParserLimits limits;
  limits.max_bulk_len = absl::GetFlag(FLAGS_proto_max_bulk_len).bytes;
  if (int32_t port = absl::GetFlag(FLAGS_port); port != 0) {
    auto main_listener = std::make_unique<Listener>(pool, service, limits, false);
    std::string error;
    if (port < -1 || port > 65535 ||
        !main_listener->Bind(absl::GetFlag(FLAGS_bind), port < 0 ? 0 : port, &error)) {
      LOG(ERROR) << (error.empty() ? "invalid --port" : error);
      return false;
    }
    if (port < 0) {
      absl::SetFlag(&FLAGS_port, main_listener->port());
      LOG(INFO) << "Picked free port " << main_listener->port();
    }
    LOG(INFO) << "Listening on port " << main_listener->port() << " with " << threads << " threads";
    listeners->push_back(std::move(main_listener));
  }
  if (uint32_t admin = absl::GetFlag(FLAGS_admin_port); admin != 0) {
    auto admin_listener = std::make_unique<Listener>(pool, service, limits, true);
    std::string error;
    if (admin > 65535 || !admin_listener->Bind(absl::GetFlag(FLAGS_admin_bind), admin, &error)) {
      LOG(ERROR) << (error.empty() ? "invalid --admin_port" : error);
      return false;
    }
    LOG(INFO) << "Admin listener on port " << admin_listener->port();
    listeners->push_back(std::move(admin_listener));
  }
  return true;
}

// Stops accepting, stops migrations, closes every connection (waiting at most 500 ms for their
// in-flight replies), then stops the service and the pool.
void StopServing(ProactorPool* pool, Service* service, ClusterFamily* cluster,
                 std::vector<std::unique_ptr<Listener>>* listeners) {
  auto start = std::chrono::steady_clock::now();
  for (auto& l : *listeners) l->Stop();
  cluster->Shutdown();  // migrations first: they stop within their own bounds
  pool->RunOnAllBlocking([service](unsigned) {
    for (ConnectionContext* cc : service->ThreadConnections()) cc->conn->Close();
  });
  auto deadline = start + std::chrono::milliseconds(500);
  while (service->connected_clients() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  service->Shutdown();
  pool->Stop();
}

int Run() {
  unsigned threads = 0;
  std::vector<int> cpus;
  if (!ResolveThreads(&threads, &cpus)) return 1;
  WarnAboutUnsupportedFlags();
  FitMaxClients(threads);

  // Signals are taken synchronously by a dedicated thread, so no handler runs on pool threads.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ProactorPool pool(threads);
  Service service(&pool);
  ClusterFamily cluster(&service);
  std::string cluster_error;
  if (!cluster.Init(&cluster_error)) {
    LOG(ERROR) << cluster_error;
    return 1;
  }
  cluster.Register(service.mutable_registry());
  if (std::string error; !service.ApplyStartupFlags(&error)) {
    LOG(ERROR) << error;
    return 1;
  }
  pool.Start(cpus.empty() ? std::function<void(unsigned)>() : [&cpus](unsigned i) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus[i % cpus.size()], &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
      LOG(WARNING) << "could not pin thread " << i << " to CPU " << cpus[i % cpus.size()];
    }
  });
  service.Init();

  ShutdownLatch latch;
  service.SetShutdownHook([&latch] { latch.Request(); });

  std::vector<std::unique_ptr<Listener>> listeners;
  if (!BindListeners(&pool, &service, threads, &listeners)) {
    pool.Stop();
    return 1;
  }
  for (auto& l : listeners) l->Start();

  std::thread signal_thread([&sigs, &latch] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig != 0) {
      LOG(INFO) << "Received signal " << sig << ", shutting down";
      latch.Request();
    }
  });

  latch.Wait();
  auto start = std::chrono::steady_clock::now();
  StopServing(&pool, &service, &cluster, &listeners);
  // Wake the signal thread if shutdown came from SHUTDOWN rather than a signal.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  LOG(INFO) << "Shutdown complete in " << took.count() << " ms";
  FlushLogs();
  return 0;
}

}  // namespace
}  // namespace darner

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Darner: a multi-threaded in-memory store speaking the Redis protocol");
  absl::ParseCommandLine(argc, argv);
  darner::InitLogging(argv[0]);
  // Lookups in a large keyspace touch a few random cache lines each; with 4 KiB pages most of
  // them also miss the TLB. Huge pages cut server CPU per request by 5-15% on 1M keys (measured
  // with redis-benchmark, docs/design/storage.md) for about 2 MiB more RSS at start.
  if (absl::GetFlag(FLAGS_heap_huge_pages)) mi_option_enable(mi_option_large_os_pages);
  return darner::Run();
}
