// Two ring engines driven through the same random history, for the
// differential tests of the engine's shortcuts (the NOP shortcut, the
// endpoint fast path's fetch): one side takes the shortcut, the other the
// generic drain, and their pages must then agree byte for byte.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "kernel/ring/ring_engine.h"
#include "tests/host/cap/ring_test_handler.h"

namespace capos::test {

struct RingSide {
  std::unique_ptr<abi::RingPage> page = std::make_unique<abi::RingPage>();
  RingEngine eng{page.get()};
  RecordingSqeHandler h;  // CALLs pending, the rest result 7
  RingSide() { eng.init_page(); }
};

// xorshift64: a fixed seed gives every run the same histories.
struct XorShift {
  uint64_t s;
  uint64_t operator()() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

inline void submit(RingSide& x, uint8_t op, uint8_t flags, uint64_t user_data) {
  auto& h = x.page->header;
  abi::CapSqe& s = x.page->sq[h.sq_tail % abi::SQ_ENTRIES];
  s = abi::CapSqe{};
  s.opcode = op;
  s.flags = flags;
  s.user_data = user_data;
  ++h.sq_tail;
}

struct RingTwin {
  RingSide a, b;
  uint32_t valid_head = 0;     // the last cq_head both engines validated (for the tests' models)
  uint32_t pending_calls = 0;  // CALLs the handler left pending, not yet completed

  void submit_both(uint8_t op, uint8_t flags, uint64_t user_data) {
    submit(a, op, flags, user_data);
    submit(b, op, flags, user_data);
  }

  // Up to five steps of ordinary use, the same on both sides: a batch of
  // `pick(rng, pending_calls)` opcodes drained, some completions read, now
  // and then a pending CALL completed.
  template <class Pick> void history(XorShift& rng, uint64_t& ud, Pick pick) {
    int steps = static_cast<int>(rng() % 6);
    for (int st = 0; st < steps; ++st) {
      uint32_t queued = a.page->header.sq_tail - a.page->header.sq_head;
      uint32_t n = static_cast<uint32_t>(rng() % (abi::SQ_ENTRIES - queued + 1));
      for (uint32_t i = 0; i < n; ++i) submit_both(pick(rng, pending_calls), 0, ud++);
      auto ra = a.eng.drain(a.h);
      auto rb = b.eng.drain(b.h);
      ASSERT_EQ(ra.consumed, rb.consumed);
      for (const abi::CapSqe& s : a.h.seen) pending_calls += s.opcode == abi::CAP_OP_CALL;
      a.h.seen.clear();
      b.h.seen.clear();
      uint32_t ready = a.eng.cq_ready();
      ASSERT_EQ(b.eng.cq_ready(), ready);
      valid_head = a.page->header.cq_head;  // both engines just validated it
      uint32_t reap = static_cast<uint32_t>(rng() % (ready + 1));
      a.page->header.cq_head += reap;
      b.page->header.cq_head += reap;
      if (pending_calls && rng() % 2) {
        abi::CapCqe c{};
        c.user_data = ud++;
        a.eng.post_reserved(c);
        b.eng.post_reserved(c);
        --pending_calls;
      }
    }
  }

  // Userspace scribbling on the shared header, the same on both sides: one
  // case in `choices` each moves sq_tail by `tail_jump(rng)`, moves cq_head
  // back or forth, sets status bits, or rewrites the kernel's own indices;
  // the others leave the header alone.
  template <class TailJump> void scribble(XorShift& rng, uint32_t choices, TailJump tail_jump) {
    auto both = [&](auto mutate) {
      mutate(*a.page);
      mutate(*b.page);
    };
    switch (rng() % choices) {
      case 0: {
        uint32_t t = static_cast<uint32_t>(tail_jump(rng));
        both([&](abi::RingPage& p) { p.header.sq_tail += t; });
        break;
      }
      case 1: {
        uint32_t h = static_cast<uint32_t>(rng() % 80) - 40;
        both([&](abi::RingPage& p) { p.header.cq_head += h; });
        break;
      }
      case 2: {
        uint32_t s = static_cast<uint32_t>(rng() % 8);
        both([&](abi::RingPage& p) { p.header.status = s; });
        break;
      }
      case 3: {
        uint32_t v = static_cast<uint32_t>(rng());
        both([&](abi::RingPage& p) {
          p.header.sq_head = v;
          p.header.cq_tail = v + 1;
        });
        break;
      }
      default:
        break;
    }
  }

  ::testing::AssertionResult same_page() const {
    auto* x = reinterpret_cast<const uint8_t*>(a.page.get());
    auto* y = reinterpret_cast<const uint8_t*>(b.page.get());
    for (size_t i = 0; i < sizeof(abi::RingPage); ++i)
      if (x[i] != y[i]) return ::testing::AssertionFailure() << "pages differ at byte " << i;
    return ::testing::AssertionSuccess();
  }
};

}  // namespace capos::test
