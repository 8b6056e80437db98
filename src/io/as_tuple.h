// Completion token for hot paths: errors come back as values instead of exceptions (Asio 1.22
// keeps as_tuple under experimental).
#pragma once

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace darner {

inline constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace darner
