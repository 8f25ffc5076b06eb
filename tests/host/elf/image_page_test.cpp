// elf::fill_image_page writes one page of a loaded segment into a frame the
// kernel did not clear. Every page starts dirty here (another process's
// bytes, modelled as 0xA5), so a byte the function forgets shows up as a
// leak against the reference: a zeroed mapping with the file copied in.
#include "lib/elf/image_page.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

using namespace capos;
constexpr uint64_t P = capos::abi::PAGE_SIZE;

// Fills a mapping of `pages` pages page by page, from dirty frames, and
// compares it with the reference layout.
void check_mapping(uint64_t pages, uint64_t offset, const std::vector<uint8_t>& file) {
  std::vector<uint8_t> want(pages * P, 0);
  std::copy(file.begin(), file.end(), want.begin() + offset);
  std::vector<uint8_t> got(pages * P, 0xA5);
  for (uint64_t i = 0; i < pages; ++i)
    elf::fill_image_page(got.data() + i * P, i, offset, Bytes(file.data(), file.size()));
  for (uint64_t b = 0; b < got.size(); ++b)
    ASSERT_EQ(got[b], want[b]) << "byte " << b << " of " << pages << " pages, offset " << offset << ", file "
                               << file.size();
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed + i * 7 + 1) | 1;  // never 0: a missing copy shows
  return v;
}

TEST(ImagePage, Boundaries) {
  check_mapping(1, 0, {});                 // a page of zeros
  check_mapping(1, 0, pattern(P, 3));      // a full page of file bytes
  check_mapping(1, P - 1, pattern(1, 5));  // the last byte only
  check_mapping(1, 0x123, pattern(0x10, 9));
  check_mapping(2, 0x800, pattern(P, 11));     // straddles two pages
  check_mapping(3, 0, pattern(2 * P + 1, 13)); // one byte onto the third page
  check_mapping(3, 0x10, pattern(0x20, 17));   // pages 2 and 3 have no file byte
  check_mapping(2, P, pattern(5, 19));         // file starts on the second page
}

TEST(ImagePage, RandomLayouts) {
  std::mt19937_64 rng(16);
  for (int iter = 0; iter < 2000; ++iter) {
    uint64_t pages = 1 + rng() % 4;
    uint64_t offset = rng() % (pages * P);
    uint64_t room = pages * P - offset;
    uint64_t len = (rng() % 4 == 0) ? room : rng() % (room + 1);
    check_mapping(pages, offset, pattern(len, uint8_t(iter)));
  }
}

}  // namespace
