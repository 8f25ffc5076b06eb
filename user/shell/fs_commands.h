// The shell's file commands over its granted "home" Directory (fsd,
// docs/storage.md): ls, cat, write, mkdir, rm, mv, stat, df. Paths are
// relative to home, components separated by '/'; the server refuses
// `..` and anything else that is not a plain name, so nothing above home
// is reachable.
#pragma once

#include <stdint.h>

#include "lib/core/cstring.h"

namespace capos::shell {

using OutFn = void (*)(StrView);

// Runs file command argv[0] with its arguments; prints through `out`.
void run_fs_command(const StrView* argv, uint32_t argc, OutFn out);

}  // namespace capos::shell
