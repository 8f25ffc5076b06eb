// C string/memory primitives. Freestanding builds get our definitions
// (lib/core/cstring.cpp); the host build uses its libc.
#pragma once

#include <stddef.h>

#if __STDC_HOSTED__
#include <string.h>
#else
extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
}
#endif

namespace capos {

// Non-owning string view (no libstdc++ string_view in freestanding code).
struct StrView {
  const char* ptr = nullptr;
  size_t len = 0;
  constexpr StrView() = default;
  constexpr StrView(const char* p, size_t n) : ptr(p), len(n) {}
  StrView(const char* z) : ptr(z), len(z ? strlen(z) : 0) {}
  constexpr size_t size() const { return len; }
  constexpr bool empty() const { return len == 0; }
  constexpr char operator[](size_t i) const { return i < len ? ptr[i] : '\0'; }
  bool operator==(StrView o) const { return len == o.len && memcmp(ptr, o.ptr, len) == 0; }
  bool starts_with(StrView p) const { return len >= p.len && memcmp(ptr, p.ptr, p.len) == 0; }
  StrView substr(size_t pos, size_t n = ~size_t{0}) const {
    if (pos > len) pos = len;
    if (n > len - pos) n = len - pos;
    return StrView(ptr + pos, n);
  }
};

}  // namespace capos
