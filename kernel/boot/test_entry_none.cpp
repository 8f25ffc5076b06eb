// The production image's side of kernel/boot/test_entry.h: it carries no
// self tests, so a test selector on the command line is reported and
// ignored, and a bare ELF is not accepted as init.
#include "kernel/boot/test_entry.h"

#include "kernel/debug/log.h"

namespace capos::test_entry {

void run_selected(const BootInfo& bi) {
  char value[32];
  static const char* const keys[] = {"capos.test", "capos.bench"};
  for (const char* key : keys)
    if (bi.cmdline_value(key, value, sizeof(value)))
      klog("capOS: {}={} ignored: self tests are only in the test kernel (capos-test.elf)\n", StrView(key),
           StrView(value));
}

bool start_bare_program(Bytes) { return false; }

}  // namespace capos::test_entry
