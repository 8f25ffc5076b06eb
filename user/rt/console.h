// Console output for programs granted a "console" capability, or a
// "stdio" (StdIO) when the shell runs them with `stdio: client @stdio`.
#pragma once

#include "lib/core/format.h"

namespace capos::rt {

// False (and nothing printed) when neither was granted.
bool print(StrView text);

template <class... Args> bool printf(StrView fmt, const Args&... args) {
  char buf[512];
  return print(format_to(buf, sizeof(buf), fmt, args...));
}

}  // namespace capos::rt
