// demo: the program the shell's `spawn demo console` starts. Prints one
// line through the "console" it was granted and exits 0.
#include "user/rt/console.h"
#include "user/rt/rt.h"

using namespace capos;

int main() {
  if (!rt::printf("demo: hello from pid {}\n", rt::pid())) return 2;  // no console granted
  return 0;
}
