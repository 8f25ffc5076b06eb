// Splitting a concatenation of DER certificates (tlsd's trust store and
// certificate chain blobs from the manifest) into one certificate each:
// only the outer SEQUENCE header is read here; BearSSL decodes the
// certificate itself. Host-tested (host.TlsDerList.*) and fuzzed
// (fuzz.net_packets).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::tls {

// Length of the first DER element of `der` (header included): a SEQUENCE
// (0x30) with a definite length in short or long form (at most 4 length
// bytes, no leading zero, minimal). Corrupt for anything else, Truncated
// when the element runs past the end.
inline Result<size_t> der_first_len(Bytes der) {
  if (der.size() < 2) return fail(Err::Truncated);
  if (der[0] != 0x30) return fail(Err::Corrupt);
  size_t len = der[1];
  size_t header = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 4) return fail(Err::Corrupt);  // indefinite or absurd
    if (der.size() < 2 + n) return fail(Err::Truncated);
    if (der[2] == 0) return fail(Err::Corrupt);  // not minimal
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | der[2 + i];
    if (len < 0x80) return fail(Err::Corrupt);  // long form for a short length
    header += n;
  }
  if (len > der.size() - header) return fail(Err::Truncated);
  return header + len;
}

// Calls `each(Bytes cert)` for every element of `der` in order; stops at
// the first error (from the split or from `each`). An empty blob is
// Truncated: a list holds at least one certificate.
template <class F>
Status der_for_each(Bytes der, F&& each) {
  if (der.empty()) return fail(Err::Truncated);
  size_t off = 0;
  while (off < der.size()) {
    Bytes rest(der.data() + off, der.size() - off);
    size_t n = CAPOS_TRY(der_first_len(rest));
    CAPOS_TRY_STATUS(each(Bytes(rest.data(), n)));
    off += n;
  }
  return {};
}

}  // namespace capos::tls
