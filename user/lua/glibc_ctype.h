/* glibc's ctype tables (the layout behind __ctype_b_loc and friends),
   built from the C library's own classification in the "C" locale. */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Entries for -128..255; glibc's accessors return a pointer to entry 128. */
#define CAPOS_GLIBC_CTYPE_ENTRIES 384

void capos_glibc_ctype_build(unsigned short cls[CAPOS_GLIBC_CTYPE_ENTRIES], int32_t lower[CAPOS_GLIBC_CTYPE_ENTRIES],
                             int32_t upper[CAPOS_GLIBC_CTYPE_ENTRIES]);

#ifdef __cplusplus
}
#endif
