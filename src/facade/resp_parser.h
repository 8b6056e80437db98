// Incremental RESP2/RESP3 request parser (multibulk and inline forms).
//
// The parser never copies argument bytes of multibulk requests: it records (offset, length)
// pairs relative to the start of the request in the caller's buffer, and resumes where it
// stopped when more bytes arrive, so a request split into many reads is scanned once. The caller
// keeps the request's bytes contiguous (it may move them, since offsets are relative).
// Inline requests that contain quotes are unescaped into parser-owned storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace darner {

struct ParserLimits {
  size_t max_bulk_len = 512u << 20;  // --proto_max_bulk_len
  size_t max_multibulk_len = 1024 * 1024;
  size_t max_inline_len = 64 * 1024;
};

// Tighter limits for connections that have not authenticated yet (as Redis applies them).
inline constexpr size_t kUnauthMaxMultibulk = 10;
inline constexpr size_t kUnauthMaxBulk = 16384;

class RespParser {
 public:
  enum class Status { kOk, kIncomplete, kError };

  explicit RespParser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses one request that starts at buf[0]. kOk: Args() holds the request's arguments (views
  // into buf or into the parser), and *consumed is its length in bytes; an empty Args() means an
  // empty request to skip. kIncomplete: call again with the same request start once more bytes
  // are appended; MinBytesWanted() says how many bytes the buffer should at least hold.
  // kError: Error() is the text for "-ERR Protocol error: <text>".
  Status Parse(std::string_view buf, size_t* consumed);

  const std::vector<std::string_view>& Args() const { return args_; }
  const std::string& Error() const { return error_; }
  size_t MinBytesWanted() const { return want_; }

  // Forgets a partially parsed request (used after the caller drops the buffer).
  void Reset();
  // Applies the unauthenticated limits (or lifts them).
  void SetAuthenticated(bool on) { authenticated_ = on; }
  bool authenticated() const { return authenticated_; }

  // Frees unescaped inline arguments; call once every parsed request has been executed.
  void ReleaseInlineArgs() { owned_.clear(); }
  // Frees the storage requests left behind; call between requests (an idle connection).
  void ShrinkIdle();

 private:
  Status ParseMultiBulk(std::string_view buf, size_t* consumed);
  Status ParseInline(std::string_view buf, size_t* consumed);
  Status Fail(std::string text);
  // Reads a CRLF-terminated integer line starting at pos_ after a type byte.
  enum class LineResult { kOk, kIncomplete, kTooLong, kBadNumber };
  LineResult ReadNumberLine(std::string_view buf, int64_t* value);

  ParserLimits limits_;
  bool authenticated_ = true;
  // Resumable state of the request in progress.
  bool in_multibulk_ = false;
  int64_t expected_args_ = 0;
  int64_t pending_bulk_len_ = -1;  // length of the bulk whose header was read, -1 if none
  size_t pos_ = 0;
  std::vector<std::pair<size_t, size_t>> spans_;

  std::vector<std::string_view> args_;
  // Unescaped inline arguments, each in its own allocation so their views stay valid as more
  // are added (a deque would cost a 512-byte block for every idle connection).
  std::vector<std::unique_ptr<std::string>> owned_;
  std::string error_;
  size_t want_ = 0;
};

}  // namespace darner
