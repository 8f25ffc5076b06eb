#include "user/services/identity/account_anchor.h"

#include "lib/core/cstring.h"
#include "lib/crypto/hmac_sha256.h"

namespace capos::identity {

namespace {

constexpr uint8_t kMagic[8] = {'c', 'a', 'p', 'O', 'S', 'a', 'n', '1'};
constexpr size_t kKeyBytes = 32;
constexpr size_t kSealed = 16;  // magic + generation
constexpr size_t kUsed = kSealed + crypto::HmacSha256::kMacBytes;

}  // namespace

Status encode_anchor(uint64_t generation, Bytes key, MutBytes out) {
  if (key.size() != kKeyBytes || out.size() != kAnchorBlockBytes) return fail(Err::InvalidArgument);
  uint8_t* p = out.data();
  memset(p, 0, kAnchorBlockBytes);
  memcpy(p, kMagic, sizeof(kMagic));
  for (int i = 0; i < 8; ++i) p[8 + i] = static_cast<uint8_t>(generation >> (8 * i));
  crypto::HmacSha256::mac(key, Bytes(p, kSealed), p + kSealed);
  return {};
}

Result<uint64_t> decode_anchor(Bytes block, Bytes key) {
  if (key.size() != kKeyBytes || block.size() != kAnchorBlockBytes) return fail(Err::InvalidArgument);
  uint8_t any = 0;
  for (size_t i = 0; i < kAnchorBlockBytes; ++i) any |= block[i];
  if (!any) return uint64_t{0};
  uint8_t mac[crypto::HmacSha256::kMacBytes];
  crypto::HmacSha256::mac(key, Bytes(block.data(), kSealed), mac);
  if (!crypto::equal_constant_time(Bytes(mac, sizeof(mac)), Bytes(block.data() + kSealed, sizeof(mac))))
    return fail(Err::Corrupt);
  if (memcmp(block.data(), kMagic, sizeof(kMagic)) != 0) return fail(Err::Corrupt);
  uint8_t pad = 0;
  for (size_t i = kUsed; i < kAnchorBlockBytes; ++i) pad |= block[i];
  if (pad) return fail(Err::Corrupt);
  uint64_t g = 0;
  for (int i = 0; i < 8; ++i) g |= static_cast<uint64_t>(block[8 + i]) << (8 * i);
  return g;
}

Result<AnchorVerdict, AnchorError> check_anchor(uint64_t anchor_generation, bool file_present, uint64_t file_generation) {
  if (!file_present) {
    if (anchor_generation == 0) return AnchorVerdict::Fresh;
    return fail(AnchorError{Err::Stale, "the account file is missing, but the anchor counts a committed one"});
  }
  if (file_generation == anchor_generation) return AnchorVerdict::Current;
  if (file_generation < anchor_generation)
    return fail(AnchorError{Err::Stale, "the account file is older than the anchor (a replayed copy)"});
  if (file_generation - anchor_generation == 1) return AnchorVerdict::CatchUp;
  return fail(AnchorError{Err::Stale, "the account file is ahead of the anchor by more than one commit"});
}

}  // namespace capos::identity
