#include "kernel/cap/cap_result.h"

namespace capos {

CapError cap_error(const CapErrorInfo* info) { return CapError(info); }

}  // namespace capos
