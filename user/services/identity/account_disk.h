// Where the CredentialStore keeps enrolled accounts across reboots: the
// file "accounts" (account_file.h, HMAC-protected) in the Directory the
// manifest grants it, written by a new file plus a rename, committed by
// one Directory.sync (docs/identity.md, "Persistent accounts").
#pragma once

#include "lib/core/result.h"
#include "user/services/identity/account_file.h"
#include "user/storage/fs_client.h"

namespace capos::identity {

enum class DiskLoad : uint8_t {
  Empty,    // no account file: a fresh machine (setup is allowed)
  Loaded,   // the file checked out; its accounts are in the table
  Refused,  // a file exists but failed its check: nothing loaded, setup refused
};

class AccountDisk {
 public:
  AccountDisk(fsc::Dir dir, Bytes key);
  // Reads the account file into `out` (empty on entry). On Refused,
  // why() says what failed. Errors: the directory could not be read.
  Result<DiskLoad> load(AccountTable& out);
  // Writes `accounts` as the next generation and commits it: when this
  // returns, the file survives a power cut; on error the previous file
  // stays the durable one.
  Status save(const AccountTable& accounts);
  const char* why() const { return why_; }
  uint64_t generation() const { return generation_; }

 private:
  Result<bool> exists(StrView name);
  FileResult<uint64_t> read_file(StrView name, AccountTable& out);

  fsc::Dir dir_;
  uint8_t key_[kAccountKeyBytes];
  uint64_t generation_ = 0;
  const char* why_ = "";
};

}  // namespace capos::identity
