// The Lua runner's glibc ABI layer builds glibc-layout ctype tables for
// code compiled against glibc headers (user/lua/glibc_ctype.c). Built here
// against the host's glibc, they must equal glibc's own tables in the "C"
// locale entry for entry: class bits, index range and case maps.
#include <gtest/gtest.h>

#include <clocale>
#include <ctype.h>

#include "user/lua/glibc_ctype.h"

namespace {

struct Tables {
  unsigned short cls[CAPOS_GLIBC_CTYPE_ENTRIES];
  int32_t lower[CAPOS_GLIBC_CTYPE_ENTRIES], upper[CAPOS_GLIBC_CTYPE_ENTRIES];
  Tables() {
    std::setlocale(LC_ALL, "C");
    capos_glibc_ctype_build(cls, lower, upper);
  }
};

}  // namespace

TEST(GlibcCtype, ClassTableMatchesGlibc) {
  Tables t;
  const unsigned short* glibc = *__ctype_b_loc();
  for (int c = -128; c < 256; ++c) EXPECT_EQ(t.cls[c + 128], glibc[c]) << "c = " << c;
}

TEST(GlibcCtype, CaseTablesMatchGlibc) {
  Tables t;
  const int32_t* lo = *__ctype_tolower_loc();
  const int32_t* up = *__ctype_toupper_loc();
  for (int c = -128; c < 256; ++c) {
    EXPECT_EQ(t.lower[c + 128], lo[c]) << "c = " << c;
    EXPECT_EQ(t.upper[c + 128], up[c]) << "c = " << c;
  }
}
