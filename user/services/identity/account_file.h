// The persistent account file (docs/identity.md, "Persistent accounts"):
// the accounts `setup` enrolled, kept by the CredentialStore in the
// directory the manifest grants it, protected by an HMAC-SHA256 keyed with
// a secret that is never on that disk (the boot package's `credkey`).
//
// Format v1 (all integers little-endian):
//   0   8  magic "capOSac1"
//   8   4  format version (1)
//   12  4  body length n (at most kMaxAccountBody)
//   16  8  generation (how many times the store was written)
//   24  n  body: the seed-file text, one "<user> <profile> <verifier>\n"
//          line per account (accounts.h), parsed just as strictly
//   24+n 32 HMAC-SHA256(key, bytes 0 .. 24+n)
// The MAC is checked (in constant time) before any other byte is trusted,
// so a file changed without the key is refused as a whole. Encoding and
// decoding are pure: host-tested and fuzzed (fuzz.login_text).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "user/services/identity/accounts.h"

namespace capos::identity {

constexpr size_t kAccountKeyBytes = 32;
constexpr size_t kAccountHeaderBytes = 24;
constexpr size_t kAccountMacBytes = 32;
// One line per account: user, profile, verifier, two spaces and a newline.
constexpr size_t kMaxAccountBody = kMaxAccounts * (kMaxUser + 1 + 8 + 1 + kMaxVerifier + 1);
constexpr size_t kMaxAccountFile = kAccountHeaderBytes + kMaxAccountBody + kAccountMacBytes;

struct FileError {
  Err code = Err::Failed;
  const char* what = "";
};
template <class T> using FileResult = Result<T, FileError>;

// Writes `accounts` as a v1 file into `out`; returns its length.
// Errors: LimitExceeded if `out` is too small; InvalidArgument for a key
// that is not kAccountKeyBytes long.
FileResult<size_t> encode_account_file(const AccountTable& accounts, uint64_t generation, Bytes key, MutBytes out);

// Checks and parses a v1 file into `out` (which must be empty); returns its
// generation. On any error `out` is left empty. Errors: Corrupt for a
// wrong MAC (changed bytes, or another key), a bad magic, version or
// length; InvalidArgument for a body the seed parser refuses.
FileResult<uint64_t> decode_account_file(Bytes file, Bytes key, AccountTable& out);

}  // namespace capos::identity
