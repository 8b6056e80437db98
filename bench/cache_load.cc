// cache_load: a cache-aside load generator for bench/cache.sh. Each connection keeps a pipeline
// of requests in flight: GETs of keys drawn from a Zipf distribution over `--keys` keys, and for
// every GET that missed, a SET of that key in the connection's next batch (what an application
// that uses the server as a cache does). It prints one line of key=value figures: requests, GET
// hits and misses, hit ratio, ops/s. Keys are key:%012d with the Zipf rank - 1 (rank 1, the
// hottest key, is key:000000000000), the same names bench/lib.sh's gen_set_stream loads.
//
// redis-benchmark draws keys uniformly only, hence this tool. `--self-test` checks the sampler
// against the exact Zipf probabilities (CTest runs it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// splitmix64: a small, fast generator with good statistics for a benchmark.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double NextDouble() { return double(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// Zipf over ranks 1..n with P(k) proportional to k^-s, by rejection-inversion (W. Hörmann and
// G. Derflinger, "Rejection-inversion to generate variates from monotone discrete
// distributions", 1996): O(1) per sample with no table, whatever n is. The sampler inverts the
// integral H of the hat function h(x) = x^-s, draws a continuous x, rounds it to k and accepts k
// unless it fell in the part of the hat above the bar of k (rare for s near 1).
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double s)
      : n_(n),
        s_(s),
        h_x1_(H(1.5) - 1.0),
        h_n_(H(double(n) + 0.5)),
        squeeze_(2.0 - HInverse(H(2.5) - h(2.0))) {}

  uint64_t Sample(Rng& rng) const {
    for (;;) {
      double u = h_n_ + rng.NextDouble() * (h_x1_ - h_n_);
      double x = HInverse(u);
      double k = std::floor(x + 0.5);
      if (k < 1) k = 1;
      if (k > double(n_)) k = double(n_);
      if (k - x <= squeeze_ || u >= H(k + 0.5) - h(k)) return uint64_t(k);
    }
  }

 private:
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  // H(x) = (x^(1-s) - 1) / (1 - s), written so that it stays exact as s approaches 1 (where it
  // becomes log x).
  double H(double x) const {
    double log_x = std::log(x);
    return ExpM1OverX((1.0 - s_) * log_x) * log_x;
  }
  double HInverse(double y) const {
    double t = y * (1.0 - s_);
    if (t < -1.0) t = -1.0;  // rounding at the far end of the range
    return std::exp(Log1pOverX(t) * y);
  }
  static double ExpM1OverX(double x) {
    return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x / 2;
  }
  static double Log1pOverX(double x) {
    return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x / 2;
  }

  uint64_t n_;
  double s_;
  double h_x1_, h_n_, squeeze_;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  uint64_t keys = 1000000;
  size_t value_size = 256;
  double zipf = 0.99;
  int connections = 50;
  int pipeline = 16;
  double seconds = 10;
  uint64_t seed = 1;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "cache_load: %s\n", what.c_str());
  std::exit(1);
}

void KeyName(uint64_t index, char out[17]) {
  std::snprintf(out, 17, "key:%012llu", (unsigned long long)index);
}

struct Op {
  uint64_t key;
  bool is_get;
};

// One connection: a socket, the batch in flight, and the SETs owed for misses.
struct Conn {
  int fd = -1;
  std::vector<Op> in_flight;
  std::vector<uint64_t> owed_sets;
  std::string out;
  std::string in;
  size_t in_pos = 0;
};

struct Totals {
  uint64_t gets = 0, hits = 0, sets = 0, errors = 0;
};

int Connect(const Options& o) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) Die("bad --host " + o.host);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Die("connect to " + o.host + ":" + std::to_string(o.port) + ": " + std::strerror(errno));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void AppendCommand(std::string* out, std::string_view cmd, std::string_view key,
                   std::string_view value) {
  char head[64];
  int argc = value.data() ? 3 : 2;
  int n = std::snprintf(head, sizeof head, "*%d\r\n$%zu\r\n", argc, cmd.size());
  out->append(head, n).append(cmd).append("\r\n");
  n = std::snprintf(head, sizeof head, "$%zu\r\n", key.size());
  out->append(head, n).append(key).append("\r\n");
  if (value.data()) {
    n = std::snprintf(head, sizeof head, "$%zu\r\n", value.size());
    out->append(head, n).append(value).append("\r\n");
  }
}

void SendBatch(Conn& c, const Options& o, const ZipfSampler& zipf, Rng& rng, std::string& value) {
  c.out.clear();
  c.in_flight.clear();
  char key[17];
  for (uint64_t k : c.owed_sets) {
    if (int(c.in_flight.size()) == o.pipeline) break;
    KeyName(k, key);
    // The value embeds its key, so a wrong reply would be visible in a packet dump.
    std::memcpy(value.data(), key, std::min<size_t>(16, value.size()));
    AppendCommand(&c.out, "SET", key, value);
    c.in_flight.push_back({k, false});
  }
  c.owed_sets.erase(c.owed_sets.begin(), c.owed_sets.begin() + c.in_flight.size());
  while (int(c.in_flight.size()) < o.pipeline) {
    uint64_t k = zipf.Sample(rng) - 1;
    KeyName(k, key);
    AppendCommand(&c.out, "GET", key, {});
    c.in_flight.push_back({k, true});
  }
  size_t sent = 0;
  while (sent < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + sent, c.out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) Die(std::string("send: ") + std::strerror(errno));
    sent += size_t(n);
  }
}

// Parses one reply at c.in[c.in_pos...]: 1 hit (bulk), 0 nil or +OK, -1 error; -2 incomplete.
int ParseReply(Conn& c) {
  std::string_view buf(c.in);
  buf.remove_prefix(c.in_pos);
  size_t eol = buf.find("\r\n");
  if (eol == std::string_view::npos) return -2;
  char type = buf[0];
  if (type == '+' || type == '-') {
    c.in_pos += eol + 2;
    if (type == '-') std::fprintf(stderr, "cache_load: error reply: %.*s\n", int(eol), buf.data());
    return type == '-' ? -1 : 0;
  }
  if (type != '$') Die("unexpected reply type '" + std::string(1, type) + "'");
  long len = std::strtol(buf.data() + 1, nullptr, 10);
  if (len < 0) {
    c.in_pos += eol + 2;
    return 0;
  }
  if (buf.size() < eol + 2 + size_t(len) + 2) return -2;
  c.in_pos += eol + 2 + size_t(len) + 2;
  return 1;
}

// Reads the replies to c's batch; misses become owed SETs.
void ReadReplies(Conn& c, Totals& t) {
  size_t done = 0;
  while (done < c.in_flight.size()) {
    int r = ParseReply(c);
    if (r == -2) {
      if (c.in_pos > 0) {
        c.in.erase(0, c.in_pos);
        c.in_pos = 0;
      }
      char buf[65536];
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) Die(n == 0 ? "server closed the connection" : std::strerror(errno));
      c.in.append(buf, size_t(n));
      continue;
    }
    const Op& op = c.in_flight[done++];
    if (r == -1) {
      ++t.errors;
    } else if (op.is_get) {
      ++t.gets;
      if (r == 1) {
        ++t.hits;
      } else {
        c.owed_sets.push_back(op.key);
      }
    } else {
      ++t.sets;
    }
  }
}

int Run(const Options& o) {
  ZipfSampler zipf(o.keys, o.zipf);
  Rng rng(o.seed);
  std::string value(o.value_size, 'v');
  std::vector<Conn> conns(size_t(o.connections));
  for (Conn& c : conns) c.fd = Connect(o);
  Totals t;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration<double>(o.seconds);
  for (Conn& c : conns) SendBatch(c, o, zipf, rng, value);
  // Closed loop per connection: read its replies, send its next batch, go to the next one.
  bool sending = true;
  while (sending) {
    sending = std::chrono::steady_clock::now() < deadline;
    for (Conn& c : conns) {
      ReadReplies(c, t);
      if (sending) SendBatch(c, o, zipf, rng, value);
    }
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (Conn& c : conns) close(c.fd);
  uint64_t ops = t.gets + t.sets + t.errors;
  std::printf(
      "ops=%llu gets=%llu hits=%llu misses=%llu sets=%llu errors=%llu seconds=%.3f "
      "ops_per_sec=%.0f hit_ratio=%.5f\n",
      (unsigned long long)ops, (unsigned long long)t.gets, (unsigned long long)t.hits,
      (unsigned long long)(t.gets - t.hits), (unsigned long long)t.sets,
      (unsigned long long)t.errors, elapsed, double(ops) / elapsed,
      t.gets ? double(t.hits) / double(t.gets) : 0.0);
  return t.errors == 0 ? 0 : 2;
}

// Draws samples and compares the frequency of chosen ranks with the exact probabilities.
int SelfTest() {
  struct Case {
    uint64_t n;
    double s;
  };
  int failures = 0;
  for (Case cs : {Case{1000, 0.99}, Case{2000000, 0.99}, Case{100, 1.0}, Case{5000, 1.5}}) {
    double norm = 0;
    for (uint64_t k = 1; k <= cs.n; ++k) norm += std::pow(double(k), -cs.s);
    ZipfSampler zipf(cs.n, cs.s);
    Rng rng(42);
    const uint64_t draws = 4000000;
    std::vector<uint64_t> checked = {1, 2, 3, 10, 100};
    std::vector<uint64_t> counts(checked.size());
    uint64_t top_half = 0;  // draws of ranks 1..n/2
    for (uint64_t i = 0; i < draws; ++i) {
      uint64_t k = zipf.Sample(rng);
      if (k < 1 || k > cs.n) {
        std::printf("FAIL n=%llu s=%.2f: rank %llu out of range\n", (unsigned long long)cs.n, cs.s,
                    (unsigned long long)k);
        return 1;
      }
      for (size_t j = 0; j < checked.size(); ++j) counts[j] += k == checked[j];
      top_half += k <= cs.n / 2;
    }
    double expected_half = 0;
    for (uint64_t k = 1; k <= cs.n / 2; ++k) expected_half += std::pow(double(k), -cs.s) / norm;
    auto check = [&](const char* what, double got, double want) {
      // Five standard deviations of a binomial proportion, plus a little for rounding.
      double tolerance = 5 * std::sqrt(want * (1 - want) / double(draws)) + 1e-4;
      bool ok = std::abs(got - want) <= tolerance;
      std::printf("%s n=%llu s=%.2f %s: %.5f, exact %.5f\n", ok ? "ok  " : "FAIL",
                  (unsigned long long)cs.n, cs.s, what, got, want);
      failures += !ok;
    };
    for (size_t j = 0; j < checked.size(); ++j) {
      if (checked[j] > cs.n) continue;
      std::string what = "P(rank " + std::to_string(checked[j]) + ")";
      check(what.c_str(), double(counts[j]) / double(draws),
            std::pow(double(checked[j]), -cs.s) / norm);
    }
    check("P(rank <= n/2)", double(top_half) / double(draws), expected_half);
  }
  return failures == 0 ? 0 : 1;
}

bool ParseFlag(std::string_view arg, std::string_view name, std::string* value) {
  std::string prefix = "--" + std::string(name) + "=";
  if (arg.substr(0, prefix.size()) != prefix) return false;
  *value = std::string(arg.substr(prefix.size()));
  return true;
}

double ToNumber(const std::string& s, const char* flag) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v > 0))
    Die(std::string("--") + flag + " must be a positive number");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string v;
    if (arg == "--self-test") return SelfTest();
    if (ParseFlag(arg, "host", &v)) {
      o.host = v;
    } else if (ParseFlag(arg, "port", &v)) {
      o.port = int(ToNumber(v, "port"));
    } else if (ParseFlag(arg, "keys", &v)) {
      o.keys = uint64_t(ToNumber(v, "keys"));
    } else if (ParseFlag(arg, "value_size", &v)) {
      o.value_size = size_t(ToNumber(v, "value_size"));
    } else if (ParseFlag(arg, "zipf", &v)) {
      o.zipf = ToNumber(v, "zipf");
    } else if (ParseFlag(arg, "connections", &v)) {
      o.connections = int(ToNumber(v, "connections"));
    } else if (ParseFlag(arg, "pipeline", &v)) {
      o.pipeline = int(ToNumber(v, "pipeline"));
    } else if (ParseFlag(arg, "seconds", &v)) {
      o.seconds = ToNumber(v, "seconds");
    } else if (ParseFlag(arg, "seed", &v)) {
      o.seed = uint64_t(ToNumber(v, "seed"));
    } else {
      Die("unknown argument " + std::string(arg) +
          " (flags: --host --port --keys --value_size --zipf --connections --pipeline --seconds "
          "--seed, or --self-test)");
    }
  }
  return Run(o);
}
