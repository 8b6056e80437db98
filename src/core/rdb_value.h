// Redis's RDB encoding of values, version 10 (what Redis 7.0 writes), and the DUMP payload built
// on it: the RDB type byte, the encoded value, the RDB version (2 bytes, little endian), and the
// CRC-64 of everything before it (8 bytes, little endian). DUMP/RESTORE use it now; migration
// records of non-string types, SAVE and replication will.
//
// Owns no state. The reader trusts nothing it reads: every length is checked against the bytes
// that remain before anything is allocated, so a payload costs memory and time linear in its
// own size, whatever it claims.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/op_result.h"
#include "core/compact_value.h"

namespace darner::rdb {

inline constexpr uint16_t kVersion = 10;

// The RDB type bytes Redis 7.0 writes (rdb.h); only strings exist in Darner so far.
enum Type : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZset = 3,
  kTypeHash = 4,
  kTypeZset2 = 5,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZsetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZsetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
};

// A length in RDB's packed form: 6 bits, 14 bits, 32 or 64 bits big endian.
void AppendLength(uint64_t n, std::string* out);
// A string as Redis writes it: short canonical integers in 1, 2 or 4 bytes, otherwise length and
// bytes. (Redis also LZF-compresses strings over 20 bytes when that saves space; Darner writes
// them plain, which every RDB reader accepts.)
void AppendString(std::string_view s, std::string* out);

// Reads RDB-encoded items from a byte range; each read fails (false) rather than run past it.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ReadByte(uint8_t* out);
  // A packed length; *encoded is set when the byte is a string-encoding tag instead (the tag is
  // then in *n).
  bool ReadLength(uint64_t* n, bool* encoded);
  // A string in any of RDB's encodings: plain, an 8/16/32-bit integer, or LZF-compressed.
  bool ReadString(std::string* out);

  size_t remaining() const { return in_.size() - pos_; }

 private:
  bool ReadBytes(size_t n, std::string_view* out);

  std::string_view in_;
  size_t pos_ = 0;
};

// DUMP: the payload for `value`.
std::string DumpPayload(const CompactValue& value);

// RESTORE: the value a DUMP payload holds. kBadPayload when the version is newer than kVersion
// or the checksum does not match (checked first, as Redis does), kBadData when the bytes do not
// decode to a value Darner holds.
OpResult<CompactValue> ParseDumpPayload(std::string_view payload);

}  // namespace darner::rdb
