#include "user/services/identity/account_file.h"

#include "lib/crypto/hmac_sha256.h"

namespace capos::identity {

namespace {

constexpr uint8_t kMagic[8] = {'c', 'a', 'p', 'O', 'S', 'a', 'c', '1'};
constexpr uint32_t kVersion = 1;

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

Failure<FileError> file_fail(Err e, const char* what) { return fail(FileError{e, what}); }

}  // namespace

FileResult<size_t> encode_account_file(const AccountTable& accounts, uint64_t generation, Bytes key, MutBytes out) {
  if (key.size() != kAccountKeyBytes) return file_fail(Err::InvalidArgument, "the key must be 32 bytes");
  size_t at = kAccountHeaderBytes;
  auto append = [&](StrView s) {
    if (at + s.size() + kAccountMacBytes > out.size()) return false;
    memcpy(out.data() + at, s.ptr, s.size());
    at += s.size();
    return true;
  };
  for (size_t i = 0; i < accounts.count; ++i) {
    const Account& a = accounts.items[i];
    StrView prof = a.profile == AccountProfile::Operator ? StrView("operator") : StrView("guest");
    if (!append(StrView(a.user)) || !append(" ") || !append(prof) || !append(" ") || !append(StrView(a.verifier)) ||
        !append("\n"))
      return file_fail(Err::LimitExceeded, "the buffer is too small");
  }
  if (out.size() < kAccountHeaderBytes + kAccountMacBytes) return file_fail(Err::LimitExceeded, "the buffer is too small");
  uint8_t* h = out.data();
  memcpy(h, kMagic, sizeof(kMagic));
  put32(h + 8, kVersion);
  put32(h + 12, static_cast<uint32_t>(at - kAccountHeaderBytes));
  put64(h + 16, generation);
  crypto::HmacSha256::mac(key, Bytes(h, at), h + at);
  return at + kAccountMacBytes;
}

FileResult<uint64_t> decode_account_file(Bytes file, Bytes key, AccountTable& out) {
  if (out.count) return file_fail(Err::InvalidArgument, "the table is not empty");
  if (key.size() != kAccountKeyBytes) return file_fail(Err::InvalidArgument, "the key must be 32 bytes");
  if (file.size() < kAccountHeaderBytes + kAccountMacBytes || file.size() > kMaxAccountFile)
    return file_fail(Err::Corrupt, "the file has an impossible length");
  size_t signed_len = file.size() - kAccountMacBytes;
  uint8_t mac[kAccountMacBytes];
  crypto::HmacSha256::mac(key, Bytes(file.data(), signed_len), mac);
  if (!crypto::equal_constant_time(Bytes(mac, sizeof(mac)), Bytes(file.data() + signed_len, kAccountMacBytes)))
    return file_fail(Err::Corrupt, "the MAC does not match: changed, or written with another key");
  const uint8_t* h = file.data();
  if (memcmp(h, kMagic, sizeof(kMagic)) != 0) return file_fail(Err::Corrupt, "not an account file");
  if (get32(h + 8) != kVersion) return file_fail(Err::Corrupt, "unknown format version");
  if (get32(h + 12) != signed_len - kAccountHeaderBytes) return file_fail(Err::Corrupt, "the body length is wrong");
  StrView body(reinterpret_cast<const char*>(h + kAccountHeaderBytes), signed_len - kAccountHeaderBytes);
  ParseError pe{};
  if (Status st = parse_accounts(body, out, &pe); !st) return file_fail(st.error(), pe.what);
  return get64(h + 16);
}

}  // namespace capos::identity
