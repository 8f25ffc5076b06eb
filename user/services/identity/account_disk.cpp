#include "user/services/identity/account_disk.h"

namespace capos::identity {

namespace {

const StrView kFile = "accounts";
// Written first, then renamed over nothing: a crash between the two leaves
// it behind, and load() takes it when "accounts" is missing.
const StrView kNewFile = "accounts.new";

uint8_t g_buf[kMaxAccountFile];

}  // namespace

AccountDisk::AccountDisk(fsc::Dir dir, Bytes key) : dir_(dir) {
  for (size_t i = 0; i < kAccountKeyBytes; ++i) key_[i] = i < key.size() ? key[i] : 0;
}

Result<bool> AccountDisk::exists(StrView name) {
  bool found = false;
  uint64_t cursor = 0;
  for (;;) {
    auto page = CAPOS_TRY(fsc::list(dir_, cursor, 16, [&](StrView n, bool is_dir, uint64_t) {
      if (n == name && !is_dir) found = true;
    }));
    if (found || !page.more) return found;
    cursor = page.next;
  }
}

FileResult<uint64_t> AccountDisk::read_file(StrView name, AccountTable& out) {
  auto f = fsc::open(dir_, name, false);
  if (!f) return fail(FileError{f.error(), "cannot open the account file"});
  size_t len = 0;
  bool too_long = false;
  for (;;) {
    if (len == sizeof(g_buf)) {
      uint8_t probe[1];
      auto more = fsc::read(*f, len, MutBytes(probe, 1), 1);
      too_long = more && *more > 0;
      break;
    }
    auto n = fsc::read(*f, len, MutBytes(g_buf + len, sizeof(g_buf) - len), static_cast<uint32_t>(sizeof(g_buf) - len));
    if (!n) {
      (void)fsc::close(*f);
      return fail(FileError{n.error(), "cannot read the account file"});
    }
    if (*n == 0) break;
    len += *n;
  }
  (void)fsc::close(*f);  // a close that fails leaves only an idle object in fsd
  if (too_long) return fail(FileError{Err::Corrupt, "the account file is too long"});
  return decode_account_file(Bytes(g_buf, len), Bytes(key_, sizeof(key_)), out);
}

Result<DiskLoad> AccountDisk::load(AccountTable& out) {
  StrView name = kFile;
  if (!CAPOS_TRY(exists(kFile))) {
    if (!CAPOS_TRY(exists(kNewFile))) return DiskLoad::Empty;
    name = kNewFile;
  }
  auto g = read_file(name, out);
  if (!g) {
    why_ = g.error().what;
    out = AccountTable{};
    return DiskLoad::Refused;
  }
  generation_ = *g;
  return DiskLoad::Loaded;
}

Status AccountDisk::save(const AccountTable& accounts) {
  auto n = encode_account_file(accounts, generation_ + 1, Bytes(key_, sizeof(key_)), MutBytes(g_buf, sizeof(g_buf)));
  if (!n) return fail(n.error().code);
  if (CAPOS_TRY(exists(kNewFile))) CAPOS_TRY_STATUS(fsc::remove(dir_, kNewFile));
  fsc::File f = CAPOS_TRY(fsc::create(dir_, kNewFile));
  Status st = fsc::write(f, 0, Bytes(g_buf, *n));
  (void)fsc::close(f);
  CAPOS_TRY_STATUS(st);
  // The sync below commits remove and rename at once (fsd commits the whole
  // tree). Another client's sync in between can commit the middle state;
  // load() then takes accounts.new, whose MAC it checks like any file.
  if (CAPOS_TRY(exists(kFile))) CAPOS_TRY_STATUS(fsc::remove(dir_, kFile));
  CAPOS_TRY_STATUS(fsc::rename(dir_, kNewFile, nullptr, 0, kFile));
  CAPOS_TRY_STATUS(fsc::sync(dir_));
  generation_ += 1;
  return {};
}

}  // namespace capos::identity
