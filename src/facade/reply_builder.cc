#include "facade/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace darner {

void ReplyBuilder::AppendHeader(char type, size_t len) {
  char buf[32];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, len);
  *end++ = '\r';
  *end++ = '\n';
  out_.append(buf, end - buf);
}

void ReplyBuilder::SendSimpleString(std::string_view s) {
  out_.push_back('+');
  out_.append(s);
  out_.append("\r\n");
}

void ReplyBuilder::SendError(std::string_view text) {
  ++error_count_;
  if (!text.empty() && text[0] == '-') {
    text.remove_prefix(1);
  } else {
    out_.append("-ERR ");
    last_error_code_ = "ERR";
    out_.append(text);
    out_.append("\r\n");
    return;
  }
  size_t space = text.find(' ');
  last_error_code_.assign(text.substr(0, space));
  out_.push_back('-');
  out_.append(text);
  out_.append("\r\n");
}

void ReplyBuilder::SendLong(int64_t value) {
  char buf[32];
  buf[0] = ':';
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, value);
  *end++ = '\r';
  *end++ = '\n';
  out_.append(buf, end - buf);
}

void ReplyBuilder::SendBulk(std::string_view s) {
  AppendHeader('$', s.size());
  out_.append(s);
  out_.append("\r\n");
}

void ReplyBuilder::SendNull() { out_.append(resp3_ ? "_\r\n" : "$-1\r\n"); }

void ReplyBuilder::SendNullArray() { out_.append(resp3_ ? "_\r\n" : "*-1\r\n"); }

void ReplyBuilder::SendDouble(double value) {
  char buf[64];
  int len;
  if (std::isinf(value)) {
    len = snprintf(buf, sizeof(buf), "%s", value > 0 ? "inf" : "-inf");
  } else {
    len = snprintf(buf, sizeof(buf), "%.17g", value);
  }
  if (resp3_) {
    out_.push_back(',');
    out_.append(buf, len);
    out_.append("\r\n");
  } else {
    SendBulk(std::string_view(buf, len));
  }
}

void ReplyBuilder::SendBool(bool value) {
  if (resp3_) {
    out_.append(value ? "#t\r\n" : "#f\r\n");
  } else {
    out_.append(value ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::SendVerbatim(std::string_view s, std::string_view format) {
  if (!resp3_) {
    SendBulk(s);
    return;
  }
  AppendHeader('=', s.size() + 4);
  out_.append(format);
  out_.push_back(':');
  out_.append(s);
  out_.append("\r\n");
}

void ReplyBuilder::TakeErrorsAndClear(ReplyBuilder& other) {
  other.out_.clear();
  // A large batch's buffer is not kept around.
  if (other.out_.capacity() > (64u << 10)) std::string().swap(other.out_);
  if (other.error_count_ > 0) {
    error_count_ += other.error_count_;
    last_error_code_ = std::move(other.last_error_code_);
    other.error_count_ = 0;
    other.last_error_code_.clear();
  }
}

void ReplyBuilder::Absorb(ReplyBuilder& other) {
  if (out_.empty()) {
    out_.swap(other.out_);  // the usual case: a batch's first replies; no copy
  } else {
    out_.append(other.out_);
  }
  TakeErrorsAndClear(other);
}

}  // namespace darner
