// sessions: the SessionManager service (schema/identity.capnp,
// docs/identity.md). The shell's only door to identity: it reads
// passwords itself on its own TerminalSession client with echo off, so a
// secret passes only terminal -> sessions -> credstore, never the shell;
// checks them with the CredentialStore; asks the AuthorityBroker for the
// session's bundle and revokes the previous one; rate-limits failures;
// and writes every auth event, never a secret, to the audit log: its own
// LogSink (source "sessions") and, if granted, the hash-chained AuditLog.
//
// Caps: "sessions" (endpoint), "terminal", "store", "broker", "timer",
// "log" (kernel LogSink: the audit trail), "audit" (optional AuditLog
// writer endpoint of auditd), "args" (granted by init when the manifest
// gives the service an env: SESSION_LIFETIME_S, the most seconds a guest
// or operator session lives before it is revoked like a logout).
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/posix.capnp.capos.h"
#include "user/rt/ring.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/accounts.h"
#include "user/services/identity/audit_client.h"
#include "user/services/identity/rate_limit.h"
#include "user/services/log_client.h"

using namespace capos;
using namespace capos::identity;
namespace wire = capos::schema::wire;
using Outcome = wire::SessionManager::LoginOutcome;

namespace {

rt::Cap<wire::TerminalSession> g_term;
rt::Cap<wire::CredentialStore> g_store;
rt::Cap<wire::AuthorityBroker> g_broker;
rt::Cap<wire::Timer> g_timer;
svc::Log g_audit;
AuditWriter g_chain;
LoginRateLimit g_limit;

struct Current {
  uint64_t id = 0;  // 0: none yet
  wire::Profile profile = wire::Profile::ANONYMOUS;
  char user[kMaxUser + 1] = {};
  uint64_t expires_ns = 0;  // 0: never (anonymous, or no lifetime set)
} g_cur;
uint64_t g_next_id = 1;
// SESSION_LIFETIME_S from the manifest, in ns; 0: sessions do not expire.
uint64_t g_lifetime_ns = 0;
uint64_t g_lifetime_s = 0;
bool g_lifetime_bad = false;  // set but not 1 to 86400: the service refuses to run

const char* profile_name(wire::Profile p) {
  switch (p) {
    case wire::Profile::ANONYMOUS: return "anonymous";
    case wire::Profile::GUEST: return "guest";
    case wire::Profile::OPERATOR: return "operator";
  }
  return "?";
}

// `fmt` starts "audit: " (the LogSink line); the AuditLog record is the rest.
template <class... A> void audit(StrView fmt, const A&... args) {
  char buf[256];
  StrView line = format_to(buf, sizeof(buf), fmt, args...);
  (void)g_audit.log(wire::LogLevel::INFO, line);
  StrView prefix = "audit: ";
  if (Status st = g_chain.append(line.starts_with(prefix) ? line.substr(prefix.size()) : line); !st)
    (void)g_audit.log(wire::LogLevel::ERROR, "audit: the AuditLog refused a record");
}

Result<uint64_t> now_ns() {
  wire::Timer::Client t(&rt::transport(), g_timer);
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)CAPOS_TRY(wire::Timer::Client::nowParams(p));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = CAPOS_TRY(t.now(p, r));
  return res.getMonotonicNs();
}

// The login delays are the rate limit: a timer that fails fails the
// request (never a check without its delay).
Status sleep_ns(uint64_t ns) {
  if (!ns) return {};
  wire::Timer::Client t(&rt::transport(), g_timer);
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::Timer::Client::sleepParams(p));
  pp.setDurationNs(ns);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  (void)CAPOS_TRY(t.sleep(p, r));
  return {};
}

Status pause_before_check() { return sleep_ns(g_limit.wait_before_check(CAPOS_TRY(now_ns()))); }

void wipe(void* p, size_t n) {
  for (size_t i = 0; i < n; ++i) static_cast<volatile uint8_t*>(p)[i] = 0;
}

// A hidden line from the terminal into `out` (wiped by the caller).
// Returns the length; Cancelled if the user pressed Ctrl-C.
Result<size_t> read_secret(StrView prompt, char (&out)[257]) {
  wire::TerminalSession::Client t(&rt::transport(), g_term);
  alignas(8) uint8_t pbuf[256], rbuf[512];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::TerminalSession::Client::readLineParams(p));
  CAPOS_TRY_STATUS(pp.setPrompt(prompt));
  pp.setEcho(false);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = t.readLine(p, r);
  if (!res) return fail(res.error());
  Result<size_t> n = fail(Err::Cancelled);
  if (!res->getCancelled()) {
    auto line = res->getLine();
    if (line && line->size() < sizeof(out)) {
      memcpy(out, line->ptr, line->size());
      n = line->size();
    } else {
      n = fail(Err::InvalidArgument);
    }
  }
  wipe(rbuf, sizeof(rbuf));
  return n;
}

// A new password typed twice into `a` (wiped by the caller): its length;
// InvalidArgument when the two differ or it is empty, or the read's error.
// The second copy is wiped here.
Result<size_t> read_new_password(char (&a)[257]) {
  char b[257];
  auto na = read_secret("new password> ", a);
  auto nb = na ? read_secret("again> ", b) : Result<size_t>(fail(na.error()));
  bool same = na && nb && *na == *nb && *na > 0 && memcmp(a, b, *na) == 0;
  wipe(b, sizeof(b));
  if (!na) return na;
  if (!nb) return nb;
  if (!same) return fail(Err::InvalidArgument);
  return *na;
}

Result<bool> verify(StrView user, StrView pw, wire::Profile* prof) {
  wire::CredentialStore::Client s(&rt::transport(), g_store);
  alignas(8) uint8_t pbuf[512], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::CredentialStore::Client::verifyParams(p));
  CAPOS_TRY_STATUS(pp.setUser(user));
  Status set = pp.setPassword(Bytes(reinterpret_cast<const uint8_t*>(pw.ptr), pw.size()));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = set ? s.verify(p, r) : fail(set.error());
  wipe(pbuf, sizeof(pbuf));
  if (!res) return fail(res.error());
  *prof = res->getProfile();
  return res->getOk();
}

// CredentialStore.change: whether the old password was right (and the new
// one is now stored).
Result<bool> change(StrView user, StrView old_pw, StrView new_pw) {
  wire::CredentialStore::Client s(&rt::transport(), g_store);
  alignas(8) uint8_t pbuf[1024], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::CredentialStore::Client::changeParams(p));
  CAPOS_TRY_STATUS(pp.setUser(user));
  Status set = pp.setOldPassword(Bytes(reinterpret_cast<const uint8_t*>(old_pw.ptr), old_pw.size()));
  if (set) set = pp.setNewPassword(Bytes(reinterpret_cast<const uint8_t*>(new_pw.ptr), new_pw.size()));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = set ? s.change(p, r) : fail(set.error());
  wipe(pbuf, sizeof(pbuf));
  if (!res) return fail(res.error());
  return res->getOk();
}

// Ends the current session (its bundle goes stale everywhere).
void end_current() {
  if (!g_cur.id) return;
  wire::AuthorityBroker::Client b(&rt::transport(), g_broker);
  alignas(8) uint8_t pbuf[64], rbuf[64];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = wire::AuthorityBroker::Client::revokeParams(p);
  if (pp) pp->setSession(g_cur.id);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  if (pp && b.revoke(p, r)) audit("audit: session {} ({} {}) ended, its capabilities are revoked", g_cur.id,
                                  profile_name(g_cur.profile), g_cur.user[0] ? g_cur.user : "-");
  g_cur = Current{};
}

// Ends the current session, mints a new one for `user`/`prof` and puts
// its bundle in `out` (caps moved on to the caller).
Status start_session(StrView user, wire::Profile prof, Outcome::Builder out) {
  end_current();
  uint64_t started = CAPOS_TRY(now_ns());  // before the bundle exists: nothing to release if it fails
  uint64_t id = g_next_id++;
  alignas(8) uint8_t pbuf[64];
  alignas(8) static uint8_t rbuf[4096];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::AuthorityBroker::Client::shellBundleParams(p));
  pp.setSession(id);
  pp.setProfile(prof);
  CAPOS_TRY_STATUS(pp.setUser(user));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferRecord rec[abi::XFER_MAX];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(g_broker, 0, p, r, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec), &n));
  auto release_all = [&] {
    for (uint32_t i = 0; i < n; ++i) rt::release_cap(rec[i].cap_id);
  };
  auto root = r.root();
  if (!root) return release_all(), fail(Err::Corrupt);
  wire::AuthorityBroker::ShellBundleResults::Reader res(*root);
  auto caps = res.getCaps();
  if (!caps) return release_all(), fail(Err::Corrupt);
  auto s = out.initSession();
  s.setId(id);
  s.setProfile(prof);
  auto list = CAPOS_TRY(s.initCaps(caps->size()));
  for (uint32_t i = 0; i < caps->size(); ++i) {
    auto idx = (*caps)[i].getCap().get_capability();
    if (!idx || *idx >= n) return release_all(), fail(Err::Corrupt);
    CAPOS_TRY_STATUS(list[i].setName(CAPOS_TRY((*caps)[i].getName())));
    list[i].getCap().set_capability(CAPOS_TRY(rt::add_result_cap(rec[*idx].cap_id, abi::XFER_MOVE)));
  }
  g_cur.id = id;
  g_cur.profile = prof;
  g_cur.expires_ns = prof != wire::Profile::ANONYMOUS && g_lifetime_ns ? started + g_lifetime_ns : 0;
  memcpy(g_cur.user, user.ptr, min(user.size(), kMaxUser));
  g_cur.user[min(user.size(), kMaxUser)] = 0;
  audit("audit: session {} started: {} {} with {} capabilities", id, profile_name(prof),
        user.empty() ? StrView("-") : user, caps->size());
  return {};
}

Status refuse(Outcome::Builder out, StrView why) { return out.setRefused(why); }

class SessionsImpl final : public wire::SessionManager::Server {
 public:
  Status login(wire::SessionManager::LoginParams::Reader p, wire::SessionManager::LoginResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    auto out = CAPOS_TRY(r.initOutcome());
    if (!valid_user(user)) return refuse(out, "a user name is 1 to 32 letters, digits, '-', '_' or '.'");
    char pw[257];
    auto n = read_secret("password> ", pw);
    if (!n) {
      wipe(pw, sizeof(pw));
      return refuse(out, n.error() == Err::Cancelled ? "cancelled" : "could not read the password");
    }
    if (Status st = pause_before_check(); !st) {
      wipe(pw, sizeof(pw));
      return st;
    }
    wire::Profile prof = wire::Profile::ANONYMOUS;
    auto ok = *n ? verify(user, StrView(pw, *n), &prof) : Result<bool>(false);
    wipe(pw, sizeof(pw));
    if (!ok) {
      audit("audit: login by {} could not be checked: {}", user, err_name(ok.error()));
      return refuse(out, "the credential store failed");
    }
    if (!*ok) {
      uint64_t d = g_limit.failure(CAPOS_TRY(now_ns()));
      audit("audit: login failed for {} (failure {}, next check delayed {} ms)", user, g_limit.failures(),
            d / 1'000'000);
      CAPOS_TRY_STATUS(sleep_ns(d));  // the answer itself is delayed too
      return refuse(out, "wrong user or password");
    }
    g_limit.success();
    audit("audit: login ok for {} ({})", user, profile_name(prof));
    return start_session(user, prof, out);
  }

  Status setup(wire::SessionManager::SetupParams::Reader p, wire::SessionManager::SetupResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    auto out = CAPOS_TRY(r.initOutcome());
    if (!valid_user(user)) return refuse(out, "a user name is 1 to 32 letters, digits, '-', '_' or '.'");
    auto state = CAPOS_TRY(accounts());
    if (state.count != 0) {
      audit("audit: setup refused for {}: accounts exist", user);
      return refuse(out, "this machine already has accounts: use `login`");
    }
    if (state.locked) {
      audit("audit: setup refused for {}: the account store failed its integrity check", user);
      return refuse(out, "the account store failed its integrity check: setup is disabled");
    }
    char a[257];
    auto na = read_new_password(a);
    if (!na) {
      wipe(a, sizeof(a));
      audit("audit: setup for {} abandoned: passwords empty or different", user);
      return refuse(out, "the passwords were empty or did not match");
    }
    auto persistent = enroll(user, StrView(a, *na));
    wipe(a, sizeof(a));
    if (!persistent) {
      audit("audit: setup for {} failed: {}", user, err_name(persistent.error()));
      return refuse(out, persistent.error() == Err::AlreadyExists ? "this machine already has accounts" : "enrolment failed");
    }
    audit("audit: setup created the {} operator account {}", *persistent ? "persistent" : "volatile", user);
    return start_session(user, wire::Profile::OPERATOR, out);
  }

  Status guest(wire::SessionManager::GuestParams::Reader, wire::SessionManager::GuestResults::Builder r) override {
    auto out = CAPOS_TRY(r.initOutcome());
    if (!CAPOS_TRY(guest_allowed())) {
      audit("audit: guest session refused: not allowed by the manifest");
      return refuse(out, "guests are not allowed on this machine");
    }
    return start_session("guest", wire::Profile::GUEST, out);
  }

  Status anonymous(wire::SessionManager::AnonymousParams::Reader,
                   wire::SessionManager::AnonymousResults::Builder r) override {
    return start_session("", wire::Profile::ANONYMOUS, CAPOS_TRY(r.initOutcome()));
  }

  Status current(wire::SessionManager::CurrentParams::Reader, wire::SessionManager::CurrentResults::Builder r) override {
    CAPOS_TRY_STATUS(r.setUser(StrView(g_cur.user)));
    r.setProfile(g_cur.profile);
    r.setSession(g_cur.id);
    return {};
  }

  Status passwd(wire::SessionManager::PasswdParams::Reader, wire::SessionManager::PasswdResults::Builder r) override {
    if (g_cur.profile == wire::Profile::ANONYMOUS || g_cur.profile == wire::Profile::GUEST)
      return r.setRefused("log in to an account first");
    StrView user(g_cur.user);
    char cur[257], a[257];
    auto nc = read_secret("current password> ", cur);
    auto na = nc ? read_new_password(a) : Result<size_t>(fail(nc.error()));
    if (!nc || *nc == 0 || !na) {
      wipe(cur, sizeof(cur));
      wipe(a, sizeof(a));
      audit("audit: password change for {} abandoned: entries empty or different", user);
      return r.setRefused("the passwords were empty or did not match");
    }
    if (Status st = pause_before_check(); !st) {
      wipe(cur, sizeof(cur));
      wipe(a, sizeof(a));
      return st;
    }
    auto ok = change(user, StrView(cur, *nc), StrView(a, *na));
    wipe(cur, sizeof(cur));
    wipe(a, sizeof(a));
    if (!ok) {
      audit("audit: password change for {} failed: {}", user, err_name(ok.error()));
      return r.setRefused(ok.error() == Err::InvalidArgument ? "a seed account: its password changes in the manifest"
                                                             : "the credential store failed");
    }
    if (!*ok) {
      uint64_t d = g_limit.failure(CAPOS_TRY(now_ns()));
      audit("audit: password change failed for {}: wrong password (failure {}, next check delayed {} ms)", user,
            g_limit.failures(), d / 1'000'000);
      CAPOS_TRY_STATUS(sleep_ns(d));
      return r.setRefused("wrong password");
    }
    g_limit.success();
    audit("audit: password changed for {}", user);
    return r.setRefused("");
  }

  Status adduser(wire::SessionManager::AdduserParams::Reader p,
                 wire::SessionManager::AdduserResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    wire::Profile prof = p.getProfile();
    if (g_cur.profile != wire::Profile::OPERATOR) {
      audit("audit: adduser {} refused: session {} is not an operator's", user, g_cur.id);
      return r.setRefused("only an operator session can add accounts");
    }
    if (!valid_user(user)) return r.setRefused("a user name is 1 to 32 letters, digits, '-', '_' or '.'");
    if (prof == wire::Profile::ANONYMOUS) return r.setRefused("the role is operator or guest");
    // A guest account could never log in without the manifest's guest bundle.
    if (prof == wire::Profile::GUEST && !CAPOS_TRY(guest_allowed()))
      return r.setRefused("this machine has no guest bundle (#allowGuest): add an operator or allow guests");
    char a[257];
    auto na = read_new_password(a);
    if (!na) {
      wipe(a, sizeof(a));
      audit("audit: adduser {} by {} abandoned: passwords empty or different", user, StrView(g_cur.user));
      return r.setRefused("the passwords were empty or did not match");
    }
    auto added = add(user, prof, StrView(a, *na));
    wipe(a, sizeof(a));
    if (!added) {
      audit("audit: adduser {} by {} failed: {}", user, StrView(g_cur.user), err_name(added.error()));
      return r.setRefused("the credential store failed (nothing was added)");
    }
    StrView why;
    switch (added->result) {
      case wire::AddAccountResult::ADDED:
        audit("audit: {} added the {} {} account {}", StrView(g_cur.user), added->persistent ? "persistent" : "volatile",
              profile_name(prof), user);
        return r.setRefused("");
      case wire::AddAccountResult::EXISTS: why = "the user exists"; break;
      case wire::AddAccountResult::FULL: why = "the account store is full"; break;
      case wire::AddAccountResult::LOCKED: why = "the account store failed its integrity check"; break;
    }
    if (why.empty()) why = "the credential store answered something unknown";
    audit("audit: adduser {} by {} refused: {}", user, StrView(g_cur.user), why);
    return r.setRefused(why);
  }

 private:
  struct AddOutcome {
    wire::AddAccountResult result;
    bool persistent;
  };
  Result<AddOutcome> add(StrView user, wire::Profile prof, StrView pw) {
    wire::CredentialStore::Client s(&rt::transport(), g_store);
    alignas(8) uint8_t pbuf[512], rbuf[256];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = CAPOS_TRY(wire::CredentialStore::Client::addParams(p));
    CAPOS_TRY_STATUS(pp.setUser(user));
    pp.setProfile(prof);
    Status set = pp.setPassword(Bytes(reinterpret_cast<const uint8_t*>(pw.ptr), pw.size()));
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = set ? s.add(p, r) : fail(set.error());
    wipe(pbuf, sizeof(pbuf));
    if (!res) return fail(res.error());
    return AddOutcome{res->getResult(), res->getPersistent()};
  }
  struct StoreState {
    uint32_t count;
    bool locked;
  };
  Result<StoreState> accounts() {
    wire::CredentialStore::Client s(&rt::transport(), g_store);
    alignas(8) uint8_t pbuf[64], rbuf[128];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    (void)CAPOS_TRY(wire::CredentialStore::Client::accountsParams(p));
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = CAPOS_TRY(s.accounts(p, r));
    return StoreState{res.getCount(), res.getLocked()};
  }
  // Whether the new account persists.
  Result<bool> enroll(StrView user, StrView pw) {
    wire::CredentialStore::Client s(&rt::transport(), g_store);
    alignas(8) uint8_t pbuf[512], rbuf[256];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = CAPOS_TRY(wire::CredentialStore::Client::enrollParams(p));
    CAPOS_TRY_STATUS(pp.setUser(user));
    pp.setProfile(wire::Profile::OPERATOR);
    Status set = pp.setPassword(Bytes(reinterpret_cast<const uint8_t*>(pw.ptr), pw.size()));
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = set ? s.enroll(p, r) : fail(set.error());
    wipe(pbuf, sizeof(pbuf));
    if (!res) return fail(res.error());
    return res->getPersistent();
  }
  Result<bool> guest_allowed() {
    wire::AuthorityBroker::Client b(&rt::transport(), g_broker);
    alignas(8) uint8_t pbuf[64], rbuf[64];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = CAPOS_TRY(wire::AuthorityBroker::Client::profileAllowedParams(p));
    pp.setProfile(wire::Profile::GUEST);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    return CAPOS_TRY(b.profileAllowed(p, r)).getAllowed();
  }
};

SessionsImpl g_impl;

// ---- Session lifetime (docs/identity.md, "Session expiry").

// The manifest's env arrives as one SpawnArguments.deliver from init.
class ArgsImpl final : public wire::SpawnArguments::Server {
 public:
  Status deliver(wire::SpawnArguments::DeliverParams::Reader p, wire::SpawnArguments::DeliverResults::Builder) override {
    auto envp = CAPOS_TRY(p.getEnvp());
    StrView key = "SESSION_LIFETIME_S=";
    for (uint32_t i = 0; i < envp.size(); ++i) {
      StrView e = CAPOS_TRY(envp[i]);
      if (!e.starts_with(key)) continue;
      StrView v = e.substr(key.size());
      uint64_t s = 0;
      // 1 s to one day: a typo cannot make sessions expire at once or never.
      bool ok = !v.empty() && v.size() <= 5;
      for (size_t k = 0; ok && k < v.size(); ++k) {
        ok = v.ptr[k] >= '0' && v.ptr[k] <= '9';
        s = s * 10 + static_cast<uint64_t>(v.ptr[k] - '0');
      }
      if (!ok || s == 0 || s > 86400) {
        g_lifetime_bad = true;
        rt::set_error_message("SESSION_LIFETIME_S is 1 to 86400 seconds");
        return fail(Err::InvalidArgument);
      }
      g_lifetime_s = s;
      g_lifetime_ns = s * 1'000'000'000ull;
    }
    return {};
  }
};

alignas(16) uint8_t g_args_recv[abi::RECV_BUFFER_MAX];

// Serves init's one `deliver` on "args", if granted, then drops it.
void read_env() {
  auto ep = rt::capset_find<wire::Endpoint>("args");
  if (!ep) return;
  abi::CapSqe recv{};
  recv.opcode = abi::CAP_OP_RECV;
  recv.cap_id = ep->id();
  recv.result_addr = reinterpret_cast<uint64_t>(g_args_recv);
  recv.result_len = sizeof g_args_recv;
  recv.user_data = rt::ring().next_user_data();
  abi::CapCqe c = rt::ring().call(recv);
  if (c.result >= static_cast<int32_t>(sizeof(abi::EndpointMessageHeader))) {
    ArgsImpl server;
    abi::CapSqe ret = rt::handle_call(ep->id(), g_args_recv, c.result, server);
    abi::CapCqe done = rt::ring().call(ret);
    (void)rt::finish_return(ret, *reinterpret_cast<const abi::EndpointMessageHeader*>(g_args_recv), done);
  }
  rt::release_cap(*ep);
}

// The expiry check runs once a second between calls (a deferred
// Timer.sleep completing); a session past its lifetime is revoked exactly
// like a logout: every copy of its bundle goes stale.
rt::AsyncCall g_tick;
alignas(8) uint8_t g_tick_result[128];
constexpr uint16_t kTimerSleep = 1;  // Timer.sleep @1

Status submit_tick() {
  capnp::FixedMessageBuilder p(MutBytes(g_tick.params, sizeof(g_tick.params)));
  auto pp = CAPOS_TRY(wire::Timer::Client::sleepParams(p));
  pp.setDurationNs(1'000'000'000ull);
  return rt::submit_call(g_tick, g_timer, kTimerSleep, p, MutBytes(g_tick_result, sizeof(g_tick_result)));
}

void on_tick(void*) {
  auto now = now_ns();
  if (!now && g_cur.expires_ns) {
    // Fail closed: a session whose end cannot be checked ends now.
    audit("audit: session {} ended: the clock failed ({})", g_cur.id, err_name(now.error()));
    end_current();
  } else if (g_cur.expires_ns && *now >= g_cur.expires_ns) {
    audit("audit: session {} ({} {}) expired after its lifetime of {} s", g_cur.id, profile_name(g_cur.profile),
          StrView(g_cur.user), g_lifetime_s);
    end_current();
  }
  if (Status st = submit_tick(); !st)
    audit("audit: the session expiry timer failed ({}): sessions no longer expire", err_name(st.error()));
}

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("sessions");
  auto term = rt::capset_find<wire::TerminalSession>("terminal");
  auto store = rt::capset_find<wire::CredentialStore>("store");
  auto broker = rt::capset_find<wire::AuthorityBroker>("broker");
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!ep || !term || !store || !broker || !timer || !g_audit.attach()) {
    rt::printf("sessions: needs `sessions`, `terminal`, `store`, `broker`, `timer` and `log`\n");
    return 2;
  }
  g_term = *term;
  g_store = *store;
  g_broker = *broker;
  g_timer = *timer;
  g_chain.attach();
  read_env();
  if (g_lifetime_bad) {
    // Fail closed: a mistyped lifetime must not mean sessions that never end.
    (void)g_audit.log(wire::LogLevel::ERROR, "sessions: SESSION_LIFETIME_S is 1 to 86400 seconds: not serving");
    return 2;
  }
  Status st = fail(Err::Failed);
  if (g_lifetime_ns && submit_tick()) {
    char line[96];
    (void)g_audit.log(wire::LogLevel::INFO, format_to(line, sizeof(line),
                                                      "sessions: guest and operator sessions expire after {} s",
                                                      g_lifetime_s));
    st = rt::serve_ticking(*ep, g_impl, g_tick, on_tick, nullptr);
  } else {
    st = rt::serve(*ep, g_impl);
  }
  rt::printf("sessions: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
