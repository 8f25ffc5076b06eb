#include "lib/net/dns.h"

namespace capos::net {

namespace {
bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Offset just past the (possibly compressed) name at `off`.
Result<size_t> skip_name(Bytes m, size_t off) {
  size_t hops = 0;
  while (true) {
    if (off >= m.size()) return fail(Err::Truncated);
    uint8_t len = m.data()[off];
    if ((len & 0xC0) == 0xC0) {
      if (off + 2 > m.size()) return fail(Err::Truncated);
      return off + 2;  // a pointer ends the name in this position
    }
    if (len & 0xC0) return fail(Err::Corrupt);
    if (len == 0) return off + 1;
    off += 1 + len;
    if (++hops > 128) return fail(Err::Corrupt);
  }
}
}  // namespace

Result<size_t> write_dns_query(MutBytes out, uint16_t id, const char* name, size_t name_len) {
  if (out.size() < DNS_MAX_MESSAGE) return fail(Err::OutOfRange);
  if (name_len > 0 && name[name_len - 1] == '.') --name_len;
  if (name_len == 0 || name_len > DNS_MAX_NAME) return fail(Err::InvalidArgument);
  uint8_t* p = out.data();
  put16(p, id);
  put16(p + 2, 0x0100);  // RD
  put16(p + 4, 1);
  put16(p + 6, 0);
  put16(p + 8, 0);
  put16(p + 10, 0);
  size_t o = 12;
  size_t start = 0;
  for (size_t i = 0; i <= name_len; ++i) {
    if (i == name_len || name[i] == '.') {
      size_t len = i - start;
      if (len == 0 || len > 63) return fail(Err::InvalidArgument);
      p[o++] = uint8_t(len);
      for (size_t j = start; j < i; ++j) p[o++] = uint8_t(name[j]);
      start = i + 1;
    } else if (!label_char(name[i])) {
      return fail(Err::InvalidArgument);
    }
  }
  p[o++] = 0;
  put16(p + o, 1);  // A
  put16(p + o + 2, 1);  // IN
  return o + 4;
}

Result<DnsAnswer> parse_dns_response(Bytes m) {
  if (m.size() < 12) return fail(Err::Truncated);
  const uint8_t* p = m.data();
  uint16_t flags = get16(p + 2);
  if (!(flags & 0x8000)) return fail(Err::Corrupt);
  if (flags & 0x0200) return fail(Err::Unsupported);
  DnsAnswer a;
  a.id = get16(p);
  a.rcode = uint8_t(flags & 0xF);
  size_t qd = get16(p + 4), an = get16(p + 6);
  size_t off = 12;
  for (size_t i = 0; i < qd; ++i) {
    off = CAPOS_TRY(skip_name(m, off));
    if (off + 4 > m.size()) return fail(Err::Truncated);
    off += 4;
  }
  bool first = true;
  for (size_t i = 0; i < an; ++i) {
    off = CAPOS_TRY(skip_name(m, off));
    if (off + 10 > m.size()) return fail(Err::Truncated);
    uint16_t type = get16(p + off), cls = get16(p + off + 2);
    uint32_t ttl = get32(p + off + 4);
    size_t rdlen = get16(p + off + 8);
    off += 10;
    if (off + rdlen > m.size()) return fail(Err::Truncated);
    if (type == 1 && cls == 1 && rdlen == 4 && a.count < DNS_MAX_ADDRESSES) {
      a.addresses[a.count++] = get32(p + off);
      if (first || ttl < a.ttl) a.ttl = ttl;
      first = false;
    }
    off += rdlen;
  }
  return a;
}

Result<Ip4> parse_ip4_literal(const char* s, size_t len) {
  Ip4 v = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= len || s[i] != '.') return fail(Err::InvalidArgument);
      ++i;
    }
    size_t digits = 0;
    uint32_t octet = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 3) {
      octet = octet * 10 + uint32_t(s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || octet > 255) return fail(Err::InvalidArgument);
    v = (v << 8) | octet;
  }
  if (i != len) return fail(Err::InvalidArgument);
  return v;
}

}  // namespace capos::net
