#include "lib/net/grant_names.h"

#include "lib/core/cstring.h"
#include "lib/net/dns.h"

namespace capos::net {

namespace {

struct Cursor {
  const char* s;
  size_t len;
  size_t pos = 0;

  Result<uint32_t> number(uint32_t lo, uint32_t hi) {
    uint32_t v = 0;
    size_t start = pos;
    while (pos < len && s[pos] >= '0' && s[pos] <= '9' && pos - start < 5) v = v * 10 + uint32_t(s[pos++] - '0');
    if (pos == start || (pos < len && s[pos] >= '0' && s[pos] <= '9') || v < lo || v > hi)
      return fail(Err::InvalidArgument);
    return v;
  }
  Status dash() {
    if (pos >= len || s[pos] != '-') return fail(Err::InvalidArgument);
    ++pos;
    return {};
  }
  Status literal(const char* word) {
    size_t n = strlen(word);
    if (len - pos < n || memcmp(s + pos, word, n) != 0) return fail(Err::InvalidArgument);
    pos += n;
    return {};
  }
};

}  // namespace

Result<GrantScope> parse_grant_name(GrantKind kind, const char* name, size_t len) {
  Cursor c{name, len};
  GrantScope g;
  switch (kind) {
    case GrantKind::Listen: CAPOS_TRY_STATUS(c.literal("listen-")); break;
    case GrantKind::Connect: CAPOS_TRY_STATUS(c.literal("connect-")); break;
    case GrantKind::Udp:
      CAPOS_TRY_STATUS(c.literal("udp-"));
      g.port = uint16_t(CAPOS_TRY(c.number(1, 65535)));
      CAPOS_TRY_STATUS(c.dash());
      break;
  }
  if (kind != GrantKind::Listen) {
    size_t end = c.pos;
    while (end < len && name[end] != '-') ++end;
    g.network = CAPOS_TRY(parse_ip4_literal(name + c.pos, end - c.pos));
    c.pos = end;
    CAPOS_TRY_STATUS(c.dash());
    g.prefix = uint8_t(CAPOS_TRY(c.number(0, 32)));
    uint32_t host_bits = g.prefix == 32 ? 0 : 0xFFFFFFFFu >> g.prefix;
    if (g.network & host_bits) return fail(Err::InvalidArgument);
    CAPOS_TRY_STATUS(c.dash());
  }
  g.first = uint16_t(CAPOS_TRY(c.number(1, 65535)));
  CAPOS_TRY_STATUS(c.dash());
  g.last = uint16_t(CAPOS_TRY(c.number(1, 65535)));
  if (c.pos != len || g.last < g.first) return fail(Err::InvalidArgument);
  return g;
}

}  // namespace capos::net
