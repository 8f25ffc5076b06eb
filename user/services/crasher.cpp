// crasher: for restart-policy tests. Logs "crasher starting" through its
// "log" cap, then touches an unmapped page, so the kernel kills it with a
// page fault that init reports (and restarts per the manifest's policy).
#include "user/rt/rt.h"
#include "user/services/log_client.h"

using namespace capos;

int main() {
  svc::Log log;
  if (log.attach()) (void)log.info("crasher starting");
  *reinterpret_cast<volatile uint64_t*>(0x10) = 1;  // below the image: never mapped
  return 0;
}
