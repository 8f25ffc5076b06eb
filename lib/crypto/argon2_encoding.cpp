// The encoded verifier form of argon2.h: parse (untrusted text, strict)
// and encode, plus the constant-time verify.
#include "lib/core/cstring.h"
#include "lib/core/format.h"
#include "lib/crypto/argon2.h"

namespace capos::argon2 {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Unpadded base64 into out (capacity cap); the length, or an error for a
// bad character, an impossible length or non-zero trailing bits.
Result<size_t> b64_decode(StrView s, uint8_t* out, size_t cap) {
  if (s.size() % 4 == 1) return fail(Err::Corrupt);
  size_t n = s.size() / 4 * 3 + (s.size() % 4 ? s.size() % 4 - 1 : 0);
  if (n > cap) return fail(Err::LimitExceeded);
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    int v = b64_value(s.ptr[i]);
    if (v < 0) return fail(Err::Corrupt);
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  if (bits && (acc & ((1u << bits) - 1))) return fail(Err::Corrupt);  // canonical form only
  return o;
}

size_t b64_encode(const uint8_t* in, size_t n, char* out) {
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | in[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out[o++] = kB64[(acc >> bits) & 63];
    }
  }
  if (bits) out[o++] = kB64[(acc << (6 - bits)) & 63];
  return o;
}

// "<key>=<decimal>" with no leading zeros, at most 10 digits.
Result<uint32_t> number(StrView& s, StrView key) {
  if (s.size() < key.size() + 2 || !(s.substr(0, key.size()) == key) || s.ptr[key.size()] != '=')
    return fail(Err::Corrupt);
  s = s.substr(key.size() + 1);
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s.ptr[i] >= '0' && s.ptr[i] <= '9' && i < 10) v = v * 10 + (s.ptr[i++] - '0');
  if (i == 0 || (i > 1 && s.ptr[0] == '0') || v > 0xffffffffu) return fail(Err::Corrupt);
  s = s.substr(i);
  return static_cast<uint32_t>(v);
}

bool eat(StrView& s, StrView lit) {
  if (s.size() < lit.size() || !(s.substr(0, lit.size()) == lit)) return false;
  s = s.substr(lit.size());
  return true;
}

}  // namespace

Result<Verifier> parse_verifier(StrView s) {
  Verifier v;
  if (!eat(s, "$argon2id$v=19$")) return fail(Err::Corrupt);
  v.params.m_kib = CAPOS_TRY(number(s, "m"));
  if (!eat(s, ",")) return fail(Err::Corrupt);
  v.params.t = CAPOS_TRY(number(s, "t"));
  if (!eat(s, ",")) return fail(Err::Corrupt);
  v.params.lanes = CAPOS_TRY(number(s, "p"));
  if (!eat(s, "$")) return fail(Err::Corrupt);
  size_t d = 0;
  while (d < s.size() && s.ptr[d] != '$') ++d;
  if (d == s.size()) return fail(Err::Corrupt);
  v.salt_len = CAPOS_TRY(b64_decode(s.substr(0, d), v.salt, sizeof(v.salt)));
  v.tag_len = CAPOS_TRY(b64_decode(s.substr(d + 1), v.tag, sizeof(v.tag)));
  const Params& p = v.params;
  if (v.salt_len < 8 || v.tag_len < 4 || p.lanes < 1 || p.lanes > 255 || p.t < 1 || p.m_kib < 8 * p.lanes)
    return fail(Err::InvalidArgument);
  return v;
}

Result<size_t> encode_verifier(const Verifier& v, MutBytes out) {
  char buf[256];
  char salt[96], tag[96];
  if (v.salt_len > sizeof(v.salt) || v.tag_len > sizeof(v.tag)) return fail(Err::InvalidArgument);
  size_t ns = b64_encode(v.salt, v.salt_len, salt), nt = b64_encode(v.tag, v.tag_len, tag);
  StrView text = format_to(buf, sizeof(buf), "$argon2id$v=19$m={},t={},p={}${}${}", v.params.m_kib, v.params.t,
                           v.params.lanes, StrView(salt, ns), StrView(tag, nt));
  if (text.size() >= sizeof(buf) - 1 || text.size() > out.size()) return fail(Err::LimitExceeded);
  memcpy(out.data(), text.ptr, text.size());
  return text.size();
}

Result<bool> verify(const Verifier& v, Bytes password, MutBytes work) {
  uint8_t tag[64];
  Inputs in{password, Bytes(v.salt, v.salt_len), Bytes(), Bytes()};
  CAPOS_TRY_STATUS(argon2id(v.params, in, MutBytes(tag, v.tag_len), work));
  uint8_t diff = 0;
  for (size_t i = 0; i < v.tag_len; ++i) diff |= static_cast<uint8_t>(tag[i] ^ v.tag[i]);
  for (size_t i = 0; i < sizeof(tag); ++i) reinterpret_cast<volatile uint8_t*>(tag)[i] = 0;
  return diff == 0;
}

}  // namespace capos::argon2
