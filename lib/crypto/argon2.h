// Argon2id (RFC 9106, version 0x13), our own implementation: the password
// hash of the CredentialStore (docs/identity.md). Host-tested against
// RFC 9106's Argon2id test vector and against Debian's libargon2 on random
// inputs (tests/host/crypto/argon2_test.cpp). The caller provides the
// memory (m KiB), so the hash never allocates.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/cstring.h"
#include "lib/core/span.h"

namespace capos::argon2 {

struct Params {
  uint32_t m_kib;    // memory in KiB: at least 8 * lanes
  uint32_t t;        // passes: at least 1
  uint32_t lanes;    // parallelism p: 1 to 255 (computed sequentially here)
};

constexpr size_t kBlockBytes = 1024;
// Bytes of work memory the hash needs for `p` (m rounded down to 4p blocks).
size_t work_bytes(const Params& p);

struct Inputs {
  Bytes password;
  Bytes salt;    // at least 8 bytes
  Bytes secret;  // K, may be empty
  Bytes ad;      // X, may be empty
};

// Computes the tag (4 bytes or more) into `tag`. `work` must hold
// work_bytes(p) bytes, 8-byte aligned; it is wiped before returning.
// InvalidArgument for parameters outside RFC 9106's ranges.
Status argon2id(const Params& p, const Inputs& in, MutBytes tag, MutBytes work);

// The encoded form: $argon2id$v=19$m=<m>,t=<t>,p=<p>$<salt>$<tag>, base64
// without padding (as libargon2 and the argon2 tool write it).
struct Verifier {
  Params params{};
  uint8_t salt[64];
  size_t salt_len = 0;
  uint8_t tag[64];
  size_t tag_len = 0;
};
// Strict parse of untrusted text (fuzzed: tests/fuzz/argon2_verifier_fuzz.cpp).
Result<Verifier> parse_verifier(StrView s);
// Writes the encoded form; the length written.
Result<size_t> encode_verifier(const Verifier& v, MutBytes out);
// Recomputes and compares in constant time. `work` as for argon2id.
Result<bool> verify(const Verifier& v, Bytes password, MutBytes work);

}  // namespace capos::argon2
