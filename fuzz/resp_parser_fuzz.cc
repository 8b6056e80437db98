// Feeds arbitrary bytes to the RESP parser the way a connection does: in pieces, resuming
// partial requests, with small limits so that limit paths are reached too. Checks that parsed
// arguments lie inside the buffer and that the parser never consumes more than it was given.
#include <cstddef>
#include <cstdint>
#include <string>

#include "facade/resp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  darner::ParserLimits limits;
  limits.max_bulk_len = 1 << 16;
  limits.max_multibulk_len = 1024;
  limits.max_inline_len = 4096;
  darner::RespParser parser(limits);
  parser.SetAuthenticated(data[0] & 1);
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  // The first byte also picks the piece size used to reveal the input.
  size_t step = 1 + (data[0] >> 1);
  size_t start = 0, visible = 0;
  while (visible < input.size()) {
    visible = std::min(input.size(), visible + step);
    while (start < visible) {
      std::string_view buf(input.data() + start, visible - start);
      size_t consumed = 0;
      auto st = parser.Parse(buf, &consumed);
      if (st == darner::RespParser::Status::kError) return 0;
      if (st == darner::RespParser::Status::kIncomplete) {
        if (parser.MinBytesWanted() <= buf.size()) __builtin_trap();
        break;
      }
      if (consumed == 0 || consumed > buf.size()) __builtin_trap();
      for (std::string_view arg : parser.Args()) {
        bool in_buffer =
            arg.data() >= buf.data() && arg.data() + arg.size() <= buf.data() + buf.size();
        if (!in_buffer && arg.size() > limits.max_inline_len) __builtin_trap();
      }
      parser.ReleaseInlineArgs();
      start += consumed;
    }
  }
  return 0;
}
