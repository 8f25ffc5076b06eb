#include "kernel/debug/log.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/dev/serial.h"
#include "kernel/dev/timer.h"
#include "lib/core/spinlock.h"

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
SpinLock g_lock;
bool g_panic = false;
bool g_saved_if = false;

}  // namespace

Sink& sink() { return g_panic ? static_cast<Sink&>(g_console) : g_sink; }
Sink& console_sink() { return g_console; }
LogRing& ring() { return g_ring; }
void set_level(uint16_t level) { g_level = level; }
uint16_t level() { return g_level; }

void lock() {
  if (g_panic) return;
  bool was = arch::interrupts_enabled();
  arch::cli();
  g_lock.lock();
  g_saved_if = was;
}

void unlock() {
  if (g_panic) return;
  bool was = g_saved_if;
  g_lock.unlock();
  if (was) arch::sti();
}

void enter_panic_mode() { g_panic = true; }

}  // namespace capos::log
