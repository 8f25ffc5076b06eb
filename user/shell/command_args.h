// A shell command line split into words: the command word first, then its
// operands. shell.cpp parses and dispatches; the command files take it.
#pragma once

#include <stdint.h>

#include "lib/core/cstring.h"

namespace capos::shell {

constexpr uint32_t kMaxArgs = 16;

struct Args {
  StrView v[kMaxArgs];
  uint32_t n = 0;
};

// Decimal digits only (at most 19): false for anything else.
bool parse_u64(StrView s, uint64_t* v);

}  // namespace capos::shell
