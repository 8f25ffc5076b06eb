#include "lib/mm/shared_image.h"

#include "lib/core/utility.h"
#include "lib/elf/image_page.h"

namespace capos::mm {

uint64_t file_pages(const elf::Segment& s) {
  uint64_t pages = s.mem_size / abi::PAGE_SIZE;
  return min(pages, align_up(s.page_offset + s.file_size, abi::PAGE_SIZE) / abi::PAGE_SIZE);
}

SharedLayout shared_layout(const elf::LoadPlan& plan) {
  SharedLayout l;
  for (uint32_t i = 0; i < plan.segment_count; ++i) {
    const elf::Segment& s = plan.segments[i];
    uint64_t n = file_pages(s);
    if (s.writable() || n == 0) continue;
    // plan_load bounds the image to USER_IMAGE_MAX_BYTES, so the page
    // index fits 32 bits.
    l.seg[l.count++] = SharedSegment{s.vaddr, n, static_cast<uint32_t>(l.pages), i};
    l.pages += n;
  }
  return l;
}

const SharedSegment* shared_segment(const SharedLayout& layout, uint32_t index) {
  for (uint32_t i = 0; i < layout.count; ++i)
    if (layout.seg[i].segment == index) return &layout.seg[i];
  return nullptr;
}

// Only an image that still exists is found: once forgotten, its entry is
// reached only through the processes that map it, and a new image with
// the same address and size (other bytes) gets its own entry.
SharedImage* SharedImageCache::lookup(ImageKey key) const {
  for (SharedImage& s : slots_)
    if (s.live() && s.cached && s.key == key) return &s;
  return nullptr;
}

const SharedImage* SharedImageCache::find(ImageKey key) const { return lookup(key); }

Result<SharedImage*> SharedImageCache::acquire(Bytes image, const elf::LoadPlan& plan) {
  ImageKey key = ImageKey::of(image);
  if (!key.data) return fail(Err::InvalidArgument);
  if (SharedImage* img = lookup(key)) {
    ++img->mappers;
    return img;
  }
  SharedLayout layout = shared_layout(plan);
  if (layout.pages == 0) return fail(Err::InvalidArgument);
  SharedImage* slot = nullptr;
  for (SharedImage& s : slots_)
    if (!s.live()) {
      slot = &s;
      break;
    }
  if (!slot) return fail(Err::Overloaded);
  uint64_t* frames = env_.alloc_list(layout.pages);
  if (!frames) return fail(Err::OutOfMemory);
  for (uint32_t k = 0; k < layout.count; ++k) {
    const SharedSegment& ss = layout.seg[k];
    const elf::Segment& s = plan.segments[ss.segment];
    // plan_load checked the file range lies inside the image.
    Bytes file(image.data() + s.file_offset, s.file_size);
    for (uint64_t p = 0; p < ss.pages; ++p) {
      auto f = env_.alloc_frame();
      if (!f) {
        for (uint64_t i = 0; i < ss.first + p; ++i) env_.free_frame(frames[i]);
        env_.free_list(frames, layout.pages);
        return fail(Err::OutOfMemory);
      }
      elf::fill_image_page(env_.frame_bytes(*f), p, s.page_offset, file);
      frames[ss.first + p] = *f;
    }
  }
  slot->key = key;
  slot->mappers = 1;
  slot->cached = true;
  slot->layout = layout;
  slot->frames = frames;
  return slot;
}

void SharedImageCache::free_entry(SharedImage& img) {
  for (uint64_t i = 0; i < img.layout.pages; ++i) env_.free_frame(img.frames[i]);
  env_.free_list(img.frames, img.layout.pages);
  img = SharedImage{};
}

void SharedImageCache::release(SharedImage* img) {
  if (!img || !img->live() || img->mappers == 0) __builtin_trap();  // a release without its acquire
  if (--img->mappers == 0 && !img->cached) free_entry(*img);
}

void SharedImageCache::forget(ImageKey key) {
  SharedImage* img = lookup(key);
  if (!img) return;
  img->cached = false;
  if (img->mappers == 0) free_entry(*img);
}

uint32_t SharedImageCache::images() const {
  uint32_t n = 0;
  for (const SharedImage& s : slots_) n += s.live();
  return n;
}

uint64_t SharedImageCache::frames_held() const {
  uint64_t n = 0;
  for (const SharedImage& s : slots_)
    if (s.live()) n += s.layout.pages;
  return n;
}

}  // namespace capos::mm
