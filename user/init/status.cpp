#include "lib/core/format.h"
#include "lib/wire/schema_enums.h"
#include "user/init/init.h"

namespace capos::init {

namespace wire = schema::wire;

namespace {

using wire_enums::fault_name;

}  // namespace

void describe_status(wire::ExitStatus::Reader s, char* out, size_t len) {
  switch (s.which()) {
    case wire::ExitStatus::Which::EXITED:
      format_to(out, len, "code {}", s.getExited());
      return;
    case wire::ExitStatus::Which::FAULTED: {
      auto f = s.getFaulted();
      if (!f) {
        format_to(out, len, "faulted (details unreadable: {})", err_name(f.error()));
      } else if (f->getKind() == wire::FaultKind::PAGE_FAULT) {
        format_to(out, len, "page fault at {:#x} (ip {:#x}, error {:#x})", f->getAddress(),
                  f->getInstructionPointer(), f->getErrorCode());
      } else {
        format_to(out, len, "{} (vector {}, ip {:#x})", fault_name(f->getKind()),
                  static_cast<unsigned>(f->getVector()), f->getInstructionPointer());
      }
      return;
    }
    case wire::ExitStatus::Which::KILLED:
      format_to(out, len, "{}", s.getKilled() == wire::KillReason::BY_HANDLE ? "killed by its handle"
                                : s.getKilled() == wire::KillReason::SYSTEM_SHUTDOWN
                                    ? "killed at system shutdown"
                                    : "killed");
      return;
  }
  format_to(out, len, "unknown status {}", static_cast<unsigned>(s.which()));
}

bool is_failure(wire::ExitStatus::Reader s) {
  return !(s.which() == wire::ExitStatus::Which::EXITED && s.getExited() == 0);
}

}  // namespace capos::init
