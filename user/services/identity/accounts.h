// The seed accounts file (a `data` binary named "accounts" in the boot
// package, docs/identity.md): one account per line,
//   <user> <profile> <argon2id verifier>
// with '#' comment lines and blank lines allowed. Parsing is pure and
// strict (host-tested and fuzzed, tests/fuzz/accounts_fuzz.cpp): a bad
// line rejects the whole file, so a typo never half-seeds the store.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"
#include "lib/core/result.h"

namespace capos::identity {

enum class AccountProfile : uint8_t { Guest = 1, Operator = 2 };

constexpr size_t kMaxAccounts = 8;
constexpr size_t kMaxUser = 32;
constexpr size_t kMaxVerifier = 128;

// Argon2id parameters (docs/identity.md): OWASP's m = 12 MiB, t = 3, p = 1
// setting, 16-byte salts, 32-byte tags.
constexpr uint32_t kArgon2MemoryKiB = 12288;
constexpr uint32_t kArgon2Iterations = 3;
constexpr uint32_t kArgon2Lanes = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kTagBytes = 32;

// The only parameter prefix accepted: the documented Argon2id setting.
// A verifier with other parameters (a huge m_cost, say) is refused here,
// before it could make the store allocate or spin.
constexpr const char* kVerifierPrefix = "$argon2id$v=19$m=12288,t=3,p=1$";

struct Account {
  char user[kMaxUser + 1] = {};
  AccountProfile profile = AccountProfile::Guest;
  char verifier[kMaxVerifier + 1] = {};
};

struct AccountTable {
  Account items[kMaxAccounts];
  size_t count = 0;
  const Account* find(StrView user) const;
  // Appends one; AlreadyExists for a duplicate user, LimitExceeded when full.
  Status add(StrView user, AccountProfile profile, StrView verifier);
};

// 1 to 32 ASCII letters, digits, '-', '_', '.'.
bool valid_user(StrView s);
// A well-formed verifier with exactly kVerifierPrefix's parameters.
bool valid_verifier(StrView s);

struct ParseError {
  Err err;
  size_t line;  // 1-based
  const char* what;
};

// Parses `text` into `out` (which must be empty). On error `*error` says
// which line and why, and `out` is left empty.
Status parse_accounts(StrView text, AccountTable& out, ParseError* error);

}  // namespace capos::identity
