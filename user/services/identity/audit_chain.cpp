#include "user/services/identity/audit_chain.h"

#include "lib/crypto/hmac_sha256.h"
#include "lib/crypto/sha256.h"

namespace capos::identity::audit {

namespace {

void put_le(crypto::Sha256& h, uint64_t v, size_t bytes) {
  uint8_t b[8];
  for (size_t i = 0; i < bytes; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  h.update(Bytes(b, bytes));
}

void put_text(crypto::Sha256& h, StrView s) {
  put_le(h, s.size(), 4);
  h.update(Bytes(reinterpret_cast<const uint8_t*>(s.ptr), s.size()));
}

}  // namespace

void chain_hash(const uint8_t* prev, const Record& r, uint8_t out[kHashBytes]) {
  crypto::Sha256 h;
  h.update(Bytes(prev, kHashBytes));
  put_le(h, r.seq, 8);
  put_le(h, r.time_ns, 8);
  put_text(h, r.source);
  put_text(h, r.text);
  h.finish(out);
}

size_t verify(uint8_t prev[kHashBytes], uint64_t first_seq, Span<const Record> records) {
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.seq != first_seq + i || r.hash.size() != kHashBytes) return i;
    uint8_t h[kHashBytes];
    chain_hash(prev, r, h);
    if (!crypto::equal_constant_time(Bytes(h, kHashBytes), r.hash)) return i;
    memcpy(prev, h, kHashBytes);
  }
  return records.size();
}

}  // namespace capos::identity::audit
