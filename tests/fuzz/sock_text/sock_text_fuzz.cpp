// The text and address inputs of the C library's socket calls on
// arbitrary bytes (user/libc/os/sock_state.cpp, lib/net's dotted-quad
// parser behind inet_pton/getaddrinfo): byte 0 picks the parser. Accepted
// results must be exactly what the input says: a service is its decimal
// value, a dotted quad prints back to an address that parses the same,
// a sockaddr_in only with a full length and AF_INET.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/net/dns.h"
#include "user/libc/os/sock_state.h"

using namespace capos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* in = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
    case 0: {
      char text[32];
      if (n >= sizeof text) return 0;
      memcpy(text, in, n);
      text[n] = '\0';
      auto r = libc::parse_service(text);
      if (!r) return 0;
      uint32_t v = 0;
      for (size_t i = 0; text[i]; ++i) {
        if (text[i] < '0' || text[i] > '9') __builtin_trap();
        v = v * 10 + uint32_t(text[i] - '0');
      }
      if (v != *r || strlen(text) == 0 || strlen(text) > 5) __builtin_trap();
      break;
    }
    case 1: {
      auto r = net::parse_ip4_literal(reinterpret_cast<const char*>(in), n);
      if (!r) return 0;
      char back[16];
      int k = snprintf(back, sizeof back, "%u.%u.%u.%u", *r >> 24, (*r >> 16) & 255, (*r >> 8) & 255, *r & 255);
      auto again = net::parse_ip4_literal(back, size_t(k));
      if (!again || *again != *r) __builtin_trap();
      break;
    }
    case 2: {
      uint32_t len = n > 0 ? in[0] : 0;  // the caller's claimed length
      const uint8_t* sa = n > 1 ? in + 1 : nullptr;
      if (sa && n - 1 < len) len = uint32_t(n - 1);  // never more than is there
      auto r = libc::decode_sockaddr_in(sa, len);
      if (!r) return 0;
      if (len < libc::kSockaddrInLen || sa[0] != libc::kAfInet || sa[1] != 0) __builtin_trap();
      uint8_t out[16];
      uint32_t olen = sizeof out;
      libc::encode_sockaddr_in(*r, out, &olen);
      if (olen != 16 || memcmp(out, sa, 8) != 0) __builtin_trap();
      break;
    }
  }
  return 0;
}
