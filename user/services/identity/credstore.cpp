// credstore: the CredentialStore service (schema/identity.capnp,
// docs/identity.md). Holds Argon2id verifiers only: seeded from the boot
// package's "accounts" data file (if the manifest packages one) and, by
// `enroll`, one account on a machine that has none, and by `add` more for an
// operator (`adduser`) — kept on disk when the
// manifest grants a directory (docs/identity.md, "Persistent accounts"),
// volatile otherwise. Granted only
// to the SessionManager, so a password reaches no other process; the store
// logs nothing about passwords (the SessionManager writes the audit log).
//
// Argon2id is lib/crypto/argon2 (RFC 9106; host-tested against the RFC's
// vector and Debian's libargon2) at the parameters of accounts.h
// (m = 12 MiB, t = 3, p = 1, 16-byte salt, 32-byte tag); the 12 MiB of
// work memory is this process's static buffer.
//
// Caps: "store" (endpoint, CredentialStore), "boot" (BootPackage, read once
// and released), "random" (EntropySource: salts), and optionally "dir"
// (Directory: the persistent account file, whose HMAC key is the boot
// package's 32-byte secret "credkey", read once and kept only here),
// "anchor" (BlockDevice: a device only this store holds, whose first block
// counts the account file's commits, account_anchor.h) and "log" (LogSink:
// the store's own messages, never a secret).
#include "lib/crypto/argon2.h"
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/storage.capnp.capos.h"
#include "user/rt/boot_package.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "schema/devices.capnp.capos.h"
#include "user/services/identity/account_anchor.h"
#include "user/services/identity/account_disk.h"
#include "user/services/identity/accounts.h"
#include "user/services/log_client.h"

using namespace capos;
using namespace capos::identity;
namespace wire = capos::schema::wire;

namespace {

// Verified against when the user is unknown, so an unknown user costs the
// same time as a wrong password (its password is irrelevant).
constexpr const char* kDummyVerifier =
    "$argon2id$v=19$m=12288,t=3,p=1$ZHVtbXlzYWx0ZHVtbXlzYWx0$K9+ygvtXz6eLtWV7PMgC3QMxMDIzG/3Mp15D/eHzJ7g";

// Seed accounts from the boot package, and the enrolled ones (persisted
// when g_disk is set). Names are unique across both.
AccountTable g_accounts;
svc::Log g_log;
bool g_have_log = false;

// The store's own messages (never a secret): its LogSink ("log") if granted.
template <class... A> void note(StrView fmt, const A&... args) {
  char buf[256];
  StrView line = format_to(buf, sizeof(buf), fmt, args...);
  if (!g_have_log || !g_log.log(wire::LogLevel::INFO, line)) rt::printf("{}\n", line);
}
AccountTable g_enrolled;
AccountDisk* g_disk = nullptr;
// A persistent file exists but failed its check: setup stays refused, so
// damaging the file cannot reopen the machine to a new operator.
bool g_locked = false;
// The anchor device, if granted, and the key its block is sealed with.
bool g_have_anchor = false;
rt::Cap<wire::BlockDevice> g_anchor;
uint8_t g_anchor_key[kAccountKeyBytes];
alignas(64) uint8_t g_work[kArgon2MemoryKiB * 1024];

using BD = wire::BlockDevice::Client;

// The generation the anchor block records.
Result<uint64_t> read_anchor() {
  alignas(8) uint8_t pbuf[64], rbuf[kAnchorBlockBytes + 128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto rp = CAPOS_TRY(BD::readParams(p));
  rp.setLba(0);
  rp.setBlocks(1);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = CAPOS_TRY(BD(&rt::transport(), g_anchor).read(p, r));
  Bytes d = CAPOS_TRY(res.getData());
  if (d.size() != kAnchorBlockBytes) return fail(Err::Unsupported);  // 512-byte blocks only
  return decode_anchor(d, Bytes(g_anchor_key, sizeof(g_anchor_key)));
}

// Records `generation` in the anchor block, durably.
Status write_anchor(uint64_t generation) {
  uint8_t block[kAnchorBlockBytes];
  CAPOS_TRY_STATUS(encode_anchor(generation, Bytes(g_anchor_key, sizeof(g_anchor_key)), MutBytes(block, sizeof(block))));
  alignas(8) uint8_t pbuf[kAnchorBlockBytes + 128], rbuf[64];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto wp = CAPOS_TRY(BD::writeParams(p));
  wp.setLba(0);
  CAPOS_TRY_STATUS(wp.setData(Bytes(block, sizeof(block))));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  CAPOS_TRY_STATUS(BD(&rt::transport(), g_anchor).write(p, r));
  capnp::FixedMessageBuilder f(MutBytes(pbuf, sizeof(pbuf)));
  CAPOS_TRY_STATUS(BD::flushParams(f));
  capnp::Response fr(MutBytes(rbuf, sizeof(rbuf)));
  CAPOS_TRY_STATUS(BD(&rt::transport(), g_anchor).flush(f, fr));
  return {};
}
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

// A fresh Argon2id verifier (new salt) for `pw`, encoded into `out`.
Result<StrView> make_verifier(Bytes pw, char (&out)[kMaxVerifier + 1]) {
  argon2::Verifier v;
  v.params = argon2::Params{kArgon2MemoryKiB, kArgon2Iterations, kArgon2Lanes};
  v.salt_len = kSaltBytes;
  v.tag_len = kTagBytes;
  CAPOS_TRY_STATUS(random_bytes(MutBytes(v.salt, v.salt_len)));
  argon2::Inputs in{pw, Bytes(v.salt, v.salt_len), Bytes(), Bytes()};
  CAPOS_TRY_STATUS(argon2::argon2id(v.params, in, MutBytes(v.tag, v.tag_len), MutBytes(g_work, sizeof(g_work))));
  size_t n = CAPOS_TRY(argon2::encode_verifier(v, MutBytes(reinterpret_cast<uint8_t*>(out), kMaxVerifier)));
  return StrView(out, n);
}

// Makes `next` the enrolled accounts: durable first (the file, then the
// anchor), then in memory. On error nothing changes.
Status commit(const AccountTable& next) {
  if (g_disk) {
    if (Status st = g_disk->save(next); !st) {
      rt::set_error_message("cannot write the account file");
      return st;
    }
    // The file is committed; now the anchor. If this fails the file is one
    // ahead of the anchor, which the next start accepts and catches up.
    if (g_have_anchor) {
      if (Status st = write_anchor(g_disk->generation()); !st)
        note("credstore: cannot write the anchor ({}): the next start catches it up", err_name(st.error()));
    }
  }
  g_enrolled = next;
  return {};
}

// Checks `pw` against `user`'s verifier (a dummy one for an unknown user,
// so both take the same time); `found` is the account or null.
Result<bool> check_password(StrView user, Bytes pw, const Account** found) {
  const Account* a = g_accounts.find(user);
  if (!a) a = g_enrolled.find(user);
  // Verifiers were checked when added (accounts.cpp): the parameters are ours.
  auto v = argon2::parse_verifier(StrView(a ? a->verifier : kDummyVerifier));
  if (!v) return fail(Err::Corrupt);
  bool ok = CAPOS_TRY(argon2::verify(*v, pw, MutBytes(g_work, sizeof(g_work)))) && a;
  *found = a;
  return ok;
}

class StoreImpl final : public wire::CredentialStore::Server {
 public:
  Status verify(wire::CredentialStore::VerifyParams::Reader p,
                wire::CredentialStore::VerifyResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    Bytes pw = CAPOS_TRY(p.getPassword());
    if (!valid_user(user) || !valid_password(pw)) return fail(Err::InvalidArgument);
    const Account* a = nullptr;
    bool ok = CAPOS_TRY(check_password(user, pw, &a));
    r.setOk(ok);
    r.setProfile(ok ? to_wire(a->profile) : wire::Profile::ANONYMOUS);
    return {};
  }

  Status enroll(wire::CredentialStore::EnrollParams::Reader p,
                wire::CredentialStore::EnrollResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    Bytes pw = CAPOS_TRY(p.getPassword());
    if (!valid_user(user) || !valid_password(pw) || p.getProfile() == wire::Profile::ANONYMOUS)
      return fail(Err::InvalidArgument);
    if (g_accounts.count || g_enrolled.count) {
      rt::set_error_message("accounts exist: setup works only on a machine without any");
      return fail(Err::AlreadyExists);
    }
    if (g_locked) {
      rt::set_error_message("the account store failed its integrity check");
      return fail(Err::Corrupt);
    }
    char encoded[kMaxVerifier + 1];
    StrView verifier = CAPOS_TRY(make_verifier(pw, encoded));
    AccountProfile prof = p.getProfile() == wire::Profile::OPERATOR ? AccountProfile::Operator : AccountProfile::Guest;
    AccountTable next = g_enrolled;
    CAPOS_TRY_STATUS(next.add(user, prof, verifier));
    // Durable first: an account that is not on disk is not enrolled.
    CAPOS_TRY_STATUS(commit(next));
    r.setPersistent(g_disk != nullptr);
    return {};
  }

  Status change(wire::CredentialStore::ChangeParams::Reader p,
                wire::CredentialStore::ChangeResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    Bytes old_pw = CAPOS_TRY(p.getOldPassword());
    Bytes new_pw = CAPOS_TRY(p.getNewPassword());
    if (!valid_user(user) || !valid_password(old_pw) || !valid_password(new_pw)) return fail(Err::InvalidArgument);
    if (g_locked) {
      rt::set_error_message("the account store failed its integrity check");
      return fail(Err::Corrupt);
    }
    const Account* a = nullptr;
    bool ok = CAPOS_TRY(check_password(user, old_pw, &a));
    r.setPersistent(g_disk != nullptr);
    if (!ok) {
      r.setOk(false);
      return {};
    }
    if (!g_enrolled.find(user)) {
      rt::set_error_message("a seed account: its password changes in the manifest");
      return fail(Err::InvalidArgument);
    }
    char encoded[kMaxVerifier + 1];
    StrView verifier = CAPOS_TRY(make_verifier(new_pw, encoded));
    AccountTable next;
    for (size_t i = 0; i < g_enrolled.count; ++i) {
      const Account& e = g_enrolled.items[i];
      StrView name(e.user);
      CAPOS_TRY_STATUS(next.add(name, e.profile, name == user ? verifier : StrView(e.verifier)));
    }
    CAPOS_TRY_STATUS(commit(next));
    r.setOk(true);
    return {};
  }

  Status add(wire::CredentialStore::AddParams::Reader p, wire::CredentialStore::AddResults::Builder r) override {
    StrView user = CAPOS_TRY(p.getUser());
    Bytes pw = CAPOS_TRY(p.getPassword());
    if (!valid_user(user) || !valid_password(pw) || p.getProfile() == wire::Profile::ANONYMOUS)
      return fail(Err::InvalidArgument);
    r.setPersistent(g_disk != nullptr);
    if (g_locked) return r.setResult(wire::AddAccountResult::LOCKED), Status{};
    if (g_accounts.find(user) || g_enrolled.find(user)) return r.setResult(wire::AddAccountResult::EXISTS), Status{};
    if (g_accounts.count + g_enrolled.count >= kMaxAccounts) return r.setResult(wire::AddAccountResult::FULL), Status{};
    char encoded[kMaxVerifier + 1];
    StrView verifier = CAPOS_TRY(make_verifier(pw, encoded));
    AccountProfile prof = p.getProfile() == wire::Profile::OPERATOR ? AccountProfile::Operator : AccountProfile::Guest;
    AccountTable next = g_enrolled;
    CAPOS_TRY_STATUS(next.add(user, prof, verifier));
    CAPOS_TRY_STATUS(commit(next));  // durable first, as for enroll
    r.setResult(wire::AddAccountResult::ADDED);
    return {};
  }

  Status accounts(wire::CredentialStore::AccountsParams::Reader,
                  wire::CredentialStore::AccountsResults::Builder r) override {
    r.setCount(static_cast<uint32_t>(g_accounts.count + g_enrolled.count));
    r.setPersistent(g_disk != nullptr);
    r.setLocked(g_locked);
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
    note("credstore: accounts line {}: {}", pe.line, pe.what);
    return st;
  }
  return {};
}

// Checks the account file found (present or not, its generation) against
// the anchor, if the manifest grants one; false: the store must stay
// locked (it says why).
bool check_against_anchor(bool file_present, uint64_t file_generation) {
  auto dev = rt::capset_find<wire::BlockDevice>("anchor");
  if (!dev) {
    note("credstore: no anchor device: deleting or replaying the account file is not detected");
    return true;
  }
  g_anchor = *dev;
  g_have_anchor = true;
  auto anchor = read_anchor();
  if (!anchor) {
    note("credstore: the anchor cannot be read or failed its check ({}): no accounts loaded, setup refused",
         err_name(anchor.error()));
    return false;
  }
  auto verdict = check_anchor(*anchor, file_present, file_generation);
  if (!verdict) {
    note("credstore: {} (anchor generation {}): no accounts loaded, setup refused", verdict.error().what, *anchor);
    return false;
  }
  if (*verdict == AnchorVerdict::CatchUp) {
    if (Status st = write_anchor(file_generation); !st) {
      note("credstore: cannot advance the anchor ({}): setup refused", err_name(st.error()));
      return false;
    }
  }
  note("credstore: anchor generation {}", file_present ? file_generation : *anchor);
  return true;
}

// The persistent store, if the manifest grants `dir`: the key from the boot
// package, then the file. Without a usable key the store stays volatile
// (and says so) rather than writing a file nothing protects.
void open_disk(rt::Cap<wire::BootPackage> boot) {
  auto dir = rt::capset_find<wire::Directory>("dir");
  if (!dir) return;
  static uint8_t key[kAccountKeyBytes];
  auto size = rt::boot_binary_size(boot, "credkey");
  if (!size || *size != sizeof(key) ||
      !rt::boot_read_binary(boot, "credkey", 0, MutBytes(key, sizeof(key)))) {
    note("credstore: no 32-byte `credkey` in the boot package: accounts stay volatile");
    return;
  }
  static AccountDisk disk(*dir, Bytes(key, sizeof(key)));
  memcpy(g_anchor_key, key, sizeof(key));
  for (uint8_t& b : key) static_cast<volatile uint8_t&>(b) = 0;  // the copies in `disk` and g_anchor_key are the only ones
  auto loaded = disk.load(g_enrolled);
  if (!loaded) {
    note("credstore: cannot read the account directory ({}): setup refused", err_name(loaded.error()));
    g_locked = true;
    return;
  }
  if (*loaded == DiskLoad::Refused) {
    note("credstore: the account file failed its check ({}): no accounts loaded from it, setup refused",
               disk.why());
    g_locked = true;
    return;
  }
  for (size_t i = 0; i < g_enrolled.count; ++i) {
    if (g_accounts.find(StrView(g_enrolled.items[i].user))) {
      note("credstore: the account file repeats a seed account: no accounts loaded from it, setup refused");
      g_enrolled = AccountTable{};
      g_locked = true;
      return;
    }
  }
  if (!check_against_anchor(*loaded == DiskLoad::Loaded, disk.generation())) {
    g_enrolled = AccountTable{};
    g_locked = true;
    return;
  }
  g_disk = &disk;
  note("credstore: {} persistent account(s), generation {}", g_enrolled.count, disk.generation());
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
  g_have_log = bool(g_log.attach());
  if (!load_accounts(*boot)) {
    note("credstore: the accounts file is invalid; starting with no accounts");
    g_accounts = AccountTable{};
  }
  open_disk(*boot);
  rt::release_cap(*boot);
  Status st = rt::serve(*ep, g_impl);
  note("credstore: serving stopped: {}", err_name(st.error()));
  return 4;
}
