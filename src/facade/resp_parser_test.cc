#include "facade/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace darner {
namespace {

using Cmds = std::vector<std::vector<std::string>>;

// Feeds `input` to a parser in pieces cut at the given offsets (growing the visible buffer, as a
// connection does) and returns every request parsed; *error gets a protocol error if one occurs.
Cmds ParseInPieces(const std::string& input, const std::vector<size_t>& cuts, std::string* error,
                   ParserLimits limits = {}) {
  RespParser parser(limits);
  Cmds out;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t visible : ends) {
    while (true) {
      std::string_view buf(input.data() + start, visible - start);
      size_t consumed = 0;
      auto st = parser.Parse(buf, &consumed);
      if (st == RespParser::Status::kIncomplete) {
        EXPECT_GT(parser.MinBytesWanted(), buf.size());
        break;
      }
      if (st == RespParser::Status::kError) {
        *error = parser.Error();
        return out;
      }
      if (!parser.Args().empty()) {
        out.emplace_back(parser.Args().begin(), parser.Args().end());
      }
      start += consumed;
    }
  }
  return out;
}

Cmds Parse(const std::string& input, std::string* error = nullptr) {
  std::string err;
  Cmds out = ParseInPieces(input, {}, &err);
  if (error) *error = err;
  EXPECT_TRUE(error || err.empty()) << err;
  return out;
}

TEST(RespParserTest, MultiBulk) {
  Cmds cmds = Parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"SET", "k", "value"}));
  EXPECT_EQ(cmds[1], (std::vector<std::string>{"PING"}));
}

TEST(RespParserTest, BinarySafeBulk) {
  std::string value("a\r\n\0b", 5);
  Cmds cmds = Parse("*2\r\n$4\r\nECHO\r\n$5\r\n" + value + "\r\n");
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0][1], value);
}

TEST(RespParserTest, EverySplitPointOfAPipeline) {
  const std::string input =
      "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\nPING\r\n*0\r\n"
      "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nECHO \"a b\" 'c'\r\n*-1\r\n*1\r\n$4\r\nPING\r\n";
  const Cmds expected = {
      {"SET", "key", "0123456789"}, {"PING"}, {"GET", "key"}, {"ECHO", "a b", "c"}, {"PING"}};
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); j += 7) {
      std::string err;
      EXPECT_EQ(ParseInPieces(input, {i, j}, &err), expected) << "cuts " << i << "," << j;
      EXPECT_EQ(err, "");
    }
  }
}

TEST(RespParserTest, ByteByByte) {
  const std::string input = "*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n";
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  std::string err;
  Cmds cmds = ParseInPieces(input, cuts, &err);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0][1], "hello world");
}

TEST(RespParserTest, InlineCommands) {
  Cmds cmds = Parse("SET k v\r\n\r\n  GET   k  \nECHO \"x\\ty\\x41\"\r\n");
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"SET", "k", "v"}));
  EXPECT_EQ(cmds[1], (std::vector<std::string>{"GET", "k"}));
  EXPECT_EQ(cmds[2], (std::vector<std::string>{"ECHO", "x\tyA"}));
}

TEST(RespParserTest, Errors) {
  std::string err;
  Parse("*1\r\n+PING\r\n", &err);
  EXPECT_EQ(err, "expected '$', got '+'");
  Parse("*1\r\n$-3\r\n", &err);
  EXPECT_EQ(err, "invalid bulk length");
  Parse("*1\r\n$abc\r\n", &err);
  EXPECT_EQ(err, "invalid bulk length");
  Parse("*1048577\r\n", &err);
  EXPECT_EQ(err, "invalid multibulk length");
  Parse("*x\r\n", &err);
  EXPECT_EQ(err, "invalid multibulk length");
  Parse("ECHO \"abc\r\n", &err);
  EXPECT_EQ(err, "unbalanced quotes in request");
  Parse(std::string(70 * 1024, 'a'), &err);
  EXPECT_EQ(err, "too big inline request");
}

TEST(RespParserTest, BulkLimit) {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  std::string err;
  ParseInPieces("*1\r\n$11\r\n", {}, &err, limits);
  EXPECT_EQ(err, "invalid bulk length");
  err.clear();
  Cmds ok = ParseInPieces("*1\r\n$10\r\n0123456789\r\n", {}, &err, limits);
  EXPECT_EQ(err, "");
  EXPECT_EQ(ok.size(), 1u);
}

TEST(RespParserTest, HugeHeaderDoesNotAllocateUpFront) {
  // A million-argument header with no arguments yet is simply incomplete.
  RespParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse("*1048576\r\n$1\r\na\r\n", &consumed), RespParser::Status::kIncomplete);
}

}  // namespace
}  // namespace darner
