// ticker: logs "tick N" three times, 100 ms apart, using its "timer" and
// "log" caps, then exits 0.
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/services/log_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

int main() {
  svc::Log log;
  if (!log.attach()) return 2;
  auto timer_cap = rt::capset_find<wire::Timer>("timer");
  if (!timer_cap) {
    (void)log.info("ticker: no timer cap ({})", err_name(timer_cap.error()));
    return 3;
  }
  wire::Timer::Client timer(&rt::transport(), *timer_cap);
  for (uint32_t n = 1; n <= 3; ++n) {
    alignas(8) uint8_t pbuf[64], rbuf[64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    auto p = wire::Timer::Client::sleepParams(params);
    if (!p) return 4;
    p->setDurationNs(100'000'000);
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    if (!timer.sleep(params, resp)) {
      (void)log.info("ticker: sleep failed ({})", rt::transport().last_exception());
      return 5;
    }
    if (!log.info("tick {}", n)) return 6;
  }
  return 0;
}
