#include "core/rdb_value.h"

#include <gtest/gtest.h>

#include <string>

#include "base/crc64.h"
#include "core/lzf.h"

namespace darner::rdb {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string ToHex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += {kDigits[c >> 4], kDigits[c & 15]};
  return out;
}

// Re-seals a payload whose body was edited: version 10 and a fresh checksum.
std::string Seal(std::string body, uint16_t version = kVersion) {
  body.push_back(static_cast<char>(version & 0xff));
  body.push_back(static_cast<char>(version >> 8));
  uint64_t crc = Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  return body;
}

std::string Restored(std::string_view payload) {
  OpResult<CompactValue> v = ParseDumpPayload(payload);
  EXPECT_TRUE(v.ok());
  return v.ok() ? v->ToString() : "";
}

// Payloads redis-server 7.0 returned for DUMP of these strings, byte for byte.
struct RedisDump {
  std::string_view value;
  std::string_view hex;
};
constexpr RedisDump kRedisDumps[] = {
    {"hello", "000568656c6c6f0a006372df766534200a"},
    {"123", "00c07b0a0048e253e1007a67b9"},
    {"-1", "00c0ff0a000c937e2485089dc5"},
    {"-200", "00c138ff0a00223b8fbbe8f461f3"},
    {"70000", "00c2701101000a0001a408fe953095a5"},
    {"4294967296", "000a343239343936373239360a00a5a389c81a8c4656"},
    {"007", "00033030370a007258e27b4c69bad9"},
    {"", "00000a005d9b5c400f7fa2da"},
};

TEST(RdbValueTest, DumpIsByteForByteWhatRedisWritesForUncompressedStrings) {
  for (const RedisDump& d : kRedisDumps) {
    EXPECT_EQ(ToHex(DumpPayload(CompactValue::String(d.value))), d.hex) << d.value;
    EXPECT_EQ(Restored(FromHex(d.hex)), d.value);
  }
  // An integer-encoded value dumps as its decimal string would.
  EXPECT_EQ(ToHex(DumpPayload(CompactValue::Int(123))), kRedisDumps[1].hex);
}

TEST(RdbValueTest, RestoresRedisLzfCompressedStrings) {
  std::string abc;
  for (int i = 0; i < 16; ++i) abc += "abc";
  EXPECT_EQ(Restored(FromHex("00c30b300361626361e021020162630a00704e61bcdc24b6aa")), abc);
  EXPECT_EQ(Restored(FromHex("00c30c412c017878e0ff00e017000178780a00f033195a8b660d84")),
            std::string(300, 'x'));
}

TEST(RdbValueTest, LongAndBinaryStringsRoundTrip) {
  for (size_t len : {63u, 64u, 16383u, 16384u, 70000u}) {
    std::string s(len, '\0');
    for (size_t i = 0; i < len; ++i) s[i] = static_cast<char>(i * 7);
    EXPECT_EQ(Restored(DumpPayload(CompactValue::String(s))), s) << len;
  }
  std::string big_length;  // a 64-bit length is read too (and then fails: no such bytes)
  big_length.push_back(0);
  AppendLength(uint64_t(1) << 40, &big_length);
  EXPECT_EQ(static_cast<uint8_t>(big_length[1]), 0x81);
  EXPECT_EQ(ParseDumpPayload(Seal(big_length)).status(), OpStatus::kBadData);
}

TEST(RdbValueTest, VersionAndChecksumAreCheckedFirst) {
  std::string good(FromHex(kRedisDumps[0].hex));
  EXPECT_EQ(ParseDumpPayload("").status(), OpStatus::kBadPayload);
  EXPECT_EQ(ParseDumpPayload(good.substr(0, 9)).status(), OpStatus::kBadPayload);
  std::string body = good.substr(0, good.size() - 10);
  EXPECT_EQ(ParseDumpPayload(Seal(body, 11)).status(), OpStatus::kBadPayload);
  EXPECT_TRUE(ParseDumpPayload(Seal(body, 9)).ok());  // older versions are read
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 1;
    EXPECT_FALSE(ParseDumpPayload(bad).ok()) << i;
  }
}

TEST(RdbValueTest, MalformedBodiesAreBadData) {
  // Types Darner does not hold yet, unknown types, lengths past the end, unknown encodings,
  // reserved length bytes, and LZF streams that lie about their size.
  for (std::string_view hex : {"02", "04", "ff", "000a", "00c4", "0082", "00c30302", "00c3020161",
                               "00c3020300616263", "00c3020a00616263", "00c303030261626364"}) {
    EXPECT_EQ(ParseDumpPayload(Seal(FromHex(hex))).status(), OpStatus::kBadData) << hex;
  }
  // A claimed uncompressed size far beyond what the compressed bytes can give is refused
  // before anything that size is allocated.
  std::string claim = FromHex("00c3");
  AppendLength(4, &claim);
  AppendLength(uint64_t(1) << 32, &claim);
  claim += FromHex("02616263");
  EXPECT_EQ(ParseDumpPayload(Seal(claim)).status(), OpStatus::kBadData);
}

TEST(RdbValueTest, EveryTruncationOfAValidBodyFailsCleanly) {
  std::string body = FromHex("00c30c412c017878e0ff00e017000178780a00f033195a8b660d84");
  body.resize(body.size() - 10);
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_EQ(ParseDumpPayload(Seal(body.substr(0, n))).ok(), false) << n;
  }
}

TEST(LzfTest, ReferencesMayOverlapButNeverReachBeforeTheStart) {
  std::string out;
  // Literal "a", then a back reference of 9 bytes at distance 1: "aaaaaaaaaa".
  EXPECT_TRUE(LzfDecompress(FromHex("0061e00000"), 10, &out));
  EXPECT_EQ(out, std::string(10, 'a'));
  EXPECT_FALSE(LzfDecompress(FromHex("0061e00001"), 10, &out));  // distance 2 > 1 byte so far
  EXPECT_FALSE(LzfDecompress(FromHex("0061e00000"), 9, &out));   // more than asked for
  EXPECT_FALSE(LzfDecompress(FromHex("0061e00000"), 11, &out));  // fewer
  EXPECT_FALSE(LzfDecompress(FromHex("0561"), 6, &out));         // literal past the input
}

}  // namespace
}  // namespace darner::rdb
