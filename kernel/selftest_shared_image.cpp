// Issue 15: shared program pages (kernel/proc/shared_image.h), with the
// textwrite program (user/tests/textwrite.cpp) as the boot module.
// Per round:
//  - two processes of the image map the same frames for every read-only
//    segment, not writable (the kernel's own user-copy checks refuse a
//    write there too), and neither pays for them: each ledger's FramePages
//    is its mapped pages minus exactly the shared ones;
//  - the writer writes its own text: it alone is killed (#PF), and the
//    shared frames still hold exactly the image's bytes;
//  - the image is forgotten while the runner still maps the frames: they
//    stay, the runner runs that text and exits 42; its exit frees them.
// Two rounds end with exactly equal free frames and heap allocations.
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/frames.h"
#include "kernel/objects/console_cap.h"
#include "kernel/proc/shared_image.h"
#include "kernel/selftest_internal.h"
#include "kernel/selftest_procs.h"
#include "kernel/sched/scheduler.h"
#include "lib/core/cstring.h"
#include "lib/elf/image_page.h"
#include "schema/kernel.capnp.capos.h"

namespace capos::selftest {

namespace shared_image {

using namespace procs;
using K = ExitStatus::Kind;
constexpr const char* TEST = "shared_image";
Bytes g_image;
uint8_t g_expect[abi::PAGE_SIZE];

Child make(const char* role) CAPOS_REQUIRES(g_kernel_lock) {
  Child c = create(TEST, g_image, role);
  grant(TEST, c, "console", ConsoleCap::create(), schema::wire::Console::kInterfaceId);
  grant(TEST, c, role, ConsoleCap::create(), schema::wire::Console::kInterfaceId);
  return c;
}

// Every shared page holds the image's bytes (what elf::fill_image_page
// writes: file bytes and zeros around them).
void check_bytes(const elf::LoadPlan& plan, const mm::SharedImage& img) {
  for (uint32_t k = 0; k < img.layout.count; ++k) {
    const mm::SharedSegment& ss = img.layout.seg[k];
    const elf::Segment& s = plan.segments[ss.segment];
    Bytes file(g_image.data() + s.file_offset, s.file_size);
    for (uint64_t p = 0; p < ss.pages; ++p) {
      elf::fill_image_page(g_expect, p, s.page_offset, file);
      if (memcmp(frames::phys_to_virt(img.frames[ss.first + p]), g_expect, abi::PAGE_SIZE) != 0)
        panic("selftest {}: shared page {:#x} no longer holds the image's bytes", TEST, ss.vaddr + p * abi::PAGE_SIZE);
    }
  }
}

void scenario() CAPOS_REQUIRES(g_kernel_lock) {
  if (shared_images::images() != 0) panic("selftest {}: an image is held before the round", TEST);
  auto plan = elf::plan_load(g_image);
  if (!plan) panic("selftest {}: the module is not a program", TEST);
  mm::SharedLayout layout = mm::shared_layout(*plan);
  Child w = make("writer");
  Child r = make("runner");
  Child* both[] = {&w, &r};
  uint64_t shared = shared_images::frames_held();
  if (shared_images::images() != 1 || shared != layout.pages || layout.count == 0)
    panic("selftest {}: {} images of {} frames held for two processes (expected 1 of {})", TEST,
          shared_images::images(), shared, layout.pages);
  for (uint32_t k = 0; k < layout.count; ++k) {
    const mm::SharedSegment& ss = layout.seg[k];
    for (uint64_t p = 0; p < ss.pages; ++p) {
      UserAddr va(ss.vaddr + p * abi::PAGE_SIZE);
      auto fw = w.p->address_space().frame_of(va);
      auto fr = r.p->address_space().frame_of(va);
      if (!fw || !fr || *fw != *fr) panic("selftest {}: page {:#x} is not the same frame in both", TEST, va.raw());
      for (Child* c : both) {
        const Vma* v = c->p->address_space().find(va);
        if (!v || !v->shared || (v->flags & pte::WRITE)) panic("selftest {}: page {:#x} is writable", TEST, va.raw());
        if (c->p->address_space().check_user(UserOut(va, 1)) || !c->p->address_space().check_user(UserIn(va, 1)))
          panic("selftest {}: the kernel's user checks let a write reach page {:#x}", TEST, va.raw());
      }
    }
  }
  for (Child* c : both) {
    uint64_t charged = c->p->ledger().used(Res::FramePages);
    uint64_t mapped = c->p->address_space().mapped_pages();
    if (charged + shared != mapped)
      panic("selftest {}: {} pays {} frame pages for {} mapped, {} of them shared", TEST, c->role, charged, mapped,
            shared);
  }
  klog("selftest {}: two processes map one set of {} read-only frames; each pays for {} private pages\n", TEST, shared,
       w.p->ledger().used(Res::FramePages));
  const mm::SharedImage* img = shared_images::find(g_image);
  start(w);
  expect_end(TEST, w, K::Faulted, 0);
  if (w.watch->status().vector != 14) panic("selftest {}: the writer died of vector {}", TEST, w.watch->status().vector);
  check_bytes(*plan, *img);
  klog("selftest {}: the write to text faulted (#PF at {:#x}); the shared pages are unchanged\n", TEST,
       w.watch->status().fault_addr);
  shared_images::forget(g_image);  // the image goes; the runner still maps the frames
  if (shared_images::images() != 1) panic("selftest {}: frames freed while a process maps them", TEST);
  start(r);
  expect_end(TEST, r, K::Exited, 42);
  settle_processes();
  if (shared_images::images() != 0 || shared_images::frames_held() != 0)
    panic("selftest {}: the last mapper's exit left {} frames held", TEST, shared_images::frames_held());
  klog("selftest {}: the runner ran the same text (42); its exit freed the forgotten image\n", TEST);
}

void thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  settle_processes();
  two_rounds(TEST, scenario);
}

}  // namespace shared_image

void run_shared_image(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest shared_image: needs the textwrite program as the boot module");
  shared_image::g_image = module;
  auto t = Thread::create_kernel("selftest-shared-image", shared_image::thread, nullptr);
  if (!t) panic("selftest shared_image: no thread");
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
