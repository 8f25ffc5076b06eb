// Shared program pages (issue 15): the read-only pages of a program image
// (every PT_LOAD without PF_W: text, rodata), filled once and mapped by
// every process that runs the image, instead of a private copy per spawn.
// The writable segments (data, bss) stay private to each process.
//
// This is the portable bookkeeping: which pages are shared, and a fixed
// table of filled images with their reference counts. The kernel owns one
// instance (kernel/proc/shared_image.h) and supplies frames through Env;
// host tests run it against a model (tests/host/mm/shared_image_test.cpp).
//
// Lifetime: an image's frames are held by every process that maps them
// (acquire/release) and by the image itself while it exists (`cached`,
// dropped by forget). They are freed exactly when both are gone, so a
// frame is never freed while a process still maps it, and the next spawn
// of a program whose image still exists maps the same frames again.
// docs/memory.md "Shared program pages" says who pays for them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "lib/elf/loader.h"

namespace capos::mm {

// One read-only segment's pages that hold file bytes. The segment's
// pure-bss tail (if any) is not shared: it stays a private demand-zero
// region, as writable bss does.
struct SharedSegment {
  uint64_t vaddr = 0;  // page-aligned
  uint64_t pages = 0;  // > 0
  uint32_t first = 0;  // index of its first frame in the image's frame list
  uint32_t segment = 0;  // index into the LoadPlan's segments
};

struct SharedLayout {
  SharedSegment seg[abi::USER_IMAGE_MAX_SEGMENTS] = {};
  uint32_t count = 0;
  uint64_t pages = 0;  // frames the image needs, all segments
};

// Pages of `s` that hold file bytes (the rest of the segment is bss).
uint64_t file_pages(const elf::Segment& s);
// The shared part of a validated plan: every segment without PF_W that has
// file pages, in plan order.
SharedLayout shared_layout(const elf::LoadPlan& plan);
// True when plan segment `index` is shared under `layout`.
const SharedSegment* shared_segment(const SharedLayout& layout, uint32_t index);

// Where frames come from. alloc_frame may hand out a frame with old bytes:
// fill writes every byte of it (elf::fill_image_page) before anyone maps it.
class SharedImageEnv {
 public:
  virtual Result<uint64_t> alloc_frame() = 0;
  virtual void free_frame(uint64_t frame) = 0;
  virtual uint8_t* frame_bytes(uint64_t frame) = 0;
  // The frame list (8 bytes a page).
  virtual uint64_t* alloc_list(uint64_t entries) = 0;
  virtual void free_list(uint64_t* list, uint64_t entries) = 0;

 protected:
  ~SharedImageEnv() = default;
};

// The image a set of shared frames was filled from, by identity: its bytes
// must stay unchanged while it exists (a boot package binary, a boot
// module), so address and size name it.
struct ImageKey {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  bool operator==(const ImageKey& o) const { return data == o.data && size == o.size; }
  static ImageKey of(Bytes image) { return ImageKey{image.data(), image.size()}; }
};

struct SharedImage {
  ImageKey key;
  uint32_t mappers = 0;  // processes that map it
  bool cached = false;   // the image's own hold (dropped by forget)
  SharedLayout layout;
  uint64_t* frames = nullptr;  // layout.pages entries

  bool live() const { return key.data != nullptr; }
  Span<const uint64_t> frames_of(const SharedSegment& s) const {
    return Span<const uint64_t>(frames + s.first, s.pages);
  }
};

class SharedImageCache {
 public:
  constexpr SharedImageCache(SharedImageEnv& env, Span<SharedImage> slots) : env_(env), slots_(slots) {}
  SharedImageCache(const SharedImageCache&) = delete;
  SharedImageCache& operator=(const SharedImageCache&) = delete;

  // One more process maps `image` (planned as `plan`): the existing entry,
  // or a new one whose frames are allocated and filled now. Errors change
  // nothing: InvalidArgument (the plan has no shared page: nothing to
  // share), Overloaded (every slot holds a live image), OutOfMemory (no
  // frame or list; every frame taken so far is given back).
  Result<SharedImage*> acquire(Bytes image, const elf::LoadPlan& plan);
  // A process that mapped `img` has unmapped it; frees the frames if the
  // image is gone too.
  void release(SharedImage* img);
  // The image `key` goes away: its hold is dropped, and the frames are
  // freed now unless a process still maps them. Unknown keys are ignored.
  void forget(ImageKey key);

  uint32_t images() const;       // live entries
  uint64_t frames_held() const;  // frames of live entries
  // The entry of an image that has not been forgotten (null: none).
  const SharedImage* find(ImageKey key) const;

 private:
  SharedImage* lookup(ImageKey key) const;  // the slots are not the cache's own bytes
  void free_entry(SharedImage& img);
  SharedImageEnv& env_;
  Span<SharedImage> slots_;
};

}  // namespace capos::mm
