// The kernel capabilities granted to init at boot.
#pragma once

#include "lib/core/result.h"

namespace capos {
class Process;
Status grant_boot_caps(Process& init);
}  // namespace capos
