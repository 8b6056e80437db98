#include "cluster/stream_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace darner::flow {

// gtest prints values through ADL, which does not look into the anonymous namespace.
std::ostream& operator<<(std::ostream& os, Status st) {
  switch (st) {
    case Status::kOk:
      return os << "kOk";
    case Status::kIncomplete:
      return os << "kIncomplete";
    case Status::kCorrupt:
      return os << "kCorrupt";
  }
  return os << "?";
}

namespace {

using namespace std::string_literals;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Packed(uint64_t v) {
  std::string s;
  AppendPacked(&s, v);
  return s;
}

// A record with owned strings, to compare what was written with what was read.
struct Owned {
  Opcode opcode = Opcode::kPing;
  uint64_t value = 0;  // db, txid or lsn, by opcode
  std::vector<std::string> args;
  bool operator==(const Owned&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Owned& r) {
  os << "{op " << static_cast<int>(r.opcode) << ", " << r.value;
  for (const auto& a : r.args) os << ", \"" << (a.size() > 20 ? a.substr(0, 20) + "..." : a) << '"';
  return os << '}';
}

Owned Own(const Record& r) {
  Owned o{r.opcode, 0, {}};
  switch (r.opcode) {
    case Opcode::kSelect:
      o.value = r.db;
      break;
    case Opcode::kLsn:
      o.value = r.lsn;
      break;
    case Opcode::kCommand:
    case Opcode::kExpired:
      o.value = r.txid;
      break;
    case Opcode::kPing:
      break;
  }
  for (std::string_view a : r.args) o.args.emplace_back(a);
  return o;
}

void Write(const Owned& r, std::string* out) {
  switch (r.opcode) {
    case Opcode::kSelect:
      AppendSelect(out, static_cast<uint16_t>(r.value));
      break;
    case Opcode::kLsn:
      AppendLsn(out, r.value);
      break;
    case Opcode::kPing:
      AppendPing(out);
      break;
    case Opcode::kCommand:
    case Opcode::kExpired: {
      std::vector<std::string_view> views(r.args.begin(), r.args.end());
      size_t start = out->size();
      AppendCommand(out, r.value, views);
      // The writer has no EXPIRED (Dragonfly stopped emitting it); it differs only in the opcode.
      if (r.opcode == Opcode::kExpired) (*out)[start] = static_cast<char>(Opcode::kExpired);
      break;
    }
  }
}

struct FeedResult {
  std::vector<Owned> records;
  Status last = Status::kOk;
  std::string error;
  size_t next_calls = 0;
};

// Feeds `stream` to a reader in chunks of the given sizes (cycled), the way a flow consumer does:
// append each read to a buffer, decode while possible, drop consumed bytes by advancing a start
// offset, and compact once the dead prefix is at least half the buffer (which moves the bytes of
// a partially parsed record). Checks the kIncomplete contract on every call.
FeedResult Feed(std::string_view stream, const std::vector<size_t>& chunks,
                StreamLimits limits = {}) {
  FeedResult res;
  StreamReader reader(limits);
  std::string buf;
  size_t start = 0;
  size_t fed = 0;
  Record rec;
  for (size_t i = 0; fed < stream.size(); ++i) {
    size_t n = std::min(chunks[i % chunks.size()], stream.size() - fed);
    buf.append(stream.substr(fed, n));
    fed += n;
    while (true) {
      std::string_view avail(buf.data() + start, buf.size() - start);
      size_t consumed = 12345;
      Status st = reader.Next(avail, &consumed, &rec);
      ++res.next_calls;
      if (st == Status::kCorrupt) {
        res.last = st;
        res.error = reader.Error();
        return res;
      }
      if (st == Status::kIncomplete) {
        EXPECT_EQ(consumed, 12345u) << "kIncomplete must not report consumption";
        EXPECT_GT(reader.MinBytesWanted(), avail.size());
        break;
      }
      EXPECT_GT(consumed, 0u);
      EXPECT_LE(consumed, avail.size());
      for (std::string_view a : rec.args) {
        // Zero-copy: every argument lies inside the record's bytes.
        EXPECT_GE(a.data(), avail.data());
        EXPECT_LE(a.data() + a.size(), avail.data() + consumed);
      }
      res.records.push_back(Own(rec));
      start += consumed;
    }
    if (start >= buf.size() - start) {
      buf.erase(0, start);
      start = 0;
    }
  }
  // kOk: the stream ended on a record boundary; kIncomplete: inside a record.
  res.last = start == buf.size() ? Status::kOk : Status::kIncomplete;
  return res;
}

FeedResult FeedWhole(std::string_view stream, StreamLimits limits = {}) {
  return Feed(stream, {std::max<size_t>(stream.size(), 1)}, limits);
}

// ---- Packed integers ----------------------------------------------------------------------------

TEST(PackedTest, RoundTripAtEveryBoundary) {
  const uint64_t kMax32 = std::numeric_limits<uint32_t>::max();
  const uint64_t kMax64 = std::numeric_limits<uint64_t>::max();
  const std::vector<std::pair<uint64_t, size_t>> cases = {
      {0, 1},          {1, 1},          {63, 1},     {64, 2},     {255, 2},
      {16383, 2},      {16384, 5},      {65535, 5},  {kMax32, 5}, {kMax32 + 1, 9},
      {1ull << 56, 9}, {kMax64 - 1, 9}, {kMax64, 9},
  };
  for (auto [v, size] : cases) {
    SCOPED_TRACE(v);
    std::string s = Packed(v);
    ASSERT_EQ(s.size(), size);
    EXPECT_EQ(PackedSize(v), size);
    uint64_t got = 0;
    size_t len = 0;
    ASSERT_EQ(DecodePacked(s, &got, &len), Status::kOk);
    EXPECT_EQ(got, v);
    EXPECT_EQ(len, size);
    // Trailing bytes are not part of it.
    ASSERT_EQ(DecodePacked(s + "xyz", &got, &len), Status::kOk);
    EXPECT_EQ(got, v);
    EXPECT_EQ(len, size);
    // Every proper prefix is incomplete and announces the full size once the first byte is in.
    for (size_t cut = 0; cut < size; ++cut) {
      len = 0;
      EXPECT_EQ(DecodePacked(std::string_view(s).substr(0, cut), &got, &len), Status::kIncomplete);
      EXPECT_EQ(len, cut == 0 ? 1 : size);
    }
  }
}

TEST(PackedTest, ExactBytes) {
  EXPECT_EQ(Packed(0), Bytes({0x00}));
  EXPECT_EQ(Packed(10), Bytes({0x0A}));
  EXPECT_EQ(Packed(63), Bytes({0x3F}));
  EXPECT_EQ(Packed(64), Bytes({0x40, 0x40}));
  EXPECT_EQ(Packed(300), Bytes({0x41, 0x2C}));
  EXPECT_EQ(Packed(16383), Bytes({0x7F, 0xFF}));
  EXPECT_EQ(Packed(16384), Bytes({0x80, 0x00, 0x00, 0x40, 0x00}));
  EXPECT_EQ(Packed(0x12345678), Bytes({0x80, 0x12, 0x34, 0x56, 0x78}));
  EXPECT_EQ(Packed(0xFFFFFFFFull), Bytes({0x80, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(Packed(0x100000000ull), Bytes({0x81, 0, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(Packed(0x0102030405060708ull), Bytes({0x81, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(Packed(~0ull), Bytes({0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST(PackedTest, NonMinimalFormsAreAccepted) {
  uint64_t v = 0;
  size_t len = 0;
  ASSERT_EQ(DecodePacked(Bytes({0x40, 0x05}), &v, &len), Status::kOk);
  EXPECT_EQ(v, 5u);
  EXPECT_EQ(len, 2u);
  ASSERT_EQ(DecodePacked(Bytes({0x80, 0, 0, 0, 5}), &v, &len), Status::kOk);
  EXPECT_EQ(v, 5u);
  EXPECT_EQ(len, 5u);
  ASSERT_EQ(DecodePacked(Bytes({0x81, 0, 0, 0, 0, 0, 0, 0, 5}), &v, &len), Status::kOk);
  EXPECT_EQ(v, 5u);
  EXPECT_EQ(len, 9u);
}

TEST(PackedTest, OtherPrefixesAreCorrupt) {
  for (int b : {0x82, 0x90, 0xBF, 0xC0, 0xC3, 0xFE, 0xFF}) {
    uint64_t v = 0;
    size_t len = 0;
    EXPECT_EQ(DecodePacked(Bytes({b, 0, 0, 0, 0, 0, 0, 0, 0}), &v, &len), Status::kCorrupt) << b;
    // Known corrupt from the first byte alone.
    EXPECT_EQ(DecodePacked(Bytes({b}), &v, &len), Status::kCorrupt) << b;
  }
}

// ---- Golden byte images -------------------------------------------------------------------------

// Written out by hand from spec §4.5: `06 <db>` then `0A <txid> 01 <argc> <size> <strings>`.
const std::string kGoldenSelectSet = Bytes({
    0x06, 0x00,           // SELECT 0
    0x0A,                 // COMMAND
    0x00,                 // txid 0
    0x01,                 // legacy shard count, always 1
    0x03,                 // argc: SET k v
    0x05,                 // total bytes: 3 + 1 + 1
    0x03, 'S', 'E', 'T',  //
    0x01, 'k',            //
    0x01, 'v',            //
});

TEST(WriterTest, GoldenSelectAndSet) {
  std::string out = "prefix";
  AppendSelectAndCommand(&out, 0, 0, {"SET", "k", "v"});
  EXPECT_EQ(out, "prefix" + kGoldenSelectSet);

  std::string separate;
  AppendSelect(&separate, 0);
  const std::vector<std::string_view> args = {"SET", "k", "v"};
  AppendCommand(&separate, 0, args);
  EXPECT_EQ(separate, kGoldenSelectSet);
}

TEST(WriterTest, GoldenOtherRecords) {
  std::string out;
  AppendPing(&out);
  EXPECT_EQ(out, Bytes({0x0D}));

  out.clear();
  AppendLsn(&out, 7);
  EXPECT_EQ(out, Bytes({0x0F, 0x07}));
  out.clear();
  AppendLsn(&out, 300);
  EXPECT_EQ(out, Bytes({0x0F, 0x41, 0x2C}));

  out.clear();
  AppendSelect(&out, 65535);
  EXPECT_EQ(out, Bytes({0x06, 0x80, 0x00, 0x00, 0xFF, 0xFF}));

  // A forwarded write with a real txid, an empty argument, and a 64-byte value (2-byte length).
  out.clear();
  std::string value(64, 'x');
  AppendCommand(&out, 1000, {"SET", "", value});
  EXPECT_EQ(out, Bytes({0x0A, 0x43, 0xE8, 0x01, 0x03, 0x40, 0x43, 0x03, 'S', 'E', 'T', 0x00, 0x40,
                        0x40}) +
                     value);
}

TEST(ReaderTest, GoldenSelectAndSet) {
  StreamReader reader;
  Record rec;
  size_t consumed = 0;
  std::string_view in = kGoldenSelectSet;
  ASSERT_EQ(reader.Next(in, &consumed, &rec), Status::kOk);
  EXPECT_EQ(rec.opcode, Opcode::kSelect);
  EXPECT_EQ(rec.db, 0);
  EXPECT_EQ(consumed, 2u);
  in.remove_prefix(consumed);
  ASSERT_EQ(reader.Next(in, &consumed, &rec), Status::kOk);
  EXPECT_EQ(rec.opcode, Opcode::kCommand);
  EXPECT_EQ(rec.txid, 0u);
  EXPECT_EQ(rec.args, (std::vector<std::string_view>{"SET", "k", "v"}));
  EXPECT_EQ(consumed, in.size());
  in.remove_prefix(consumed);
  EXPECT_EQ(reader.Next(in, &consumed, &rec), Status::kIncomplete);
  EXPECT_EQ(reader.MinBytesWanted(), 1u);
}

TEST(ReaderTest, LegacyFieldsAndNonMinimalEncodings) {
  // Shard count 7 (any 32-bit value is fine), every field in a longer form than needed.
  std::string in = Bytes({0x81, 0,    0,   0,   0,   0,  0, 0, 0x0A,  // opcode
                          0x80, 0,    0,   0,   42,                   // txid
                          0x40, 0x07,                                 // shard count
                          0x40, 0x01,                                 // argc
                          0x80, 0,    0,   0,   4,                    // total
                          0x40, 0x04, 'P', 'I', 'N', 'G'});
  in += Bytes({0x06, 0x81, 0, 0, 0, 0, 0, 0, 0, 3});  // SELECT 3
  in += Bytes({0x0F, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  in += Bytes({0x0A, 0x00, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00});  // shard 2^32-1
  FeedResult r = FeedWhole(in);
  ASSERT_EQ(r.last, Status::kOk) << r.error;
  EXPECT_EQ(r.records, (std::vector<Owned>{{Opcode::kCommand, 42, {"PING"}},
                                           {Opcode::kSelect, 3, {}},
                                           {Opcode::kLsn, ~0ull, {}},
                                           {Opcode::kCommand, 0, {""}}}));
}

// ---- Round trips and splitting ------------------------------------------------------------------

// `small` keeps strings under 66 bytes (for tests that feed many streams a byte at a time).
std::string RandomString(std::mt19937_64& rng, bool small) {
  // Lengths cluster around the packed-size boundaries.
  static const size_t kLens[] = {0, 1, 5, 62, 63, 64, 65, 300, 16383, 16384, 20000};
  size_t len = kLens[rng() % (small ? 7 : std::size(kLens))];
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<Owned> RandomRecords(std::mt19937_64& rng, size_t n, bool small = false) {
  std::vector<Owned> recs;
  for (size_t i = 0; i < n; ++i) {
    Owned r;
    switch (rng() % 5) {
      case 0:
        r.opcode = Opcode::kSelect;
        r.value = rng() % 65536;
        break;
      case 1:
        r.opcode = Opcode::kPing;
        break;
      case 2:
        r.opcode = Opcode::kLsn;
        r.value = rng() >> (rng() % 64);
        break;
      default: {
        r.opcode = rng() % 4 == 0 ? Opcode::kExpired : Opcode::kCommand;
        r.value = rng() >> (rng() % 64);
        size_t argc = 1 + rng() % (rng() % 8 == 0 ? 100 : 5);
        for (size_t j = 0; j < argc; ++j) {
          r.args.push_back(j == 0      ? "SET"s
                           : rng() % 3 ? std::to_string(rng())
                                       : RandomString(rng, small));
        }
      }
    }
    recs.push_back(std::move(r));
  }
  return recs;
}

TEST(RoundTripTest, RandomRecords) {
  std::mt19937_64 rng(7);
  std::vector<Owned> recs = RandomRecords(rng, 3000);
  std::string stream;
  for (const auto& r : recs) Write(r, &stream);
  FeedResult whole = FeedWhole(stream);
  ASSERT_EQ(whole.last, Status::kOk) << whole.error;
  EXPECT_EQ(whole.records, recs);

  // Random read sizes, including tiny ones, across several seeds.
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 chunk_rng(seed);
    std::vector<size_t> chunks;
    for (int i = 0; i < 1000; ++i) {
      chunks.push_back(chunk_rng() % 2 ? 1 + chunk_rng() % 16 : 1 + chunk_rng() % 70000);
    }
    FeedResult r = Feed(stream, chunks);
    ASSERT_EQ(r.last, Status::kOk) << "seed " << seed << ": " << r.error;
    EXPECT_EQ(r.records, recs) << "seed " << seed;
  }
}

TEST(RoundTripTest, EverySplitPoint) {
  std::vector<Owned> recs = {
      {Opcode::kSelect, 0, {}},
      {Opcode::kCommand, 0, {"SET", "key", std::string(70, 'v')}},
      {Opcode::kPing, 0, {}},
      {Opcode::kSelect, 20000, {}},
      {Opcode::kCommand, 1ull << 40, {"HSET", "h", "", "f", "v"}},
      {Opcode::kExpired, 0, {"DEL", "gone"}},
      {Opcode::kLsn, 3, {}},
      {Opcode::kCommand, 5, {"SADD", "s", "m1", std::string(300, 'm')}},
      {Opcode::kLsn, 1ull << 33, {}},
  };
  std::string stream;
  for (const auto& r : recs) Write(r, &stream);

  for (size_t split = 1; split < stream.size(); ++split) {
    FeedResult r = Feed(stream, {split, stream.size()});
    ASSERT_EQ(r.last, Status::kOk) << "split " << split << ": " << r.error;
    ASSERT_EQ(r.records, recs) << "split " << split;
  }
  FeedResult bytewise = Feed(stream, {1});
  ASSERT_EQ(bytewise.last, Status::kOk) << bytewise.error;
  EXPECT_EQ(bytewise.records, recs);

  std::mt19937_64 rng(99);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> chunks;
    for (int i = 0; i < 64; ++i) chunks.push_back(1 + rng() % 40);
    FeedResult r = Feed(stream, chunks);
    ASSERT_EQ(r.last, Status::kOk) << "round " << round << ": " << r.error;
    ASSERT_EQ(r.records, recs) << "round " << round;
  }
}

TEST(ReaderTest, PartialRecordSurvivesBufferMove) {
  std::string stream;
  AppendCommand(&stream, 9, {"SET", "key", "value"});
  StreamReader reader;
  Record rec;
  size_t consumed = 0;
  // Parse into the middle of the "key" string, then hand over a copy at another address.
  auto first = std::make_unique<std::string>(stream.substr(0, 9));
  ASSERT_EQ(reader.Next(*first, &consumed, &rec), Status::kIncomplete);
  std::string second = *first + stream.substr(9);
  first.reset();
  ASSERT_EQ(reader.Next(second, &consumed, &rec), Status::kOk);
  EXPECT_EQ(consumed, stream.size());
  EXPECT_EQ(rec.args, (std::vector<std::string_view>{"SET", "key", "value"}));
  EXPECT_EQ(rec.args[2].data(), second.data() + second.size() - 5);
}

TEST(ReaderTest, ShorterViewRestartsTheRecord) {
  std::string stream;
  AppendCommand(&stream, 9, {"SET", "key", "value"});
  StreamReader reader;
  Record rec;
  size_t consumed = 0;
  ASSERT_EQ(reader.Next(std::string_view(stream).substr(0, 12), &consumed, &rec),
            Status::kIncomplete);
  ASSERT_EQ(reader.Next(std::string_view(stream).substr(0, 4), &consumed, &rec),
            Status::kIncomplete);
  ASSERT_EQ(reader.Next(stream, &consumed, &rec), Status::kOk);
  EXPECT_EQ(rec.args, (std::vector<std::string_view>{"SET", "key", "value"}));
}

TEST(ReaderTest, ResetForgetsPartialRecordAndError) {
  StreamReader reader;
  Record rec;
  size_t consumed = 0;
  std::string cmd;
  AppendCommand(&cmd, 1, {"SET", "a", "b"});
  ASSERT_EQ(reader.Next(std::string_view(cmd).substr(0, 8), &consumed, &rec), Status::kIncomplete);
  reader.Reset();
  ASSERT_EQ(reader.Next(Bytes({0x0F, 0x05}), &consumed, &rec), Status::kOk);
  EXPECT_EQ(rec.opcode, Opcode::kLsn);
  EXPECT_EQ(rec.lsn, 5u);

  ASSERT_EQ(reader.Next(Bytes({0x07}), &consumed, &rec), Status::kCorrupt);
  // Sticky until Reset, even for valid input.
  EXPECT_EQ(reader.Next(Bytes({0x0D}), &consumed, &rec), Status::kCorrupt);
  reader.Reset();
  EXPECT_TRUE(reader.Error().empty());
  ASSERT_EQ(reader.Next(Bytes({0x0D}), &consumed, &rec), Status::kOk);
  EXPECT_EQ(rec.opcode, Opcode::kPing);
}

TEST(ReaderTest, WantedBytesCoverTheWholeValueOnceItsLengthIsKnown) {
  std::string value(100000, 'x');
  std::string stream;
  AppendCommand(&stream, 0, {"SET", "k", value});
  StreamReader reader;
  Record rec;
  size_t consumed = 0;
  // Up to and including the value's length prefix (5 bytes: 0x80 form).
  size_t header = stream.size() - value.size();
  ASSERT_EQ(reader.Next(std::string_view(stream).substr(0, header - 2), &consumed, &rec),
            Status::kIncomplete);
  EXPECT_EQ(reader.MinBytesWanted(), header);  // rest of the length prefix
  ASSERT_EQ(reader.Next(std::string_view(stream).substr(0, header), &consumed, &rec),
            Status::kIncomplete);
  EXPECT_EQ(reader.MinBytesWanted(), stream.size());
}

// ---- Corrupt input ------------------------------------------------------------------------------

struct CorruptCase {
  const char* name;
  std::string bytes;
  const char* error_part;
};

TEST(CorruptTest, RejectedWholeAndBytewise) {
  std::string legal_header = Bytes({0x0A, 0x00, 0x01});  // COMMAND txid 0, shard count 1
  const std::vector<CorruptCase> cases = {
      {"bad prefix as opcode", Bytes({0xC0}), "bad packed integer prefix 0xc0"},
      {"bad prefix 0x82", Bytes({0x82, 0, 0, 0, 0}), "prefix 0x82"},
      {"bad prefix in txid", Bytes({0x0A, 0xC3}), "offset 1"},
      {"bad prefix in string length", legal_header + Bytes({0x01, 0x01, 0xFF, 'x'}), "0xff"},
      {"unknown opcode 0", Bytes({0x00}), "unknown opcode 0"},
      {"unknown opcode 7", Bytes({0x07}), "unknown opcode 7"},
      {"MULTI_COMMAND", Bytes({0x0B}), "unknown opcode 11"},
      {"FIN", Bytes({0x0E}), "unknown opcode 14"},
      {"opcode beyond a byte", Bytes({0x81, 0, 0, 0, 1, 0, 0, 0, 0x0A}), "unknown opcode"},
      {"argc 0", legal_header + Bytes({0x00, 0x00}), "no strings"},
      {"string longer than the declared total",
       legal_header + Bytes({0x03, 0x04, 0x03, 'S', 'E', 'T', 0x01, 'k', 0x01, 'v'}),
       "string 2 of 1 bytes exceeds the 0 left"},
      {"first string longer than the total", legal_header + Bytes({0x01, 0x02, 0x05}),
       "string 0 of 5 bytes exceeds the 2 left"},
      {"strings short of the total",
       legal_header + Bytes({0x02, 0x09, 0x03, 'S', 'E', 'T', 0x01, 'k'}), "5 bytes short"},
      {"db over 65535", Bytes({0x06, 0x80, 0x00, 0x01, 0x00, 0x00}), "db 65536"},
      {"db 2^64-1", Bytes({0x06, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), "db"},
      {"shard count over 32 bits", Bytes({0x0A, 0x00, 0x81, 0, 0, 0, 1, 0, 0, 0, 0}),
       "shard count 4294967296"},
      {"total over the default limit",
       legal_header + Bytes({0x01, 0x80, 0x20, 0x00, 0x00, 0x01}),  // 512 MiB + 1
       "command of 536870913 bytes, limit 536870912"},
      {"total of 2^64-1",
       legal_header + Bytes({0x01, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), "limit"},
      {"argc over the default limit", legal_header + Bytes({0x80, 0x00, 0x10, 0x00, 0x01}),
       "1048577 strings, limit 1048576"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    // A valid record first, so corruption is detected mid-stream too.
    std::string stream;
    AppendSelectAndCommand(&stream, 0, 0, {"SET", "k", "v"});
    stream += c.bytes;
    for (size_t chunk : {stream.size(), size_t{1}, size_t{3}}) {
      FeedResult r = Feed(stream, {chunk});
      EXPECT_EQ(r.last, Status::kCorrupt) << "chunk " << chunk;
      EXPECT_EQ(r.records.size(), 2u);
      EXPECT_EQ(r.error.rfind("corrupt flow stream: ", 0), 0u) << r.error;
      EXPECT_NE(r.error.find(c.error_part), std::string::npos) << r.error;
    }
  }
}

// Oversized declarations are refused from the header alone, before the bytes they announce would
// have to be buffered.
TEST(CorruptTest, OversizeIsReportedBeforeTheBytesArrive) {
  StreamReader reader;
  Record rec;
  size_t consumed = 0;
  std::string header = Bytes({0x0A, 0x00, 0x01, 0x03});
  AppendPacked(&header, (512u << 20) + 1);
  EXPECT_EQ(reader.Next(header, &consumed, &rec), Status::kCorrupt);

  reader.Reset();
  header = Bytes({0x0A, 0x00, 0x01, 0x01, 0x10, 0x11});  // total 16, first string 17
  EXPECT_EQ(reader.Next(header, &consumed, &rec), Status::kCorrupt);
  EXPECT_NE(reader.Error().find("17 bytes"), std::string::npos);
}

TEST(CorruptTest, ConfiguredLimitsAreInclusive) {
  StreamLimits limits{.max_command_bytes = 100, .max_args = 10};
  std::string ok_size, over_size, ok_argc, over_argc;
  AppendCommand(&ok_size, 0, {"SET", "k", std::string(96, 'v')});
  AppendCommand(&over_size, 0, {"SET", "k", std::string(97, 'v')});
  std::vector<std::string_view> ten(10, "a"), eleven(11, "a");
  AppendCommand(&ok_argc, 0, ten);
  AppendCommand(&over_argc, 0, eleven);
  EXPECT_EQ(FeedWhole(ok_size, limits).last, Status::kOk);
  EXPECT_EQ(FeedWhole(over_size, limits).last, Status::kCorrupt);
  EXPECT_EQ(FeedWhole(ok_argc, limits).last, Status::kOk);
  EXPECT_EQ(FeedWhole(over_argc, limits).last, Status::kCorrupt);
}

TEST(CorruptTest, MaxArgcOfEmptyStringsIsAccepted) {
  std::vector<std::string_view> args(1024 * 1024, "");
  args[0] = "DEL";
  std::string stream;
  AppendCommand(&stream, 0, args);
  FeedResult r = FeedWhole(stream);
  ASSERT_EQ(r.last, Status::kOk) << r.error;
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].args.size(), args.size());
}

TEST(CorruptTest, RandomGarbageNeverCrashes) {
  std::mt19937_64 rng(3);
  size_t corrupt = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string stream;
    // Valid records with random bytes flipped, or plain noise.
    if (round % 2 == 0) {
      for (const auto& r : RandomRecords(rng, 5, /*small=*/true)) Write(r, &stream);
      for (int i = 0; i < 3 && !stream.empty(); ++i) {
        stream[rng() % stream.size()] = static_cast<char>(rng());
      }
    } else {
      stream.resize(rng() % 64);
      for (char& c : stream) c = static_cast<char>(rng());
    }
    FeedResult r = Feed(stream, {1 + rng() % 7}, StreamLimits{.max_command_bytes = 1 << 20});
    corrupt += r.last == Status::kCorrupt;
  }
  EXPECT_GT(corrupt, 0u);
}

// ---- Cost ---------------------------------------------------------------------------------------

TEST(CostTest, LargeValueInSmallReads) {
  std::string value(8 << 20, '\0');
  std::mt19937_64 rng(1);
  for (char& c : value) c = static_cast<char>(rng());
  std::string stream;
  AppendSelectAndCommand(&stream, 0, 0, {"SET", "big", value});
  AppendPing(&stream);

  auto start = std::chrono::steady_clock::now();
  FeedResult r = Feed(stream, {4096});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.last, Status::kOk) << r.error;
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_TRUE(r.records[1].args[2] == value);
  // One call per read plus one per record: no re-parsing loop inside the reader.
  EXPECT_LE(r.next_calls, stream.size() / 4096 + 1 + 3);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

// Many small strings arriving a few bytes at a time: a reader that re-parsed the record from
// its start on every call would do ~10^10 steps here.
TEST(CostTest, ManyArgumentsInTinyReads) {
  std::vector<std::string> members(200000);
  for (size_t i = 0; i < members.size(); ++i) members[i] = std::to_string(i);
  std::vector<std::string_view> args = {"SADD", "s"};
  args.insert(args.end(), members.begin(), members.end());
  std::string stream;
  AppendCommand(&stream, 0, args);

  auto start = std::chrono::steady_clock::now();
  FeedResult r = Feed(stream, {3});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.last, Status::kOk) << r.error;
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].args.size(), args.size());
  EXPECT_EQ(r.records[0].args.back(), "199999");
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

}  // namespace
}  // namespace darner::flow
