// The account file's anchor (docs/identity.md, "Rollback and deletion"):
// one block on a separate device that only the CredentialStore holds,
// standing for a sealed monotonic counter (a TPM NV counter or an eMMC
// RPMB partition). It records the generation of the last account file the
// store committed, under an HMAC with the store's key, so that deleting
// the account file or putting back an older one on the data disk is seen
// at the next start.
//
// Block format (kAnchorBlockBytes, little-endian):
//   0   8  magic "capOSan1"
//   8   8  generation
//   16  32 HMAC-SHA256(key, bytes 0 .. 16)
//   48  .. zero
// An all-zero block is a device never written: generation 0.
//
// Pure: encoding, decoding and the decision are host-tested and fuzzed;
// credstore does the device I/O.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::identity {

constexpr size_t kAnchorBlockBytes = 512;

// Writes the anchor block for `generation` into `out` (kAnchorBlockBytes).
// InvalidArgument for a key that is not 32 bytes or a short `out`.
Status encode_anchor(uint64_t generation, Bytes key, MutBytes out);

// The generation an anchor block records: 0 for an all-zero block.
// Errors: InvalidArgument for a block that is not kAnchorBlockBytes or a
// key that is not 32 bytes; Corrupt for a bad magic, non-zero padding or
// a MAC that is not the key's (checked in constant time).
Result<uint64_t> decode_anchor(Bytes block, Bytes key);

// What the store does with the account file it found, given the anchor.
enum class AnchorVerdict : uint8_t {
  Fresh,    // no file, anchor 0: a machine that never enrolled (setup allowed)
  Current,  // the file is the anchor's generation
  CatchUp,  // the file is one ahead: committed, the anchor not yet (a crash in between); advance it
};
struct AnchorError {
  Err code = Err::Stale;
  const char* what = "";  // why the store is locked
};
// `file_generation` is meaningful only if `file_present`. Errors (the store
// stays locked, setup refused): Stale with the reason — the file is
// missing though the anchor counts commits, older than the anchor (a
// replayed copy), or more than one ahead (not a file this store wrote).
Result<AnchorVerdict, AnchorError> check_anchor(uint64_t anchor_generation, bool file_present, uint64_t file_generation);

}  // namespace capos::identity
