#include "kernel/debug/panic.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/debug/ksyms.h"
#include "kernel/debug/log.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/mm/paging.h"

namespace capos {

namespace {

bool g_in_panic = false;

const char* const EXCEPTION_NAMES[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
    "invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
    "invalid TSS", "segment not present", "stack-segment fault", "general protection fault",
    "page fault", "reserved (15)", "x87 floating-point", "alignment check", "machine check",
    "SIMD floating-point", "virtualization", "control protection", "reserved (22)", "reserved (23)",
    "reserved (24)", "reserved (25)", "reserved (26)", "reserved (27)", "hypervisor injection",
    "VMM communication", "security", "reserved (31)"};

// Return addresses are looked up at addr-1: a call to a noreturn function
// can be a function's last instruction, so addr itself may be past its end.
void print_symbol(uint64_t addr, bool is_return_address) {
  StrView name;
  uint64_t off;
  uint64_t probe = is_return_address ? addr - 1 : addr;
  if (ksyms::lookup(probe, &name, &off))
    format(log::sink(), "{:#018x} {}+{:#x}\n", addr, name, off + (addr - probe));
  else
    format(log::sink(), "{:#018x} ?\n", addr);
}

// Stops the machine: QEMU exits with the failure status for test runs.
[[noreturn]] void finish() {
  format(log::sink(), "=== end of panic report ===\n");
  debug_exit::exit(debug_exit::FAILURE);
}

// A second panic while reporting must not recurse forever.
void begin() {
  arch::cli();
  if (g_in_panic) {
    format(log::sink(), "\nKERNEL PANIC (nested) -- halting\n");
    debug_exit::exit(debug_exit::FAILURE);
  }
  g_in_panic = true;
  log::enter_panic_mode();
}

}  // namespace

void print_backtrace(uint64_t rip, uint64_t rbp) {
  format(log::sink(), "backtrace:\n  #0  ");
  print_symbol(rip, false);
  uint64_t last = 0, repeats = 0;
  for (int depth = 1; depth < 256 && rbp; ++depth) {
    // Only follow frame pointers into mapped, aligned kernel memory.
    if ((rbp & 7) || rbp < 0xFFFF800000000000ull || !paging::kernel_readable(rbp, 16)) {
      format(log::sink(), "  (frame pointer {:#x} not readable; stopping)\n", rbp);
      break;
    }
    auto* frame = reinterpret_cast<const uint64_t*>(rbp);
    uint64_t ret = frame[1];
    if (ret == 0) break;
    if (ret == last) {  // deep recursion: fold identical frames
      ++repeats;
    } else {
      if (repeats) format(log::sink(), "      ... previous frame repeated {} more times\n", repeats);
      repeats = 0;
      last = ret;
      format(log::sink(), "  #{:<2} ", depth);
      print_symbol(ret, true);
    }
    if (frame[0] != 0 && frame[0] <= rbp) {  // stacks grow down; callers are higher
      format(log::sink(), "  (frame chain goes backwards; stopping)\n");
      break;
    }
    rbp = frame[0];
  }
  if (repeats) format(log::sink(), "      ... previous frame repeated {} more times\n", repeats);
}

void panic_message(StrView msg) {
  begin();
  format(log::sink(), "\nKERNEL PANIC: {}\n", msg);
  // Start at our caller: our own frame's saved rbp/return address.
  auto* fp = static_cast<const uint64_t*>(__builtin_frame_address(0));
  print_backtrace(fp[1], fp[0]);
  finish();
}

void panic_exception(const arch::InterruptFrame& f) {
  begin();
  const char* name = f.vector < 32 ? EXCEPTION_NAMES[f.vector] : "interrupt";
  Sink& s = log::sink();
  format(s, "\nKERNEL PANIC: CPU exception {} ({}) in kernel mode\n", f.vector, name);
  format(s, "  error code {:#x}", f.error_code);
  if (f.vector == 14) {
    format(s, " [{} {} {}{}]", (f.error_code & 1) ? "protection-violation" : "not-present",
           (f.error_code & 2) ? "write" : "read", (f.error_code & 4) ? "user" : "kernel",
           (f.error_code & 16) ? " instruction-fetch" : "");
  }
  format(s, "\n  RIP {:#018x} ", f.rip);
  StrView fn;
  uint64_t off;
  if (ksyms::lookup(f.rip, &fn, &off)) format(s, "in {}+{:#x}\n", fn, off); else format(s, "(unknown symbol)\n");
  format(s, "  CR2 {:#018x}  CR3 {:#018x}  CR0 {:#x}  CR4 {:#x}\n", arch::read_cr2(), arch::read_cr3(),
         arch::read_cr0(), arch::read_cr4());
  format(s, "  RAX {:#018x}  RBX {:#018x}  RCX {:#018x}\n", f.rax, f.rbx, f.rcx);
  format(s, "  RDX {:#018x}  RSI {:#018x}  RDI {:#018x}\n", f.rdx, f.rsi, f.rdi);
  format(s, "  RBP {:#018x}  RSP {:#018x}  R8  {:#018x}\n", f.rbp, f.rsp, f.r8);
  format(s, "  R9  {:#018x}  R10 {:#018x}  R11 {:#018x}\n", f.r9, f.r10, f.r11);
  format(s, "  R12 {:#018x}  R13 {:#018x}  R14 {:#018x}\n", f.r12, f.r13, f.r14);
  format(s, "  R15 {:#018x}  RFLAGS {:#x}  CS {:#x}  SS {:#x}\n", f.r15, f.rflags, f.cs, f.ss);
  if (f.vector == 8) format(s, "  (double fault: often a kernel stack overflow into a guard page)\n");
  print_backtrace(f.rip, f.rbp);
  finish();
}

}  // namespace capos
