#include "facade/reply_builder.h"

#include <gtest/gtest.h>

namespace darner {
namespace {

TEST(ReplyBuilderTest, Resp2) {
  ReplyBuilder rb;
  rb.SendOk();
  rb.SendLong(-42);
  rb.SendBulk("hi");
  rb.SendNull();
  rb.SendNullArray();
  rb.StartMap(1);
  rb.SendDouble(1.5);
  rb.SendBool(true);
  rb.SendError("syntax error");
  rb.SendError("-WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(rb.buffer(),
            "+OK\r\n:-42\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*2\r\n$3\r\n1.5\r\n:1\r\n"
            "-ERR syntax error\r\n-WRONGTYPE Operation against a key holding the wrong kind of "
            "value\r\n");
  EXPECT_EQ(rb.error_count(), 2u);
  EXPECT_EQ(rb.last_error_code(), "WRONGTYPE");
}

TEST(ReplyBuilderTest, Resp3) {
  ReplyBuilder rb;
  rb.SetResp3(true);
  rb.SendNull();
  rb.StartMap(2);
  rb.StartSet(0);
  rb.SendDouble(3);
  rb.SendBool(false);
  rb.SendVerbatim("abc");
  EXPECT_EQ(rb.buffer(), "_\r\n%2\r\n~0\r\n,3\r\n#f\r\n=7\r\ntxt:abc\r\n");
}

}  // namespace
TEST(ReplyBuilderTest, AbsorbMovesRepliesAndErrors) {
  ReplyBuilder conn, hop;
  hop.SendLong(1);
  hop.SendError("-WRONGTYPE no");
  conn.Absorb(hop);  // an empty builder takes the buffer over
  EXPECT_EQ(conn.buffer(), ":1\r\n-WRONGTYPE no\r\n");
  EXPECT_EQ(conn.error_count(), 1u);
  EXPECT_EQ(conn.last_error_code(), "WRONGTYPE");
  EXPECT_EQ(hop.size(), 0u);
  EXPECT_EQ(hop.error_count(), 0u);
  hop.SendOk();
  conn.Absorb(hop);  // appended after what is there
  EXPECT_EQ(conn.buffer(), ":1\r\n-WRONGTYPE no\r\n+OK\r\n");
  EXPECT_EQ(conn.error_count(), 1u);
  EXPECT_EQ(conn.last_error_code(), "WRONGTYPE");
}

}  // namespace darner
