#include "kernel/debug/log.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/dev/serial.h"
#include "lib/core/spinlock.h"

namespace capos::log {

namespace {

class SerialSink final : public Sink {
 public:
  void write(const char* data, size_t len) override { serial::write(data, len); }
};

SerialSink g_sink;
SpinLock g_lock;
bool g_panic = false;
bool g_saved_if = false;

}  // namespace

Sink& sink() { return g_sink; }

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
