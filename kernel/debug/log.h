// Kernel log on the serial console: klog("fmt {}", args...). Serialized by
// an IRQ-safe lock, except after a panic, when the lock is bypassed so
// the report always gets out. Every complete klog line is also kept in the
// kernel log ring (source "kernel", level info) that LogReader reads;
// LogSink records go to the ring with their own source and level.
#pragma once

#include "lib/core/format.h"
#include "lib/log/log_ring.h"

namespace capos::log {

Sink& sink();          // serial, and each finished line into the ring
Sink& console_sink();  // serial only (for a writer that records itself)
void lock();
void unlock();
void enter_panic_mode();

// The ring; hold lock() while using it.
LogRing& ring();

// The least severe level the ring keeps (schema LogLevel ordinal; error =
// 0 is the most severe). Boot sets it from kernelParams.logLevel.
void set_level(uint16_t level);
uint16_t level();
constexpr uint8_t kLevelInfo = 2;

}  // namespace capos::log

namespace capos {

template <class... Args> void klog(StrView fmt, const Args&... args) {
  log::lock();
  format(log::sink(), fmt, args...);
  log::unlock();
}

}  // namespace capos
