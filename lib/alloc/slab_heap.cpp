#include "lib/alloc/slab_heap.h"

#include "lib/core/utility.h"

namespace capos {

namespace {
constexpr uint32_t SLAB_MAGIC = 0x51ab51ab;
constexpr uint32_t LARGE_MAGIC = 0x1a26e000;
}  // namespace

struct SlabHeap::PageHeader {
  uint32_t magic;
  uint32_t size_class;   // slab: class index
  uint64_t pages;        // large: run length in pages
  uint32_t used;         // slab: live blocks in this page
  uint32_t capacity;     // slab: blocks per page
  FreeBlock* free_list;  // slab: free blocks in this page
  PageHeader* next;      // slab: next page on the partial list
  PageHeader* prev;
  uint64_t large_size;   // large: requested size
};
static_assert(sizeof(SlabHeap::Stats) > 0);

int SlabHeap::class_for(size_t size) {
  for (size_t c = 0; c < NUM_CLASSES; ++c)
    if (size <= class_size(c)) return static_cast<int>(c);
  return -1;
}

void* SlabHeap::alloc(size_t size) {
  if (size == 0) size = 1;
  int c = class_for(size);
  return c >= 0 ? alloc_small(c) : alloc_large(size);
}

void* SlabHeap::alloc_small(int c) {
  PageHeader* h = partial_[c];
  if (!h) {
    void* page = src_->alloc_pages(1);
    if (!page) return nullptr;
    ++stats_.pages_held;
    h = static_cast<PageHeader*>(page);
    *h = PageHeader{SLAB_MAGIC, static_cast<uint32_t>(c), 1, 0, 0, nullptr, nullptr, nullptr, 0};
    size_t bs = class_size(static_cast<size_t>(c));
    // Blocks start after the header; build the free list back to front.
    uint8_t* base = static_cast<uint8_t*>(page);
    size_t first = max(HEADER, bs);
    for (size_t off = PAGE - bs; off >= first && off + bs <= PAGE; off -= bs) {
      auto* b = reinterpret_cast<FreeBlock*>(base + off);
      b->next = h->free_list;
      h->free_list = b;
      ++h->capacity;
      if (off < bs) break;
    }
    partial_[c] = h;
  }
  FreeBlock* b = h->free_list;
  h->free_list = b->next;
  ++h->used;
  if (!h->free_list) {  // page is full: drop it from the partial list
    partial_[c] = h->next;
    if (h->next) h->next->prev = nullptr;
    h->next = h->prev = nullptr;
  }
  stats_.bytes_in_use += class_size(static_cast<size_t>(c));
  ++stats_.allocations;
  return b;
}

void* SlabHeap::alloc_large(size_t size) {
  size_t total;
  if (add_overflow(size, HEADER, &total)) return nullptr;
  size_t pages = (total + PAGE - 1) / PAGE;
  void* run = src_->alloc_pages(pages);
  if (!run) return nullptr;
  auto* h = static_cast<PageHeader*>(run);
  *h = PageHeader{LARGE_MAGIC, 0, pages, 1, 1, nullptr, nullptr, nullptr, size};
  stats_.pages_held += pages;
  stats_.bytes_in_use += size;
  ++stats_.allocations;
  return static_cast<uint8_t*>(run) + HEADER;
}

bool SlabHeap::free(void* p) {
  if (!p) return true;
  auto addr = reinterpret_cast<uintptr_t>(p);
  auto* h = reinterpret_cast<PageHeader*>(addr & ~(PAGE - 1));
  if (h->magic == LARGE_MAGIC) {
    if (addr != reinterpret_cast<uintptr_t>(h) + HEADER) return false;
    size_t pages = h->pages;
    stats_.pages_held -= pages;
    stats_.bytes_in_use -= h->large_size;
    --stats_.allocations;
    h->magic = 0;
    src_->free_pages(h, pages);
    return true;
  }
  if (h->magic != SLAB_MAGIC || h->size_class >= NUM_CLASSES) return false;
  size_t c = h->size_class;
  size_t bs = class_size(c);
  size_t off = addr - reinterpret_cast<uintptr_t>(h);
  if (off < HEADER || off % bs != 0 || h->used == 0) return false;
  for (FreeBlock* f = h->free_list; f; f = f->next)  // bounded by capacity (<= 252)
    if (f == p) return false;                         // double free
  bool was_full = h->free_list == nullptr;
  auto* b = static_cast<FreeBlock*>(p);
  b->next = h->free_list;
  h->free_list = b;
  --h->used;
  stats_.bytes_in_use -= bs;
  --stats_.allocations;
  if (h->used == 0) {  // empty page goes back to the source
    if (!was_full) {
      if (h->prev) h->prev->next = h->next; else partial_[c] = h->next;
      if (h->next) h->next->prev = h->prev;
    }
    h->magic = 0;
    --stats_.pages_held;
    src_->free_pages(h, 1);
  } else if (was_full) {
    h->next = partial_[c];
    h->prev = nullptr;
    if (h->next) h->next->prev = h;
    partial_[c] = h;
  }
  return true;
}

Result<size_t> SlabHeap::block_size(const void* p) const {
  if (!p) return fail(Err::InvalidArgument);
  auto addr = reinterpret_cast<uintptr_t>(p);
  auto* h = reinterpret_cast<const PageHeader*>(addr & ~(PAGE - 1));
  if (h->magic == LARGE_MAGIC) {
    if (addr != reinterpret_cast<uintptr_t>(h) + HEADER) return fail(Err::InvalidArgument);
    return static_cast<size_t>(h->large_size);
  }
  if (h->magic != SLAB_MAGIC || h->size_class >= NUM_CLASSES) return fail(Err::InvalidArgument);
  size_t bs = class_size(h->size_class);
  size_t off = addr - reinterpret_cast<uintptr_t>(h);
  if (off < HEADER || off % bs != 0) return fail(Err::InvalidArgument);
  return bs;
}

}  // namespace capos
