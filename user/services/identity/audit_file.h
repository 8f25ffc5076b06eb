// How auditd keeps its chain on disk (docs/identity.md, "The AuditLog"):
// the file "audit.log" is the records one after another, each
//   u8 source length (1-32), u8 text length (1-200), u64 seq, u64 timeNs
//   (little-endian), the source bytes, the text bytes, the 32-byte hash
// appended and synced one record at a time. Pure: auditd decodes the file
// at start and re-verifies the whole chain (audit_chain.h); host-tested.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "user/services/identity/audit_chain.h"

namespace capos::identity::audit {

constexpr size_t kMaxSourceBytes = 32;
constexpr size_t kMaxTextBytes = 200;
constexpr size_t kRecordHeader = 18;
constexpr size_t kMaxStoredRecord = kRecordHeader + kMaxSourceBytes + kMaxTextBytes + kHashBytes;

// Writes `r` (its hash included) into `out`; returns the length.
// InvalidArgument for lengths out of range or non-printable text;
// LimitExceeded if `out` is too small.
Result<size_t> encode_record(const Record& r, MutBytes out);

struct Decoded {
  Record record;  // views into the input
  size_t used;    // bytes it took
};
// The record at the front of `in`. LimitExceeded if `in` holds only part
// of one (read more); Corrupt if the bytes cannot be a record.
Result<Decoded> decode_record(Bytes in);

}  // namespace capos::identity::audit
