#include "kernel/proc/shared_image.h"

#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"

namespace capos::shared_images {

namespace {

class KernelEnv final : public mm::SharedImageEnv {
 public:
  // Not cleared: fill writes every byte before the frame is mapped.
  Result<uint64_t> alloc_frame() override { return frames::alloc_uncleared(); }
  // Reused only under the kernel lock, after every mapper's unmap has
  // flushed its TLBs (the last mapper's teardown precedes this).
  void free_frame(uint64_t frame) override { frames::free(frame); }
  uint8_t* frame_bytes(uint64_t frame) override { return static_cast<uint8_t*>(frames::phys_to_virt(frame)); }
  uint64_t* alloc_list(uint64_t entries) override {
    return static_cast<uint64_t*>(heap::alloc(entries * sizeof(uint64_t)));
  }
  void free_list(uint64_t* list, uint64_t) override { heap::free(list); }
};

// Constant-initialized: no constructor has to run before the first spawn.
constinit KernelEnv g_env;
constinit mm::SharedImage g_slots[MAX_IMAGES];  // reached only through g_cache
constinit mm::SharedImageCache g_cache CAPOS_GUARDED_BY(g_kernel_lock){g_env, Span<mm::SharedImage>(g_slots, MAX_IMAGES)};

}  // namespace

Result<mm::SharedImage*> acquire(Bytes image, const elf::LoadPlan& plan) { return g_cache.acquire(image, plan); }
void release(mm::SharedImage* img) { g_cache.release(img); }
void forget(Bytes image) { g_cache.forget(mm::ImageKey::of(image)); }
const mm::SharedImage* find(Bytes image) { return g_cache.find(mm::ImageKey::of(image)); }
uint32_t images() { return g_cache.images(); }
uint64_t frames_held() { return g_cache.frames_held(); }

}  // namespace capos::shared_images
