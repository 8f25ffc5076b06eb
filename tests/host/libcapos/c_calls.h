// C callers of the generated libcapos binding (c_calls.c), for the host test.
#pragma once

#include "capos/capos.h"
#include "schema/kernel.capnp.capos_c.h"
#include "schema/memory.capnp.capos_c.h"

#ifdef __cplusplus
extern "C" {
#endif
capos_err_t c_timer_sleep(capos_cap_t cap, uint64_t ns, uint64_t* now);
capos_err_t c_console_write(capos_cap_t cap, const char* text, uint32_t* written);
capos_err_t c_console_write_line(capos_cap_t cap, const char* text);
capos_err_t c_entropy(capos_cap_t cap, uint32_t count, void* buf, size_t buf_cap, size_t* len);
capos_err_t c_vm_map(capos_cap_t cap, uint64_t size, bool write, bool exec, uint64_t* addr);
#ifdef __cplusplus
}
#endif
