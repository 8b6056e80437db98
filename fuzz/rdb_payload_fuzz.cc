// Feeds arbitrary bytes to RESTORE's payload decoder. The first byte picks the mode: odd seals
// the rest with a valid version and checksum (so the body decoder is reached; random bytes
// almost never carry a right CRC), even passes it as it is. A payload that decodes must survive
// DUMP and decode again to the same string.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/crc64.h"
#include "core/rdb_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    payload.push_back(static_cast<char>(darner::rdb::kVersion));
    payload.push_back(0);
    uint64_t crc = darner::Crc64(0, payload);
    for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(crc >> (8 * i)));
  }
  darner::OpResult<darner::CompactValue> v = darner::rdb::ParseDumpPayload(payload);
  if (!v) return 0;
  std::string s = v->ToString();
  darner::OpResult<darner::CompactValue> again =
      darner::rdb::ParseDumpPayload(darner::rdb::DumpPayload(*v));
  if (!again || again->ToString() != s) __builtin_trap();
  return 0;
}
