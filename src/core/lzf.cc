#include "core/lzf.h"

namespace darner {

// Each unit starts with a control byte c. c < 32: a literal run of c + 1 bytes follows. Otherwise
// a back reference: length (c >> 5) + 2, or 7 + (next byte) + 2 when c >> 5 is 7; distance
// ((c & 31) << 8) + (next byte) + 1 back from the end of the output so far. A reference may
// overlap what it produces (a run), so it is copied byte by byte.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->clear();
  out->reserve(out_len);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* end = p + in.size();
  while (p < end) {
    unsigned ctrl = *p++;
    if (ctrl < 32) {
      size_t run = ctrl + 1;
      if (size_t(end - p) < run || out->size() + run > out_len) return false;
      out->append(reinterpret_cast<const char*>(p), run);
      p += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (p == end) return false;
      len += *p++;
    }
    len += 2;
    if (p == end) return false;
    size_t distance = ((ctrl & 31) << 8) + *p++ + 1;
    if (distance > out->size() || out->size() + len > out_len) return false;
    size_t from = out->size() - distance;
    for (size_t i = 0; i < len; ++i) out->push_back((*out)[from + i]);
  }
  return out->size() == out_len;
}

}  // namespace darner
