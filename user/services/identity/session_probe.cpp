// session_probe: shows that logout revokes a session's caps also in a
// child the session started (docs/identity.md). Started as
//   spawn "session_probe" with { log: @log, timer: @timer }
// with `timer` from the session bundle and `log` from the shell's own
// manifest caps. It sleeps on the timer in 100 ms steps and logs once the
// first call succeeded and again when a call fails (after `logout`: the
// wrapper is stale, `disconnected`), then exits 0. Gives up after 2 min.
// The shell also hands every child its session's `session` (UserSession):
// the probe logs whose session it runs in at start, and asks again after
// the timer failed, to show the identity cap went stale with the rest.
#include "schema/identity.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/services/log_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

// Logs the UserSession's answer (or why there is none).
void show_session(svc::Log& log, StrView when) {
  auto s = rt::capset_find<wire::UserSession>("session");
  if (!s) {
    (void)log.info("session_probe: {}: no `session` capability", when);
    return;
  }
  wire::UserSession::Client c(&rt::transport(), *s);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::UserSession::Client::infoParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = c.info(p, r);
  if (!res) {
    (void)log.info("session_probe: {}: session call failed: {}", when, err_name(res.error()));
    return;
  }
  StrView user = res->getUser().value_or("");
  const char* prof = res->getProfile() == wire::Profile::OPERATOR ? "operator"
                     : res->getProfile() == wire::Profile::GUEST  ? "guest"
                                                                  : "anonymous";
  (void)log.info("session_probe: {}: running in session {} of {} ({})", when, res->getSession(),
                 user.empty() ? StrView("-") : user, prof);
}

}  // namespace

int main() {
  svc::Log log;
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!log.attach() || !timer) return 2;
  show_session(log, "at start");
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
      show_session(log, "after revocation");
      return 0;
    }
    if (i == 0) (void)log.info("session_probe: the session's timer works");
  }
  (void)log.info("session_probe: the timer was never revoked");
  return 1;
}
