// The kernel's shared program pages (issue 15; the bookkeeping is the
// portable lib/mm/shared_image.h): every process running a program maps
// the same frames for its read-only segments. Images are boot package
// binaries and boot modules, which exist until the machine stops, so an
// image's frames stay filled after its last process exits and the next
// spawn maps them again (no copy; under QEMU TCG, no re-translation).
// Who pays: the kernel, as for the boot package copy the frames are
// filled from -- docs/memory.md "Shared program pages".
#pragma once

#include "kernel/sched/kernel_lock.h"
#include "lib/mm/shared_image.h"

namespace capos::shared_images {

// At most this many images are filled at once; the next one is loaded
// privately, as before sharing (one per boot package binary).
constexpr size_t MAX_IMAGES = 64;

// Frames of `image` for one more process (see mm::SharedImageCache::acquire).
Result<mm::SharedImage*> acquire(Bytes image, const elf::LoadPlan& plan) CAPOS_REQUIRES(g_kernel_lock);
// That process has unmapped them (its teardown).
void release(mm::SharedImage* img) CAPOS_REQUIRES(g_kernel_lock);
// The image goes away (self tests that check every frame comes back).
void forget(Bytes image) CAPOS_REQUIRES(g_kernel_lock);
// The live entry of `image` (null: none), for tests.
const mm::SharedImage* find(Bytes image) CAPOS_REQUIRES(g_kernel_lock);
// Live images and the frames they hold (SystemStatus-style figures for
// tests and the log).
uint32_t images() CAPOS_REQUIRES(g_kernel_lock);
uint64_t frames_held() CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::shared_images
