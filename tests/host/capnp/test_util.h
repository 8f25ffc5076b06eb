// Host-test helpers shared by the capnp tests.
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include "lib/capnp/message.h"

namespace capnp_test {

using namespace capos;
using namespace capos::capnp;

// Hands out fresh heap segments of max(min_words, fixed_words) words, so
// tests can force many segments (and far pointers) with a small size.
class HeapAllocator : public SegmentAllocator {
 public:
  explicit HeapAllocator(uint32_t fixed_words = 0) : fixed_(fixed_words) {}
  MutBytes allocate_segment(uint32_t min_words, uint32_t suggested) override {
    uint32_t n = fixed_ ? (min_words > fixed_ ? min_words : fixed_) : suggested;
    if (limit_ && count_ >= limit_) return MutBytes();
    ++count_;
    // Dirty memory on purpose: the arena must zero what it hands out.
    auto buf = std::make_unique<uint64_t[]>(n ? n : 1);
    std::memset(buf.get(), 0xa5, n * 8);
    bufs_.push_back(std::move(buf));
    return MutBytes(reinterpret_cast<uint8_t*>(bufs_.back().get()), n * 8);
  }
  void set_limit(uint32_t segments) { limit_ = segments; }

 private:
  uint32_t fixed_;
  uint32_t limit_ = 0;
  uint32_t count_ = 0;
  std::vector<std::unique_ptr<uint64_t[]>> bufs_;
};

// A framed message assembled from explicit words per segment.
inline std::vector<uint8_t> frame(const std::vector<std::vector<uint64_t>>& segs) {
  std::vector<uint8_t> out(stream_header_bytes(static_cast<uint32_t>(segs.size())), 0);
  store<uint32_t>(out.data(), static_cast<uint32_t>(segs.size() - 1));
  for (size_t i = 0; i < segs.size(); ++i)
    store<uint32_t>(out.data() + 4 + 4 * i, static_cast<uint32_t>(segs[i].size()));
  for (auto& s : segs) {
    size_t off = out.size();
    out.resize(off + s.size() * 8);
    if (!s.empty()) std::memcpy(out.data() + off, s.data(), s.size() * 8);
  }
  return out;
}

inline std::vector<uint8_t> to_stream(const MessageBuilder& mb) {
  std::vector<uint8_t> out(mb.stream_size());
  auto n = mb.write_stream(MutBytes(out.data(), out.size()));
  if (!n.ok() || *n != out.size()) out.clear();
  return out;
}

}  // namespace capnp_test
