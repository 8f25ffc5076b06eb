#include "lib/mm/range_set.h"

#include "lib/core/cstring.h"

namespace capos::mm {

Result<uint64_t> range_end(uint64_t base, uint64_t pages) {
  uint64_t len, end;
  if (pages == 0 || !is_aligned(base, kPageSize)) return fail(Err::InvalidArgument);
  if (mul_overflow(pages, kPageSize, &len) || add_overflow(base, len, &end)) return fail(Err::InvalidArgument);
  return end;
}

bool valid_attrs(const RangeAttrs& a) {
  return (a.state == RangeState::Reserved || a.state == RangeState::Committed) && (a.prot & ~kProtMask) == 0;
}

namespace {

RangeAttrs apply(RangeAttrs cur, const RangeAttrs& upd, uint8_t mask) {
  if (mask & kAttrState) cur.state = upd.state;
  if (mask & kAttrProt) cur.prot = upd.prot;
  if (mask & kAttrKind) cur.kind = upd.kind;
  if (mask & kAttrOwner) cur.owner = upd.owner;
  return cur;
}

}  // namespace

size_t RangeSet::lower_bound_end(uint64_t addr) const {
  size_t lo = 0, hi = size_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (slots_[mid].end() > addr) hi = mid; else lo = mid + 1;
  }
  return lo;
}

void RangeSet::open_gap(size_t at, size_t n) {
  memmove(&slots_[at + n], &slots_[at], (size_ - at) * sizeof(Range));
  size_ += n;
}

void RangeSet::close_gap(size_t at, size_t n) {
  memmove(&slots_[at], &slots_[at + n], (size_ - at - n) * sizeof(Range));
  size_ -= n;
}

void RangeSet::merge_window(size_t lo, size_t hi) {
  if (size_ == 0) return;
  if (hi >= size_) hi = size_ - 1;
  size_t w = lo;
  for (size_t r = lo + 1; r <= hi; ++r) {
    if (slots_[w].end() == slots_[r].base && slots_[w].attrs == slots_[r].attrs) {
      slots_[w].pages += slots_[r].pages;
    } else {
      slots_[++w] = slots_[r];
    }
  }
  if (hi > w) close_gap(w + 1, hi - w);
}

Result<uint64_t> RangeSet::find_gap(uint64_t pages, uint64_t lo, uint64_t hi, uint64_t hint) const {
  uint64_t len;
  if (pages == 0 || mul_overflow(pages, kPageSize, &len)) return fail(Err::InvalidArgument);
  if (!is_aligned(lo, kPageSize) || !is_aligned(hi, kPageSize) || lo >= hi || !is_aligned(hint, kPageSize))
    return fail(Err::InvalidArgument);
  // Walk the gaps from `start` upwards; a gap is the space before the next
  // range that ends above the candidate.
  auto first_fit = [&](uint64_t start) -> Result<uint64_t> {
    uint64_t c = start;
    for (size_t i = lower_bound_end(c);; ++i) {
      uint64_t cend;
      if (add_overflow(c, len, &cend) || cend > hi) return fail(Err::NotFound);
      if (i == size_ || slots_[i].base >= cend) return c;
      if (slots_[i].end() > c) c = slots_[i].end();
    }
  };
  if (hint != 0 && hint >= lo && hint < hi) {
    auto r = first_fit(hint);
    if (r.ok()) return r;
  }
  return first_fit(lo);
}

Status RangeSet::insert(uint64_t base, uint64_t pages, const RangeAttrs& attrs) {
  uint64_t end = CAPOS_TRY(range_end(base, pages));
  if (!valid_attrs(attrs)) return fail(Err::InvalidArgument);
  size_t i = lower_bound_end(base);
  if (i < size_ && slots_[i].base < end) return fail(Err::AlreadyExists);
  bool merge_prev = i > 0 && slots_[i - 1].end() == base && slots_[i - 1].attrs == attrs;
  bool merge_next = i < size_ && slots_[i].base == end && slots_[i].attrs == attrs;
  if (merge_prev && merge_next) {
    slots_[i - 1].pages += pages + slots_[i].pages;
    close_gap(i, 1);
  } else if (merge_prev) {
    slots_[i - 1].pages += pages;
  } else if (merge_next) {
    slots_[i].base = base;
    slots_[i].pages += pages;
  } else {
    if (size_ == cap_) return fail(Err::Overloaded);
    open_gap(i, 1);
    slots_[i] = Range{base, pages, attrs};
  }
  return ok_status();
}

Result<uint64_t> RangeSet::remove(uint64_t base, uint64_t pages) {
  uint64_t end = CAPOS_TRY(range_end(base, pages));
  size_t i = lower_bound_end(base), j = i;
  while (j < size_ && slots_[j].base < end) ++j;  // [i, j) intersect
  if (i == j) return uint64_t{0};
  Range& first = slots_[i];
  Range& last = slots_[j - 1];
  if (j - i == 1 && first.base < base && first.end() > end) {
    // Cutting a hole in one range: the only case that grows the set.
    if (size_ == cap_) return fail(Err::Overloaded);
    Range right{end, (first.end() - end) / kPageSize, first.attrs};
    first.pages = (base - first.base) / kPageSize;
    open_gap(i + 1, 1);
    slots_[i + 1] = right;
    return pages;
  }
  uint64_t removed = 0;
  for (size_t k = i; k < j; ++k) {
    uint64_t a = slots_[k].base > base ? slots_[k].base : base;
    uint64_t b = slots_[k].end() < end ? slots_[k].end() : end;
    removed += (b - a) / kPageSize;
  }
  size_t drop_from = i, drop_to = j;
  if (first.base < base) {
    first.pages = (base - first.base) / kPageSize;
    drop_from = i + 1;
  }
  if (last.end() > end) {
    last.pages = (last.end() - end) / kPageSize;
    last.base = end;
    drop_to = j - 1;
  }
  if (drop_to > drop_from) close_gap(drop_from, drop_to - drop_from);
  return removed;
}

Status RangeSet::set_attrs(uint64_t base, uint64_t pages, const RangeAttrs& attrs, uint8_t mask) {
  uint64_t end = CAPOS_TRY(range_end(base, pages));
  if (mask == 0 || (mask & ~kAttrAll) != 0) return fail(Err::InvalidArgument);
  if (!valid_attrs(apply(RangeAttrs{}, attrs, mask))) return fail(Err::InvalidArgument);
  size_t i = lower_bound_end(base), j = i;
  while (j < size_ && slots_[j].base < end) ++j;
  // Every page present: no leading, trailing or interior hole.
  if (i == j || slots_[i].base > base || slots_[j - 1].end() < end) return fail(Err::NotFound);
  for (size_t k = i + 1; k < j; ++k)
    if (slots_[k - 1].end() != slots_[k].base) return fail(Err::NotFound);
  // An edge range only needs splitting if the update changes it.
  bool split_left = slots_[i].base < base && apply(slots_[i].attrs, attrs, mask) != slots_[i].attrs;
  bool split_right = slots_[j - 1].end() > end && apply(slots_[j - 1].attrs, attrs, mask) != slots_[j - 1].attrs;
  if (size_ + split_left + split_right > cap_) return fail(Err::Overloaded);
  if (split_right) {
    Range& r = slots_[j - 1];
    Range right{end, (r.end() - end) / kPageSize, r.attrs};
    r.pages -= right.pages;
    open_gap(j, 1);
    slots_[j] = right;
  }
  if (split_left) {
    Range& r = slots_[i];
    Range left{r.base, (base - r.base) / kPageSize, r.attrs};
    r.pages -= left.pages;
    r.base = base;
    open_gap(i, 1);
    slots_[i] = left;
    ++i;
    ++j;
  }
  for (size_t k = i; k < j; ++k) slots_[k].attrs = apply(slots_[k].attrs, attrs, mask);
  merge_window(i > 0 ? i - 1 : 0, j);
  return ok_status();
}

Status RangeSet::split_at(uint64_t addr) {
  if (!is_aligned(addr, kPageSize)) return fail(Err::InvalidArgument);
  size_t i = lower_bound_end(addr);
  if (i == size_ || slots_[i].base >= addr) return ok_status();
  if (size_ == cap_) return fail(Err::Overloaded);
  Range& r = slots_[i];
  Range right{addr, (r.end() - addr) / kPageSize, r.attrs};
  r.pages -= right.pages;
  open_gap(i + 1, 1);
  slots_[i + 1] = right;
  return ok_status();
}

void RangeSet::coalesce() {
  if (size_ > 1) merge_window(0, size_ - 1);
}

Result<Range> RangeSet::find(uint64_t addr) const {
  size_t i = lower_bound_end(addr);
  if (i < size_ && slots_[i].base <= addr) return slots_[i];
  return fail(Err::NotFound);
}

Span<const Range> RangeSet::intersecting(uint64_t a, uint64_t b) const {
  if (a >= b) return {};
  size_t i = lower_bound_end(a), j = i;
  while (j < size_ && slots_[j].base < b) ++j;
  return Span<const Range>(slots_ + i, j - i);
}

bool RangeSet::is_free(uint64_t base, uint64_t pages) const {
  auto end = range_end(base, pages);
  if (!end.ok()) return false;
  size_t i = lower_bound_end(base);
  return i == size_ || slots_[i].base >= *end;
}

bool RangeSet::is_covered(uint64_t base, uint64_t pages) const {
  auto end = range_end(base, pages);
  if (!end.ok()) return false;
  uint64_t c = base;
  for (size_t i = lower_bound_end(base); i < size_ && c < *end; ++i) {
    if (slots_[i].base > c) return false;
    c = slots_[i].end();
  }
  return c >= *end;
}

bool RangeSet::check_invariants() const {
  if (size_ > cap_) return false;
  for (size_t i = 0; i < size_; ++i) {
    const Range& r = slots_[i];
    if (!range_end(r.base, r.pages).ok() || !valid_attrs(r.attrs)) return false;
    if (i > 0 && slots_[i - 1].end() > r.base) return false;
  }
  return true;
}

}  // namespace capos::mm
