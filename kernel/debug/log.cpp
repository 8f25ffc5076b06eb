#include "kernel/debug/log.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/dev/serial.h"
#include "kernel/arch/x86_64/irq_spinlock.h"

namespace capos::log {

namespace {

class SerialSink final : public Sink {
 public:
  void write(const char* data, size_t len) override { serial::write(data, len); }
};

SerialSink g_sink;
arch::IrqSpinLock g_lock;  // serializes whole log records on the serial line
bool g_panic = false;

}  // namespace

Sink& sink() { return g_sink; }

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
