// Path confinement for open/openat (docs/posix.md): a path is resolved
// against a granted directory and may never leave it. Absolute paths start
// at the granted root; "." and empty components are dropped; ".." steps
// back only within the directory — one step above it is refused
// (PermissionDenied), never clamped, so a program learns that it asked for
// something outside its authority. Pure logic, host-tested.
#pragma once

#include <stddef.h>

#include "lib/core/cstring.h"
#include "lib/core/result.h"

namespace capos::libc {

constexpr size_t kPathMax = 1024;
constexpr size_t kNameMax = 255;

// Writes the normalized path inside the directory to out (components
// joined by '/', no leading '/'; "" is the directory itself) and returns
// its length. Errors: PermissionDenied for an escape, InvalidArgument for
// an empty path or a NUL byte, LimitExceeded for a path or a component
// that is too long or does not fit `out`.
Result<size_t> confine_path(StrView path, char* out, size_t cap);

}  // namespace capos::libc
