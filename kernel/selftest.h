// Boot-time self tests selected with `capos.test=<name>` on the kernel
// command line (boot configuration is trusted input). Used by the QEMU
// tests; each ends QEMU through isa-debug-exit.
#pragma once

namespace capos::selftest {

[[noreturn]] void run(const char* name);

}  // namespace capos::selftest
