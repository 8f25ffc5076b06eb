// credstore: the CredentialStore service (schema/identity.capnp,
// docs/identity.md). Holds Argon2id verifiers only: seeded from the boot
// package's "accounts" data file (if the manifest packages one) and, by
// `enroll`, one volatile account on a machine that has none. Granted only
// to the SessionManager, so a password reaches no other process; the store
// logs nothing about passwords (the SessionManager writes the audit log).
//
// Argon2id is lib/crypto/argon2 (RFC 9106; host-tested against the RFC's
// vector and Debian's libargon2) at the parameters of accounts.h
// (m = 12 MiB, t = 3, p = 1, 16-byte salt, 32-byte tag); the 12 MiB of
// work memory is this process's static buffer.
//
// Caps: "store" (endpoint, CredentialStore), "boot" (BootPackage, read once
// and released), "random" (EntropySource: salts).
#include "lib/crypto/argon2.h"
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/boot_package.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/accounts.h"

using namespace capos;
using namespace capos::identity;
namespace wire = capos::schema::wire;

namespace {

// Verified against when the user is unknown, so an unknown user costs the
// same time as a wrong password (its password is irrelevant).
constexpr const char* kDummyVerifier =
    "$argon2id$v=19$m=12288,t=3,p=1$ZHVtbXlzYWx0ZHVtbXlzYWx0$K9+ygvtXz6eLtWV7PMgC3QMxMDIzG/3Mp15D/eHzJ7g";

AccountTable g_accounts;
alignas(64) uint8_t g_work[kArgon2MemoryKiB * 1024];
rt::Cap<wire::EntropySource> g_random;
char g_accounts_text[4096];

Status random_bytes(MutBytes out) {
  wire::EntropySource::Client e(&rt::transport(), g_random);
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::EntropySource::Client::getBytesParams(p));
  pp.setCount(static_cast<uint32_t>(out.size()));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = CAPOS_TRY(e.getBytes(p, r));
  Bytes d = CAPOS_TRY(res.getData());
  if (d.size() != out.size()) return fail(Err::Corrupt);
  memcpy(out.data(), d.data(), d.size());
  return {};
}

wire::Profile to_wire(AccountProfile p) {
  return p == AccountProfile::Operator ? wire::Profile::OPERATOR : wire::Profile::GUEST;
}

bool valid_password(Bytes pw) { return pw.size() >= 1 && pw.size() <= 256; }

class StoreImpl final : public wire::CredentialStore::Server {
 public:
  Status verify(wire::CredentialStore::VerifyParams::Reader p,
                wire::CredentialStore::VerifyResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    Bytes pw = CAPOS_TRY(p.getPassword());
    if (!valid_user(user) || !valid_password(pw)) return fail(Err::InvalidArgument);
    const Account* a = g_accounts.find(user);
    // Verifiers were checked when added (accounts.cpp): the parameters are ours.
    auto v = argon2::parse_verifier(StrView(a ? a->verifier : kDummyVerifier));
    if (!v) return fail(Err::Corrupt);
    bool ok = CAPOS_TRY(argon2::verify(*v, pw, MutBytes(g_work, sizeof(g_work)))) && a;
    r.setOk(ok);
    r.setProfile(ok ? to_wire(a->profile) : wire::Profile::ANONYMOUS);
    return {};
  }

  Status enroll(wire::CredentialStore::EnrollParams::Reader p,
                wire::CredentialStore::EnrollResults::Builder) override {
    StrView user = CAPOS_TRY(p.getUser());
    Bytes pw = CAPOS_TRY(p.getPassword());
    if (!valid_user(user) || !valid_password(pw) || p.getProfile() == wire::Profile::ANONYMOUS)
      return fail(Err::InvalidArgument);
    if (g_accounts.count) {
      rt::set_error_message("accounts exist: setup works only on a machine without any");
      return fail(Err::AlreadyExists);
    }
    argon2::Verifier v;
    v.params = argon2::Params{kArgon2MemoryKiB, kArgon2Iterations, kArgon2Lanes};
    v.salt_len = kSaltBytes;
    v.tag_len = kTagBytes;
    CAPOS_TRY_STATUS(random_bytes(MutBytes(v.salt, v.salt_len)));
    argon2::Inputs in{pw, Bytes(v.salt, v.salt_len), Bytes(), Bytes()};
    CAPOS_TRY_STATUS(argon2::argon2id(v.params, in, MutBytes(v.tag, v.tag_len), MutBytes(g_work, sizeof(g_work))));
    char encoded[kMaxVerifier + 1];
    size_t n = CAPOS_TRY(argon2::encode_verifier(v, MutBytes(reinterpret_cast<uint8_t*>(encoded), kMaxVerifier)));
    AccountProfile prof = p.getProfile() == wire::Profile::OPERATOR ? AccountProfile::Operator : AccountProfile::Guest;
    return g_accounts.add(user, prof, StrView(encoded, n));
  }

  Status accounts(wire::CredentialStore::AccountsParams::Reader,
                  wire::CredentialStore::AccountsResults::Builder r) override {
    r.setCount(static_cast<uint32_t>(g_accounts.count));
    return {};
  }
};

StoreImpl g_impl;

// Reads the seed file, if the package has one.
Status load_accounts(rt::Cap<wire::BootPackage> boot) {
  auto size = rt::boot_binary_size(boot, "accounts");
  if (!size) return size.error() == Err::NotFound ? Status{} : Status(fail(size.error()));
  if (*size >= sizeof(g_accounts_text)) return fail(Err::LimitExceeded);
  CAPOS_TRY_STATUS(rt::boot_read_binary(boot, "accounts", 0, MutBytes(reinterpret_cast<uint8_t*>(g_accounts_text), *size)));
  ParseError pe{};
  if (Status st = parse_accounts(StrView(g_accounts_text, *size), g_accounts, &pe); !st) {
    rt::printf("credstore: accounts line {}: {}\n", pe.line, pe.what);
    return st;
  }
  return {};
}

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("store");
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  auto random = rt::capset_find<wire::EntropySource>("random");
  if (!ep || !boot || !random) {
    rt::printf("credstore: needs `store`, `boot` and `random`\n");
    return 2;
  }
  g_random = *random;
  if (!load_accounts(*boot)) {
    rt::printf("credstore: the accounts file is invalid; starting with no accounts\n");
    g_accounts = AccountTable{};
  }
  rt::release_cap(*boot);
  Status st = rt::serve(*ep, g_impl);
  rt::printf("credstore: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
