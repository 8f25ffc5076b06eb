// Freestanding definitions of the C memory/string primitives. Compiled
// only into kernel and userspace libraries; the compiler emits calls to
// memcpy/memset for aggregate copies, so these must exist.
#include "lib/core/cstring.h"

#if !__STDC_HOSTED__

#include <stdint.h>

extern "C" {

// Quadwords first, then the 0-7 byte tail. A string instruction retires
// once per repetition (which is what an instruction count sees: byte-wise
// rep movsb/stosb made every struct copy cost one instruction per byte),
// and rep movsq/stosq are as fast as the byte forms on ERMSB hardware.
void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  auto* s = static_cast<const unsigned char*>(src);
  size_t q = n >> 3, t = n & 7;
  asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
  asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(t) : : "memory");
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  auto* s = static_cast<const unsigned char*>(src);
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n];
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  uint64_t v = 0x0101010101010101ull * static_cast<unsigned char>(c);
  size_t q = n >> 3, t = n & 7;
  asm volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
  asm volatile("rep stosb" : "+D"(d), "+c"(t) : "a"(v) : "memory");
  return dst;
}

// Eight bytes per step until a difference, then bytes for its sign: a
// byte loop cost about five instructions per byte compared (fsd compares
// its whole metadata image at every commit, the benches every byte read).
int memcmp(const void* a, const void* b, size_t n) {
  auto* x = static_cast<const unsigned char*>(a);
  auto* y = static_cast<const unsigned char*>(b);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t u, v;
    __builtin_memcpy(&u, x + i, 8);
    __builtin_memcpy(&v, y + i, 8);
    if (u != v) break;
  }
  for (; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) ++n;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

int strncmp(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i] || !a[i]) return static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]);
  }
  return 0;
}

char* strchr(const char* s, int c) {
  for (;; ++s) {
    if (*s == static_cast<char>(c)) return const_cast<char*>(s);
    if (!*s) return nullptr;
  }
}

}  // extern "C"

#endif  // !__STDC_HOSTED__
