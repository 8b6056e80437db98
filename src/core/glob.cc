#include "core/glob.h"

#include <utility>

namespace darner {
namespace {

// ASCII-only tolower on a signed char value, like glibc's tolower() in the "C" locale (bytes
// >= 0x80 are negative and left untouched).
int Fold(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

// Redis compares bytes as (signed) `char` values, which matters only for ranges.
int AsSigned(char c) { return static_cast<signed char>(c); }

bool SameByte(char a, char b, bool nocase) {
  return nocase ? Fold(AsSigned(a)) == Fold(AsSigned(b)) : a == b;
}

// Matches the character class that starts right after the '[' at `pattern[pos - 1]` against `c`.
// Returns whether it matched and sets `*next` to the index just after the class.
bool MatchClass(std::string_view pattern, size_t pos, char c, bool nocase, size_t* next) {
  const size_t n = pattern.size();
  const bool negate = pos < n && pattern[pos] == '^';
  if (negate) ++pos;
  bool match = false;
  while (pos < n) {  // An unterminated class ends with the pattern.
    const size_t left = n - pos;
    const char pc = pattern[pos];
    if (pc == '\\' && left >= 2) {
      ++pos;
      if (pattern[pos] == c) match = true;  // Escapes inside a class ignore `nocase`.
    } else if (pc == ']') {
      ++pos;
      break;
    } else if (left >= 3 && pattern[pos + 1] == '-') {
      // A range; the end byte is taken raw (even ']' or '\'), reversed ranges are swapped first
      // and folded afterwards, exactly like Redis.
      int lo = AsSigned(pc);
      int hi = AsSigned(pattern[pos + 2]);
      int ch = AsSigned(c);
      if (lo > hi) std::swap(lo, hi);
      if (nocase) {
        lo = Fold(lo);
        hi = Fold(hi);
        ch = Fold(ch);
      }
      if (ch >= lo && ch <= hi) match = true;
      pos += 2;
    } else if (SameByte(pc, c, nocase)) {
      match = true;
    }
    ++pos;
  }
  *next = pos;
  return negate ? !match : match;
}

// Matches the single-byte token (anything but '*') at `pattern[pos]` against `c`. On success sets
// `*next` to the index of the following token.
bool MatchToken(std::string_view pattern, size_t pos, char c, bool nocase, size_t* next) {
  switch (pattern[pos]) {
    case '?':
      *next = pos + 1;
      return true;
    case '[':
      return MatchClass(pattern, pos + 1, c, nocase, next);
    case '\\':
      if (pos + 1 < pattern.size()) ++pos;  // A trailing '\' is a literal backslash.
      [[fallthrough]];
    default:
      *next = pos + 1;
      return SameByte(pattern[pos], c, nocase);
  }
}

// Index just after the token starting at `pos` (which is not '*').
size_t SkipToken(std::string_view pattern, size_t pos) {
  size_t next = 0;
  MatchToken(pattern, pos, '\0', false, &next);
  return next;
}

// Number of star groups followed by at least one more token: the recursion depth Redis needs to
// match the whole pattern.
size_t NestedStarGroups(std::string_view pattern) {
  size_t groups = 0;
  size_t pos = 0;
  while (pos < pattern.size()) {
    if (pattern[pos] != '*') {
      pos = SkipToken(pattern, pos);
      continue;
    }
    while (pos < pattern.size() && pattern[pos] == '*') ++pos;
    if (pos < pattern.size()) ++groups;
  }
  return groups;
}

}  // namespace

// Every token except '*' consumes exactly one byte, so the classic greedy algorithm is exact:
// on a mismatch, retry from the most recent star with one more byte swallowed by it. Earlier stars
// never need revisiting because the most recent one can absorb anything they could.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  if (str.empty()) return pattern.empty();  // Redis never enters its matching loop.
  // Only a pattern of more than 2 * kGlobMaxStarNesting bytes can hit the nesting limit.
  if (pattern.size() > 2 * kGlobMaxStarNesting && NestedStarGroups(pattern) > kGlobMaxStarNesting) {
    return false;
  }

  constexpr size_t kNone = std::string_view::npos;
  size_t p = 0;
  size_t s = 0;
  size_t star_p = kNone;  // Pattern index just after the last star group seen.
  size_t star_s = 0;      // Bytes of `str` consumed before that star's current extent.
  while (s < str.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;  // A trailing star swallows the rest.
      star_p = p;
      star_s = s;
      continue;
    }
    size_t next = 0;
    if (p < pattern.size() && MatchToken(pattern, p, str[s], nocase, &next)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace darner
