// LZF decompression (the format of liblzf, which Redis uses to compress RDB strings). A written
// from the format, bounds-checked decoder: it never reads past the input or writes past `out_len`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace darner {

// Decompresses `in` into exactly `out_len` bytes; false when the input is malformed, would
// produce more, or produces fewer.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);

// The most bytes LZF can produce from `in_len` bytes: a 3-byte back reference copies 264.
constexpr size_t LzfMaxExpansion(size_t in_len) { return in_len * 88; }

}  // namespace darner
