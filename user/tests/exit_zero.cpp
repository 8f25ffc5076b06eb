// Smallest program: proves load, entry ABI and exit. Returns 0 when the
// entry registers look right (ring page magic, CapSet page magic).
#include "user/rt/rt.h"

int main() {
  auto* page = capos::rt::ring().page();
  if (page->header.abi_version != capos::abi::RING_ABI_VERSION) return 2;
  if (page->header.sq_entries != capos::abi::SQ_ENTRIES) return 3;
  if (capos::rt::pid() == 0) return 4;
  return 0;
}
