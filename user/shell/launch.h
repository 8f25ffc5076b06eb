// Starting programs from the shell (docs/shell.md): `spawn`, `run` and
// `wait` through the ProcessLauncher in the session bundle ("launcher").
// Grants come from the launch grammar (grants.h) or the legacy word form
// (`spawn demo console`, `child=mine`); either way a child gets only
// copies of caps the shell holds, or client facets of endpoints it serves.
// `run` with `stdio: client @stdio` serves that child's StdIO on the
// terminal until it ends.
#pragma once

#include "lib/core/cstring.h"

namespace capos::shell {

// A whole `spawn ...` / `run ...` line (either syntax).
void launch_line(StrView line);
// `wait <pid>`.
void cmd_wait(StrView pid);

}  // namespace capos::shell
