#include "kernel/mm/page_table.h"

#include "lib/core/utility.h"

namespace capos {

namespace {

unsigned index_at(uint64_t va, int level) {  // level 4 = PML4 ... 1 = PT
  return static_cast<unsigned>((va >> (12 + 9 * (level - 1))) & 0x1FF);
}

}  // namespace

Result<PageTable> PageTable::create(PtEnv& env) {
  uint64_t root = CAPOS_TRY(env.alloc_table());
  return PageTable(env, root);
}

// Returns the table at `level_stop` that will hold the leaf for `va`,
// creating intermediate tables as needed.
Result<uint64_t*> PageTable::walk_create(uint64_t va, int level_stop, uint64_t flags) {
  uint64_t* table = env_->table(root_);
  for (int level = 4; level > level_stop; --level) {
    uint64_t& e = table[index_at(va, level)];
    if (!(e & pte::PRESENT)) {
      uint64_t phys = CAPOS_TRY(env_->alloc_table());
      // Intermediate levels are permissive; the leaf decides.
      e = phys | pte::PRESENT | pte::WRITE | (flags & pte::USER);
    } else if (e & pte::HUGE) {
      return fail(Err::AlreadyExists);  // a large page already covers va
    } else if ((flags & pte::USER) && !(e & pte::USER)) {
      e |= pte::USER;
    }
    table = env_->table(e & pte::ADDR_MASK);
  }
  return table;
}

Status PageTable::map(uint64_t va, uint64_t pa, uint64_t flags, PageSize size) {
  uint64_t align = size == PageSize::Size2M ? (2ull << 20) : 4096;
  if (!canonical(va) || !is_aligned(va, align) || !is_aligned(pa, align) || (pa & ~pte::ADDR_MASK))
    return fail(Err::InvalidArgument);
  if (flags & ~pte::LEAF_FLAGS) return fail(Err::InvalidArgument);
  int leaf_level = size == PageSize::Size2M ? 2 : 1;
  uint64_t* table = CAPOS_TRY(walk_create(va, leaf_level, flags));
  uint64_t& e = table[index_at(va, leaf_level)];
  if (e & pte::PRESENT) return fail(Err::AlreadyExists);
  e = pa | flags | pte::PRESENT | (size == PageSize::Size2M ? pte::HUGE : 0);
  return {};
}

uint64_t* PageTable::walk(uint64_t va, int* level_out) const {
  uint64_t* table = env_->table(root_);
  for (int level = 4; level >= 1; --level) {
    uint64_t* e = &table[index_at(va, level)];
    if (!(*e & pte::PRESENT)) return nullptr;
    if (level == 1 || (*e & pte::HUGE)) {
      *level_out = level;
      return e;
    }
    table = env_->table(*e & pte::ADDR_MASK);
  }
  return nullptr;
}

Result<uint64_t> PageTable::unmap(uint64_t va) {
  if (!canonical(va) || !is_aligned(va, 4096)) return fail(Err::InvalidArgument);
  int level = 0;
  uint64_t* e = walk(va, &level);
  if (!e) return fail(Err::NotFound);
  if (level != 1) return fail(Err::Unsupported);  // large pages are kernel-only, never unmapped
  uint64_t phys = *e & pte::ADDR_MASK;
  *e = 0;
  return phys;
}

Status PageTable::protect(uint64_t va, uint64_t flags) {
  if (!canonical(va) || !is_aligned(va, 4096) || (flags & ~pte::LEAF_FLAGS)) return fail(Err::InvalidArgument);
  int level = 0;
  uint64_t* e = walk(va, &level);
  if (!e) return fail(Err::NotFound);
  if (level != 1) return fail(Err::Unsupported);
  *e = (*e & pte::ADDR_MASK) | flags | pte::PRESENT;
  return {};
}

Result<Translation> PageTable::translate(uint64_t va) const {
  if (!canonical(va)) return fail(Err::InvalidArgument);
  int level = 0;
  uint64_t* e = walk(va, &level);
  if (!e) return fail(Err::NotFound);
  uint64_t page_mask = level == 1 ? 0xFFF : level == 2 ? 0x1FFFFF : 0x3FFFFFFF;
  uint64_t base = *e & pte::ADDR_MASK & ~page_mask;
  return Translation{base | (va & page_mask), *e & (pte::LEAF_FLAGS | pte::PRESENT),
                     level == 1 ? PageSize::Size4K : PageSize::Size2M};
}

void PageTable::share_upper_half(const PageTable& other, unsigned from) {
  uint64_t* dst = env_->table(root_);
  const uint64_t* src = other.env_->table(other.root_);
  for (unsigned i = from; i < 512; ++i) dst[i] = src[i];
}

void PageTable::free_level(uint64_t table_phys, int level) {
  if (level > 1) {
    uint64_t* t = env_->table(table_phys);
    for (unsigned i = 0; i < 512; ++i) {
      if ((t[i] & pte::PRESENT) && !(t[i] & pte::HUGE)) free_level(t[i] & pte::ADDR_MASK, level - 1);
    }
  }
  env_->free_table(table_phys);
}

void PageTable::destroy(unsigned upper_from) {
  uint64_t* t = env_->table(root_);
  for (unsigned i = 0; i < upper_from; ++i) {
    if (t[i] & pte::PRESENT) free_level(t[i] & pte::ADDR_MASK, 3);
  }
  env_->free_table(root_);
  root_ = 0;
}

// Prunes the children of `table` (a table at `level` mapping the region
// starting at `base`) that overlap [lo, hi); true when `table` itself now
// holds no entry.
bool PageTable::prune_level(uint64_t* table, int level, uint64_t base, uint64_t lo, uint64_t hi) {
  if (level > 1) {
    uint64_t span = 1ull << (12 + 9 * (level - 1));  // bytes one entry maps
    unsigned first = lo > base ? static_cast<unsigned>((lo - base) / span) : 0;
    unsigned last = static_cast<unsigned>(min<uint64_t>(511, (hi - 1 - base) / span));
    for (unsigned i = first; i <= last; ++i) {
      uint64_t e = table[i];
      if (!(e & pte::PRESENT) || (e & pte::HUGE)) continue;
      uint64_t child = e & pte::ADDR_MASK;
      if (prune_level(env_->table(child), level - 1, base + i * span, lo, hi)) {
        table[i] = 0;
        env_->free_table(child);
      }
    }
  }
  for (unsigned i = 0; i < 512; ++i)
    if (table[i] & pte::PRESENT) return false;
  return true;
}

void PageTable::prune(uint64_t va, uint64_t len) {
  constexpr uint64_t LOWER_HALF_END = 1ull << 47;
  if (len == 0 || va >= LOWER_HALF_END) return;
  uint64_t hi = min(LOWER_HALF_END, va + len < va ? LOWER_HALF_END : va + len);
  uint64_t* root = env_->table(root_);
  constexpr uint64_t SPAN = 1ull << 39;  // one root entry
  for (unsigned i = static_cast<unsigned>(va / SPAN); i <= (hi - 1) / SPAN; ++i) {
    uint64_t e = root[i];
    if (!(e & pte::PRESENT)) continue;
    uint64_t child = e & pte::ADDR_MASK;
    if (prune_level(env_->table(child), 3, i * SPAN, va, hi)) {
      root[i] = 0;
      env_->free_table(child);
    }
  }
}

}  // namespace capos
