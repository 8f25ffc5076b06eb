// hello: logs one line through its "log" cap (imported from logd) and
// exits 0. It also shows that authority is exactly what was granted: it
// holds no console, and a CapId it was never given is refused.
#include "lib/abi/errors.h"
#include "user/rt/rt.h"
#include "user/services/log_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

int main() {
  svc::Log log;
  if (!log.attach()) return 2;  // nothing to report through
  if (!log.info("hello from {}", rt::pid())) return 3;

  auto console = rt::capset_find<wire::Console>("console");
  (void)log.info("hello: console cap {}", console ? "granted (unexpected)" : "not granted (as expected)");
  // A guessed CapId: the kernel answers with an error, nothing else happens.
  wire::Console::Client forged(&rt::transport(), rt::Cap<wire::Console>::unchecked(7));
  alignas(8) uint8_t pbuf[128], rbuf[64];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  if (auto p = wire::Console::Client::writeLineParams(params)) (void)p->setText("forged");
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto r = forged.writeLine(params, resp);
  (void)log.info("hello: call on an ungranted CapId: {}", r ? "succeeded (unexpected)" : err_name(r.error()));
  return 0;
}
