// demo_crash: says so on its "console" (if granted), then writes to an
// unmapped address. The kernel kills only this process and reports a page
// fault to whoever holds its ProcessHandle (the shell sees it via `wait`).
#include "user/rt/console.h"
#include "user/rt/rt.h"

using namespace capos;

int main() {
  (void)rt::printf("demo_crash: pid {} writing to 0xdead0000\n", rt::pid());
  *reinterpret_cast<volatile uint32_t*>(0xdead0000ull) = 1;
  return 0;
}
