// Interop matrix against the official libcapnp (the reference):
//   theirs -> ours : libcapnp builds (random content, every field type,
//                    single and many segments), our reader sees the same.
//   ours -> theirs : our builder writes the same content; libcapnp reads
//                    it and its canonical form equals the original's.
//   copy identity  : deep copies through both builders are byte-identical.
//   capnp convert  : the official tool decodes our bytes to the same JSON.
#include <capnp/any.h>
#include <capnp/orphan.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "interop_test.capnp.h"
#include "tests/host/capnp/dynamic_walk.h"
#include "tests/host/capnp/test_util.h"

using namespace capnp_test;
namespace cc = capos::capnp;

namespace {

::capnp::StructSchema schema_of(const char* name) {
  if (std::string(name) == "AllTypes") return ::capnp::Schema::from<AllTypes>();
  if (std::string(name) == "Defaults") return ::capnp::Schema::from<Defaults>();
  if (std::string(name) == "Unions") return ::capnp::Schema::from<Unions>();
  if (std::string(name) == "Holder") return ::capnp::Schema::from<Holder>();
  return ::capnp::Schema::from<Small>();
}

constexpr const char* kTypes[] = {"AllTypes", "Defaults", "Unions", "Holder", "Small"};

}  // namespace

TEST(CapnpInterop, TheirsToOursSingleSegment) {
  for (const char* t : kTypes)
    for (uint64_t seed = 0; seed < 40; ++seed) ASSERT_EQ(check_theirs_to_ours(schema_of(t), seed, 1024), "") << t << " seed " << seed;
}

TEST(CapnpInterop, TheirsToOursManySegmentsFarPointers) {
  for (const char* t : kTypes)
    for (uint64_t seed = 0; seed < 40; ++seed) ASSERT_EQ(check_theirs_to_ours(schema_of(t), seed, 5), "") << t << " seed " << seed;
}

TEST(CapnpInterop, OursToTheirsSingleSegment) {
  for (const char* t : kTypes)
    for (uint64_t seed = 0; seed < 40; ++seed) ASSERT_EQ(check_ours_to_theirs(schema_of(t), seed, 0), "") << t << " seed " << seed;
}

TEST(CapnpInterop, OursToTheirsManySegmentsFarPointers) {
  for (const char* t : kTypes)
    for (uint64_t seed = 0; seed < 40; ++seed) ASSERT_EQ(check_ours_to_theirs(schema_of(t), seed, 6), "") << t << " seed " << seed;
}

TEST(CapnpInterop, DefaultsReadFromEmptyStruct) {
  ::capnp::MallocMessageBuilder mb;
  mb.initRoot<Defaults>();
  auto segs = segments_of(mb);
  cc::MessageReader reader(capos::Span<const cc::Segment>(segs.data(), segs.size()));
  DynamicBridge bridge;
  Mismatch m;
  bridge.compare(mb.getRoot<::capnp::DynamicStruct>(::capnp::Schema::from<Defaults>()).asReader(), *reader.root(), m);
  EXPECT_EQ(m.what, "");
  // Spot-check a few raw values (defaults are XOR-encoded on the wire).
  auto d = mb.getRoot<Defaults>().asReader();
  EXPECT_EQ(d.getInt32Field(), -12345678);
  EXPECT_EQ(d.getTextField(), "foo");
}

// Deep copy of the same message through both builders gives identical
// bytes: the allocation discipline (including far pointers and landing
// pads with tiny fixed-size segments) matches the reference.
TEST(CapnpInterop, CopyIsByteIdenticalToReference) {
  for (uint32_t seg_words : {0u, 7u, 16u}) {
    for (uint64_t seed = 0; seed < 25; ++seed) {
      ::capnp::MallocMessageBuilder src;
      std::mt19937_64 rng(seed);
      random_fill(src.initRoot<::capnp::DynamicStruct>(::capnp::Schema::from<AllTypes>()), rng, 3);
      auto src_segs = segments_of(src);
      cc::MessageReader src_reader(capos::Span<const cc::Segment>(src_segs.data(), src_segs.size()));

      std::unique_ptr<::capnp::MallocMessageBuilder> ref;
      if (seg_words) ref = std::make_unique<::capnp::MallocMessageBuilder>(seg_words, ::capnp::AllocationStrategy::FIXED_SIZE);
      else ref = std::make_unique<::capnp::MallocMessageBuilder>(1 << 16);
      ref->setRoot(src.getRoot<::capnp::AnyStruct>().asReader());

      HeapAllocator alloc(seg_words ? seg_words : (1 << 16));
      cc::GrowableMessageBuilder<4096> ours(&alloc);
      ASSERT_TRUE((*ours.root_pointer()).copy_from(src_reader.root_pointer()).ok());

      auto theirs_segs = ref->getSegmentsForOutput();
      auto ours_segs = ours.segments();
      ASSERT_EQ(theirs_segs.size(), ours_segs.size()) << "seg_words " << seg_words << " seed " << seed;
      for (size_t i = 0; i < ours_segs.size(); ++i) {
        ASSERT_EQ(theirs_segs[i].size(), ours_segs[i].words) << "segment " << i;
        ASSERT_EQ(0, std::memcmp(theirs_segs[i].begin(), ours_segs[i].start, ours_segs[i].words * 8))
            << "segment " << i << " seed " << seed << " seg_words " << seg_words;
      }
    }
  }
}

// libcapnp writes a double-far pointer when an orphan is adopted by a
// pointer in a full segment and the orphan's segment is full too.
TEST(CapnpInterop, DoubleFarFromReference) {
  ::capnp::MallocMessageBuilder mb(4, ::capnp::AllocationStrategy::FIXED_SIZE);
  auto root = mb.initRoot<Holder>();
  auto orphan = mb.getOrphanage().newOrphan<Holder>();
  orphan.get().setBig(kj::StringPtr("fill the orphan's segment").asBytes());
  // Fill the root's segment so its far-pointer pad must go elsewhere.
  root.initChildren(1);
  root.adoptEmpty(mb.getOrphanage().newOrphan<Empty>());
  auto children_orphan = mb.getOrphanage().newOrphan<::capnp::List<Holder>>(2);
  children_orphan.get()[1].setBig(kj::StringPtr("x").asBytes());
  root.adoptChildren(kj::mv(children_orphan));
  auto segs = segments_of(mb);
  bool saw_double_far = false;
  for (auto& s : segs)
    for (uint32_t i = 0; i < s.words; ++i) {
      uint64_t w = cc::load<uint64_t>(s.start + i * 8);
      if ((w & 7) == 6) saw_double_far = true;
    }
  cc::MessageReader reader(capos::Span<const cc::Segment>(segs.data(), segs.size()));
  DynamicBridge bridge;
  Mismatch m;
  bridge.compare(mb.getRoot<::capnp::DynamicStruct>(::capnp::Schema::from<Holder>()).asReader(), *reader.root(), m);
  EXPECT_EQ(m.what, "");
  EXPECT_TRUE(saw_double_far) << "libcapnp did not produce a double-far pointer; hand-made ones are in CapnpAttack";
}

namespace {
std::string run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = pclose(f);
  if (st != 0) out += "\n[exit status " + std::to_string(st) + "]";
  return out;
}
}  // namespace

// The official `capnp convert binary:json` tool decodes our bytes into the
// same JSON as the reference-built original.
TEST(CapnpInterop, CapnpConvertDecodesOurBytes) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    ::capnp::MallocMessageBuilder src;
    std::mt19937_64 rng(seed);
    auto schema = ::capnp::Schema::from<AllTypes>();
    random_fill(src.initRoot<::capnp::DynamicStruct>(schema), rng, 2);
    HeapAllocator alloc(8);
    cc::GrowableMessageBuilder<4096> ours(&alloc);
    auto sp = schema.getProto().getStruct();
    DynamicBridge bridge;
    Mismatch m;
    bridge.build(src.getRoot<::capnp::DynamicStruct>(schema).asReader(), *ours.init_root(sp.getDataWordCount(), sp.getPointerCount()), m);
    ASSERT_EQ(m.what, "");
    std::string dir = ::testing::TempDir();
    std::string ours_path = dir + "/capnp_ours.bin", theirs_path = dir + "/capnp_theirs.bin";
    auto bytes = to_stream(ours);
    std::ofstream(ours_path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    auto flat = ::capnp::messageToFlatArray(src);
    std::ofstream(theirs_path, std::ios::binary).write(reinterpret_cast<const char*>(flat.begin()), flat.size() * 8);
    std::string cmd = "capnp convert binary:json " CAPNP_TEST_SCHEMA_DIR "/interop_test.capnp AllTypes < ";
    std::string a = run(cmd + ours_path), b = run(cmd + theirs_path);
    EXPECT_EQ(a.find("exit status"), std::string::npos) << a;
    EXPECT_GT(a.size(), 20u);
    EXPECT_EQ(a, b) << "seed " << seed;
  }
}
