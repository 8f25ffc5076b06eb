// Whole-message traversal: visits every object reachable from a pointer,
// validating each one. The kernel can use it to reject a malformed
// message up front (and to learn its size) before handing it on; the
// fuzz target uses it to reach every reader path.
#pragma once

#include "lib/capnp/reader.h"

namespace capos::capnp {

// Words occupied by everything reachable from `p` (objects, list tags and
// far landing pads excluded), like the reference's totalSize(). Fails on
// the first malformed pointer or when the reader's limits are exceeded.
// Recursion depth is bounded by the nesting limit.
Result<uint64_t> total_words(const PointerReader& p);
Result<uint64_t> total_words(const StructReader& s);

}  // namespace capos::capnp
