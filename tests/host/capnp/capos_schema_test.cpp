// The capOS schema through the interop bridge: every struct type in
// schema/*.capnp (loaded at run time with libcapnp's SchemaParser) is
// filled with random content by libcapnp and read by us, then rebuilt by
// us and read back by libcapnp.
#include <capnp/schema-parser.h>
#include <gtest/gtest.h>
#include <kj/filesystem.h>

#include <dirent.h>

#include <algorithm>

#include "tests/host/capnp/dynamic_walk.h"

using namespace capnp_test;

namespace {

void collect_structs(::capnp::ParsedSchema s, std::vector<::capnp::StructSchema>& out) {
  auto proto = s.getProto();
  if (proto.isStruct() && !proto.getIsGeneric() && !proto.getStruct().getIsGroup()) out.push_back(s.asStruct());
  for (auto nested : s.getAllNested()) collect_structs(nested, out);
}

std::vector<std::string> schema_files() {
  std::vector<std::string> files;
  if (DIR* d = opendir(CAPOS_SCHEMA_DIR)) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 6 && n.substr(n.size() - 6) == ".capnp") files.push_back(n);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST(CapnpCaposSchema, EveryStructBothDirections) {
  auto fs = kj::newDiskFilesystem();
  auto schema_dir = fs->getRoot().openSubdir(kj::Path::parse(&CAPOS_SCHEMA_DIR[1]));
  auto include_dir = fs->getRoot().openSubdir(kj::Path::parse("usr/include"));
  const kj::ReadableDirectory* import_path[] = {include_dir.get()};
  ::capnp::SchemaParser parser;
  std::vector<::capnp::StructSchema> structs;
  auto files = schema_files();
  if (files.empty()) GTEST_SKIP() << "no schema/*.capnp yet";
  for (auto& f : files)
    collect_structs(parser.parseFromDirectory(*schema_dir, kj::Path::parse(f), import_path), structs);
  ASSERT_GT(structs.size(), 10u);
  for (auto s : structs) {
    std::string name = s.getProto().getDisplayName().cStr();
    for (uint64_t seed = 0; seed < 10; ++seed) {
      ASSERT_EQ(check_theirs_to_ours(s, seed, 1024), "") << name << " seed " << seed;
      ASSERT_EQ(check_theirs_to_ours(s, seed, 6), "") << name << " seed " << seed;
      ASSERT_EQ(check_ours_to_theirs(s, seed, 0), "") << name << " seed " << seed;
      ASSERT_EQ(check_ours_to_theirs(s, seed, 7), "") << name << " seed " << seed;
    }
  }
  std::printf("checked %zu capOS struct types\n", structs.size());
}
