// broker: the AuthorityBroker service (schema/identity.capnp,
// docs/identity.md). Bundles are defined by the manifest: every cap the
// broker holds named `<profile>.<name>` is in <profile>'s bundle as
// <name>. Each shellBundle makes a fresh kernel revocation scope
// (EndpointFactory.createRevoker) and hands out wrappers in it, never the
// caps themselves; revoke() revokes the scope, which makes every copy of
// every wrapper stale, also in children the session started.
//
// Caps: "broker" (endpoint), "eps" (EndpointFactory, for Revokers), and the
// bundle caps. Granted only to the SessionManager.
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

constexpr uint32_t kMaxSessions = 16;

struct Session {
  bool used = false;
  uint64_t id = 0;
  rt::Cap<wire::Revoker> revoker;
};
Session g_sessions[kMaxSessions];
rt::Cap<wire::EndpointFactory> g_eps;

StrView prefix_of(wire::Profile p) {
  switch (p) {
    case wire::Profile::ANONYMOUS: return "anonymous.";
    case wire::Profile::GUEST: return "guest.";
    case wire::Profile::OPERATOR: return "operator.";
  }
  return "";
}

// Capset entries of `p`'s bundle, in manifest order.
uint32_t bundle_size(wire::Profile p) {
  StrView pre = prefix_of(p);
  uint32_t n = 0;
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    StrView name = e ? rt::capset_name(*e) : StrView();
    if (name.size() > pre.size() && name.substr(0, pre.size()) == pre) ++n;
  }
  return n;
}

bool allowed(wire::Profile p) { return p == wire::Profile::ANONYMOUS || bundle_size(p) > 0; }

Result<rt::Cap<wire::Revoker>> new_revoker() {
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)CAPOS_TRY(wire::EndpointFactory::Client::createRevokerParams(p));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  return rt::call_for_cap<wire::Revoker>(g_eps, 1, p, r);
}

Result<uint32_t> wrap(rt::Cap<wire::Revoker> rv, uint32_t cap) {
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::Revoker::Client::wrapParams(p));
  pp.getTarget().set_capability(0);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferDesc x{cap, abi::XFER_COPY, {0, 0, 0}};
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(rv, 0, p, r, Span<const abi::CapTransferDesc>(&x, 1),
                                      Span<abi::CapTransferRecord>(rec, 1), &n));
  if (n != 1) return fail(Err::Corrupt);
  return rec[0].cap_id;
}

Status revoke_scope(rt::Cap<wire::Revoker> rv) {
  wire::Revoker::Client c(&rt::transport(), rv);
  alignas(8) uint8_t pbuf[64], rbuf[64];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)CAPOS_TRY(wire::Revoker::Client::revokeParams(p));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  (void)CAPOS_TRY(c.revoke(p, r));
  return {};
}

class BrokerImpl final : public wire::AuthorityBroker::Server {
 public:
  Status shellBundle(wire::AuthorityBroker::ShellBundleParams::Reader p,
                     wire::AuthorityBroker::ShellBundleResults::Builder r) override {
    wire::Profile prof = p.getProfile();
    if (!allowed(prof)) {
      rt::set_error_message("the manifest defines no bundle for this profile");
      return fail(Err::NotFound);
    }
    Session* slot = nullptr;
    for (Session& s : g_sessions) {
      if (s.used && s.id == p.getSession()) return fail(Err::AlreadyExists);
      if (!s.used && !slot) slot = &s;
    }
    if (!slot) return fail(Err::Overloaded);
    uint32_t n = bundle_size(prof);
    if (n > wire::MAX_BUNDLE_CAPS) return fail(Err::LimitExceeded);
    rt::Cap<wire::Revoker> rv = CAPOS_TRY(new_revoker());
    auto list = CAPOS_TRY(r.initCaps(n));
    StrView pre = prefix_of(prof);
    uint32_t k = 0;
    for (uint32_t i = 0; i < rt::capset_count() && k < n; ++i) {
      const abi::CapSetEntry* e = rt::capset_entry(i);
      StrView name = e ? rt::capset_name(*e) : StrView();
      if (!(name.size() > pre.size() && name.substr(0, pre.size()) == pre)) continue;
      auto w = wrap(rv, e->cap_id);
      if (!w) {
        (void)revoke_scope(rv);
        rt::release_cap(rv);
        return fail(w.error());
      }
      auto item = list[k++];
      CAPOS_TRY_STATUS(item.setName(name.substr(pre.size())));
      // Moved to the caller: the broker keeps only the Revoker.
      item.getCap().set_capability(CAPOS_TRY(rt::add_result_cap(*w, abi::XFER_MOVE)));
    }
    *slot = Session{true, p.getSession(), rv};
    return {};
  }

  Status revoke(wire::AuthorityBroker::RevokeParams::Reader p, wire::AuthorityBroker::RevokeResults::Builder) override {
    for (Session& s : g_sessions) {
      if (!s.used || s.id != p.getSession()) continue;
      Status st = revoke_scope(s.revoker);
      rt::release_cap(s.revoker);
      s = Session{};
      return st;
    }
    return fail(Err::InvalidArgument);
  }

  Status profileAllowed(wire::AuthorityBroker::ProfileAllowedParams::Reader p,
                        wire::AuthorityBroker::ProfileAllowedResults::Builder r) override {
    r.setAllowed(allowed(p.getProfile()));
    return {};
  }
};

BrokerImpl g_impl;

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("broker");
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  if (!ep || !eps) {
    rt::printf("broker: needs the `broker` endpoint and `eps` (EndpointFactory)\n");
    return 2;
  }
  g_eps = *eps;
  Status st = rt::serve(*ep, g_impl);
  rt::printf("broker: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
