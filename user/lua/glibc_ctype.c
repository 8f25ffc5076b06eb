/* glibc's ctype table layout (bits/ctype.h; checked against the host's
   glibc by host.GlibcCtype.*): on little-endian machines _ISbit(b) swaps
   the two bytes, so class bit b lands at 1 << (b + 8) for b < 8 and at
   1 << (b - 8) otherwise. */
#include "glibc_ctype.h"

#include <ctype.h>

enum {
  G_UPPER = 0x100, G_LOWER = 0x200, G_ALPHA = 0x400, G_DIGIT = 0x800, G_XDIGIT = 0x1000,
  G_SPACE = 0x2000, G_PRINT = 0x4000, G_GRAPH = 0x8000, G_BLANK = 0x1, G_CNTRL = 0x2,
  G_PUNCT = 0x4, G_ALNUM = 0x8,
};

void capos_glibc_ctype_build(unsigned short cls[CAPOS_GLIBC_CTYPE_ENTRIES], int32_t lower[CAPOS_GLIBC_CTYPE_ENTRIES],
                             int32_t upper[CAPOS_GLIBC_CTYPE_ENTRIES]) {
  for (int c = -128; c < 256; ++c) {
    /* In the "C" locale only ASCII has classes; -128..-1 (signed chars and
       EOF) and 128..255 have none. The case maps send a signed char to its
       unsigned value, as glibc's do; EOF stays EOF. */
    unsigned short m = 0;
    if (c >= 0 && c < 128) {
      if (isupper(c)) m |= G_UPPER;
      if (islower(c)) m |= G_LOWER;
      if (isalpha(c)) m |= G_ALPHA;
      if (isdigit(c)) m |= G_DIGIT;
      if (isxdigit(c)) m |= G_XDIGIT;
      if (isspace(c)) m |= G_SPACE;
      if (isprint(c)) m |= G_PRINT;
      if (isgraph(c)) m |= G_GRAPH;
      if (c == ' ' || c == '\t') m |= G_BLANK;
      if (iscntrl(c)) m |= G_CNTRL;
      if (ispunct(c)) m |= G_PUNCT;
      if (isalnum(c)) m |= G_ALNUM;
    }
    cls[c + 128] = m;
    int same = c < -1 ? c + 256 : c;
    lower[c + 128] = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : same;
    upper[c + 128] = (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : same;
  }
}
