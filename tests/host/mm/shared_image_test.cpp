// lib/mm/shared_image: which pages of a load plan are shared, filling,
// failure rollback, and the lifetime rule (frames freed exactly when no
// process maps them and the image is gone), the last against a model in
// randomized runs: the fake frame allocator refuses to free a frame a
// simulated process still maps, or one it never handed out.
#include "lib/mm/shared_image.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "lib/elf/image_page.h"

namespace {

using namespace capos;
using namespace capos::mm;

constexpr uint64_t P = capos::abi::PAGE_SIZE;
constexpr uint64_t B = capos::abi::USER_IMAGE_MIN;

// Frames are numbers; their bytes live in a map. A frame is handed out
// dirty (0xA5) to prove fill writes every byte.
struct FakeEnv final : SharedImageEnv {
  std::map<uint64_t, std::vector<uint8_t>> live;
  std::set<uint64_t> mapped;  // frames some simulated process maps
  uint64_t next = 1, budget = ~0ull, lists = 0;
  bool list_fails = false;

  Result<uint64_t> alloc_frame() override {
    if (budget == 0) return fail(Err::OutOfMemory);
    --budget;
    live[next] = std::vector<uint8_t>(P, 0xA5);
    return next++;
  }
  void free_frame(uint64_t f) override {
    ASSERT_EQ(live.count(f), 1u) << "freed a frame that is not live";
    ASSERT_EQ(mapped.count(f), 0u) << "freed a frame a process still maps";
    live.erase(f);
  }
  uint8_t* frame_bytes(uint64_t f) override { return live.at(f).data(); }
  uint64_t* alloc_list(uint64_t n) override {
    if (list_fails) return nullptr;
    ++lists;
    return new uint64_t[n];
  }
  void free_list(uint64_t* l, uint64_t) override {
    --lists;
    delete[] l;
  }
};

elf::Segment seg(uint64_t vaddr, uint64_t mem_pages, uint64_t file_offset, uint64_t file_size, uint64_t page_offset,
                 uint32_t flags) {
  return elf::Segment{vaddr, mem_pages * P, file_offset, file_size, page_offset, flags};
}

// text (2.5 pages of file), rodata (1 page + 2 pages of bss: only 1 shared),
// data+bss (writable: never shared), a read-only segment with no file bytes.
struct Program {
  std::vector<uint8_t> bytes;
  elf::LoadPlan plan;
  explicit Program(uint8_t seed = 1) : bytes(8 * P) {
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + seed);
    plan.segments[0] = seg(B, 3, 0x100, 2 * P + 0x500, 0x100, elf::PF_R | elf::PF_X);
    plan.segments[1] = seg(B + 4 * P, 3, 3 * P, P, 0, elf::PF_R);
    plan.segments[2] = seg(B + 8 * P, 4, 4 * P + 0x20, 0x800, 0x20, elf::PF_R | elf::PF_W);
    plan.segments[3] = seg(B + 12 * P, 1, 6 * P, 0, 0, elf::PF_R);
    plan.segment_count = 4;
  }
  Bytes image() const { return Bytes(bytes.data(), bytes.size()); }
};

struct Cache {
  FakeEnv env;
  std::vector<SharedImage> slots;
  SharedImageCache cache;
  explicit Cache(size_t n = 4) : slots(n), cache(env, Span<SharedImage>(slots.data(), n)) {}
  // Whatever a test left live: its simulated processes are gone too.
  ~Cache() {
    env.mapped.clear();
    for (SharedImage& s : slots)
      if (s.live()) {  // as if forgotten with one mapper left, which now exits
        s.cached = false;
        s.mappers = 1;
        cache.release(&s);
      }
  }
};

TEST(SharedImage, LayoutSharesReadOnlyFilePagesOnly) {
  Program prog;
  SharedLayout l = shared_layout(prog.plan);
  ASSERT_EQ(l.count, 2u);
  EXPECT_EQ(l.pages, 4u);
  EXPECT_EQ(l.seg[0].vaddr, B);
  EXPECT_EQ(l.seg[0].pages, 3u);
  EXPECT_EQ(l.seg[0].first, 0u);
  EXPECT_EQ(l.seg[0].segment, 0u);
  EXPECT_EQ(l.seg[1].vaddr, B + 4 * P);
  EXPECT_EQ(l.seg[1].pages, 1u);  // its 2 bss pages stay private demand-zero
  EXPECT_EQ(l.seg[1].first, 3u);
  EXPECT_EQ(l.seg[1].segment, 1u);
  EXPECT_EQ(shared_segment(l, 2), nullptr);  // writable
  EXPECT_EQ(shared_segment(l, 3), nullptr);  // no file bytes
  EXPECT_EQ(shared_segment(l, 1), &l.seg[1]);
}

TEST(SharedImage, FillsOnceWithTheImageBytes) {
  Program prog;
  Cache c;
  auto a = c.cache.acquire(prog.image(), prog.plan);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(c.env.live.size(), 4u);
  SharedImage* img = *a;
  for (uint32_t k = 0; k < img->layout.count; ++k) {
    const SharedSegment& ss = img->layout.seg[k];
    const elf::Segment& s = prog.plan.segments[ss.segment];
    Bytes file(prog.bytes.data() + s.file_offset, s.file_size);
    for (uint64_t p = 0; p < ss.pages; ++p) {
      std::vector<uint8_t> want(P);
      elf::fill_image_page(want.data(), p, s.page_offset, file);
      EXPECT_EQ(std::memcmp(c.env.frame_bytes(img->frames[ss.first + p]), want.data(), P), 0) << k << " " << p;
    }
  }
  auto b = c.cache.acquire(prog.image(), prog.plan);  // a second process: same frames, nothing new
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, img);
  EXPECT_EQ(img->mappers, 2u);
  EXPECT_EQ(c.env.live.size(), 4u);
  EXPECT_EQ(c.cache.images(), 1u);
  EXPECT_EQ(c.cache.frames_held(), 4u);
  Program copy;  // equal bytes elsewhere: a different image
  auto d = c.cache.acquire(copy.image(), copy.plan);
  ASSERT_TRUE(d.ok());
  EXPECT_NE(*d, img);
  EXPECT_EQ(c.env.live.size(), 8u);
}

TEST(SharedImage, FreedOnlyWhenNoProcessMapsItAndTheImageIsGone) {
  Program prog;
  Cache c;
  SharedImage* img = *c.cache.acquire(prog.image(), prog.plan);
  c.cache.release(img);  // the last process exits: the image still holds the frames
  EXPECT_EQ(c.cache.images(), 1u);
  EXPECT_EQ(c.env.live.size(), 4u);
  EXPECT_EQ(*c.cache.acquire(prog.image(), prog.plan), img);  // the next spawn maps them again
  EXPECT_EQ(c.env.live.size(), 4u);
  c.cache.forget(ImageKey::of(prog.image()));  // the image goes while a process maps it
  EXPECT_EQ(c.cache.images(), 1u);
  EXPECT_EQ(c.env.live.size(), 4u);
  c.cache.forget(ImageKey::of(prog.image()));  // again: no effect
  c.cache.release(img);
  EXPECT_EQ(c.cache.images(), 0u);
  EXPECT_TRUE(c.env.live.empty());
  EXPECT_EQ(c.env.lists, 0u);
  c.cache.forget(ImageKey::of(prog.image()));  // unknown now: ignored
  // The other order: forgotten first with no mapper frees at once.
  SharedImage* again = *c.cache.acquire(prog.image(), prog.plan);
  c.cache.release(again);
  c.cache.forget(ImageKey::of(prog.image()));
  EXPECT_TRUE(c.env.live.empty());
  EXPECT_EQ(c.env.lists, 0u);
}

TEST(SharedImage, FailuresChangeNothing) {
  Program prog;
  Cache c(1);
  c.env.budget = 3;  // one frame short
  auto r = c.cache.acquire(prog.image(), prog.plan);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::OutOfMemory);
  EXPECT_TRUE(c.env.live.empty());
  EXPECT_EQ(c.env.lists, 0u);
  EXPECT_EQ(c.cache.images(), 0u);
  c.env.budget = ~0ull;
  c.env.list_fails = true;
  EXPECT_EQ(c.cache.acquire(prog.image(), prog.plan).error(), Err::OutOfMemory);
  c.env.list_fails = false;

  elf::LoadPlan writable_only;
  writable_only.segments[0] = seg(B, 1, 0, 16, 0, elf::PF_R | elf::PF_W);
  writable_only.segment_count = 1;
  EXPECT_EQ(c.cache.acquire(prog.image(), writable_only).error(), Err::InvalidArgument);
  EXPECT_EQ(c.cache.acquire(Bytes(), prog.plan).error(), Err::InvalidArgument);

  ASSERT_TRUE(c.cache.acquire(prog.image(), prog.plan).ok());
  Program other(2);
  EXPECT_EQ(c.cache.acquire(other.image(), other.plan).error(), Err::Overloaded);  // the one slot is live
  EXPECT_EQ(c.env.live.size(), 4u);
}

// Random acquire / release / forget over 3 images and 6 simulated
// processes (each maps at most one image) against a model; the fake env
// fails the test if a frame a process maps is ever freed. A forgotten
// image that is acquired again is a new image (its own frames): the model
// counts generations.
TEST(SharedImage, RandomLifetimesMatchTheModel) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Program progs[3] = {Program(1), Program(2), Program(3)};
    Cache c(3);  // fewer slots than possible live entries: Overloaded happens
    struct Proc {
      int image = -1;
      uint32_t gen = 0;
      SharedImage* img = nullptr;
    } procs[6];
    bool cached[3] = {};
    uint32_t gen[3] = {};
    // Live entries: the current generation of a cached image, and every
    // (image, generation) a process still maps.
    auto live_entries = [&] {
      std::set<std::pair<int, uint32_t>> e;
      for (int k = 0; k < 3; ++k)
        if (cached[k]) e.insert({k, gen[k]});
      for (const Proc& p : procs)
        if (p.image >= 0) e.insert({p.image, p.gen});
      return e;
    };
    auto remap = [&] {
      c.env.mapped.clear();
      for (const Proc& p : procs)
        if (p.img)
          for (uint64_t k = 0; k < p.img->layout.pages; ++k) c.env.mapped.insert(p.img->frames[k]);
    };
    uint32_t overloaded = 0, reused = 0;
    for (int step = 0; step < 3000; ++step) {
      int op = static_cast<int>(rng() % 3), i = static_cast<int>(rng() % 3);
      Proc& p = procs[rng() % 6];
      if (op == 0 && p.image < 0) {
        bool fresh = !cached[i];
        auto r = c.cache.acquire(progs[i].image(), progs[i].plan);
        if (fresh && live_entries().size() == 3) {
          ASSERT_EQ(r.error(), Err::Overloaded);
          ++overloaded;
        } else {
          ASSERT_TRUE(r.ok());
          for (const Proc& q : procs)
            if (q.image == i && q.gen == gen[i]) {
              ASSERT_EQ(q.img, *r);  // the same image's processes share
              ++reused;
            }
          p = Proc{i, gen[i], *r};
          cached[i] = true;
        }
      } else if (op == 1 && p.image >= 0) {
        SharedImage* img = p.img;
        p = Proc{};
        remap();
        c.cache.release(img);
      } else if (op == 2) {
        remap();
        c.cache.forget(ImageKey::of(progs[i].image()));
        if (cached[i]) ++gen[i];
        cached[i] = false;
      }
      remap();
      auto live = live_entries();
      ASSERT_EQ(c.cache.images(), live.size()) << "seed " << seed << " step " << step;
      ASSERT_EQ(c.cache.frames_held(), 4 * live.size());
      ASSERT_EQ(c.env.live.size(), 4 * live.size());
      ASSERT_EQ(c.env.lists, live.size());
      for (int k = 0; k < 3; ++k) {
        const SharedImage* e = c.cache.find(ImageKey::of(progs[k].image()));
        ASSERT_EQ(e != nullptr, cached[k]);
        if (!e) continue;
        uint32_t n = 0;
        for (const Proc& q : procs) n += q.image == k && q.gen == gen[k];
        ASSERT_EQ(e->mappers, n);
      }
      for (const Proc& q : procs)
        if (q.img) ASSERT_EQ(q.img->mappers, static_cast<uint32_t>(std::count_if(std::begin(procs), std::end(procs),
                                                [&](const Proc& o) { return o.img == q.img; })));
    }
    EXPECT_GT(overloaded, 0u);
    EXPECT_GT(reused, 0u);
  }
}

}  // namespace
