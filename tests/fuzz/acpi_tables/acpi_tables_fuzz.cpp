// libFuzzer target for lib/acpi. The first input byte picks the mode:
// raw (the bytes are the table, so the framing checks are exercised) or
// framed (the rest becomes the body of a FACP/DSDT/SSDT with a correct
// length and checksum, so the fuzzer spends its time inside the FADT and
// AML decoders instead of on checksums). Every result must respect the
// documented contract; ASan/UBSan catch any read outside the input.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "lib/acpi/fadt.h"
#include "lib/acpi/sleep_type.h"

using namespace capos::acpi;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "acpi contract broken: %s\n", what);
    abort();
  }
}

void run(capos::Bytes t) {
  auto f = parse_fadt(t);
  if (f) {
    check(t.size() >= 116, "FADT accepted below 116 bytes");
    check(!f->reset_supported || f->reset_reg.present(), "reset without a register");
    auto port = io_port(f->pm1a_cnt, 2);
    check(!port || *port <= 0xfffe, "PM1a port out of range");
  }
  for (const char* name : {"_S5_", "_S3_"}) {
    auto s = find_sleep_type(t, name);
    if (s) check(s->a <= 7 && s->b <= 7, "SLP_TYP above 3 bits");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0] % 4;
  if (mode == 0) {
    // Exact-size copy so ASan sees any overread of the table.
    std::vector<uint8_t> raw(data + 1, data + size);
    run(capos::Bytes(raw.data(), raw.size()));
    return 0;
  }
  static const char* const kSigs[] = {"FACP", "DSDT", "SSDT"};
  std::vector<uint8_t> t(36, 0);
  memcpy(t.data(), kSigs[mode - 1], 4);
  t.insert(t.end(), data + 1, data + size);
  uint32_t len = static_cast<uint32_t>(t.size());
  memcpy(t.data() + 4, &len, 4);
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(-sum);
  run(capos::Bytes(t.data(), t.size()));
  return 0;
}
