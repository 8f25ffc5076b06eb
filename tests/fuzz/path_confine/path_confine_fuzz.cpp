// open()'s path confinement (user/libc/os/path.cpp) on arbitrary bytes:
// never reads or writes out of bounds, and every accepted result is a
// confined path — no leading '/', no "." or ".." component, no NUL, no
// empty component, within the output bound.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "user/libc/os/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char out[64];
  auto r = capos::libc::confine_path(capos::StrView(reinterpret_cast<const char*>(data), size), out, sizeof out);
  if (!r) return 0;
  size_t n = *r;
  if (n > sizeof out) __builtin_trap();
  size_t start = 0;
  for (size_t i = 0; i <= n; ++i) {
    if (i < n && out[i] == '\0') __builtin_trap();
    if (i == n || out[i] == '/') {
      size_t len = i - start;
      if (n > 0 && len == 0) __builtin_trap();
      if (len == 1 && out[start] == '.') __builtin_trap();
      if (len == 2 && out[start] == '.' && out[start + 1] == '.') __builtin_trap();
      start = i + 1;
    }
  }
  return 0;
}
