#include "core/bits.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace darner {
namespace {

using namespace std::string_literals;

// Expected values come from redis-server 7.0.15; a randomized differential run (~50k BITCOUNT,
// BITPOS, BITOP and BITFIELD commands) agreed as well.

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(BitCountTest, WholeStringAndRanges) {
  EXPECT_EQ(BitCount("foobar"), 26);
  EXPECT_EQ(BitCount(""), 0);
  EXPECT_EQ(BitCount("foobar", 0, 0), 4);
  EXPECT_EQ(BitCount("foobar", 1, 1), 6);
  EXPECT_EQ(BitCount("foobar", 1, -2), 18);
  EXPECT_EQ(BitCount("foobar", 2, 100), 16);
  EXPECT_EQ(BitCount("", 0, 0), 0);
  EXPECT_EQ(BitCount("foobar", kMax, kMin), 0);
}

TEST(BitCountTest, BitUnit) {
  EXPECT_EQ(BitCount("foobar", 5, 30, true), 17);
  EXPECT_EQ(BitCount("foobar", -3, -1, true), 1);
  EXPECT_EQ(BitCount("foobar", 47, 47, true), 0);
  EXPECT_EQ(BitCount("abc", -10, -5, true), 3);
}

TEST(BitCountTest, NegativeStartAfterEndIsEmptyBeforeClamping) {
  // Both clamp to byte 0, but Redis answers 0 first.
  EXPECT_EQ(BitCount("abc", -5, -10), 0);
  EXPECT_EQ(BitCount("foobar", -5, -10), 0);
  // Clamping otherwise applies: -10..-5 on 3 bytes is byte 0.
  EXPECT_EQ(BitCount("abc", -10, -5), 3);
}

TEST(BitCountTest, LongStringsUseWordPath) {
  std::string s(1000, '\xff');
  s[500] = '\x0f';
  EXPECT_EQ(BitCount(s), 7996);
  EXPECT_EQ(BitCount(s, 3, 997), 995 * 8 - 4);
  EXPECT_EQ(BitCount(s, 4003, 4004, true), 1);
  EXPECT_EQ(BitCount(s, 4000, 4007, true), 4);
}

TEST(BitPosTest, WholeString) {
  EXPECT_EQ(BitPos("\xff\xf0\x00"s, 0), 12);
  EXPECT_EQ(BitPos("\xff\xf0\x00"s, 1), 0);
  EXPECT_EQ(BitPos("\x00\x00\x00"s, 1), -1);
  EXPECT_EQ(BitPos("\x00\x00\x00"s, 0), 0);
  // No clear bit and no explicit end: the string reads as zero-padded.
  EXPECT_EQ(BitPos("\xff\xff\xff", 0), 24);
  // An existing empty string has an empty range (a missing key is the caller's business).
  EXPECT_EQ(BitPos("", 0), -1);
  EXPECT_EQ(BitPos("", 1), -1);
}

TEST(BitPosTest, ByteRanges) {
  const std::string s = "\x00\xff\xf0"s;
  EXPECT_EQ(BitPos(s, 1, 0), 8);
  EXPECT_EQ(BitPos(s, 1, 2), 16);
  EXPECT_EQ(BitPos(s, 1, 2, -1), 16);
  EXPECT_EQ(BitPos("\xff\xff\xff", 0, 1), 24);
  EXPECT_EQ(BitPos("\xff\xff\xff", 0, 0, -1), -1);  // Explicit end: no padding.
  EXPECT_EQ(BitPos("\xff\xf0\x00"s, 0, 10), -1);    // Empty range.
  EXPECT_EQ(BitPos("\xff\xf0\x00"s, 1, -1), -1);
  EXPECT_EQ(BitPos("\xff\xf0\x00"s, 0, -1), 16);
  EXPECT_EQ(BitPos("\xff\xf0\x00"s, 1, -100, -50), 0);  // Both clamp to byte 0.
}

TEST(BitPosTest, BitRanges) {
  const std::string s = "\x00\xff\xf0"s;
  EXPECT_EQ(BitPos(s, 1, 7, 15, true), 8);
  EXPECT_EQ(BitPos(s, 0, 8, 15, true), -1);
  EXPECT_EQ(BitPos(s, 0, 8, -5, true), -1);
  EXPECT_EQ(BitPos(s, 0, 8, -4, true), 20);
  EXPECT_EQ(BitPos("\xff\xff\xff", 0, 2, -1, true), -1);
  EXPECT_EQ(BitPos("\xff", 0, 3, 6, true), -1);
}

TEST(BitPosTest, LongStringsUseWordPath) {
  std::string ones(1000, '\xff');
  ones[777] = '\xfb';
  EXPECT_EQ(BitPos(ones, 0), 777 * 8 + 5);
  EXPECT_EQ(BitPos(ones, 0, 778), 8000);
  EXPECT_EQ(BitPos(ones, 0, 778, 999), -1);
  std::string zeros(1000, '\0');
  zeros[901] = '\x01';
  EXPECT_EQ(BitPos(zeros, 1), 901 * 8 + 7);
  EXPECT_EQ(BitPos(zeros, 1, 3, 7215, true), 7215);
  EXPECT_EQ(BitPos(zeros, 1, 3, 7214, true), -1);
}

std::string Op(BitOpKind op, std::vector<std::string_view> sources) { return BitOp(op, sources); }

TEST(BitOpTest, ShorterSourcesAreZeroPadded) {
  EXPECT_EQ(Op(BitOpKind::kAnd, {"abc", "ab"}), "ab\0"s);
  EXPECT_EQ(Op(BitOpKind::kOr, {"abc", "ab"}), "abc");
  EXPECT_EQ(Op(BitOpKind::kXor, {"abc", "ab"}), "\0\0c"s);
  EXPECT_EQ(Op(BitOpKind::kAnd, {"abc", ""}), "\0\0\0"s);  // A missing key.
  EXPECT_EQ(Op(BitOpKind::kOr, {"ab", ""}), "ab");
  EXPECT_EQ(Op(BitOpKind::kAnd, {"\xff\xff", "\x0f", "\xf3\x3c"}), "\x03\x00"s);
  EXPECT_EQ(Op(BitOpKind::kXor, {"\x01", "\x03", "\x07\x01"}), "\x05\x01"s);
  EXPECT_EQ(Op(BitOpKind::kOr, {"", ""}), "");
}

TEST(BitOpTest, Not) {
  EXPECT_EQ(Op(BitOpKind::kNot, {"\x0f"}), "\xf0");
  EXPECT_EQ(Op(BitOpKind::kNot, {""}), "");  // Redis then deletes the destination.
}

TEST(SetBitTest, GetAndSet) {
  std::string s;
  EXPECT_EQ(SetBit(&s, 7, 1), 0);
  EXPECT_EQ(SetBit(&s, 7, 0), 1);
  EXPECT_EQ(SetBit(&s, 7, 1), 0);
  EXPECT_EQ(SetBit(&s, 20, 1), 0);
  EXPECT_EQ(s, "\x01\x00\x08"s);
  EXPECT_EQ(GetBit(s, 20), 1);
  EXPECT_EQ(GetBit(s, 21), 0);
  EXPECT_EQ(GetBit(s, 1000), 0);
}

TEST(ParseBitOffsetTest, PlainOffsets) {
  uint64_t off = 0;
  EXPECT_TRUE(ParseBitOffset("4294967295", false, 0, kDefaultMaxBulkLen, &off));
  EXPECT_EQ(off, 4294967295u);
  EXPECT_FALSE(ParseBitOffset("4294967296", false, 0, kDefaultMaxBulkLen, &off));
  EXPECT_FALSE(ParseBitOffset("-1", false, 0, kDefaultMaxBulkLen, &off));
  EXPECT_FALSE(ParseBitOffset("#1", false, 0, kDefaultMaxBulkLen, &off));  // SETBIT/GETBIT.
  EXPECT_FALSE(ParseBitOffset("8\0"s, true, 8, kDefaultMaxBulkLen, &off));
  EXPECT_FALSE(ParseBitOffset("", true, 8, kDefaultMaxBulkLen, &off));
}

TEST(ParseBitOffsetTest, HashOffsetsMultiplyByWidth) {
  uint64_t off = 0;
  EXPECT_TRUE(ParseBitOffset("#1", true, 16, kDefaultMaxBulkLen, &off));
  EXPECT_EQ(off, 16u);
  EXPECT_TRUE(ParseBitOffset("#536870911", true, 8, kDefaultMaxBulkLen, &off));
  EXPECT_EQ(off, 4294967288u);
  EXPECT_FALSE(ParseBitOffset("#536870912", true, 8, kDefaultMaxBulkLen, &off));
  EXPECT_FALSE(ParseBitOffset("#536870911", true, 16, kDefaultMaxBulkLen, &off));
  EXPECT_FALSE(ParseBitOffset("#-1", true, 8, kDefaultMaxBulkLen, &off));
  EXPECT_FALSE(ParseBitOffset("#1\0"s, true, 8, kDefaultMaxBulkLen, &off));
  // The product wraps in Redis: #(2^61 + 1) * 8 is offset 8, #2^61 * 8 is offset 0.
  EXPECT_TRUE(ParseBitOffset("#2305843009213693953", true, 8, kDefaultMaxBulkLen, &off));
  EXPECT_EQ(off, 8u);
  EXPECT_TRUE(ParseBitOffset("#2305843009213693952", true, 8, kDefaultMaxBulkLen, &off));
  EXPECT_EQ(off, 0u);
}

TEST(BitfieldTest, ParseTypeAndOverflow) {
  BitfieldType t;
  ASSERT_TRUE(ParseBitfieldType("i64", &t));
  EXPECT_TRUE(t.is_signed);
  EXPECT_EQ(t.bits, 64);
  ASSERT_TRUE(ParseBitfieldType("u63", &t));
  EXPECT_FALSE(t.is_signed);
  EXPECT_EQ(t.bits, 63);
  ASSERT_TRUE(ParseBitfieldType("i8\0x"s, &t));  // C string parsing stops at NUL.
  EXPECT_EQ(t.bits, 8);
  for (const std::string& bad :
       {"u64"s, "i65"s, "u0"s, "I8"s, "U8"s, "u08"s, "i"s, ""s, "x8"s, "i-1"s}) {
    EXPECT_FALSE(ParseBitfieldType(bad, &t)) << bad;
  }
  BitfieldOverflow ow;
  ASSERT_TRUE(ParseBitfieldOverflow("sat", &ow));
  EXPECT_EQ(ow, BitfieldOverflow::kSat);
  ASSERT_TRUE(ParseBitfieldOverflow("WRAP", &ow));
  EXPECT_EQ(ow, BitfieldOverflow::kWrap);
  ASSERT_TRUE(ParseBitfieldOverflow("Fail", &ow));
  EXPECT_EQ(ow, BitfieldOverflow::kFail);
  ASSERT_TRUE(ParseBitfieldOverflow("sat\0x"s, &ow));
  EXPECT_FALSE(ParseBitfieldOverflow("x", &ow));
}

constexpr BitfieldType I(int bits) { return {true, static_cast<uint8_t>(bits)}; }
constexpr BitfieldType U(int bits) { return {false, static_cast<uint8_t>(bits)}; }

TEST(BitfieldTest, Get) {
  // BITFIELD k GET u8 #1 GET u16 #1 GET i4 4 GET u1 23 GET i16 20 GET u12 #2 on "abc".
  EXPECT_EQ(BitfieldGet("abc", 8, U(8)), 98);
  EXPECT_EQ(BitfieldGet("abc", 16, U(16)), 25344);
  EXPECT_EQ(BitfieldGet("abc", 4, I(4)), 1);
  EXPECT_EQ(BitfieldGet("abc", 23, U(1)), 1);
  EXPECT_EQ(BitfieldGet("abc", 20, I(16)), 12288);
  EXPECT_EQ(BitfieldGet("abc", 24, U(12)), 0);
  EXPECT_EQ(BitfieldGet("\x80", 0, I(8)), -128);
  EXPECT_EQ(BitfieldGet("\xff\xff\xff\xff\xff\xff\xff\xff", 0, I(64)), -1);
  EXPECT_EQ(BitfieldGet("\xff\xff\xff\xff\xff\xff\xff\xff", 1, U(63)), kMax);
}

TEST(BitfieldTest, IncrByWithOverflowPolicies) {
  // BITFIELD k INCRBY i5 100 1 GET u4 0 -> 1, 0.
  std::string s;
  EXPECT_EQ(BitfieldIncrBy(&s, 100, I(5), 1, BitfieldOverflow::kWrap), 1);
  EXPECT_EQ(BitfieldGet(s, 0, U(4)), 0);
  // INCRBY u2 100 1 / OVERFLOW SAT INCRBY u2 102 1 / OVERFLOW FAIL INCRBY u2 104 1, four times:
  // [1 1 1] [2 2 2] [3 3 3] [0 3 nil].
  s.clear();
  const std::vector<std::vector<std::optional<int64_t>>> expected = {
      {1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {0, 3, std::nullopt}};
  for (const auto& row : expected) {
    EXPECT_EQ(BitfieldIncrBy(&s, 100, U(2), 1, BitfieldOverflow::kWrap), row[0]);
    EXPECT_EQ(BitfieldIncrBy(&s, 102, U(2), 1, BitfieldOverflow::kSat), row[1]);
    EXPECT_EQ(BitfieldIncrBy(&s, 104, U(2), 1, BitfieldOverflow::kFail), row[2]);
  }
}

TEST(BitfieldTest, SixtyFourBitFields) {
  // SET i64 0 -1, INCRBY i64 0 INT64_MIN, SAT INCRBY -1, WRAP INCRBY -1, GET u63 0,
  // GET u63 1, SET u63 1 -1, GET i64 0.
  std::string s;
  EXPECT_EQ(BitfieldSet(&s, 0, I(64), -1, BitfieldOverflow::kWrap), 0);
  EXPECT_EQ(BitfieldIncrBy(&s, 0, I(64), kMin, BitfieldOverflow::kWrap), kMax);
  EXPECT_EQ(BitfieldIncrBy(&s, 0, I(64), -1, BitfieldOverflow::kSat), kMax - 1);
  EXPECT_EQ(BitfieldIncrBy(&s, 0, I(64), -1, BitfieldOverflow::kWrap), kMax - 2);
  EXPECT_EQ(BitfieldGet(s, 0, U(63)), 4611686018427387902);
  EXPECT_EQ(BitfieldGet(s, 1, U(63)), kMax - 2);
  EXPECT_EQ(BitfieldSet(&s, 1, U(63), -1, BitfieldOverflow::kWrap), kMax - 2);
  EXPECT_EQ(BitfieldGet(s, 0, I(64)), kMax);
  EXPECT_EQ(s, "\x7f\xff\xff\xff\xff\xff\xff\xff");
}

TEST(BitfieldTest, SetOverflow) {
  // SET i8 0 200, GET, SAT SET 200, GET, SET -200, GET, FAIL SET 128, GET.
  std::string s;
  EXPECT_EQ(BitfieldSet(&s, 0, I(8), 200, BitfieldOverflow::kWrap), 0);
  EXPECT_EQ(BitfieldGet(s, 0, I(8)), -56);
  EXPECT_EQ(BitfieldSet(&s, 0, I(8), 200, BitfieldOverflow::kSat), -56);
  EXPECT_EQ(BitfieldGet(s, 0, I(8)), 127);
  EXPECT_EQ(BitfieldSet(&s, 0, I(8), -200, BitfieldOverflow::kSat), 127);
  EXPECT_EQ(BitfieldGet(s, 0, I(8)), -128);
  EXPECT_EQ(BitfieldSet(&s, 0, I(8), 128, BitfieldOverflow::kFail), std::nullopt);
  EXPECT_EQ(s, "\x80");
}

TEST(BitfieldTest, SetQuirks) {
  std::string s;
  // A value far below an iN range saturates to the maximum (Redis's wrapped limit check).
  EXPECT_EQ(BitfieldSet(&s, 0, I(8), kMin, BitfieldOverflow::kSat), 0);
  EXPECT_EQ(BitfieldGet(s, 0, I(8)), 127);
  EXPECT_EQ(BitfieldSet(&s, 0, I(8), -9223372036854775807 + 127, BitfieldOverflow::kSat), 127);
  EXPECT_EQ(BitfieldGet(s, 0, I(8)), -128);
  EXPECT_EQ(BitfieldSet(&s, 0, I(8), -9223372036854775807 + 126, BitfieldOverflow::kSat), -128);
  EXPECT_EQ(BitfieldGet(s, 0, I(8)), 127);
  // A negative value for an unsigned field overflows upwards.
  EXPECT_EQ(BitfieldSet(&s, 0, U(8), -1, BitfieldOverflow::kSat), 127);
  EXPECT_EQ(BitfieldGet(s, 0, U(8)), 255);
  // Even a FAILed write zero-extends the string to cover the field: 14 bytes here.
  s.clear();
  EXPECT_EQ(BitfieldSet(&s, 100, U(8), 256, BitfieldOverflow::kFail), std::nullopt);
  EXPECT_EQ(s, std::string(14, '\0'));
}

TEST(BitfieldTest, AddPrimitive) {
  auto add = [](BitfieldType t, int64_t v, int64_t incr, BitfieldOverflow ow) {
    BitfieldSum sum = BitfieldAdd(t, v, incr, ow);
    return std::make_pair(sum.value, sum.overflow);
  };
  using P = std::pair<int64_t, bool>;
  EXPECT_EQ(add(I(8), 100, 27, BitfieldOverflow::kFail), P(127, false));
  EXPECT_EQ(add(I(8), 100, 28, BitfieldOverflow::kWrap), P(-128, true));
  EXPECT_EQ(add(I(8), 100, 28, BitfieldOverflow::kSat), P(127, true));
  EXPECT_EQ(add(I(8), -100, -29, BitfieldOverflow::kSat), P(-128, true));
  EXPECT_EQ(add(I(8), -100, -29, BitfieldOverflow::kWrap), P(127, true));
  EXPECT_EQ(add(I(8), 5, 0, BitfieldOverflow::kFail), P(5, false));
  EXPECT_EQ(add(I(1), 0, -1, BitfieldOverflow::kFail), P(-1, false));
  EXPECT_EQ(add(I(1), -1, 1, BitfieldOverflow::kFail), P(0, false));
  EXPECT_EQ(add(I(1), 0, 1, BitfieldOverflow::kSat), P(0, true));
  EXPECT_EQ(add(I(64), kMax, 1, BitfieldOverflow::kWrap), P(kMin, true));
  EXPECT_EQ(add(I(64), kMin, -1, BitfieldOverflow::kSat), P(kMin, true));
  EXPECT_EQ(add(I(64), kMin, kMax, BitfieldOverflow::kFail), P(-1, false));
  EXPECT_EQ(add(U(8), 255, 1, BitfieldOverflow::kWrap), P(0, true));
  EXPECT_EQ(add(U(8), 0, -1, BitfieldOverflow::kSat), P(0, true));
  EXPECT_EQ(add(U(8), 0, -1, BitfieldOverflow::kWrap), P(255, true));
  EXPECT_EQ(add(U(8), 10, kMin, BitfieldOverflow::kWrap), P(10, true));
  EXPECT_EQ(add(U(63), kMax, 1, BitfieldOverflow::kWrap), P(0, true));
  EXPECT_EQ(add(U(63), 0, kMax, BitfieldOverflow::kFail), P(kMax, false));
  EXPECT_EQ(add(U(63), 1, kMax, BitfieldOverflow::kFail), P(1, true));  // Input kept on FAIL.
}

}  // namespace
}  // namespace darner
