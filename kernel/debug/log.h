// Kernel log on the serial console: klog("fmt {}", args...). Serialized by
// an IRQ-safe lock, except after a panic, when the lock is bypassed so
// the report always gets out.
#pragma once

#include "lib/core/format.h"

namespace capos::log {

Sink& sink();
void lock();
void unlock();
void enter_panic_mode();

}  // namespace capos::log

namespace capos {

template <class... Args> void klog(StrView fmt, const Args&... args) {
  log::lock();
  format(log::sink(), fmt, args...);
  log::unlock();
}

}  // namespace capos
