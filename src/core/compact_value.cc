#include "core/compact_value.h"

#include <mimalloc.h>

#include <algorithm>
#include <charconv>

#include "base/numbers.h"

namespace darner {
namespace {

// Redis keeps strings up to 44 bytes as "embstr"; Darner mirrors the reported name.
constexpr size_t kEmbstrMax = 44;

}  // namespace

CompactValue CompactValue::String(std::string_view s) {
  int64_t iv;
  if (s.size() <= 20 && ParseInt64(s, &iv)) return Int(iv);
  return PlainString(s);
}

CompactValue CompactValue::PlainString(std::string_view s) {
  CompactValue v;
  if (s.size() <= kInlineMax) {
    if (!s.empty()) std::memcpy(v.data_, s.data(), s.size());
    v.inline_len_ = static_cast<uint8_t>(s.size());
    v.tag_ = kInline;
    return v;
  }
  char* p = static_cast<char*>(mi_malloc(s.size()));
  std::memcpy(p, s.data(), s.size());
  v.set_heap(p, s.size());
  v.tag_ = kHeap;
  return v;
}

CompactValue CompactValue::Int(int64_t value) {
  CompactValue v;
  v.Store<int64_t>(0, value);
  v.tag_ = kInt;
  return v;
}

CompactValue CompactValue::Clone() const {
  if (encoding() != kHeap) {
    CompactValue v;
    std::memcpy(static_cast<void*>(&v), static_cast<const void*>(this), sizeof(v));
    return v;
  }
  // A heap copy keeps its encoding (a "raw" string stays raw, as Redis's dupStringObject).
  CompactValue v;
  char* p = static_cast<char*>(mi_malloc(std::max<size_t>(heap_len(), 1)));
  std::memcpy(p, heap_ptr(), heap_len());
  v.set_heap(p, heap_len());
  v.tag_ = tag_;
  return v;
}

void CompactValue::Free() {
  if (encoding() == kHeap) mi_free(heap_ptr());
}

std::string_view CompactValue::GetString(char* scratch) const {
  switch (encoding()) {
    case kInline:
      return std::string_view(data_, inline_len_);
    case kInt: {
      auto [end, ec] = std::to_chars(scratch, scratch + kScratchSize, int_value());
      return std::string_view(scratch, end - scratch);
    }
    case kHeap:
      return std::string_view(heap_ptr(), heap_len());
  }
  return {};
}

std::string CompactValue::ToString() const {
  char scratch[kScratchSize];
  return std::string(GetString(scratch));
}

size_t CompactValue::StringSize() const {
  switch (encoding()) {
    case kInline:
      return inline_len_;
    case kHeap:
      return heap_len();
    case kInt: {
      char scratch[kScratchSize];
      return GetString(scratch).size();
    }
  }
  return 0;
}

bool CompactValue::TryGetInt(int64_t* out) const {
  if (encoding() == kInt) {
    *out = int_value();
    return true;
  }
  char scratch[kScratchSize];
  std::string_view s = GetString(scratch);
  return s.size() <= 20 && ParseInt64(s, out);
}

char* CompactValue::MakeHeap(size_t len, size_t cap) {
  char scratch[kScratchSize];
  if (encoding() == kHeap && mi_usable_size(heap_ptr()) >= cap) {
    set_heap(heap_ptr(), len);
    tag_ = kHeap | kRawFlag;
    return heap_ptr();
  }
  std::string_view old = GetString(scratch);
  char* p = static_cast<char*>(mi_malloc(cap));
  std::memcpy(p, old.data(), std::min(old.size(), len));
  Free();
  set_heap(p, len);
  tag_ = kHeap | kRawFlag;
  return p;
}

void CompactValue::Append(std::string_view s) {
  size_t old_len = StringSize();
  size_t len = old_len + s.size();
  // Grow geometrically so that repeated APPENDs are amortized O(1), as with Redis's sds.
  size_t cap = len < (1u << 20) ? len * 2 : len + (1u << 20);
  char* p = MakeHeap(len, encoding() == kHeap ? cap : len);
  std::memcpy(p + old_len, s.data(), s.size());
}

size_t CompactValue::SetRange(size_t offset, std::string_view s) {
  size_t old_len = StringSize();
  size_t len = std::max(old_len, offset + s.size());
  char* p = MakeHeap(len, len);
  if (offset > old_len) std::memset(p + old_len, 0, offset - old_len);
  std::memcpy(p + offset, s.data(), s.size());
  return len;
}

const char* CompactValue::EncodingName() const {
  switch (encoding()) {
    case kInt:
      return "int";
    case kInline:
      return "embstr";
    case kHeap:
      return (tag_ & kRawFlag) || heap_len() > kEmbstrMax ? "raw" : "embstr";
  }
  return "raw";
}

size_t CompactValue::MallocUsed() const {
  return encoding() == kHeap ? mi_usable_size(heap_ptr()) : 0;
}

}  // namespace darner
