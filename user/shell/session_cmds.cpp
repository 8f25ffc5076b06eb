#include "user/shell/session_cmds.h"

#include "schema/identity.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/transport.h"
#include "user/shell/shell_io.h"

namespace capos::shell {

namespace wire = schema::wire;
using Outcome = wire::SessionManager::LoginOutcome;

namespace {

char g_user[34];
size_t g_user_len = 0;

const char* profile_name(wire::Profile p) {
  switch (p) {
    case wire::Profile::ANONYMOUS: return "anonymous";
    case wire::Profile::GUEST: return "guest";
    case wire::Profile::OPERATOR: return "operator";
  }
  return "?";
}

// Calls SessionManager method `method` (params built by `fill`) and, on
// a new session, swaps the shell's session caps for its bundle.
template <class Results, class Fill>
bool session_call(StrView cmd, uint16_t method, StrView user, Fill fill) {
  auto sm = need<wire::SessionManager>(cmd, "sessions");
  if (!sm) return false;
  alignas(8) uint8_t pbuf[256];
  alignas(8) static uint8_t rbuf[4096];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  if (!fill(p)) return say("{}: bad argument\n", cmd), false;
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferRecord rec[abi::XFER_MAX];
  uint32_t n = 0;
  Status st = rt::call_with_caps(sm, method, p, r, Span<const abi::CapTransferDesc>(), Span<abi::CapTransferRecord>(rec),
                                 &n);
  if (!st) return report_error(cmd, st.error()), false;
  auto release_all = [&] {
    for (uint32_t i = 0; i < n; ++i) rt::release_cap(rec[i].cap_id);
  };
  auto root = r.root();
  if (!root) return release_all(), report_error(cmd, Err::Corrupt), false;
  auto oc = typename Results::Reader(*root).getOutcome();
  if (!oc) return release_all(), report_error(cmd, oc.error()), false;
  Outcome::Reader o(*oc);
  if (!o.isSession()) {
    release_all();
    say("{}: {}\n", cmd, o.getRefused().value_or("refused"));
    return false;
  }
  auto s = o.getSession();
  auto caps = s.getCaps();
  if (!caps) return release_all(), report_error(cmd, caps.error()), false;
  names::drop_session();  // the old session is revoked already; free our slots
  uint32_t added = 0;
  for (uint32_t i = 0; i < caps->size(); ++i) {
    auto idx = (*caps)[i].getCap().get_capability();
    auto name = (*caps)[i].getName();
    if (!idx || *idx >= n || !name) continue;
    if (names::add_session(*name, rec[*idx].cap_id, rec[*idx].interface_id)) {
      rec[*idx].cap_id = 0;
      ++added;
    }
  }
  for (uint32_t i = 0; i < n; ++i)
    if (rec[i].cap_id) rt::release_cap(rec[i].cap_id);
  g_user_len = min(user.size(), sizeof(g_user) - 2);
  memcpy(g_user, user.ptr, g_user_len);
  if (g_user_len) g_user[g_user_len++] = '@';
  if (s.getProfile() != wire::Profile::ANONYMOUS)
    say("session {}: {} {} with {} capabilities (see `caps`)\n", s.getId(), profile_name(s.getProfile()), user,
        added);
  return true;
}

}  // namespace

StrView session_user() { return StrView(g_user, g_user_len); }

bool begin_anonymous() {
  if (!names::find("sessions", wire::SessionManager::kInterfaceId)) return false;
  return session_call<wire::SessionManager::AnonymousResults>("session", 3, "", [](capnp::FixedMessageBuilder& p) {
    return bool(wire::SessionManager::Client::anonymousParams(p));
  });
}

void cmd_login(StrView user) {
  (void)session_call<wire::SessionManager::LoginResults>("login", 0, user, [&](capnp::FixedMessageBuilder& p) {
    auto pp = wire::SessionManager::Client::loginParams(p);
    return pp && pp->setUser(user);
  });
}

void cmd_setup(StrView user) {
  (void)session_call<wire::SessionManager::SetupResults>("setup", 1, user, [&](capnp::FixedMessageBuilder& p) {
    auto pp = wire::SessionManager::Client::setupParams(p);
    return pp && pp->setUser(user);
  });
}

void cmd_guest() {
  (void)session_call<wire::SessionManager::GuestResults>("guest", 2, "guest", [](capnp::FixedMessageBuilder& p) {
    return bool(wire::SessionManager::Client::guestParams(p));
  });
}

void cmd_logout() {
  if (session_call<wire::SessionManager::AnonymousResults>("logout", 3, "", [](capnp::FixedMessageBuilder& p) {
        return bool(wire::SessionManager::Client::anonymousParams(p));
      }))
    say("logged out: the session's capabilities are revoked everywhere; anonymous again\n");
}

void cmd_passwd() {
  auto sm = need<wire::SessionManager>("passwd", "sessions");
  if (!sm) return;
  wire::SessionManager::Client c(&rt::transport(), sm);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::SessionManager::Client::passwdParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = c.passwd(p, r);
  if (!res) return report_error("passwd", res.error());
  StrView why = res->getRefused().value_or("refused");
  if (why.empty()) say("passwd: password changed\n");
  else say("passwd: {}\n", why);
}

void cmd_adduser(StrView user, StrView role) {
  wire::Profile prof;
  if (role.empty() || role == "guest") prof = wire::Profile::GUEST;
  else if (role == "operator") prof = wire::Profile::OPERATOR;
  else return say("adduser: the role is operator or guest\n");
  auto sm = need<wire::SessionManager>("adduser", "sessions");
  if (!sm) return;
  wire::SessionManager::Client c(&rt::transport(), sm);
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = wire::SessionManager::Client::adduserParams(p);
  if (!pp || !pp->setUser(user)) return say("adduser: bad argument\n");
  pp->setProfile(prof);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = c.adduser(p, r);
  if (!res) return report_error("adduser", res.error());
  StrView why = res->getRefused().value_or("refused");
  if (why.empty()) say("adduser: added {} ({})\n", user, profile_name(prof));
  else say("adduser: {}\n", why);
}

void cmd_whoami() {
  auto sm = need<wire::SessionManager>("whoami", "sessions");
  if (!sm) return;
  wire::SessionManager::Client c(&rt::transport(), sm);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::SessionManager::Client::currentParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = c.current(p, r);
  if (!res) return report_error("whoami", res.error());
  StrView u = res->getUser().value_or("");
  say("{} ({}, session {})\n", u.empty() ? StrView("anonymous") : u, profile_name(res->getProfile()),
      res->getSession());
}

}  // namespace capos::shell
