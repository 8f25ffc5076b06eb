/* The glibc ABI that Debian's static archives (built against glibc
   headers) reference, mapped onto newlib: errno and ctype accessors, the
   _FORTIFY_SOURCE *_chk entry points (with their checks), the stack
   protector's failure hook, the stdio stream variables and the *64
   large-file names. Only what those archives actually use; docs/posix.md. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glibc_ctype.h"

/* errno: glibc code reads it through this accessor. */
int* __errno_location(void) { return &errno; }

/* ctype: glibc code indexes glibc-layout tables (glibc_ctype.c). */
static unsigned short g_class[CAPOS_GLIBC_CTYPE_ENTRIES];
static int32_t g_lower[CAPOS_GLIBC_CTYPE_ENTRIES], g_upper[CAPOS_GLIBC_CTYPE_ENTRIES];
static const unsigned short* g_class_ptr = g_class + 128;
static const int32_t* g_lower_ptr = g_lower + 128;
static const int32_t* g_upper_ptr = g_upper + 128;

/* stdin/stdout/stderr are variables in glibc, macros over the reent
   structure in newlib. */
#undef stdin
#undef stdout
#undef stderr
FILE* stdin;
FILE* stdout;
FILE* stderr;

__attribute__((constructor)) static void glibc_abi_init(void) {
  capos_glibc_ctype_build(g_class, g_lower, g_upper);
  stdin = _REENT->_stdin;
  stdout = _REENT->_stdout;
  stderr = _REENT->_stderr;
}

const unsigned short** __ctype_b_loc(void) { return &g_class_ptr; }
const int32_t** __ctype_tolower_loc(void) { return &g_lower_ptr; }
const int32_t** __ctype_toupper_loc(void) { return &g_upper_ptr; }

/* Fortify: a detected overflow ends the process, as glibc's __chk_fail. */
static _Noreturn void chk_fail(const char* what) {
  static const char msg[] = "*** buffer overflow detected ***: ";
  (void)write(2, msg, sizeof msg - 1);
  (void)write(2, what, strlen(what));
  (void)write(2, "\n", 1);
  abort();
}

void __stack_chk_fail(void) {
  static const char msg[] = "*** stack smashing detected ***\n";
  (void)write(2, msg, sizeof msg - 1);
  abort();
}

void* __memcpy_chk(void* dst, const void* src, size_t n, size_t dst_len) {
  if (n > dst_len) chk_fail("memcpy");
  return memcpy(dst, src, n);
}

void* __memset_chk(void* dst, int c, size_t n, size_t dst_len) {
  if (n > dst_len) chk_fail("memset");
  return memset(dst, c, n);
}

int __snprintf_chk(char* s, size_t max, int flag, size_t s_len, const char* fmt, ...) {
  (void)flag;
  if (max > s_len) chk_fail("snprintf");
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(s, max, fmt, ap);
  va_end(ap);
  return r;
}

int __fprintf_chk(FILE* f, int flag, const char* fmt, ...) {
  (void)flag;
  va_list ap;
  va_start(ap, fmt);
  int r = vfprintf(f, fmt, ap);
  va_end(ap);
  return r;
}

/* Large-file names: off_t is already 64-bit. */
FILE* fopen64(const char* path, const char* mode) { return fopen(path, mode); }
FILE* freopen64(const char* path, const char* mode, FILE* f) { return freopen(path, mode, f); }
