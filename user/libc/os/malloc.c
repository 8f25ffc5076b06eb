/* The malloc family for C programs and for newlib's own calls (_malloc_r
   and friends), over os/heap.cpp. Failure is NULL with errno ENOMEM; a
   free of a pointer malloc never returned aborts (heap corruption must not
   go on silently). */
#include <errno.h>
#include <reent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void* capos_libc_heap_alloc(size_t n);
bool capos_libc_heap_free(void* p);
size_t capos_libc_heap_size(const void* p);

void* malloc(size_t n) {
  void* p = capos_libc_heap_alloc(n);
  if (p == NULL) errno = ENOMEM;
  return p;
}

void free(void* p) {
  if (p != NULL && !capos_libc_heap_free(p)) {
    static const char msg[] = "libc: free() of a pointer malloc did not return\n";
    (void)write(2, msg, sizeof msg - 1);
    abort();
  }
}

void* calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  void* p = malloc(total);
  if (p != NULL) memset(p, 0, total);
  return p;
}

void* realloc(void* p, size_t n) {
  if (p == NULL) return malloc(n);
  if (n == 0) {
    free(p);
    return NULL;
  }
  size_t have = capos_libc_heap_size(p);
  if (have == 0) abort();
  if (n <= have) return p;
  void* q = malloc(n);
  if (q == NULL) return NULL;
  memcpy(q, p, have);
  free(p);
  return q;
}

void* reallocf(void* p, size_t n) {
  void* q = realloc(p, n);
  if (q == NULL && n != 0) free(p);
  return q;
}

void* _malloc_r(struct _reent* r, size_t n) { (void)r; return malloc(n); }
void _free_r(struct _reent* r, void* p) { (void)r; free(p); }
void* _calloc_r(struct _reent* r, size_t n, size_t s) { (void)r; return calloc(n, s); }
void* _realloc_r(struct _reent* r, void* p, size_t n) { (void)r; return realloc(p, n); }
