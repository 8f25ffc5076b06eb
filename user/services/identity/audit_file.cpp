#include "user/services/identity/audit_file.h"

#include "lib/crypto/hmac_sha256.h"

namespace capos::identity::audit {

namespace {

bool printable(StrView s) {
  for (size_t i = 0; i < s.size(); ++i)
    if (s.ptr[i] < 0x20 || s.ptr[i] > 0x7e) return false;
  return true;
}

bool valid(StrView source, StrView text) {
  return !source.empty() && source.size() <= kMaxSourceBytes && !text.empty() && text.size() <= kMaxTextBytes &&
         printable(source) && printable(text);
}

}  // namespace

Result<size_t> encode_record(const Record& r, Bytes key, MutBytes out) {
  if (!valid(r.source, r.text) || r.hash.size() != kHashBytes || key.size() != kAuditKeyBytes)
    return fail(Err::InvalidArgument);
  size_t n = kRecordHeader + r.source.size() + r.text.size() + kHashBytes + kMacBytes;
  if (out.size() < n) return fail(Err::LimitExceeded);
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(r.source.size());
  p[1] = static_cast<uint8_t>(r.text.size());
  for (int i = 0; i < 8; ++i) {
    p[2 + i] = static_cast<uint8_t>(r.seq >> (8 * i));
    p[10 + i] = static_cast<uint8_t>(r.time_ns >> (8 * i));
  }
  memcpy(p + kRecordHeader, r.source.ptr, r.source.size());
  memcpy(p + kRecordHeader + r.source.size(), r.text.ptr, r.text.size());
  uint8_t* hash = p + kRecordHeader + r.source.size() + r.text.size();
  memcpy(hash, r.hash.data(), kHashBytes);
  crypto::HmacSha256::mac(key, Bytes(hash, kHashBytes), hash + kHashBytes);
  return n;
}

Result<Decoded> decode_record(Bytes in, Bytes key) {
  if (key.size() != kAuditKeyBytes) return fail(Err::InvalidArgument);
  if (in.size() < 2) return fail(Err::LimitExceeded);
  size_t src = in[0], text = in[1];
  if (src < 1 || src > kMaxSourceBytes || text < 1 || text > kMaxTextBytes) return fail(Err::Corrupt);
  size_t n = kRecordHeader + src + text + kHashBytes + kMacBytes;
  if (in.size() < n) return fail(Err::LimitExceeded);
  const uint8_t* p = in.data();
  Decoded d{};
  for (int i = 0; i < 8; ++i) {
    d.record.seq |= static_cast<uint64_t>(p[2 + i]) << (8 * i);
    d.record.time_ns |= static_cast<uint64_t>(p[10 + i]) << (8 * i);
  }
  d.record.source = StrView(reinterpret_cast<const char*>(p + kRecordHeader), src);
  d.record.text = StrView(reinterpret_cast<const char*>(p + kRecordHeader + src), text);
  d.record.hash = Bytes(p + kRecordHeader + src + text, kHashBytes);
  if (!valid(d.record.source, d.record.text)) return fail(Err::Corrupt);
  uint8_t mac[kMacBytes];
  crypto::HmacSha256::mac(key, d.record.hash, mac);
  if (!crypto::equal_constant_time(Bytes(mac, kMacBytes), Bytes(p + n - kMacBytes, kMacBytes)))
    return fail(Err::PermissionDenied);
  d.used = n;
  return d;
}

}  // namespace capos::identity::audit
