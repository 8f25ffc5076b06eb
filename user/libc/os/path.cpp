#include "user/libc/os/path.h"

namespace capos::libc {

Result<size_t> confine_path(StrView path, char* out, size_t cap) {
  if (path.empty()) return fail(Err::InvalidArgument);  // POSIX: ENOENT for ""
  if (path.size() > kPathMax) return fail(Err::LimitExceeded);
  size_t len = 0;  // bytes of out in use
  size_t i = 0;
  while (i < path.size()) {
    size_t start = i;
    while (i < path.size() && path[i] != '/') {
      if (path.ptr[i] == '\0') return fail(Err::InvalidArgument);
      ++i;
    }
    StrView comp = path.substr(start, i - start);
    ++i;  // past the '/'
    if (comp.empty() || comp == StrView(".", 1)) continue;
    if (comp.size() > kNameMax) return fail(Err::LimitExceeded);
    if (comp == StrView("..", 2)) {
      if (len == 0) return fail(Err::PermissionDenied);  // above the granted directory
      while (len > 0 && out[len - 1] != '/') --len;      // drop the last component
      if (len > 0) --len;                                // and its separator
      continue;
    }
    size_t need = len + (len ? 1 : 0) + comp.size();
    if (need > cap) return fail(Err::LimitExceeded);
    if (len) out[len++] = '/';
    memcpy(out + len, comp.ptr, comp.size());
    len += comp.size();
  }
  return len;
}

}  // namespace capos::libc

// For open/openat (os/fd.c): 0 with `out` NUL-terminated, or the
// capos::Err of the refusal.
extern "C" int capos_libc_confine(const char* path, char* out, size_t cap) {
  if (path == nullptr || cap == 0) return static_cast<int>(capos::Err::InvalidArgument);
  auto r = capos::libc::confine_path(capos::StrView(path, strnlen(path, capos::libc::kPathMax + 1)), out, cap - 1);
  if (!r) return static_cast<int>(r.error());
  out[*r] = '\0';
  return 0;
}
