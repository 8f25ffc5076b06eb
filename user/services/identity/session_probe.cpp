// session_probe: shows that logout revokes a session's caps also in a
// child the session started (docs/identity.md). Started as
//   spawn "session_probe" with { log: @log, timer: @timer }
// with `timer` from the session bundle and `log` from the shell's own
// manifest caps. It sleeps on the timer in 100 ms steps and logs once the
// first call succeeded and again when a call fails (after `logout`: the
// wrapper is stale, `disconnected`), then exits 0. Gives up after 2 min.
#include "schema/kernel.capnp.capos.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/services/log_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

int main() {
  svc::Log log;
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!log.attach() || !timer) return 2;
  wire::Timer::Client t(&rt::transport(), *timer);
  for (int i = 0; i < 1200; ++i) {
    alignas(8) uint8_t pbuf[64], rbuf[128];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = wire::Timer::Client::sleepParams(p);
    if (!pp) return 3;
    pp->setDurationNs(100'000'000);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = t.sleep(p, r);
    if (!res) {
      (void)log.info("session_probe: timer call failed after {} ok: {}", i, err_name(res.error()));
      return 0;
    }
    if (i == 0) (void)log.info("session_probe: the session's timer works");
  }
  (void)log.info("session_probe: the timer was never revoked");
  return 1;
}
