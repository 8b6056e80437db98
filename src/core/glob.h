// Glob-style pattern matching with the exact semantics of Redis 7.0 `stringmatchlen` (used by
// KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ACL key patterns, ...).
#pragma once

#include <cstddef>
#include <string_view>

namespace darner {

// Redis refuses to match through more than this many nested '*' (CVE-2024-31228 hardening): a
// pattern whose match would need more than 1000 non-trailing star groups never matches.
inline constexpr size_t kGlobMaxStarNesting = 1000;

// Returns true when `str` matches `pattern`. Pattern syntax, as in Redis:
//   *        any sequence of bytes (consecutive stars count as one)
//   ?        any single byte
//   [abc]    one byte of the set; [^abc] negates; [a-z] ranges (reversed ranges such as [z-a] are
//            accepted; bytes compare as signed chars, like Redis on x86); inside a class '\x'
//            matches 'x' literally (always case-sensitive) and ranges do not honour escapes.
//            A '[' without closing ']' extends to the end of the pattern.
//   \x       the literal byte x ('\' as the last byte of the pattern is a literal backslash)
// `nocase` folds ASCII letters only (Redis runs with the "C" ctype locale).
// Redis quirk kept on purpose: an empty `str` matches only an empty pattern (so "*" does not
// match ""; callers that treat "*" as "everything" special-case it, as Redis's KEYS/SCAN do).
// Runs in O(|pattern| * |str|) time without recursion.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace darner
