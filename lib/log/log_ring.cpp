#include "lib/log/log_ring.h"

namespace capos {

uint64_t LogRing::append(uint64_t ns, uint8_t level, StrView source, StrView message) {
  Slot& s = slots_[next_ % kRecords];
  s.seq = next_;
  s.ns = ns;
  s.level = level;
  s.source_len = static_cast<uint8_t>(min(source.size(), kSourceMax));
  memcpy(s.source, source.ptr, s.source_len);
  s.message_len = static_cast<uint16_t>(min(message.size(), kMessageMax));
  memcpy(s.message, message.ptr, s.message_len);
  return next_++;
}

}  // namespace capos
