// Keyspace helpers shared by command families.
#pragma once

#include <cstdint>
#include <string_view>

#include "server/conn_context.h"

namespace darner {

// Converts a user-supplied expiry (`value` in `unit_ms` units; relative unless absolute) to an
// absolute deadline in ms. Returns false when it overflows, as Redis's "invalid expire time".
bool ToDeadline(int64_t value, int64_t unit_ms, bool absolute, int64_t now_ms, int64_t* out);

// The TYPE name of a value ("string", ...).
std::string_view TypeName(const KeyEntry* e);

}  // namespace darner
