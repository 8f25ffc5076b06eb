// Reference model for lib/mm/range_set: a page -> attributes map, and a
// driver that applies one decoded operation to both the RangeSet and the
// model and reports the first disagreement. Shared by the randomized host
// test (tests/host/mm/range_set_test.cpp) and the libFuzzer target.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "lib/mm/range_set.h"

namespace rs_model {

using capos::Err;
using namespace capos::mm;
using capos::align_down;
using capos::align_up;

constexpr uint64_t P = kPageSize;
constexpr uint64_t kWindow = 0x10000000;  // most addresses fall in [kWindow, kWindow + 64 pages]
constexpr uint64_t kWindowPages = 64;

inline bool overflows(uint64_t base, uint64_t pages) {
  uint64_t len, end;
  return __builtin_mul_overflow(pages, P, &len) || __builtin_add_overflow(base, len, &end);
}
inline bool bad_range(uint64_t base, uint64_t pages) { return pages == 0 || base % P != 0 || overflows(base, pages); }

struct Harness {
  // Pulls the next input byte; fuzz input or a PRNG.
  std::function<uint8_t()> byte;
  bool allow_split;  // split_at/coalesce make the representation non-canonical
  std::vector<Range> storage;
  RangeSet set;
  std::map<uint64_t, RangeAttrs> model;  // page index -> attrs
  std::string last_op;
  std::string outcome;  // "ok" or the expected error of the last step (for coverage stats)

  Harness(size_t cap, bool split, std::function<uint8_t()> src)
      : byte(std::move(src)), allow_split(split), storage(cap), set(capos::Span<Range>(storage.data(), cap)) {}

  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return v;
  }
  uint64_t addr() {
    uint8_t sel = byte();
    uint64_t k = byte() % (kWindowPages + 1);
    if (sel < 130 || (sel < 230 && set.size() == 0)) return kWindow + k * P;
    if (sel < 230) {  // a page inside an existing range: reaches set_attrs/remove edges
      const Range& r = set.ranges()[byte() % set.size()];
      return r.base + (r.pages > 1 ? (u64() % r.pages) * P : 0);
    }
    switch (sel % 6) {
      case 0: return kWindow + k * P + 1 + byte() % (P - 1);  // unaligned
      case 1: return 0;
      case 2: return 0 - (1 + k % 4) * P;  // top pages of the address space
      case 3: return ~uint64_t{0};
      case 4: return u64();
      default: return kWindow - P * (1 + k % 4);
    }
  }
  uint64_t pages() {
    uint8_t sel = byte();
    if (sel < 240) return 1 + sel % 16;
    switch (sel % 4) {
      case 0: return 0;
      case 1: return uint64_t{1} << 52;  // always overflows: 2^64 bytes
      case 2: return ~uint64_t{0};
      default: return uint64_t{1} << (52 + byte() % 12);
    }
  }
  RangeAttrs attrs() {
    uint8_t sel = byte();
    RangeAttrs a;
    a.state = (sel & 1) ? RangeState::Committed : RangeState::Reserved;
    a.prot = (sel >> 1) & 3 ? kProtRead : static_cast<uint8_t>(kProtRead | kProtWrite);
    a.kind = (sel >> 3) & 1;
    a.owner = (sel >> 4) & 1;
    if (sel >= 250) {  // rare: random, possibly invalid fields
      a.state = static_cast<RangeState>(byte() % 4);
      a.prot = byte() % 16;
      a.owner = u64();
    }
    return a;
  }

  // ---- model queries ----
  bool model_has(uint64_t page) const { return model.count(page) != 0; }
  std::vector<Range> canonical() const {
    std::vector<Range> out;
    for (auto& [pg, a] : model) {
      if (!out.empty() && out.back().end() == pg * P && out.back().attrs == a) {
        ++out.back().pages;
      } else {
        out.push_back(Range{pg * P, 1, a});
      }
    }
    return out;
  }
  static std::string dump(const std::vector<Range>& v) {
    std::ostringstream s;
    for (auto& r : v)
      s << std::hex << "[" << r.base << "+" << std::dec << r.pages << " s" << int(r.attrs.state) << " p"
        << int(r.attrs.prot) << " k" << int(r.attrs.kind) << " o" << r.attrs.owner << "] ";
    return s.str();
  }
  std::vector<Range> actual() const {
    auto sp = set.ranges();
    return std::vector<Range>(sp.begin(), sp.end());
  }
  // Index of the range in `sp` strictly containing a boundary at addr, or -1.
  static long strictly_inside(const std::vector<Range>& sp, uint64_t addr) {
    for (size_t i = 0; i < sp.size(); ++i)
      if (sp[i].base < addr && addr < sp[i].end()) return static_cast<long>(i);
    return -1;
  }

  std::string fail(const std::string& what) {
    return last_op + ": " + what + "\n  set:   " + dump(actual()) + "\n  model: " + dump(canonical());
  }

  std::string compare(bool expect_canonical) {
    if (!set.check_invariants()) return fail("invariants broken");
    std::vector<Range> act = actual();
    if (expect_canonical) {
      std::vector<Range> want = canonical();
      bool same = act.size() == want.size();
      for (size_t i = 0; same && i < act.size(); ++i)
        same = act[i].base == want[i].base && act[i].pages == want[i].pages && act[i].attrs == want[i].attrs;
      if (!same) return fail("representation differs from canonical model");
      return "";
    }
    std::map<uint64_t, RangeAttrs> pages;
    for (auto& r : act)
      for (uint64_t i = 0; i < r.pages; ++i) pages[r.base / P + i] = r.attrs;
    if (pages != model) return fail("page contents differ");
    return "";
  }

  static std::string err_str(Err e) { return capos::err_name(e); }
  template <class R> std::string expect_err(const R& r, Err want, const std::vector<Range>& before) {
    outcome = err_str(want);
    if (r.ok()) return fail("succeeded, expected " + err_str(want));
    if (r.error() != want) return fail("got " + err_str(r.error()) + ", expected " + err_str(want));
    if (actual().size() != before.size()) return fail("failed op changed the set");
    for (size_t i = 0; i < before.size(); ++i)
      if (actual()[i].base != before[i].base || actual()[i].pages != before[i].pages ||
          !(actual()[i].attrs == before[i].attrs))
        return fail("failed op changed the set");
    return "";
  }

  // Decodes and runs one operation; "" on agreement.
  std::string step() {
    uint8_t op = byte() % (allow_split ? 11 : 9);
    std::vector<Range> before = actual();
    size_t size = before.size(), cap = set.capacity();
    std::ostringstream name;
    outcome = "ok";
    switch (op) {
      case 0:
      case 1: {  // insert (weighted)
        uint64_t b = addr(), n = pages();
        RangeAttrs a = attrs();
        name << "insert(" << std::hex << b << ", " << std::dec << n << ")";
        last_op = name.str();
        auto r = set.insert(b, n, a);
        if (bad_range(b, n) || !valid_attrs(a)) return expect_err(r, Err::InvalidArgument, before);
        for (uint64_t i = 0; i < n; ++i)
          if (model_has(b / P + i)) return expect_err(r, Err::AlreadyExists, before);
        bool merge = false;
        for (auto& x : before)
          if ((x.end() == b || x.base == b + n * P) && x.attrs == a) merge = true;
        if (size == cap && !merge) return expect_err(r, Err::Overloaded, before);
        if (!r.ok()) return fail("insert failed: " + err_str(r.error()));
        for (uint64_t i = 0; i < n; ++i) model[b / P + i] = a;
        return compare(!allow_split);
      }
      case 2: {  // remove
        uint64_t b = addr(), n = pages();
        name << "remove(" << std::hex << b << ", " << std::dec << n << ")";
        last_op = name.str();
        auto r = set.remove(b, n);
        if (bad_range(b, n)) return expect_err(r, Err::InvalidArgument, before);
        long i = strictly_inside(before, b);
        if (size == cap && i >= 0 && before[i].end() > b + n * P) return expect_err(r, Err::Overloaded, before);
        if (!r.ok()) return fail("remove failed: " + err_str(r.error()));
        uint64_t removed = 0;
        for (uint64_t k = 0; k < n; ++k) removed += model.erase(b / P + k);
        if (*r != removed) return fail("removed " + std::to_string(*r) + ", model " + std::to_string(removed));
        return compare(!allow_split);
      }
      case 3:
      case 4: {  // set_attrs
        uint64_t b = addr(), n = byte() < 160 ? 1 + byte() % 4 : pages();
        RangeAttrs a = attrs();
        uint8_t mask = byte();
        mask = mask < 240 ? static_cast<uint8_t>(1 + mask % 15) : static_cast<uint8_t>(mask % 32);
        name << "set_attrs(" << std::hex << b << ", " << std::dec << n << ", mask " << int(mask) << ")";
        last_op = name.str();
        auto r = set.set_attrs(b, n, a, mask);
        auto upd = [&](RangeAttrs c) {
          if (mask & kAttrState) c.state = a.state;
          if (mask & kAttrProt) c.prot = a.prot;
          if (mask & kAttrKind) c.kind = a.kind;
          if (mask & kAttrOwner) c.owner = a.owner;
          return c;
        };
        if (bad_range(b, n) || mask == 0 || mask > 15) return expect_err(r, Err::InvalidArgument, before);
        if (((mask & kAttrState) && a.state != RangeState::Reserved && a.state != RangeState::Committed) ||
            ((mask & kAttrProt) && (a.prot & ~kProtMask)))
          return expect_err(r, Err::InvalidArgument, before);
        for (uint64_t k = 0; k < n; ++k)
          if (!model_has(b / P + k)) return expect_err(r, Err::NotFound, before);
        long li = strictly_inside(before, b), ri = strictly_inside(before, b + n * P);
        size_t splits = (li >= 0 && !(upd(before[li].attrs) == before[li].attrs)) +
                        (ri >= 0 && !(upd(before[ri].attrs) == before[ri].attrs));
        if (size + splits > cap) return expect_err(r, Err::Overloaded, before);
        if (!r.ok()) return fail("set_attrs failed: " + err_str(r.error()));
        for (uint64_t k = 0; k < n; ++k) model[b / P + k] = upd(model[b / P + k]);
        return compare(!allow_split);
      }
      case 5: {  // find_gap
        uint64_t n = pages(), lo = addr(), hi = addr(), hint = byte() < 128 ? 0 : addr();
        if (lo > hi) std::swap(lo, hi);
        name << "find_gap(" << n << std::hex << ", " << lo << ", " << hi << ", " << hint << ")";
        last_op = name.str();
        auto r = set.find_gap(n, lo, hi, hint);
        uint64_t len;
        if (n == 0 || __builtin_mul_overflow(n, P, &len) || lo % P || hi % P || lo >= hi || hint % P)
          return expect_err(r, Err::InvalidArgument, before);
        if (hi - lo > (kWindowPages + 64) * P) return "";  // too wide to brute-force; result unchecked
        // Brute force; ~0 means "none" (never a valid base: not page-aligned).
        const uint64_t kNone = ~uint64_t{0};
        auto first_fit = [&](uint64_t start) -> uint64_t {
          for (uint64_t c = start; c < hi && hi - c >= len; c += P) {
            bool free = true;
            for (uint64_t k = 0; free && k < n; ++k) free = !model_has(c / P + k);
            if (free) return c;
          }
          return kNone;
        };
        uint64_t want = kNone;
        if (hint != 0 && hint >= lo && hint < hi) want = first_fit(hint);
        if (want == kNone) want = first_fit(lo);
        if (want == kNone) return expect_err(r, Err::NotFound, before);
        if (!r.ok() || *r != want) return fail("find_gap mismatch");
        return "";
      }
      case 6: {  // find + is_free + is_covered
        uint64_t b = addr(), n = pages();
        name << "query(" << std::hex << b << ", " << std::dec << n << ")";
        last_op = name.str();
        auto f = set.find(b);
        auto it = model.find(b / P);
        if (it == model.end()) {
          if (f.ok()) return fail("find found a range over an absent page");
        } else if (!f.ok() || f->base > b || f->end() <= b || !(f->attrs == it->second)) {
          return fail("find mismatch");
        }
        bool want_free = !bad_range(b, n), want_cov = want_free;
        for (uint64_t k = 0; want_free && k < n && k < 64; ++k) want_free = !model_has(b / P + k);
        for (uint64_t k = 0; want_cov && k < n && k < 64; ++k) want_cov = model_has(b / P + k);
        if (!bad_range(b, n) && n > 64) return "";  // unbounded brute force
        if (set.is_free(b, n) != want_free) return fail("is_free mismatch");
        if (set.is_covered(b, n) != want_cov) return fail("is_covered mismatch");
        return "";
      }
      case 7:
      case 8: {  // intersecting
        uint64_t a = addr(), b = addr();
        name << "intersecting(" << std::hex << a << ", " << b << ")";
        last_op = name.str();
        auto sp = set.intersecting(a, b);
        if (a >= b) return sp.empty() ? "" : fail("non-empty span for empty interval");
        for (auto& r : sp)
          if (r.end() <= a || r.base >= b) return fail("span range outside interval");
        uint64_t covered = 0, model_pages = 0;
        for (auto& r : sp) {
          uint64_t lo = r.base > a ? r.base : a, hi = r.end() < b ? r.end() : b;
          covered += (align_up(hi, P) - align_down(lo, P)) / P;  // pages touched (a/b may be unaligned)
        }
        for (auto& [pg, at] : model)
          if (pg * P + P > a && pg * P < b) ++model_pages;
        if (covered != model_pages) return fail("intersecting misses pages");
        return "";
      }
      case 9: {  // split_at
        uint64_t b = addr();
        name << "split_at(" << std::hex << b << ")";
        last_op = name.str();
        auto r = set.split_at(b);
        if (b % P) return expect_err(r, Err::InvalidArgument, before);
        if (size == cap && strictly_inside(before, b) >= 0) return expect_err(r, Err::Overloaded, before);
        if (!r.ok()) return fail("split_at failed");
        return compare(false);
      }
      default: {  // coalesce: back to the canonical form
        last_op = "coalesce()";
        set.coalesce();
        return compare(true);
      }
    }
  }
};

}  // namespace rs_model
