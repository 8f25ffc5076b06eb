// Builders for ACPI table images in host tests: a header with the given
// signature, the declared length and a correct checksum around a body.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace acpi_image {

inline void fix_checksum(std::vector<uint8_t>& t) {
  t[9] = 0;
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(-sum);
}

inline std::vector<uint8_t> sdt(const char* sig, uint8_t revision, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> t(36, 0);
  std::memcpy(t.data(), sig, 4);
  t.insert(t.end(), body.begin(), body.end());
  uint32_t len = static_cast<uint32_t>(t.size());
  std::memcpy(t.data() + 4, &len, 4);
  t[8] = revision;
  std::memcpy(t.data() + 10, "CAPOS ", 6);
  fix_checksum(t);
  return t;
}

template <class T> void put(std::vector<uint8_t>& t, size_t off, T v) { std::memcpy(t.data() + off, &v, sizeof v); }

inline void put_gas(std::vector<uint8_t>& t, size_t off, uint8_t space, uint8_t width, uint64_t addr) {
  t[off] = space;
  t[off + 1] = width;
  t[off + 2] = 0;
  t[off + 3] = 1;
  put(t, off + 4, addr);
}

// A FADT like QEMU q35's (revision 3, 244 bytes): PM1a control at I/O
// 0x604, RESET_REG at I/O 0xcf9 with value 0xf, DSDT at `dsdt`.
inline std::vector<uint8_t> q35_fadt(uint32_t dsdt = 0x7fe0040) {
  std::vector<uint8_t> t(244, 0);
  std::memcpy(t.data(), "FACP", 4);
  put<uint32_t>(t, 4, 244);
  t[8] = 3;
  put<uint32_t>(t, 40, dsdt);
  put<uint16_t>(t, 46, 9);
  put<uint32_t>(t, 48, 0xb2);
  t[52] = 0xf1;
  t[53] = 0xf0;
  put<uint32_t>(t, 56, 0x600);
  put<uint32_t>(t, 64, 0x604);
  put<uint32_t>(t, 76, 0x608);
  t[88] = 4;
  t[89] = 2;
  t[91] = 4;
  put<uint32_t>(t, 112, (1u << 10) | (1u << 0));  // RESET_REG_SUP | WBINVD
  put_gas(t, 116, 1, 8, 0xcf9);
  t[128] = 0x0f;
  put<uint64_t>(t, 140, dsdt);
  put_gas(t, 148, 1, 32, 0x600);
  put_gas(t, 172, 1, 16, 0x604);
  fix_checksum(t);
  return t;
}

// AML bytes of `Name (<prefix>_S5_, Package (count) { elements })`; the
// elements are raw encoded data objects.
inline std::vector<uint8_t> name_package(bool root, uint8_t count, std::initializer_list<uint8_t> elements,
                                         const char* name = "_S5_") {
  std::vector<uint8_t> a{0x08};
  if (root) a.push_back('\\');
  a.insert(a.end(), name, name + 4);
  a.push_back(0x12);
  a.push_back(static_cast<uint8_t>(2 + elements.size()));  // PkgLength (1 byte) + NumElements + data
  a.push_back(count);
  a.insert(a.end(), elements.begin(), elements.end());
  return a;
}

}  // namespace acpi_image
