// lib/fat against FAT32 images made at test time by mtools (mformat,
// mmd, mcopy): 8.3 and VFAT long names, nested directories, contents
// byte for byte; read-only answers; and damaged images (boot sector
// fields, a looping or short chain, an out-of-range cluster, a name with
// '/') refused at mount or skipped, never followed.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "lib/fat/fat32.h"
#include "tests/host/fs/fs_harness.h"

namespace capos::fat {
namespace {

using fs::test::RamDevice;

// Per process: CTest runs each test in its own process, in parallel.
std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "/capos_fat_" + std::to_string(getpid()) + "_" + name;
}

bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 31 + (i >> 7));
  return s;
}

// A 34 MiB FAT32 image (mformat needs that many clusters for FAT32).
const std::vector<uint8_t>& reference_image() {
  static std::vector<uint8_t> img;
  if (!img.empty()) return img;
  std::string path = tmp("ref.img"), big = tmp("big.bin"), small = tmp("small.txt");
  std::ofstream(big, std::ios::binary) << pattern(10000);
  std::ofstream(small) << "short file\n";
  std::remove(path.c_str());
  EXPECT_TRUE(sh("truncate -s 34M " + path));
  EXPECT_TRUE(sh("mformat -i " + path + " -F -v CAPOS ::"));
  EXPECT_TRUE(sh("mmd -i " + path + " ::/docs ::/docs/deep"));
  EXPECT_TRUE(sh("mcopy -i " + path + " " + small + " ::/README.TXT"));
  EXPECT_TRUE(sh("mcopy -i " + path + " " + big + " '::/docs/A long file name.bin'"));
  EXPECT_TRUE(sh("mcopy -i " + path + " " + small + " '::/docs/deep/Grüße.txt'"));
  std::ifstream in(path, std::ios::binary);
  img.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  for (const std::string& f : {path, big, small}) std::remove(f.c_str());
  EXPECT_EQ(img.size(), 34u << 20);
  return img;
}

struct Mounted {
  RamDevice dev{(34u << 20) / fs::kBlockSize};
  Fat32 fat{dev};
  explicit Mounted(const std::vector<uint8_t>& img) { dev.image = img; }
};

std::string read_all(Fat32& fat, fs::NodeRef f) {
  std::string out;
  uint8_t buf[3000];  // not a multiple of anything on purpose
  for (uint64_t off = 0;;) {
    auto n = fat.read(f, off, MutBytes(buf, sizeof(buf)));
    EXPECT_TRUE(n);
    if (!n || *n == 0) break;
    out.append(reinterpret_cast<char*>(buf), *n);
    off += *n;
  }
  return out;
}

fs::NodeRef walk(Fat32& fat, std::initializer_list<const char*> path) {
  fs::NodeRef r = fat.root();
  for (const char* p : path) {
    auto n = fat.lookup(r, StrView(p));
    EXPECT_TRUE(n) << p;
    if (!n) return r;
    r = *n;
  }
  return r;
}

TEST(Fat32, ReadsWhatMtoolsWrote) {
  Mounted m(reference_image());
  auto st = m.fat.mount();
  ASSERT_TRUE(st) << st.error().detail;
  fs::test::Tree seen;
  uint64_t cursor = 0;
  std::vector<std::string> root;
  for (;;) {
    auto e = m.fat.next_entry(m.fat.root(), cursor);
    if (!e) break;
    root.emplace_back(e->name.ptr, e->name.len);
    cursor = e->cursor;
  }
  EXPECT_EQ(root, (std::vector<std::string>{"docs", "README.TXT"}));  // the volume label is not an entry
  EXPECT_EQ(read_all(m.fat, walk(m.fat, {"README.TXT"})), "short file\n");
  EXPECT_EQ(read_all(m.fat, walk(m.fat, {"readme.txt"})), "short file\n");  // FAT names ignore case
  EXPECT_EQ(read_all(m.fat, walk(m.fat, {"docs", "A long file name.bin"})), pattern(10000));
  EXPECT_EQ(read_all(m.fat, walk(m.fat, {"docs", "deep", "Grüße.txt"})), "short file\n");
  auto info = m.fat.stat(walk(m.fat, {"docs", "A long file name.bin"}));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 10000u);
  EXPECT_EQ(m.fat.stat(walk(m.fat, {"docs"}))->size, 2u);  // "deep" and the long name
  uint8_t b[4];
  EXPECT_EQ(*m.fat.read(walk(m.fat, {"README.TXT"}), 1u << 30, MutBytes(b, 4)), 0u);
  // 10000 + 11 + 11 bytes in 512-byte clusters, plus root, docs and deep.
  fs::FsInfo fi = m.fat.info();
  EXPECT_EQ(fi.total_blocks - fi.free_blocks, (20 + 1 + 1 + 3 + 7) / 8);
}

TEST(Fat32, EveryChangeIsRefused) {
  Mounted m(reference_image());
  ASSERT_TRUE(m.fat.mount());
  fs::NodeRef f = walk(m.fat, {"README.TXT"});
  EXPECT_STREQ(m.fat.create(m.fat.root(), "x", fs::Kind::File).error().detail, "read-only filesystem");
  EXPECT_FALSE(m.fat.write(f, 0, Bytes(reinterpret_cast<const uint8_t*>("x"), 1)));
  EXPECT_FALSE(m.fat.truncate(f, 0));
  EXPECT_FALSE(m.fat.remove(m.fat.root(), "README.TXT"));
  EXPECT_FALSE(m.fat.rename(m.fat.root(), "README.TXT", m.fat.root(), "Y"));
  EXPECT_FALSE(m.fat.sync());
  EXPECT_EQ(m.fat.lookup(m.fat.root(), "..").error().code, Err::InvalidArgument);
  EXPECT_EQ(m.fat.lookup(m.fat.root(), "a/b").error().code, Err::InvalidArgument);
  EXPECT_EQ(m.fat.lookup(m.fat.root(), "missing").error().code, Err::NotFound);
  EXPECT_EQ(m.dev.writes, 0u);
}

// Offset of the directory entry whose 8.3 name is `name11` in the root.
size_t root_entry(const std::vector<uint8_t>& img, const char* name11) {
  auto g = parse_boot_sector(Bytes(img.data(), 512), img.size() / 512);
  EXPECT_TRUE(g);
  size_t dir = (g->data_start + size_t{g->root_cluster - 2} * g->sectors_per_cluster) * 512;
  for (size_t o = dir; o < dir + 4096; o += 32)
    if (std::memcmp(img.data() + o, name11, 11) == 0) return o;
  ADD_FAILURE() << "no entry " << name11;
  return 0;
}

uint32_t fat_entry_offset(const std::vector<uint8_t>& img, uint32_t cluster) {
  return 512 * (img[14] | (img[15] << 8)) + cluster * 4;  // first FAT, after the reserved sectors
}

TEST(Fat32, DamagedImagesAreRefused) {
  struct Case {
    const char* what;
    void (*damage)(std::vector<uint8_t>&);
    const char* detail;
  };
  const Case cases[] = {
      {"signature", [](std::vector<uint8_t>& i) { i[510] = 0; }, "no FAT boot sector signature"},
      {"sector size", [](std::vector<uint8_t>& i) { i[11] = 0, i[12] = 4; }, "only 512-byte sectors are supported"},
      {"cluster size", [](std::vector<uint8_t>& i) { i[13] = 3; }, "sectors per cluster is not a power of two up to 64"},
      {"fat count", [](std::vector<uint8_t>& i) { i[16] = 7; }, "FAT count must be 1 or 2"},
      {"fat16 fields", [](std::vector<uint8_t>& i) { i[17] = 1; }, "not FAT32 (FAT12/16 fields are set)"},
      {"too big", [](std::vector<uint8_t>& i) { fs::put_u32(i.data() + 32, 0xffffffff); }, "volume larger than the device"},
      {"tiny fat", [](std::vector<uint8_t>& i) { fs::put_u32(i.data() + 36, 1); }, "FAT too small for the clusters"},
      {"root cluster", [](std::vector<uint8_t>& i) { fs::put_u32(i.data() + 44, 1); }, "root cluster out of range"},
      {"file loop", [](std::vector<uint8_t>& i) {
         size_t e = root_entry(i, "README  TXT");
         uint32_t c = i[e + 26] | (i[e + 27] << 8);
         fs::put_u32(i.data() + e + 28, 5000);  // wants 10 clusters
         fs::put_u32(i.data() + fat_entry_offset(i, c), c);  // points at itself
       }, "cluster chain longer than its entry (or a loop)"},
      {"short chain", [](std::vector<uint8_t>& i) {
         size_t e = root_entry(i, "README  TXT");
         fs::put_u32(i.data() + e + 28, 100000);
       }, "cluster chain shorter than its file"},
      {"bad cluster", [](std::vector<uint8_t>& i) {
         size_t e = root_entry(i, "README  TXT");
         uint32_t c = i[e + 26] | (i[e + 27] << 8);
         fs::put_u32(i.data() + fat_entry_offset(i, c), 0x0FFFFFF7);
       }, "chain reaches a bad cluster"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> img = reference_image();
    c.damage(img);
    Mounted m(img);
    auto st = m.fat.mount();
    ASSERT_FALSE(st) << c.what;
    EXPECT_STREQ(st.error().detail, c.detail) << c.what;
  }
}

TEST(Fat32, EntriesThatCannotBeNamedOrPointOutsideAreSkipped) {
  std::vector<uint8_t> img = reference_image();
  size_t e = root_entry(img, "README  TXT");
  img[e + 1] = '/';  // "R/ADME.TXT": no capability may carry it
  Mounted m(img);
  ASSERT_TRUE(m.fat.mount());
  EXPECT_FALSE(m.fat.lookup(m.fat.root(), "R/ADME.TXT"));
  EXPECT_EQ(m.fat.stat(m.fat.root())->size, 1u);  // only docs
  img[e + 1] = 'E';
  fs::put_u32(img.data() + e + 26 - 6, 0x7fff);  // high word of the cluster: far outside
  Mounted m2(img);
  ASSERT_TRUE(m2.fat.mount());
  EXPECT_FALSE(m2.fat.lookup(m2.fat.root(), "README.TXT"));
}

}  // namespace
}  // namespace capos::fat
