// A value in 16 bytes. Strings are stored as an integer when they are the canonical decimal
// form of an int64, inline when at most 14 bytes long, and in one heap allocation otherwise.
// Knows nothing of keys, shards or threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace darner {

enum class ObjType : uint8_t { kString = 0 };

class CompactValue {
 public:
  static constexpr size_t kInlineMax = 14;
  // Big enough for any int64 in decimal.
  static constexpr size_t kScratchSize = 24;

  // A CompactValue is trivially relocatable: its 16 bytes are its whole state (no pointer into
  // itself), so a move copies the bytes and zeroes the source.
  CompactValue() { std::memset(static_cast<void*>(this), 0, sizeof(*this)); }
  ~CompactValue() { Free(); }
  CompactValue(CompactValue&& other) noexcept {
    std::memcpy(static_cast<void*>(this), static_cast<const void*>(&other), sizeof(*this));
    std::memset(static_cast<void*>(&other), 0, sizeof(other));
  }
  CompactValue& operator=(CompactValue&& other) noexcept {
    if (this != &other) {
      Free();
      std::memcpy(static_cast<void*>(this), static_cast<const void*>(&other), sizeof(*this));
      std::memset(static_cast<void*>(&other), 0, sizeof(other));
    }
    return *this;
  }
  CompactValue(const CompactValue&) = delete;
  CompactValue& operator=(const CompactValue&) = delete;

  static CompactValue String(std::string_view s);
  // Like String, but never integer-encoded (Redis keeps INCRBYFLOAT results as strings).
  static CompactValue PlainString(std::string_view s);
  static CompactValue Int(int64_t v);
  CompactValue Clone() const;

  ObjType type() const { return ObjType::kString; }

  // The string bytes. Integers are formatted into `scratch` (kScratchSize bytes).
  std::string_view GetString(char* scratch) const;
  std::string ToString() const;
  size_t StringSize() const;
  bool IsInt() const { return encoding() == kInt; }
  int64_t int_value() const { return Load<int64_t>(0); }
  // True when the value is an integer or a string that parses as one.
  bool TryGetInt(int64_t* out) const;

  void SetString(std::string_view s) { *this = String(s); }
  void SetInt(int64_t v) { *this = Int(v); }
  // In-place edits; the result is a "raw" heap string (as Redis reports after APPEND/SETRANGE).
  void Append(std::string_view s);
  // Overwrites bytes at `offset`, zero-padding any gap; returns the new length.
  size_t SetRange(size_t offset, std::string_view s);

  // "int", "embstr" or "raw", matching Redis's OBJECT ENCODING for the same operations.
  const char* EncodingName() const;
  // Heap bytes owned beyond the 16 bytes of the value itself.
  size_t MallocUsed() const;

 private:
  enum Encoding : uint8_t { kInline = 0, kInt = 1, kHeap = 2 };
  static constexpr uint8_t kRawFlag = 0x10;

  Encoding encoding() const { return static_cast<Encoding>(tag_ & 0x0f); }
  void Free();
  // Makes the value a heap string of `len` bytes with capacity for `cap`, keeping the first
  // min(len, old length) bytes.
  char* MakeHeap(size_t len, size_t cap);

  // Raw storage: inline bytes, or an int64 at 0, or a heap pointer at 0 and uint32 length at 8.
  template <typename T>
  T Load(size_t offset) const {
    T v;
    std::memcpy(&v, data_ + offset, sizeof(T));
    return v;
  }
  template <typename T>
  void Store(size_t offset, T v) {
    std::memcpy(data_ + offset, &v, sizeof(T));
  }
  char* heap_ptr() const { return Load<char*>(0); }
  uint32_t heap_len() const { return Load<uint32_t>(8); }
  void set_heap(char* p, size_t len) {
    Store<char*>(0, p);
    Store<uint32_t>(8, static_cast<uint32_t>(len));
  }

  alignas(8) char data_[kInlineMax];
  uint8_t inline_len_;
  uint8_t tag_;
};

static_assert(sizeof(CompactValue) == 16);

}  // namespace darner
