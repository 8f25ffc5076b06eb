#include "kernel/dev/serial.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/irq_spinlock.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/arch/x86_64/lapic.h"

namespace capos::serial {

namespace {

constexpr uint16_t COM1 = 0x3F8;
constexpr uint16_t DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7;
bool g_present = false;

void raw_put(char c) {
  // Bounded spin: a wedged UART must not hang the kernel forever.
  for (int i = 0; i < 100000 && !(arch::inb(COM1 + LSR) & 0x20); ++i) arch::pause();
  arch::outb(COM1 + DATA, static_cast<uint8_t>(c));
}

constexpr uint32_t RX_SIZE = 1024;  // power of two
arch::IrqSpinLock g_rx_lock;  // the receive buffer: filled by the RX interrupt, drained by Console.read
char g_rx[RX_SIZE] CAPOS_GUARDED_BY(g_rx_lock);
uint32_t g_rx_head CAPOS_GUARDED_BY(g_rx_lock) = 0;
uint32_t g_rx_tail CAPOS_GUARDED_BY(g_rx_lock) = 0;
uint64_t g_rx_dropped CAPOS_GUARDED_BY(g_rx_lock) = 0;  // since the last take_dropped()
void (*g_on_rx)() = nullptr;

void on_irq(arch::InterruptFrame&) {
  {
    arch::IrqSpinLockGuard g(g_rx_lock);
    while (arch::inb(COM1 + LSR) & 0x01) {
      char c = static_cast<char>(arch::inb(COM1 + DATA));
      if (g_rx_tail - g_rx_head < RX_SIZE) {
        g_rx[g_rx_tail % RX_SIZE] = c;
        g_rx_tail = g_rx_tail + 1;
      } else {
        ++g_rx_dropped;
      }
    }
  }
  arch::lapic_eoi();
  if (g_on_rx) g_on_rx();
}

}  // namespace

Status enable_rx_interrupts(void (*on_rx)()) {
  if (!g_present) return fail(Err::Unsupported);
  g_on_rx = on_rx;
  arch::set_irq_handler(arch::VEC_SERIAL, on_irq);
  CAPOS_TRY_STATUS(arch::ioapic_route_isa(4, arch::VEC_SERIAL));
  arch::outb(COM1 + IER, 0x01);  // data-available interrupt
  return {};
}

size_t read(char* out, size_t max) {
  arch::IrqSpinLockGuard g(g_rx_lock);
  size_t n = 0;
  while (n < max && g_rx_head != g_rx_tail) {
    out[n++] = g_rx[g_rx_head % RX_SIZE];
    g_rx_head = g_rx_head + 1;
  }
  return n;
}

size_t rx_available() {
  arch::IrqSpinLockGuard g(g_rx_lock);
  return g_rx_tail - g_rx_head;
}

uint64_t take_dropped() {
  arch::IrqSpinLockGuard g(g_rx_lock);
  uint64_t n = g_rx_dropped;
  g_rx_dropped = 0;
  return n;
}

void init() {
  // Scratch-register probe tells us whether a UART exists at all.
  arch::outb(COM1 + SCR, 0x5A);
  g_present = arch::inb(COM1 + SCR) == 0x5A;
  arch::outb(COM1 + IER, 0x00);
  arch::outb(COM1 + LCR, 0x80);  // DLAB
  arch::outb(COM1 + DATA, 0x01); // 115200 baud
  arch::outb(COM1 + IER, 0x00);
  arch::outb(COM1 + LCR, 0x03);  // 8N1
  arch::outb(COM1 + FCR, 0xC7);  // FIFO on, cleared, 14-byte threshold
  arch::outb(COM1 + MCR, 0x0B);  // DTR | RTS | OUT2 (IRQ line enable)
}

bool present() { return g_present; }

void put(char c) {
  if (!g_present) return;
  if (c == '\n') raw_put('\r');
  raw_put(c);
}

void write(const char* data, size_t len) {
  for (size_t i = 0; i < len; ++i) put(data[i]);
}

void write_raw(const char* data, size_t len) {
  if (!g_present) return;
  for (size_t i = 0; i < len; ++i) raw_put(data[i]);
}

int try_get() {
  if (!g_present || !(arch::inb(COM1 + LSR) & 0x01)) return -1;
  return arch::inb(COM1 + DATA);
}

}  // namespace capos::serial
