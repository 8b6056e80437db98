#include "core/lcs.h"

#include <algorithm>
#include <limits>
#include <memory>

namespace darner {
namespace {

// Length only: the classic two-row version of the table recurrence.
uint32_t LcsLength(std::string_view a, std::string_view b) {
  std::vector<uint32_t> prev(b.size() + 1, 0);
  std::vector<uint32_t> cur(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Full table, then the walk back from (|a|, |b|). `Cell` must hold min(|a|, |b|).
template <typename Cell>
void LcsWithTable(std::string_view a, std::string_view b, const LcsOptions& options,
                  LcsResult* out) {
  const size_t cols = b.size() + 1;
  // table[i * cols + j] = LCS length of a[0..i) and b[0..j). Row 0 and column 0 are zeros.
  auto table = std::make_unique_for_overwrite<Cell[]>((a.size() + 1) * cols);
  auto at = [&](size_t i, size_t j) -> Cell& { return table[i * cols + j]; };
  for (size_t j = 0; j < cols; ++j) at(0, j) = 0;
  for (size_t i = 1; i <= a.size(); ++i) {
    at(i, 0) = 0;
    for (size_t j = 1; j < cols; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  out->len = at(a.size(), b.size());
  out->lcs.resize(out->len);

  // Walk back. A match steps diagonally and extends the current run backwards; a mismatch closes
  // the run and moves up when that keeps a strictly longer LCS, otherwise left (Redis's
  // tie-breaking, which decides which LCS comes out).
  const uint64_t min_len = options.min_match_len > 0 ? options.min_match_len : 0;
  bool in_run = false;
  LcsMatch run{};
  auto close_run = [&] {
    run.len = run.a_end - run.a_start + 1;
    if (options.want_matches && run.len >= min_len) out->matches.push_back(run);
    in_run = false;
  };
  size_t i = a.size();
  size_t j = b.size();
  size_t k = out->len;
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      out->lcs[--k] = a[i - 1];
      --i;
      --j;
      if (in_run) {
        // Always contiguous: after a match the walk is at the cell diagonally before it.
        run.a_start = static_cast<uint32_t>(i);
        run.b_start = static_cast<uint32_t>(j);
      } else {
        run = LcsMatch{static_cast<uint32_t>(i), static_cast<uint32_t>(i), static_cast<uint32_t>(j),
                       static_cast<uint32_t>(j), 0};
        in_run = true;
      }
      if (i == 0 || j == 0) close_run();  // The walk ends here.
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (in_run) close_run();
    }
  }
  if (!options.want_string) out->lcs.clear();
}

}  // namespace

LcsStatus ComputeLcs(std::string_view a, std::string_view b, const LcsOptions& options,
                     LcsResult* out) {
  *out = LcsResult();
  constexpr size_t kMaxLen = std::numeric_limits<uint32_t>::max() - 1;
  if (a.size() >= kMaxLen || b.size() >= kMaxLen) return LcsStatus::kStringTooLong;
  // Sizes below 2^32 make this product fit in 64 bits.
  const uint64_t cells = (static_cast<uint64_t>(a.size()) + 1) * (b.size() + 1);
  if (cells > std::numeric_limits<uint64_t>::max() / 4 || cells * 4 > options.max_table_bytes) {
    return LcsStatus::kTableTooBig;
  }

  if (!options.want_string && !options.want_matches) {
    out->len = LcsLength(a, b);
  } else if (std::min(a.size(), b.size()) <= std::numeric_limits<uint16_t>::max()) {
    LcsWithTable<uint16_t>(a, b, options, out);
  } else {
    LcsWithTable<uint32_t>(a, b, options, out);
  }
  return LcsStatus::kOk;
}

}  // namespace darner
