#include "lib/capnp/segments.h"

namespace capos::capnp {

Result<StreamInfo> parse_stream(Bytes bytes, Span<Segment> out) {
  if (bytes.size() < 4) return fail(Err::Truncated);
  const uint8_t* p = bytes.data();
  uint32_t count_minus_one = load<uint32_t>(p);
  if (count_minus_one >= kMaxStreamSegments) return fail(Err::LimitExceeded);
  uint32_t count = count_minus_one + 1;
  if (count > out.size()) return fail(Err::LimitExceeded);
  size_t header = stream_header_bytes(count);
  if (bytes.size() < header) return fail(Err::Truncated);

  // Sum sizes in 64 bits: 512 segments * (2^32-1) words cannot overflow.
  uint64_t offset = header;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t words = load<uint32_t>(p + 4 + 4 * static_cast<size_t>(i));
    uint64_t size = static_cast<uint64_t>(words) * kBytesPerWord;
    if (size > bytes.size() - offset) return fail(Err::Truncated);
    out[i] = Segment{p + offset, words, words};
    offset += size;
  }
  return StreamInfo{count, static_cast<size_t>(offset)};
}

}  // namespace capos::capnp
