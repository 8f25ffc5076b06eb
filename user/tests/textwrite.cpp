// Shared program pages (issue 15, kernel/selftest_shared_image.cpp): every
// process of this program maps the same frames for its text. The role is
// the name of a second Console grant (the first is "console"):
//  "writer" -- writes a byte of its own text (the code `victim` runs):
//              the page is read-only, so the write faults and the kernel
//              kills this process; returning is the failure (exit 3).
//  "runner" -- runs `victim` from the same frames afterwards and exits with
//              its answer (42): the writer's attempt changed nothing.
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"

using namespace capos;
namespace wire = schema::wire;

namespace {

[[gnu::noinline]] int victim(int x) { return x * 6; }

}  // namespace

int main() {
  // Through a volatile pointer: the compiler cannot drop or reorder the
  // read-back, and the address is the function's real entry.
  auto* text = reinterpret_cast<volatile uint8_t*>(&victim);
  if (rt::capset_find<wire::Console>("writer")) {
    rt::print("textwrite: writing to my own text\n");
    *text = static_cast<uint8_t>(*text ^ 0xFF);
    rt::print("textwrite: the write to text did not fault\n");
    return 3;
  }
  if (rt::capset_find<wire::Console>("runner")) {
    volatile int seven = 7;
    return victim(seven);
  }
  return 99;
}
