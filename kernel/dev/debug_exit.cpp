#include "kernel/dev/debug_exit.h"

#include "kernel/arch/x86_64/cpu.h"

namespace capos::debug_exit {

void signal(uint8_t code) { arch::outl(0xF4, code); }

void exit(uint8_t code) {
  signal(code);
  // Without the device (real hardware, plain QEMU) we just stop.
  arch::halt_forever();
}

}  // namespace capos::debug_exit
