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
#include "user/rt/serve_set.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/accounts.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

// Each live session holds one ServeSet slot (its UserSession endpoint);
// the broker's own endpoint takes the first.
constexpr uint32_t kMaxSessions = rt::ServeSet::kMaxEndpoints - 1;
constexpr uint64_t kBrokerTag = 0;  // session ids start at 1

struct Session {
  bool used = false;
  uint64_t id = 0;
  wire::Profile profile = wire::Profile::ANONYMOUS;
  char user[identity::kMaxUser + 1] = {};
  rt::Cap<wire::Revoker> revoker;
};
Session g_sessions[kMaxSessions];
rt::Cap<wire::EndpointFactory> g_eps;
rt::ServeSet g_set;

// A fresh UserSession endpoint: the owner facet and a client facet.
Status new_session_endpoint(uint32_t* owner, uint32_t* client) {
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::EndpointFactory::Client::createParams(p));
  pp.setServedInterfaceId(wire::UserSession::kInterfaceId);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(g_eps, 0, p, r, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec, 2), &n));
  if (n != 2) {
    for (uint32_t k = 0; k < n; ++k) rt::release_cap(rec[k].cap_id);
    return fail(Err::Corrupt);
  }
  *owner = rec[0].cap_id;  // records in result order: owner, then client
  *client = rec[1].cap_id;
  return {};
}

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

class UserSessionImpl final : public wire::UserSession::Server {
 public:
  Status info(wire::UserSession::InfoParams::Reader, wire::UserSession::InfoResults::Builder r) override {
    for (const Session& s : g_sessions) {
      if (!s.used || s.id != g_set.current_tag()) continue;
      CAPOS_TRY_STATUS(r.setUser(StrView(s.user)));
      r.setProfile(s.profile);
      r.setSession(s.id);
      return {};
    }
    return fail(Err::Disconnected);  // revoked while the call was queued
  }
};

UserSessionImpl g_user_session;

// One bundle entry, its cap moved to the caller (the broker keeps only
// the Revoker).
Status add(wire::BundleCap::Builder item, StrView name, uint32_t cap) {
  auto idx = rt::add_result_cap(cap, abi::XFER_MOVE);
  if (!idx) {
    rt::release_cap(cap);
    return fail(idx.error());
  }
  item.getCap().set_capability(*idx);
  return item.setName(name);
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
    if (p.getSession() == kBrokerTag) return fail(Err::InvalidArgument);
    Session* slot = nullptr;
    for (Session& s : g_sessions) {
      if (s.used && s.id == p.getSession()) return fail(Err::AlreadyExists);
      if (!s.used && !slot) slot = &s;
    }
    if (!slot) return fail(Err::Overloaded);
    StrView user = CAPOS_TRY(p.getUser());
    if (user.size() > identity::kMaxUser) return fail(Err::InvalidArgument);
    uint32_t n = bundle_size(prof);
    if (n + 1 > wire::MAX_BUNDLE_CAPS) return fail(Err::LimitExceeded);
    rt::Cap<wire::Revoker> rv = CAPOS_TRY(new_revoker());
    uint32_t owner = 0, client = 0;
    if (Status st = new_session_endpoint(&owner, &client); !st) {
      rt::release_cap(rv);
      return st;
    }
    // Everything below that fails ends the scope and the endpoint again.
    auto abandon = [&](Err e) {
      (void)revoke_scope(rv);
      rt::release_cap(rv);
      g_set.remove(p.getSession());
      if (client) rt::release_cap(client);
      return fail(e);
    };
    if (!g_set.add(rt::Cap<wire::Endpoint>::unchecked(owner), g_user_session, p.getSession())) {
      rt::release_cap(owner);
      rt::release_cap(client);
      rt::release_cap(rv);
      return fail(Err::Overloaded);
    }
    auto list_r = r.initCaps(n + 1);
    if (!list_r) return abandon(list_r.error());
    auto list = *list_r;
    StrView pre = prefix_of(prof);
    uint32_t k = 0;
    for (uint32_t i = 0; i < rt::capset_count() && k < n; ++i) {
      const abi::CapSetEntry* e = rt::capset_entry(i);
      StrView name = e ? rt::capset_name(*e) : StrView();
      if (!(name.size() > pre.size() && name.substr(0, pre.size()) == pre)) continue;
      auto w = wrap(rv, e->cap_id);
      if (!w) return abandon(w.error());
      if (Status st = add(list[k++], name.substr(pre.size()), *w); !st) return abandon(st.error());
    }
    auto w = wrap(rv, client);
    rt::release_cap(client);  // the wrapper is the only way to it now
    client = 0;
    if (!w) return abandon(w.error());
    if (Status st = add(list[k], "session", *w); !st) return abandon(st.error());
    *slot = Session{true, p.getSession(), prof, {}, rv};
    memcpy(slot->user, user.ptr, user.size());
    return {};
  }

  Status revoke(wire::AuthorityBroker::RevokeParams::Reader p, wire::AuthorityBroker::RevokeResults::Builder) override {
    for (Session& s : g_sessions) {
      if (!s.used || s.id != p.getSession()) continue;
      Status st = revoke_scope(s.revoker);
      rt::release_cap(s.revoker);
      g_set.remove(s.id);
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
  if (!g_set.add(*ep, g_impl, kBrokerTag)) return 3;
  Status st = g_set.serve();
  rt::printf("broker: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
