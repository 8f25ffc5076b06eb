/* Plain C callers of the generated binding (compiled as C11, so the
   generated headers are checked to be valid C): each returns the call's
   error and fills the test's out-values. */
#include "c_calls.h"

capos_err_t c_timer_sleep(capos_cap_t cap, uint64_t ns, uint64_t* now) {
  capos_Timer t = {cap};
  capos_Timer_sleep_results r;
  capos_err_t e = capos_Timer_sleep(t, ns, &r);
  if (e == CAPOS_OK) *now = r.monotonicNs;
  return e;
}

capos_err_t c_console_write(capos_cap_t cap, const char* text, uint32_t* written) {
  capos_Console c = {cap};
  capos_Console_write_results r;
  capos_err_t e = capos_Console_write(c, capos_bytes_of(text, __builtin_strlen(text)), &r);
  if (e == CAPOS_OK) *written = r.written;
  return e;
}

capos_err_t c_console_write_line(capos_cap_t cap, const char* text) {
  capos_Console c = {cap};
  return capos_Console_writeLine(c, capos_cstr(text));
}

capos_err_t c_entropy(capos_cap_t cap, uint32_t count, void* buf, size_t buf_cap, size_t* len) {
  capos_EntropySource s = {cap};
  capos_EntropySource_getBytes_results r = {{buf, buf_cap, 0}};
  capos_err_t e = capos_EntropySource_getBytes(s, count, &r);
  *len = r.data.len;
  return e;
}

capos_err_t c_vm_map(capos_cap_t cap, uint64_t size, bool write, bool exec, uint64_t* addr) {
  capos_VirtualMemory vm = {cap};
  capos_Protection prot = {true, write, exec};
  capos_VirtualMemory_map_results r;
  capos_err_t e = capos_VirtualMemory_map(vm, 0, size, prot, &r);
  if (e == CAPOS_OK) *addr = r.addr;
  return e;
}
