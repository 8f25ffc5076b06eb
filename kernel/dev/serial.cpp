#include "kernel/dev/serial.h"

#include "kernel/arch/x86_64/cpu.h"

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

}  // namespace

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

int try_get() {
  if (!g_present || !(arch::inb(COM1 + LSR) & 0x01)) return -1;
  return arch::inb(COM1 + DATA);
}

}  // namespace capos::serial
