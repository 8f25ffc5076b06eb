// DNS stub resolver messages (RFC 1035): an A/IN query with recursion
// desired, and the answer section of a response. Responses come from
// the network: names (with compression pointers) are walked with a hop
// limit and every record is bounds-checked.
#pragma once

#include "lib/net/wire.h"

namespace capos::net {

constexpr uint16_t DNS_PORT = 53;
constexpr size_t DNS_MAX_NAME = 253;
constexpr size_t DNS_MAX_MESSAGE = 512;
constexpr size_t DNS_MAX_ADDRESSES = 8;

// Checks `name` (labels of letters, digits, '-' and '_', 1 to 63 bytes, a
// trailing dot allowed) and writes the query; returns its length.
// Errors: InvalidArgument for a malformed name; OutOfRange if `out` is
// smaller than DNS_MAX_MESSAGE.
Result<size_t> write_dns_query(MutBytes out, uint16_t id, const char* name, size_t name_len);

struct DnsAnswer {
  uint16_t id = 0;
  uint8_t rcode = 0;           // 0 no error, 3 NXDOMAIN
  Ip4 addresses[DNS_MAX_ADDRESSES] = {};
  size_t count = 0;
  uint32_t ttl = 0;            // smallest TTL of the A records taken
};

// Errors: Truncated, Corrupt (not a response, a name or record past the
// end, a pointer loop), Unsupported (the TC bit: answers over TCP are not
// implemented).
Result<DnsAnswer> parse_dns_response(Bytes message);

// Parses a dotted-quad literal ("10.0.2.2"). Errors: InvalidArgument.
Result<Ip4> parse_ip4_literal(const char* s, size_t len);

}  // namespace capos::net
