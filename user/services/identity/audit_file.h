// How auditd keeps its chain on disk (docs/identity.md, "The AuditLog"):
// the file "audit.log" is the records one after another, each
//   u8 source length (1-32), u8 text length (1-200), u64 seq, u64 timeNs
//   (little-endian), the source bytes, the text bytes, the 32-byte hash,
//   and the 32-byte HMAC-SHA256(auditkey, hash)
// appended and synced one record at a time. The hash chain lets any reader
// check the records against each other; the MAC, keyed with a secret that
// is never on the disk (the boot package's `auditkey`, which only auditd
// receives), stops someone who can write the disk from rewriting the whole
// chain consistently: the hash commits to every record before it, so a MAC
// over it vouches for the whole prefix. Pure: auditd decodes the file at
// start and re-verifies every record (audit_chain.h); host-tested, fuzzed.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "user/services/identity/audit_chain.h"

namespace capos::identity::audit {

constexpr size_t kMaxSourceBytes = 32;
constexpr size_t kMaxTextBytes = 200;
constexpr size_t kRecordHeader = 18;
constexpr size_t kMacBytes = 32;
constexpr size_t kAuditKeyBytes = 32;
constexpr size_t kMaxStoredRecord = kRecordHeader + kMaxSourceBytes + kMaxTextBytes + kHashBytes + kMacBytes;

// Writes `r` (its hash included) and its MAC under `key` into `out`;
// returns the length. InvalidArgument for lengths out of range,
// non-printable text or a key that is not kAuditKeyBytes long;
// LimitExceeded if `out` is too small.
Result<size_t> encode_record(const Record& r, Bytes key, MutBytes out);

struct Decoded {
  Record record;  // views into the input
  size_t used;    // bytes it took
};
// The record at the front of `in`, its MAC checked (in constant time)
// under `key`. LimitExceeded if `in` holds only part of one (read more);
// Corrupt if the bytes cannot be a record; PermissionDenied if the MAC is
// not the key's (the record was written or changed without the key).
// Whether the record belongs to the chain is audit_chain.h's verify.
Result<Decoded> decode_record(Bytes in, Bytes key);

}  // namespace capos::identity::audit
