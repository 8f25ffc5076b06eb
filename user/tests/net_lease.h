// Waiting for netd's DHCP lease in the network test clients (nettest,
// netbench): the interface has an address. With the driver as a process
// of its own the link comes up only when it attaches, so the wait is
// bounded by time (Timer), not by a count of calls.
#pragma once

#include "schema/kernel.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "user/rt/transport.h"

namespace capos::net_test {

inline uint64_t now_ns(rt::Cap<schema::wire::Timer> timer) {
  alignas(8) uint8_t pb[64], rb[64];
  capnp::FixedMessageBuilder p(MutBytes(pb, sizeof(pb)));
  (void)schema::wire::Timer::Client::nowParams(p);
  capnp::Response r(MutBytes(rb, sizeof(rb)));
  auto res = schema::wire::Timer::Client(&rt::transport(), timer).now(p, r);
  return res ? res->getMonotonicNs() : 0;
}

inline Status sleep_ms(rt::Cap<schema::wire::Timer> timer, uint64_t ms) {
  alignas(8) uint8_t pbuf[64], rbuf[64];
  capnp::FixedMessageBuilder p{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response r{MutBytes(rbuf, sizeof(rbuf))};
  auto sp = CAPOS_TRY(schema::wire::Timer::Client::sleepParams(p));
  sp.setDurationNs(ms * 1'000'000);
  CAPOS_TRY(schema::wire::Timer::Client(&rt::transport(), timer).sleep(p, r));
  return {};
}

// The first interface once it has an address (TimedOut after `limit_ns`).
inline Status wait_lease(rt::Cap<schema::wire::NetworkManager> mgr, rt::Cap<schema::wire::Timer> timer,
                         uint64_t limit_ns = 30'000'000'000ull) {
  namespace wire = schema::wire;
  wire::NetworkManager::Client m(&rt::transport(), mgr);
  const uint64_t give_up = now_ns(timer) + limit_ns;
  while (now_ns(timer) < give_up) {
    alignas(8) uint8_t pbuf[256], rbuf[1024];
    capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
    capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
    (void)wire::NetworkManager::Client::interfacesParams(params);
    auto r = CAPOS_TRY(m.interfaces(params, resp));
    auto list = CAPOS_TRY(r.getInterfaces());
    if (list.size() == 1 && list[0].getAddress() != 0) return {};
    capnp::FixedMessageBuilder wp{MutBytes(pbuf, sizeof(pbuf))};
    auto pp = CAPOS_TRY(wire::NetworkManager::Client::pingParams(wp));
    pp.setAddress(0x7F000001);  // a short wait (when the link is up): a ping to nowhere
    pp.setTimeoutMs(50);
    (void)m.ping(wp, resp);
  }
  return fail(Err::TimedOut);
}

}  // namespace capos::net_test
