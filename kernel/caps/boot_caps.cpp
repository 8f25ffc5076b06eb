#include "kernel/caps/boot_caps.h"

#include "kernel/proc/process.h"

namespace capos {

// Console and Timer are granted here once their typed dispatch lands
// (generated server skeletons, issue 3); until then init starts with an
// empty capability table.
Status grant_boot_caps(Process&) { return {}; }

}  // namespace capos
