#include "kernel/boot/init_loader.h"

#include "kernel/caps/boot_caps.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/frames.h"
#include "kernel/proc/process.h"
#include "lib/core/cstring.h"

namespace capos {

void start_init(const BootInfo& bi) {
  if (bi.module_count == 0) {
    klog("capOS: no boot module; idling (Ctrl-A X quits QEMU)\n");
    return;
  }
  const BootModule& m = bi.modules[0];
  Bytes image(static_cast<const uint8_t*>(frames::phys_to_virt(m.phys)), m.size);
  static const uint8_t ELF_MAGIC[4] = {0x7F, 'E', 'L', 'F'};
  if (m.size < 4 || memcmp(image.data(), ELF_MAGIC, 4) != 0) {
    klog("capOS: boot module is neither a boot package nor an ELF program; idling\n");
    return;
  }
  const char* why = "";
  auto p = Process::create("init", image, &why);
  if (!p) panic("boot: cannot start init from the boot module: {} ({})", err_name(p.error()), why);
  Status st = grant_boot_caps(**p);
  if (!st) panic("boot: cannot grant init its capabilities: {}", err_name(st.error()));
  (*p)->set_shutdown_on_exit();
  klog("capOS: starting init (pid {})\n", (*p)->pid());
  (*p)->start();
}

}  // namespace capos
