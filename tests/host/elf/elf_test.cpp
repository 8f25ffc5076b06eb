// ELF load planner: one accepted reference image, one mutation per rejection
// rule (a table that must cover every Reject code), boundary cases, a
// byte-flip sweep, and real binaries linked by clang/lld at build time.
#include "lib/elf/loader.h"
#include "tests/host/elf/elf_builder.h"
#include "tests/host/elf/plan_invariants.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>

namespace {

using namespace capos;
using namespace capos::elf;
using test::ImageBuilder;
using test::kDataVaddr;
using test::kTextVaddr;

Result<LoadPlan, Diagnostic> plan(const std::vector<uint8_t>& img) { return plan_load(Bytes(img.data(), img.size())); }

const char* code_name(Reject r) {
  switch (r) {
    case Reject::None: return "None";
#define CAPOS_X(code, err, text) \
  case Reject::code: return #code;
    CAPOS_ELF_REJECTIONS(CAPOS_X)
#undef CAPOS_X
  }
  return "?";
}

TEST(ElfPlan, AcceptsReferenceImage) {
  auto img = ImageBuilder::valid().build();
  auto r = plan(img);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const LoadPlan& p = *r;
  EXPECT_EQ(p.entry, kTextVaddr);
  ASSERT_EQ(p.segment_count, 2u);
  EXPECT_EQ(p.segments[0].vaddr, kTextVaddr);
  EXPECT_EQ(p.segments[0].mem_size, 0x1000u);
  EXPECT_EQ(p.segments[0].file_offset, 0x1000u);
  EXPECT_EQ(p.segments[0].file_size, 0x100u);
  EXPECT_EQ(p.segments[0].page_offset, 0u);
  EXPECT_TRUE(p.segments[0].executable());
  EXPECT_FALSE(p.segments[0].writable());
  EXPECT_EQ(p.segments[1].vaddr, kDataVaddr);
  EXPECT_EQ(p.segments[1].mem_size, 0x2000u);
  EXPECT_TRUE(p.segments[1].writable());
  EXPECT_FALSE(p.segments[1].executable());
  EXPECT_EQ(p.total_bytes, 0x3000u);
  EXPECT_FALSE(p.has_tls);
  EXPECT_EQ(test::plan_violation(p, img.size()), nullptr);
  EXPECT_TRUE(plan(img).ok());  // diag is optional
}

TEST(ElfPlan, UnalignedVaddrRoundsToPages) {
  auto b = ImageBuilder::valid();
  // Data starts mid-page and its bss crosses into a third page.
  b.ph[1] = ImageBuilder::load(kDataVaddr + 0x234, 0x2234, 0x10, 0x1e00, PF_R | PF_W);
  auto r = plan(b.build());
  ASSERT_TRUE(r.ok());
  const Segment& s = r->segments[1];
  EXPECT_EQ(s.vaddr, kDataVaddr);
  EXPECT_EQ(s.page_offset, 0x234u);
  EXPECT_EQ(s.file_offset, 0x2234u);
  EXPECT_EQ(s.mem_size, 0x3000u);  // 0x234 + 0x1e00 = 0x2034 -> 3 pages
}

TEST(ElfPlan, RecordsTlsAndAcceptsInformationalHeaders) {
  auto b = ImageBuilder::valid();
  b.ph.insert(b.ph.begin(), ImageBuilder::other(PT_PHDR, PF_R, 64));
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, kDataVaddr, 8, 24, 8));
  b.ph.push_back(ImageBuilder::other(PT_NOTE, PF_R, 0x1000, kTextVaddr, 0x20, 0x20, 4));
  b.ph.push_back(ImageBuilder::other(PT_GNU_PROPERTY, PF_R, 0x1000, kTextVaddr, 0x20, 0x20, 8));
  b.ph[0].p_filesz = b.ph[0].p_memsz = b.ph.size() * sizeof(Elf64_Phdr);
  auto r = plan(b.build());
  ASSERT_TRUE(r.ok()) << r.error().reason << " at " << r.error().phdr_index;
  ASSERT_TRUE(r->has_tls);
  EXPECT_EQ(r->tls.vaddr, kDataVaddr);
  EXPECT_EQ(r->tls.file_size, 8u);
  EXPECT_EQ(r->tls.mem_size, 24u);
  EXPECT_EQ(r->tls.align, 8u);
  EXPECT_EQ(r->segment_count, 2u);
}

TEST(ElfPlan, BssOnlyTlsNeedsNoFileData) {
  auto b = ImageBuilder::valid();
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2010, 0x7000000, 0, 64, 64));
  EXPECT_TRUE(plan(b.build()).ok());
}

TEST(ElfPlan, WindowBoundsAreInclusiveExclusive) {
  auto b = ImageBuilder::valid();
  b.ph[0] = ImageBuilder::load(capos::abi::USER_IMAGE_MIN, 0x1000, 0x100, 0x100, PF_R | PF_X);
  b.eh.e_entry = capos::abi::USER_IMAGE_MIN;
  b.ph[1] = ImageBuilder::load(capos::abi::USER_IMAGE_MAX - 0x1000, 0x2000, 0x10, 0x1000, PF_R | PF_W);
  EXPECT_TRUE(plan(b.build()).ok());
}

TEST(ElfPlan, AdjacentPagesAreNotOverlap) {
  auto b = ImageBuilder::valid();
  b.ph[1] = ImageBuilder::load(kTextVaddr + 0x1000, 0x2000, 0x10, 0x10, PF_R | PF_W);
  EXPECT_TRUE(plan(b.build()).ok());
}

TEST(ElfPlan, ExactlyMaxSegmentsAndMaxBytes) {
  auto b = ImageBuilder::valid();
  b.ph.resize(1);
  for (uint32_t i = 1; i < capos::abi::USER_IMAGE_MAX_SEGMENTS; ++i)
    b.ph.push_back(ImageBuilder::load(kTextVaddr + i * 0x1000, 0x2000, 0x10, 0x10, PF_R));
  // Grow the last one so the total is exactly the byte limit.
  b.ph.back().p_memsz = capos::abi::USER_IMAGE_MAX_BYTES - (capos::abi::USER_IMAGE_MAX_SEGMENTS - 1) * 0x1000;
  auto r = plan(b.build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->segment_count, capos::abi::USER_IMAGE_MAX_SEGMENTS);
  EXPECT_EQ(r->total_bytes, capos::abi::USER_IMAGE_MAX_BYTES);
}

TEST(ElfPlan, EntryAtLastFileByteOfText) {
  auto b = ImageBuilder::valid();
  b.eh.e_entry = kTextVaddr + 0xff;
  EXPECT_TRUE(plan(b.build()).ok());
  b.eh.e_entry = kTextVaddr + 0x100;  // first byte past the file data (bss)
  auto r = plan(b.build());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Reject::EntryNotExecutable);
}

TEST(ElfPlan, ReasonsAreDistinctAndErrsMapped) {
  std::set<std::string> seen;
#define CAPOS_X(code, err, text)                                 \
  EXPECT_TRUE(seen.insert(reject_reason(Reject::code)).second) << #code; \
  EXPECT_EQ(reject_err(Reject::code), Err::err);
  CAPOS_ELF_REJECTIONS(CAPOS_X)
#undef CAPOS_X
}

// --- one row per rejection rule -------------------------------------------
struct RejectCase {
  Reject code;
  std::function<void(ImageBuilder&)> mutate;
};

Elf64_Phdr& text(ImageBuilder& b) { return b.ph[0]; }
Elf64_Phdr& data(ImageBuilder& b) { return b.ph[1]; }

const std::vector<RejectCase>& reject_cases() {
  static const std::vector<RejectCase> cases = {
      {Reject::Truncated, [](ImageBuilder& b) { b.truncate_to = 63; }},
      {Reject::BadMagic, [](ImageBuilder& b) { b.eh.e_ident[1] = 'e'; }},
      {Reject::BadClass, [](ImageBuilder& b) { b.eh.e_ident[EI_CLASS] = 1; }},
      {Reject::BadData, [](ImageBuilder& b) { b.eh.e_ident[EI_DATA] = 2; }},
      {Reject::BadIdentVersion, [](ImageBuilder& b) { b.eh.e_ident[EI_VERSION] = 0; }},
      {Reject::BadOsAbi, [](ImageBuilder& b) { b.eh.e_ident[EI_OSABI] = 3; }},
      {Reject::BadAbiVersion, [](ImageBuilder& b) { b.eh.e_ident[EI_ABIVERSION] = 1; }},
      {Reject::NotExecutable, [](ImageBuilder& b) { b.eh.e_type = ET_DYN; }},
      {Reject::BadMachine, [](ImageBuilder& b) { b.eh.e_machine = 3; }},
      {Reject::BadVersion, [](ImageBuilder& b) { b.eh.e_version = 2; }},
      {Reject::BadEhsize, [](ImageBuilder& b) { b.eh.e_ehsize = 52; }},
      {Reject::BadPhentsize, [](ImageBuilder& b) { b.eh.e_phentsize = 32; }},
      {Reject::NoPhdrs, [](ImageBuilder& b) { b.phnum_override = 0; }},
      {Reject::TooManyPhdrs, [](ImageBuilder& b) { b.phnum_override = MAX_PHDRS + 1; }},
      {Reject::PhdrsOutsideFile, [](ImageBuilder& b) { b.eh.e_phoff = b.file_size - 100; }},
      {Reject::Interp, [](ImageBuilder& b) { b.ph.push_back(ImageBuilder::other(PT_INTERP)); }},
      {Reject::Dynamic, [](ImageBuilder& b) { b.ph.push_back(ImageBuilder::other(PT_DYNAMIC)); }},
      {Reject::UnknownSegmentType,
       [](ImageBuilder& b) { b.ph.push_back(ImageBuilder::other(PT_GNU_RELRO)); }},
      {Reject::DuplicateSegment,
       [](ImageBuilder& b) { b.ph.push_back(ImageBuilder::other(PT_GNU_STACK, PF_R | PF_W)); }},
      {Reject::ExecutableStack, [](ImageBuilder& b) { b.ph[2].p_flags = PF_RWX; }},
      {Reject::BadPhdrSegment,
       [](ImageBuilder& b) { b.ph.push_back(ImageBuilder::other(PT_PHDR, PF_R, 0, 0, 56, 56)); }},
      {Reject::SegmentFileRange, [](ImageBuilder& b) { text(b).p_filesz = text(b).p_memsz = 0x2001; }},
      {Reject::FileszExceedsMemsz, [](ImageBuilder& b) { data(b).p_memsz = 8; }},
      {Reject::UnknownFlags, [](ImageBuilder& b) { data(b).p_flags |= 0x00100000; }},
      {Reject::NoAccess, [](ImageBuilder& b) { data(b).p_flags = 0; }},
      {Reject::WriteAndExecute, [](ImageBuilder& b) { text(b).p_flags = PF_RWX; }},
      {Reject::EmptySegment, [](ImageBuilder& b) { data(b).p_filesz = data(b).p_memsz = 0; }},
      {Reject::BadAlign, [](ImageBuilder& b) { data(b).p_align = 0x800; }},
      {Reject::MisalignedOffset, [](ImageBuilder& b) { data(b).p_offset = 0x2010; }},
      {Reject::AddressOverflow,
       [](ImageBuilder& b) { data(b).p_vaddr = ~0ull - 0xfff; data(b).p_memsz = 0x2000; }},
      {Reject::BelowImageMin, [](ImageBuilder& b) { text(b).p_vaddr = capos::abi::USER_IMAGE_MIN - 0x1000; }},
      {Reject::AboveImageMax,
       [](ImageBuilder& b) { data(b).p_vaddr = capos::abi::USER_IMAGE_MAX - 0x1000; data(b).p_memsz = 0x1001; }},
      {Reject::TooManySegments,
       [](ImageBuilder& b) {
         b.ph.resize(1);
         for (uint32_t i = 1; i <= capos::abi::USER_IMAGE_MAX_SEGMENTS; ++i)
           b.ph.push_back(ImageBuilder::load(kTextVaddr + i * 0x1000, 0x2000, 0x10, 0x10, PF_R));
       }},
      {Reject::Unsorted, [](ImageBuilder& b) { std::swap(b.ph[0], b.ph[1]); }},
      {Reject::Overlap,  // data's first page is text's page (shared last/first page)
       [](ImageBuilder& b) { data(b).p_vaddr = kTextVaddr + 0x800; data(b).p_offset = 0x2800; }},
      {Reject::ImageTooLarge, [](ImageBuilder& b) { data(b).p_memsz = capos::abi::USER_IMAGE_MAX_BYTES; }},
      {Reject::NoLoadSegment, [](ImageBuilder& b) { b.ph.erase(b.ph.begin(), b.ph.begin() + 2); }},
      {Reject::EntryNotExecutable, [](ImageBuilder& b) { b.eh.e_entry = kDataVaddr; }},
      {Reject::BadTlsAlign,
       [](ImageBuilder& b) { b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, kDataVaddr, 8, 8, 24)); }},
      {Reject::TlsOutsideLoad,
       [](ImageBuilder& b) { b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, 0x500000, 8, 8, 8)); }},
  };
  return cases;
}

class ElfReject : public ::testing::TestWithParam<size_t> {};

TEST_P(ElfReject, FiresItsRule) {
  const RejectCase& c = reject_cases()[GetParam()];
  auto b = ImageBuilder::valid();
  c.mutate(b);
  auto r = plan(b.build());
  ASSERT_FALSE(r.ok());
  Diagnostic d = r.error();
  EXPECT_EQ(d.code, c.code) << "got " << code_name(d.code) << ": " << d.reason;
  EXPECT_EQ(d.err(), reject_err(c.code));
  EXPECT_STREQ(d.reason, reject_reason(c.code));
}

INSTANTIATE_TEST_SUITE_P(Elf, ElfReject, ::testing::Range<size_t>(0, reject_cases().size()),
                         [](const auto& info) { return std::string(code_name(reject_cases()[info.param].code)); });

TEST(ElfPlan, RejectTableCoversEveryRule) {
  std::set<Reject> covered;
  for (const auto& c : reject_cases()) covered.insert(c.code);
#define CAPOS_X(code, err, text) EXPECT_TRUE(covered.count(Reject::code)) << "no test for " #code;
  CAPOS_ELF_REJECTIONS(CAPOS_X)
#undef CAPOS_X
}

// Second-opinion cases for rules with more than one way in.
Reject reject_of(const ImageBuilder& b) {
  auto r = plan(b.build());
  return r.ok() ? Reject::None : r.error().code;
}

TEST(ElfPlan, OverflowingOffsetsAreRejectedNotWrapped) {
  auto b = ImageBuilder::valid();
  b.eh.e_phoff = ~0ull - 8;
  EXPECT_EQ(reject_of(b), Reject::PhdrsOutsideFile);
  b = ImageBuilder::valid();
  text(b).p_offset = ~0ull - 0xfff;  // offset + filesz wraps
  EXPECT_EQ(reject_of(b), Reject::SegmentFileRange);
  b = ImageBuilder::valid();
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, ~0ull - 4, 0, 8, 8));
  EXPECT_EQ(reject_of(b), Reject::AddressOverflow);
}

TEST(ElfPlan, OtherRejectionVariants) {
  auto b = ImageBuilder::valid();
  b.eh.e_type = ET_REL;
  EXPECT_EQ(reject_of(b), Reject::NotExecutable);
  b = ImageBuilder::valid();
  data(b).p_align = 0x3000;  // >= page but not a power of two
  EXPECT_EQ(reject_of(b), Reject::BadAlign);
  b = ImageBuilder::valid();
  data(b).p_align = 0x200000;  // large power of two is fine
  EXPECT_EQ(reject_of(b), Reject::None);
  b = ImageBuilder::valid();
  b.eh.e_entry = 0;
  EXPECT_EQ(reject_of(b), Reject::EntryNotExecutable);
  b = ImageBuilder::valid();
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, kDataVaddr, 8, 8, 8192));
  EXPECT_EQ(reject_of(b), Reject::BadTlsAlign);
  b = ImageBuilder::valid();
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, kDataVaddr, 16, 8, 8));
  EXPECT_EQ(reject_of(b), Reject::FileszExceedsMemsz);
  b = ImageBuilder::valid();
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, kDataVaddr + 8, 16, 16, 8));
  EXPECT_EQ(reject_of(b), Reject::TlsOutsideLoad);  // runs 8 bytes past data's file bytes
  b = ImageBuilder::valid();
  b.ph.push_back(ImageBuilder::other(PT_NULL));
  EXPECT_EQ(reject_of(b), Reject::UnknownSegmentType);
}

TEST(ElfPlan, DiagnosticNamesTheProgramHeader) {
  auto b = ImageBuilder::valid();
  data(b).p_flags = PF_RWX;
  auto r = plan(b.build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Reject::WriteAndExecute);
  EXPECT_EQ(r.error().phdr_index, 1);
  b.eh.e_ident[0] = 0;
  r = plan(b.build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().phdr_index, -1);
}

// Every single-bit flip of the headers either is rejected or yields a plan
// that still satisfies every invariant (a cheap deterministic fuzz).
TEST(ElfPlan, BitFlipSweepKeepsInvariants) {
  auto b = ImageBuilder::valid();
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x2000, kDataVaddr, 8, 24, 8));
  const auto base = b.build();
  const size_t header_bytes = 64 + b.ph.size() * sizeof(Elf64_Phdr);
  size_t accepted = 0;
  for (size_t i = 0; i < header_bytes; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto img = base;
      img[i] ^= static_cast<uint8_t>(1u << bit);
      auto r = plan(img);
      if (!r.ok()) continue;
      ++accepted;
      const char* v = test::plan_violation(*r, img.size());
      ASSERT_EQ(v, nullptr) << "byte " << i << " bit " << bit << ": " << v;
    }
  }
  EXPECT_GT(accepted, 0u);  // some flips (e.g. p_paddr) are harmless
}

// --- real binaries, linked by the build's clang/lld ----------------------
std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

TEST(ElfReal, ScriptedLayoutHasExactEntryAndSegments) {
  auto img = read_file(CAPOS_ELF_TINY_SCRIPTED);
  ASSERT_GT(img.size(), 64u) << CAPOS_ELF_TINY_SCRIPTED;
  auto r = plan(img);
  ASSERT_TRUE(r.ok()) << r.error().reason << " (phdr " << r.error().phdr_index << ")";
  EXPECT_EQ(r->entry, 0x401000u);  // tiny_user.ld puts _start first at 0x401000
  ASSERT_EQ(r->segment_count, 3u);
  EXPECT_EQ(r->segments[0].flags, PF_R | PF_X);
  EXPECT_EQ(r->segments[1].flags, PF_R);
  EXPECT_EQ(r->segments[2].flags, PF_R | PF_W);
  EXPECT_GE(r->segments[2].mem_size, 0x2000u);  // 4 KiB+ of bss
  ASSERT_TRUE(r->has_tls);
  EXPECT_EQ(r->tls.file_size, 4u);  // tls_value
  EXPECT_EQ(r->tls.mem_size, 8u);   // + tls_zero
  EXPECT_EQ(test::plan_violation(*r, img.size()), nullptr);
}

TEST(ElfReal, DefaultLldLayoutIsAccepted) {
  auto img = read_file(CAPOS_ELF_TINY_DEFAULT);
  ASSERT_GT(img.size(), 64u) << CAPOS_ELF_TINY_DEFAULT;
  auto r = plan(img);
  ASSERT_TRUE(r.ok()) << r.error().reason << " (phdr " << r.error().phdr_index << ")";
  Elf64_Ehdr eh;
  std::memcpy(&eh, img.data(), sizeof eh);
  EXPECT_EQ(r->entry, eh.e_entry);
  EXPECT_GE(r->segments[0].vaddr, 0x400000u);  // --image-base=0x400000
  EXPECT_EQ(test::plan_violation(*r, img.size()), nullptr);
}

// Regenerates the committed fuzz seeds from the builder:
//   CAPOS_ELF_WRITE_SEEDS=tests/fuzz/corpus/elf build/tests/host/elf/elf_test
TEST(ElfSeeds, WriteWhenAsked) {
  const char* dir = std::getenv("CAPOS_ELF_WRITE_SEEDS");
  if (!dir) GTEST_SKIP() << "set CAPOS_ELF_WRITE_SEEDS=<dir> to write seeds";
  auto write = [&](const char* name, const ImageBuilder& b) {
    auto img = b.build();
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
  };
  auto b = ImageBuilder::valid();
  b.file_size = 0x1200;  // keep seeds small: shrink file, trim data to fit
  data(b).p_offset = 0x1100;
  data(b).p_vaddr = kDataVaddr + 0x100;
  write("builder_minimal.elf", b);
  b.ph.push_back(ImageBuilder::other(PT_TLS, PF_R, 0x1100, kDataVaddr + 0x100, 8, 24, 8));
  b.ph.insert(b.ph.begin(), ImageBuilder::other(PT_PHDR, PF_R, 64));
  b.ph.push_back(ImageBuilder::other(PT_NOTE, PF_R, 0x1000, kTextVaddr, 0x10, 0x10, 4));
  b.ph[0].p_filesz = b.ph[0].p_memsz = b.ph.size() * sizeof(Elf64_Phdr);
  write("builder_tls_phdr_note.elf", b);
}

}  // namespace
