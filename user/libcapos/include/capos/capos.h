/* libcapos: the C interface to capOS (docs/libcapos.md).

   A C program defines `int main(void)`; the runtime has attached the ring
   and the CapSet before main runs and exits with main's return value.
   Every capability a program holds came from its CapSet (capos_*_find) or
   from a call's results; there is nothing else to name.

   Errors are values: every call returns capos_err_t, CAPOS_OK (0) or one
   CAPOS_E_* code (the same numbers as capos::Err, lib/core/error.h).

   The typed wrappers for each interface are generated from the schema:
   include "schema/<file>.capnp.capos_c.h" (kernel.capnp: Console, Timer,
   EntropySource, ...; memory.capnp: VirtualMemory; process.capnp:
   ProcessHandle). Methods the generator cannot flatten (lists, unions,
   capabilities) are wrapped by hand in "capos/process.h" and
   "capos/console.h". */
#ifndef CAPOS_CAPOS_H
#define CAPOS_CAPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
#define CAPOS_NORETURN [[noreturn]]
#else
#define CAPOS_NORETURN _Noreturn
#endif

typedef uint32_t capos_cap_t;
typedef int32_t capos_err_t;

enum {
  CAPOS_OK = 0,
  CAPOS_E_INVALID_ARGUMENT = 1,
  CAPOS_E_OUT_OF_MEMORY,
  CAPOS_E_OUT_OF_RANGE,
  CAPOS_E_NOT_FOUND,
  CAPOS_E_ALREADY_EXISTS,
  CAPOS_E_BUSY,
  CAPOS_E_OVERLOADED,
  CAPOS_E_UNSUPPORTED,
  CAPOS_E_CORRUPT,
  CAPOS_E_TRUNCATED,
  CAPOS_E_LIMIT_EXCEEDED,
  CAPOS_E_PERMISSION_DENIED,
  CAPOS_E_DISCONNECTED,
  CAPOS_E_STALE,
  CAPOS_E_FAULT,
  CAPOS_E_FAILED,
  CAPOS_E_INVOKE_FAILED,
  CAPOS_E_INTERFACE_MISMATCH,
  CAPOS_E_INVALID_TRANSFER,
  CAPOS_E_QUOTA_EXCEEDED,
  CAPOS_E_CANCELLED,
  CAPOS_E_TIMED_OUT,
  CAPOS_E_VALUE_CHANGED,
};

/* "not-found", "interface-mismatch", ... (static strings). */
const char* capos_err_name(capos_err_t e);

/* Text and Data params: a pointer and a length (no terminator needed). */
typedef struct capos_str {
  const char* ptr;
  size_t len;
} capos_str;
typedef struct capos_bytes {
  const void* ptr;
  size_t len;
} capos_bytes;
/* Text and Data results land in a caller buffer: set data and cap before
   the call, read len after. A result that does not fit fails the call
   with CAPOS_E_OUT_OF_RANGE. Text is not NUL-terminated. */
typedef struct capos_buf {
  void* data;
  size_t cap;
  size_t len;
} capos_buf;

static inline capos_str capos_cstr(const char* s) {
  capos_str r = {s, __builtin_strlen(s)};
  return r;
}
static inline capos_bytes capos_bytes_of(const void* p, size_t n) {
  capos_bytes r = {p, n};
  return r;
}

/* --- The CapSet: the caps this process was started with. */

/* The cap granted as `name`. interface_id 0 accepts any interface;
   otherwise the entry's id must match (CAPOS_E_INTERFACE_MISMATCH). The
   generated capos_<Iface>_find(name, &out) calls this with the right id. */
capos_err_t capos_capset_find(const char* name, uint64_t interface_id, capos_cap_t* out);
uint32_t capos_capset_count(void);
typedef struct capos_capset_info {
  capos_str name;
  capos_cap_t cap;
  uint64_t interface_id;
} capos_capset_info;
capos_err_t capos_capset_entry(uint32_t index, capos_capset_info* out);

/* --- The generic CALL: params is one framed Cap'n Proto message (stream
   framing, docs/capnp.md); the framed reply lands in `result`. For
   interfaces without a generated wrapper. */
capos_err_t capos_call(capos_cap_t cap, uint64_t interface_id, uint16_t method_id, capos_bytes params,
                       capos_buf* result);
/* The message of the last application exception a call failed with
   (empty otherwise); the failure itself is the call's error. */
capos_str capos_last_exception(void);
/* Drop a cap this process holds (a stale id is ignored). */
void capos_release(capos_cap_t cap);

/* --- Process. */
uint32_t capos_pid(void);
CAPOS_NORETURN void capos_exit(int64_t status);
/* The runtime heap (the C++ runtime's allocator; libc malloc sits on top
   of VirtualMemory instead, docs/posix.md). */
void* capos_alloc(size_t n);
void capos_free(void* p);

#ifdef __cplusplus
}
#endif

#endif
