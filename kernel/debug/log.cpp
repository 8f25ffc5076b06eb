#include "kernel/debug/log.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/irq_spinlock.h"
#include "kernel/dev/serial.h"
#include "kernel/dev/timer.h"

namespace capos::log {

namespace {

uint16_t g_level = kLevelInfo;
LogRing g_ring;  // ~72 KiB of .bss

class SerialSink final : public Sink {
 public:
  void write(const char* data, size_t len) override { serial::write(data, len); }
};

// Serial, plus each finished line into the ring (kernel lines are info).
class KernelLineSink final : public Sink {
 public:
  void write(const char* data, size_t len) override {
    serial::write(data, len);
    for (size_t i = 0; i < len; ++i) {
      if (data[i] != '\n') {
        if (len_ < sizeof line_) line_[len_++] = data[i];  // a longer line is cut
        continue;
      }
      if (g_level >= kLevelInfo) g_ring.append(timer::now_ns(), kLevelInfo, "kernel", StrView(line_, len_));
      len_ = 0;
    }
  }

 private:
  char line_[LogRing::kMessageMax];
  size_t len_ = 0;
};

SerialSink g_console;
KernelLineSink g_sink;
arch::IrqSpinLock g_lock;  // serializes whole log records on the serial line
bool g_panic = false;

}  // namespace

Sink& sink() { return g_panic ? static_cast<Sink&>(g_console) : g_sink; }
Sink& console_sink() { return g_console; }
LogRing& ring() { return g_ring; }
void set_level(uint16_t level) { g_level = level; }
uint16_t level() { return g_level; }

// lock()/unlock() bracket a record written by several calls; the panic
// path bypasses the lock (the holder may be the code that panicked).
void lock() CAPOS_NO_THREAD_SAFETY_ANALYSIS {
  if (!g_panic) g_lock.lock();
}

void unlock() CAPOS_NO_THREAD_SAFETY_ANALYSIS {
  if (!g_panic) g_lock.unlock();
}

void enter_panic_mode() { g_panic = true; }

}  // namespace capos::log
