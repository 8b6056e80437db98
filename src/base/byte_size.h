// Sizes in bytes as people write them on a command line: "536870912", "100mb", "1G", "512KiB",
// "1.5GB". The type of every size flag, so that Dragonfly command lines work unchanged.
#pragma once

#include <absl/strings/string_view.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace darner {

// Parses a human-readable size: a non-negative number (decimals allowed with a unit), then an
// optional unit B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB, P/PB/PiB, any case, all powers of
// 1024 (as Dragonfly reads its flags). False on anything else or on overflow.
bool ParseByteSize(std::string_view text, uint64_t* bytes);

struct ByteSize {
  uint64_t bytes = 0;
};

// absl flag support: --maxmemory=8G.
bool AbslParseFlag(absl::string_view text, ByteSize* out, std::string* error);
std::string AbslUnparseFlag(ByteSize size);

}  // namespace darner
