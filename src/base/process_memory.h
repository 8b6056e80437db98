// The process's memory as the kernel sees it. Each call reads /proc or getrusage; callers on hot
// paths sample it periodically instead.
#pragma once

#include <cstddef>

namespace darner {

// Resident set size now, in bytes (0 if /proc is unreadable).
size_t ProcessRssBytes();
// Highest resident set size so far, in bytes.
size_t PeakRssBytes();

}  // namespace darner
