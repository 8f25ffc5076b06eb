// Model-based random test of lib/fs: random operation sequences against
// an in-memory model (path -> contents). Every answer must match what the
// model predicts, the whole tree is compared often, and a remount (a
// reboot without sync) must bring back exactly the last synced model.
// Seeds vary the metadata log's bound, so syncs are log commits (replayed
// at each reboot), checkpoints, and the switches between them.
#include <gtest/gtest.h>

#include <random>

#include "tests/host/fs/fs_harness.h"

namespace capos::fs::test {
namespace {

const char* const kNames[] = {"a", "b", "c", "dir", "x"};

struct ModelRun {
  MallocAllocator mem;
  RamDevice dev{1024};
  std::unique_ptr<Filesystem> fs;
  Tree model, synced;
  std::mt19937_64 rng;
  uint32_t log_limit;
  uint64_t log_commits = 0, checkpoints = 0;  // over every mount of the run
  explicit ModelRun(uint64_t seed) : rng(seed), log_limit(static_cast<uint32_t>(seed % 4 * 2)) {
    fs = std::make_unique<Filesystem>(dev, mem);
    fs->set_log_limit(log_limit);
    EXPECT_TRUE(fs->format());
  }
  void count_commits() {
    log_commits += fs->log_commits();
    checkpoints += fs->checkpoint_commits();
  }

  uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); }

  std::vector<std::string> paths(bool dirs, bool files) {
    std::vector<std::string> out;
    if (dirs) out.push_back("");
    for (auto& [p, e] : model)
      if ((e.dir && dirs) || (!e.dir && files)) out.push_back(p);
    return out;
  }
  std::string any(bool dirs, bool files) {
    auto v = paths(dirs, files);
    // Sometimes a path that does not exist.
    if (v.empty() || pick(8) == 0) return "/nope";
    return v[pick(v.size())];
  }
  FsResult<NodeRef> resolve(const std::string& path) {
    NodeRef r = fs->root();
    size_t at = 1;
    while (at <= path.size() && !path.empty()) {
      size_t slash = path.find('/', at);
      if (slash == std::string::npos) slash = path.size();
      r = CAPOS_TRY(fs->lookup(r, sv(path.substr(at, slash - at))));
      at = slash + 1;
    }
    return r;
  }
  static std::string parent_of(const std::string& p) { return p.substr(0, p.rfind('/')); }
  static std::string name_of(const std::string& p) { return p.substr(p.rfind('/') + 1); }
  bool has_children(const std::string& p) {
    auto it = model.upper_bound(p + "/");
    return it != model.end() && it->first.compare(0, p.size() + 1, p + "/") == 0;
  }
  std::string random_data(size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>('a' + pick(26));
    return s;
  }

  void step() {
    switch (pick(10)) {
      case 0:
      case 1: {  // create a file or directory
        std::string dir = any(true, false), name = kNames[pick(5)];
        bool mkdir = pick(3) == 0;
        std::string p = dir + "/" + name;
        auto d = resolve(dir);
        if (!d) {
          EXPECT_FALSE(model.count(dir) || dir.empty());
          return;
        }
        auto r = fs->create(*d, sv(name), mkdir ? Kind::Dir : Kind::File);
        EXPECT_EQ(bool(r), !model.count(p)) << p;
        if (r) model[p] = ModelEntry{mkdir, ""};
        break;
      }
      case 2:
      case 3:
      case 4: {  // write
        std::string p = any(false, true);
        auto f = resolve(p);
        if (!f) {
          EXPECT_FALSE(model.count(p));
          return;
        }
        uint64_t off = pick(4 * kBlockSize);
        std::string data = random_data(1 + pick(2 * kBlockSize + 100));
        auto st = fs->write(*f, off, bytes(data));
        if (!st) {
          EXPECT_EQ(st.error().code, Err::Overloaded);
          return;
        }
        std::string& m = model[p].data;
        if (m.size() < off + data.size()) m.resize(off + data.size(), '\0');
        m.replace(off, data.size(), data);
        break;
      }
      case 5: {  // truncate
        std::string p = any(false, true);
        auto f = resolve(p);
        if (!f) return;
        uint64_t size = pick(5 * kBlockSize);
        auto st = fs->truncate(*f, size);
        if (!st) {
          EXPECT_EQ(st.error().code, Err::Overloaded);
          return;
        }
        model[p].data.resize(size, '\0');
        break;
      }
      case 6: {  // remove
        std::string p = any(true, true);
        if (p.empty()) return;
        auto d = resolve(parent_of(p));
        if (!d) return;
        auto st = fs->remove(*d, sv(name_of(p)));
        bool expect = model.count(p) && !has_children(p);
        EXPECT_EQ(bool(st), expect) << p;
        if (st) model.erase(p);
        break;
      }
      case 7: {  // rename
        std::string p = any(true, true), to_dir = any(true, false), to = kNames[pick(5)];
        if (p.empty() || !model.count(p) || (!to_dir.empty() && !model.count(to_dir))) return;
        auto from = resolve(parent_of(p));
        auto td = resolve(to_dir);
        ASSERT_TRUE(from && td);
        std::string dest = to_dir + "/" + to;
        bool into_self = model[p].dir && (to_dir == p || to_dir.compare(0, p.size() + 1, p + "/") == 0);
        auto st = fs->rename(*from, sv(name_of(p)), *td, sv(to));
        EXPECT_EQ(bool(st), !model.count(dest) && !into_self) << p << " -> " << dest;
        if (!st) return;
        Tree moved;
        for (auto& [k, v] : model) {
          if (k == p) moved[dest] = v;
          else if (k.compare(0, p.size() + 1, p + "/") == 0) moved[dest + k.substr(p.size())] = v;
          else moved[k] = v;
        }
        model = moved;
        break;
      }
      case 8: {
        ASSERT_TRUE(fs->sync());
        synced = model;
        break;
      }
      case 9: {  // reboot without a sync: the last synced tree comes back
        if (pick(3)) return;
        count_commits();
        fs = std::make_unique<Filesystem>(dev, mem);
        fs->set_log_limit(log_limit);
        auto st = fs->mount();
        ASSERT_TRUE(st) << st.error().detail;
        model = synced;
        break;
      }
    }
  }
};

TEST(FsModel, RandomOperationsMatchTheModel) {
  uint64_t log_commits = 0, checkpoints = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    ModelRun run(seed);
    for (int i = 0; i < 600; ++i) {
      run.step();
      if (::testing::Test::HasFailure()) FAIL() << "seed " << seed << " step " << i;
      if (i % 25 == 0) ASSERT_EQ(dump(*run.fs), run.model) << "seed " << seed << " step " << i;
    }
    ASSERT_EQ(dump(*run.fs), run.model) << "seed " << seed;
    // A fresh mount of the last synced state replays its log too.
    Filesystem last(run.dev, run.mem);
    ASSERT_TRUE(last.mount());
    EXPECT_EQ(dump(last), run.synced) << "seed " << seed;
    run.count_commits();
    log_commits += run.log_commits;
    checkpoints += run.checkpoints;
  }
  EXPECT_GT(log_commits, 100u);
  EXPECT_GT(checkpoints, 50u);
}

}  // namespace
}  // namespace capos::fs::test
