// Per-CPU data reached through GS (kernel GS base). The first words are
// read by assembly (syscall entry); keep offsets in sync with entry.S.
#pragma once

#include <stdint.h>

namespace capos {
class Thread;
}

namespace capos::arch {

struct PerCpu {
  uint64_t user_rsp_scratch;   // 0: user RSP during syscall entry
  uint64_t kernel_rsp;         // 8: top of the current thread's kernel stack
  PerCpu* self;                // 16
  Thread* current;             // 24
  uint32_t cpu_id;             // 32
  uint64_t fs_base;            // 40: MSR_FS_BASE as last written (a switch skips an equal one)
  uint32_t apic_id;            // 48: this CPU's local APIC id
};

void percpu_init();
PerCpu& this_cpu();

}  // namespace capos::arch
