// The AuditLog's hash chain (schema/identity.capnp AuditRecord,
// docs/identity.md): each record's hash is SHA-256 over the previous
// record's hash, its seq and time (u64 little-endian), then its source and
// text (u32 little-endian length, bytes). Pure: auditd computes hashes with
// it, readers (the shell's `audit`) verify with it, and host.identity_test
// shows that any tampering breaks verification.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"
#include "lib/core/span.h"

namespace capos::identity::audit {

constexpr size_t kHashBytes = 32;

struct Record {
  uint64_t seq = 0;
  uint64_t time_ns = 0;
  StrView source;
  StrView text;
  Bytes hash;  // as stored or received; kHashBytes when well-formed
};

// The chain hash of `r` after `prev` (kHashBytes; all zero before seq 0).
void chain_hash(const uint8_t* prev, const Record& r, uint8_t out[kHashBytes]);

// How many of `records` (starting after `prev`, the first expected to be
// seq `first_seq`) verify: each seq follows the last and each stored hash
// is the recomputed one. Equals records.size() when the run is intact.
// On return `prev` holds the hash of the last record that verified.
size_t verify(uint8_t prev[kHashBytes], uint64_t first_seq, Span<const Record> records);

}  // namespace capos::identity::audit
