#include "kernel/caps/boot_caps.h"

#include "kernel/caps/console_cap.h"
#include "kernel/caps/timer_cap.h"
#include "kernel/proc/process.h"

namespace capos {

namespace wire = schema::wire;

Status grant_boot_caps(Process& init) {
  Ref<KObject> console = ConsoleCap::create();
  Ref<KObject> timer = TimerCap::create();
  if (!console || !timer) return fail(Err::OutOfMemory);
  CAPOS_TRY_STATUS(init.grant("console", move(console), wire::Console::kInterfaceId));
  CAPOS_TRY_STATUS(init.grant("timer", move(timer), wire::Timer::kInterfaceId));
  return {};
}

}  // namespace capos
