// Longest common subsequence of two strings, as Redis 7.0's LCS command computes it: the same
// dynamic-programming table, the same tie-breaking when walking it back (so the same LCS string
// among equally long ones) and the same IDX match list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace darner {

// One run of consecutive matching bytes: a[a_start..a_end] == b[b_start..b_end] (inclusive).
struct LcsMatch {
  uint32_t a_start;
  uint32_t a_end;
  uint32_t b_start;
  uint32_t b_end;
  uint32_t len;  // a_end - a_start + 1, what WITHMATCHLEN reports.

  bool operator==(const LcsMatch&) const = default;
};

struct LcsOptions {
  bool want_string = true;    // Fill LcsResult::lcs (plain LCS reply).
  bool want_matches = false;  // Fill LcsResult::matches (IDX reply).
  int64_t min_match_len = 0;  // MINMATCHLEN: shorter runs are left out of `matches`.
  // Redis refuses to allocate a table of (|a|+1) * (|b|+1) 4-byte cells larger than this
  // (proto-max-bulk-len, 512MB by default).
  uint64_t max_table_bytes = 512ull * 1024 * 1024;
};

struct LcsResult {
  uint32_t len = 0;               // LCS length (the LEN reply and IDX's "len").
  std::string lcs;                // When want_string.
  std::vector<LcsMatch> matches;  // When want_matches; ordered from the end of the strings
                                  // backwards, exactly as Redis lists them.
};

enum class LcsStatus {
  kOk,
  kStringTooLong,  // A string has UINT32_MAX - 1 bytes or more.
  kTableTooBig,    // The table would exceed max_table_bytes.
};

// Redis's error messages for the failure statuses.
inline constexpr std::string_view kLcsStringTooLongError = "String too long for LCS";
inline constexpr std::string_view kLcsTableTooBigError =
    "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

// Computes the LCS of `a` and `b` into `*out`. Missing keys are passed as empty strings. Time is
// O(|a| * |b|); memory is one table cell per pair (2 bytes per cell when the shorter string has
// at most 65535 bytes, otherwise 4) unless only the length is wanted, which needs O(|b|).
// The max_table_bytes check always uses Redis's 4-byte cells so the same requests fail.
LcsStatus ComputeLcs(std::string_view a, std::string_view b, const LcsOptions& options,
                     LcsResult* out);

}  // namespace darner
