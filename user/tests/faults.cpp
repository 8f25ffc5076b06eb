// Deliberate CPU exceptions in ring 3. Built once per kind (FAULT_KIND):
// each must kill only this process with a fault status.
#include "user/rt/rt.h"

#ifndef FAULT_KIND
#error "build with -DFAULT_KIND=n"
#endif

namespace {

[[gnu::noinline]] void page_fault() { *reinterpret_cast<volatile uint64_t*>(0x10) = 1; }
[[gnu::noinline]] void invalid_opcode() { asm volatile("ud2"); }
[[gnu::noinline]] void general_protection() { asm volatile("cli"); }  // privileged in ring 3
volatile int g_zero = 0;
[[gnu::noinline]] int divide_error() {
  int d = g_zero;
  int r;
  asm volatile("cltd; idivl %2" : "=a"(r) : "a"(42), "r"(d) : "rdx");  // the compiler may not fold it away
  return r;
}
// Kernel text is mapped, supervisor-only: a protection fault, not a miss.
[[gnu::noinline]] void kernel_read() { (void)*reinterpret_cast<volatile uint64_t*>(0xFFFFFFFF80101000ull); }
[[gnu::noinline]] void exec_data() {
  static uint8_t ret_insn[16] = {0xC3};
  reinterpret_cast<void (*)()>(ret_insn)();  // NX data page
}

void (*const FAULTS[])() = {page_fault, invalid_opcode, general_protection,
                            [] { (void)divide_error(); }, kernel_read, exec_data};

}  // namespace

int main() {
  FAULTS[FAULT_KIND]();
  return 0;  // not reached: the fault kills us
}
