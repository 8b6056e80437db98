// Serializes replies in RESP2 or RESP3 into one output buffer, which the connection sends with
// a single write per batch of pipelined requests. Knows nothing of commands or data.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace darner {

class ReplyBuilder {
 public:
  void SetResp3(bool on) { resp3_ = on; }
  bool resp3() const { return resp3_; }

  void SendOk() { out_.append("+OK\r\n"); }
  void SendSimpleString(std::string_view s);
  // `text` starting with '-' is sent verbatim ("-WRONGTYPE ..."); otherwise as "-ERR <text>".
  void SendError(std::string_view text);
  void SendLong(int64_t value);
  void SendBulk(std::string_view s);
  void SendNull();                // missing value: $-1 (RESP2) or _ (RESP3)
  void SendNullArray();           // missing aggregate: *-1 (RESP2) or _ (RESP3)
  void SendDouble(double value);  // bulk string in RESP2, ',' in RESP3
  void SendBool(bool value);      // :0/:1 in RESP2, #f/#t in RESP3
  void SendVerbatim(std::string_view s, std::string_view format = "txt");
  void StartArray(size_t len) { AppendHeader('*', len); }
  void StartSet(size_t len) { AppendHeader(resp3_ ? '~' : '*', len); }
  void StartMap(size_t pairs) {
    if (resp3_)
      AppendHeader('%', pairs);
    else
      AppendHeader('*', pairs * 2);
  }
  void SendEmptyArray() { out_.append("*0\r\n"); }
  // An array of simple strings (the HELP replies).
  void SendSimpleStrings(std::initializer_list<std::string_view> lines) {
    StartArray(lines.size());
    for (std::string_view l : lines) SendSimpleString(l);
  }
  // Appends bytes that are already valid RESP.
  void SendRaw(std::string_view resp) { out_.append(resp); }

  // Moves the replies (and the error count) that `other` collected to the end of this
  // builder's, leaving `other` empty for reuse.
  void Absorb(ReplyBuilder& other);
  // Appends bytes [begin, end) of `other`'s replies (one command's reply, when several
  // commands wrote into `other`).
  void AppendSlice(const ReplyBuilder& other, size_t begin, size_t end) {
    out_.append(other.out_, begin, end - begin);
  }
  // Moves `other`'s error count to this builder, and empties `other` for reuse.
  void TakeErrorsAndClear(ReplyBuilder& other);

  std::string& buffer() { return out_; }
  size_t size() const { return out_.size(); }

  // Errors sent since construction, and the code of the last one ("ERR", "WRONGTYPE", ...).
  uint64_t error_count() const { return error_count_; }
  std::string_view last_error_code() const { return last_error_code_; }

 private:
  void AppendHeader(char type, size_t len);

  std::string out_;
  bool resp3_ = false;
  uint64_t error_count_ = 0;
  std::string last_error_code_;
};

}  // namespace darner
