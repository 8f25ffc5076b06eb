#include "user/libc/os/spawn_plan.h"

namespace capos::libc {

Result<uint32_t, Errno> plan_streams(FdTable& table, const bool* pipe_remote, uint32_t n_pipes,
                                     const capos_spawn_dup* dups, uint32_t n, StreamGrant out[3]) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (dups[i].to < 0 || dups[i].to > 2) return fail(CAPOS_EINVAL);  // only stdio crosses
    for (uint32_t j = 0; j < i; ++j)
      if (dups[j].to == dups[i].to) return fail(CAPOS_EINVAL);
    OpenFile* f = CAPOS_TRY(table.get(dups[i].from));
    if (f->kind == FdKind::ConsoleIn || f->kind == FdKind::ConsoleOut) continue;
    if (f->kind != FdKind::PipeRead && f->kind != FdKind::PipeWrite) return fail(CAPOS_EINVAL);
    if (f->pipe >= n_pipes || pipe_remote[f->pipe]) return fail(CAPOS_EINVAL);  // one child per pipe
    for (uint32_t j = 0; j < k; ++j)
      if (out[j].pipe == f->pipe) return fail(CAPOS_EINVAL);
    out[k++] = StreamGrant{dups[i].to, f->pipe, f->kind == FdKind::PipeWrite};
  }
  return k;
}

}  // namespace capos::libc
