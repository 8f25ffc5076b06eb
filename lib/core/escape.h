// One rendering rule for untrusted bytes inside a log line (kernel LogSink,
// logd): printable ASCII passes through except '\', which doubles; \n, \r
// and \t become the two-character escapes; every other byte (controls,
// DEL, anything >= 0x80 — including UTF-8 and C1 controls such as CSI
// 0x9b) becomes \xNN. The output therefore never holds a line break or a
// terminal control, so one record is exactly one line and a message can
// neither forge another line nor drive the terminal.
#pragma once

#include "lib/core/cstring.h"

namespace capos {

// Worst case: every byte becomes \xNN.
constexpr size_t escaped_max(size_t n) { return 4 * n; }

// Escapes `in` into `out` (no NUL written). When `cap` is too small the
// output stops before the first escape that does not fit whole.
StrView escape_untrusted(StrView in, char* out, size_t cap);

}  // namespace capos
