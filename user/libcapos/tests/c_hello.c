/* c_hello: a C program over libcapos only (no libc), booted as init by
   the QEMU test qemu.c_hello. Each check prints "c_hello: <what> ok" or
   "c_hello: FAIL <what>" and the exit status counts the failures. */
#include "capos/capos.h"
#include "schema/kernel.capnp.capos_c.h"
#include "schema/memory.capnp.capos_c.h"

static capos_Console g_console;
static int g_failures;

static void say(const char* text) { (void)capos_Console_writeLine(g_console, capos_cstr(text)); }

static void check(int ok, const char* what) {
  char line[96] = "c_hello: ";
  size_t n = 9;
  if (!ok) {
    __builtin_memcpy(line + n, "FAIL ", 5);
    n += 5;
    ++g_failures;
  }
  for (size_t i = 0; what[i] && n < sizeof line - 4; ++i) line[n++] = what[i];
  if (ok) {
    __builtin_memcpy(line + n, " ok", 3);
    n += 3;
  }
  capos_str s = {line, n};
  (void)capos_Console_writeLine(g_console, s);
}

/* The data word `word` of the root struct of a framed single-segment reply. */
static uint64_t reply_root_word(const uint8_t* msg, size_t len, unsigned word) {
  if (len < 16) return 0;
  uint64_t root;
  __builtin_memcpy(&root, msg + 8, 8);
  int32_t off = (int32_t)(uint32_t)root >> 2;
  size_t at = 16 + ((size_t)off + word) * 8;
  if ((root & 3) != 0 || at + 8 > len) return 0;
  uint64_t v;
  __builtin_memcpy(&v, msg + at, 8);
  return v;
}

int main(void) {
  if (capos_Console_find("console", &g_console) != CAPOS_OK) return 100;
  say("hello from C over libcapos");

  /* Lookup is by name with the interface checked. */
  capos_Timer timer;
  check(capos_Timer_find("timer", &timer) == CAPOS_OK, "timer lookup");
  capos_Timer wrong;
  check(capos_Timer_find("console", &wrong) == CAPOS_E_INTERFACE_MISMATCH, "interface mismatch refused");
  check(capos_Timer_find("nope", &wrong) == CAPOS_E_NOT_FOUND, "missing cap not found");
  check(__builtin_strcmp(capos_err_name(CAPOS_E_NOT_FOUND), "not-found") == 0, "error names");

  /* Typed calls generated from the schema. */
  capos_Timer_now_results t0, t1;
  capos_Timer_sleep_results slept;
  check(capos_Timer_now(timer, &t0) == CAPOS_OK && t0.monotonicNs > 0, "Timer.now");
  check(capos_Timer_sleep(timer, 2000000, &slept) == CAPOS_OK, "Timer.sleep");
  check(capos_Timer_now(timer, &t1) == CAPOS_OK && t1.monotonicNs >= t0.monotonicNs + 2000000, "time advanced");
  check(capos_Timer_sleep(timer, ~(uint64_t)0, &slept) == CAPOS_E_INVALID_ARGUMENT, "oversized sleep rejected");

  capos_EntropySource random;
  uint8_t bytes[32] = {0};
  capos_EntropySource_getBytes_results rb = {{bytes, sizeof bytes, 0}};
  check(capos_EntropySource_find("random", &random) == CAPOS_OK &&
            capos_EntropySource_getBytes(random, 32, &rb) == CAPOS_OK && rb.data.len == 32,
        "EntropySource.getBytes");
  int nonzero = 0;
  for (int i = 0; i < 32; ++i) nonzero |= bytes[i];
  check(nonzero != 0, "entropy bytes");
  uint8_t small[4];
  capos_EntropySource_getBytes_results rs = {{small, sizeof small, 0}};
  check(capos_EntropySource_getBytes(random, 32, &rs) == CAPOS_E_OUT_OF_RANGE && rs.data.len == 0,
        "result larger than the buffer refused");

  /* VirtualMemory with a flat struct param (Protection). */
  capos_VirtualMemory vm;
  capos_Protection rw = {true, true, false};
  capos_VirtualMemory_map_results m;
  check(capos_VirtualMemory_find("vm", &vm) == CAPOS_OK && capos_VirtualMemory_map(vm, 0, 2 * 1024 * 1024, rw, &m) == CAPOS_OK,
        "VirtualMemory.map 2 MiB");
  volatile uint8_t* p = (volatile uint8_t*)(uintptr_t)m.addr;
  p[0] = 1;
  p[2 * 1024 * 1024 - 1] = 2;
  check(p[0] == 1 && p[2 * 1024 * 1024 - 1] == 2, "mapped memory usable");
  capos_Protection wx = {true, true, true};
  capos_VirtualMemory_map_results bad;
  check(capos_VirtualMemory_map(vm, 0, 4096, wx, &bad) == CAPOS_E_INVALID_ARGUMENT, "W+X refused");
  check(capos_VirtualMemory_unmap(vm, m.addr, 2 * 1024 * 1024) == CAPOS_OK, "VirtualMemory.unmap");

  /* The generic CALL: Timer.now with a hand-framed empty params struct. */
  static const uint8_t empty_params[16] = {0, 0, 0, 0, 1, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  uint8_t reply[256];
  capos_buf rbuf = {reply, sizeof reply, 0};
  check(capos_call(timer.id, capos_Timer_INTERFACE_ID, 0, capos_bytes_of(empty_params, 16), &rbuf) == CAPOS_OK &&
            reply_root_word(reply, rbuf.len, 0) >= t1.monotonicNs,
        "generic CALL Timer.now");
  check(capos_call(timer.id, capos_Console_INTERFACE_ID, 0, capos_bytes_of(empty_params, 16), &rbuf) != CAPOS_OK,
        "generic CALL with the wrong interface refused");

  say(g_failures == 0 ? "c_hello: all checks passed" : "c_hello: some checks FAILED");
  return g_failures;
}
