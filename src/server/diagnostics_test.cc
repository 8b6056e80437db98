#include "server/diagnostics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace darner {
namespace {

TEST(SlowLogTest, ShortensLongArgumentsAndLongCommands) {
  std::string big(200, 'x');
  std::vector<std::string_view> args = {"SET", "k", big};
  std::vector<std::string> got = ShortenForSlowLog(args);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2], std::string(128, 'x') + "... (72 more bytes)");

  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("k" + std::to_string(i));
  std::vector<std::string_view> many = {"DEL"};
  for (const auto& n : names) many.push_back(n);
  got = ShortenForSlowLog(many);
  ASSERT_EQ(got.size(), kSlowLogMaxArgs);
  EXPECT_EQ(got[30], "k29");
  EXPECT_EQ(got.back(), "... (10 more arguments)");

  // Exactly the limit: nothing is left out.
  many.resize(kSlowLogMaxArgs);
  EXPECT_EQ(ShortenForSlowLog(many).back(), "k30");
}

TEST(SlowLogTest, KeepsTheNewestUpToMaxLen) {
  Diagnostics().slowlog_max_len = 3;
  SlowLog log;
  for (int i = 0; i < 5; ++i) {
    std::string_view args[] = {"GET", "k"};
    log.Add(args, static_cast<uint64_t>(i), "127.0.0.1:1", "");
  }
  ASSERT_EQ(log.entries().size(), 3u);
  EXPECT_EQ(log.entries().front().micros, 4u);  // newest first
  EXPECT_GT(log.entries().front().id, log.entries().back().id);
  log.Reset();
  EXPECT_TRUE(log.entries().empty());
  Diagnostics().slowlog_max_len = 128;
}

TEST(LatencyTest, OneSamplePerSecondKeepsTheLargest) {
  LatencyEvent e;
  e.Add(100, 5);
  e.Add(100, 9);
  e.Add(100, 7);
  e.Add(101, 3);
  ASSERT_EQ(e.samples().size(), 2u);
  EXPECT_EQ(e.samples()[0].ms, 9u);
  EXPECT_EQ(e.samples()[1].ms, 3u);
  EXPECT_EQ(e.max_ms(), 9u);
  for (int64_t s = 200; s < 400; ++s) e.Add(s, 1);
  EXPECT_EQ(e.samples().size(), LatencyEvent::kSamples);
  EXPECT_EQ(e.samples().front().unix_seconds, 400 - int64_t{LatencyEvent::kSamples});
  EXPECT_EQ(e.max_ms(), 9u);  // the all-time largest outlives its sample
}

TEST(LatencyTest, MergeTakesTheLargestPerSecondAcrossThreads) {
  std::vector<std::vector<LatencyEvent::Sample>> parts = {{{10, 4}, {12, 1}}, {{10, 6}, {11, 2}}};
  std::vector<LatencyEvent::Sample> merged = MergeSamples(parts);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].unix_seconds, 10);
  EXPECT_EQ(merged[0].ms, 6u);
  EXPECT_EQ(merged[1].unix_seconds, 11);
  EXPECT_EQ(merged[2].unix_seconds, 12);
}

TEST(LatencyTest, EventsResetByNameOrAll) {
  LatencyEvents events;
  events.Add("command", 1, 5);
  events.Add("fast-command", 1, 5);
  EXPECT_EQ(events.Reset("nosuch"), 0u);
  EXPECT_EQ(events.Reset("command"), 1u);
  EXPECT_EQ(events.Reset(""), 1u);
  EXPECT_TRUE(events.events.empty());
}

TEST(LatencyTest, HistogramBucketsArePowersOfTwo) {
  LatencyHistogram h;
  h.Add(0);        // under 1 us: bucket 0
  h.Add(1);        // [1, 2): bucket 1
  h.Add(3);        // [2, 4): bucket 2
  h.Add(4);        // [4, 8): bucket 3
  h.Add(1 << 30);  // beyond the last bound: the last bucket
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[1], 1u);
  EXPECT_EQ(h.counts[2], 1u);
  EXPECT_EQ(h.counts[3], 1u);
  EXPECT_EQ(h.counts[LatencyHistogram::kBuckets - 1], 1u);
  LatencyHistogram other;
  other.Merge(h);
  other.Merge(h);
  EXPECT_EQ(other.total(), 10u);
}

TEST(LatencyTest, PercentilesAreBucketBounds) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(50), 0u);        // no calls
  for (int i = 0; i < 98; ++i) h.Add(3);  // bucket [2, 4)
  h.Add(100);                             // [64, 128)
  h.Add(5000);                            // [4096, 8192)
  EXPECT_EQ(h.Percentile(0), 4u);
  EXPECT_EQ(h.Percentile(50), 4u);
  EXPECT_EQ(h.Percentile(99), 128u);
  EXPECT_EQ(h.Percentile(99.9), 8192u);
  EXPECT_EQ(h.Percentile(100), 8192u);
}

TEST(LatencyTest, InfoPercentilesParseAndFormat) {
  EXPECT_EQ(FormatInfoPercentiles(), "50 99 99.9");
  EXPECT_EQ(SetInfoPercentiles("99.99 0.5"), "");
  EXPECT_EQ(FormatInfoPercentiles(), "99.99 0.5");
  EXPECT_NE(SetInfoPercentiles("101"), "");
  EXPECT_NE(SetInfoPercentiles("abc"), "");
  EXPECT_EQ(FormatInfoPercentiles(), "99.99 0.5");  // a bad list changes nothing
  EXPECT_EQ(SetInfoPercentiles(""), "");
  EXPECT_TRUE(InfoPercentiles().empty());
  EXPECT_EQ(SetInfoPercentiles("50 99 99.9"), "");
}

}  // namespace
}  // namespace darner
