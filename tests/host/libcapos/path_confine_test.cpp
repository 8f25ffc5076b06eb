// open/openat's path confinement (user/libc/os/path.cpp): examples, and a
// randomized check against a reference model over paths built from
// "a", "b", ".", "..", "" and "/" — the result never leaves the directory,
// never holds "." or ".." components, and equals the model's.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "user/libc/os/path.h"

namespace {

std::string confine(const std::string& p, capos::Err* err = nullptr) {
  char out[capos::libc::kPathMax];
  auto r = capos::libc::confine_path(capos::StrView(p.data(), p.size()), out, sizeof out);
  if (!r) {
    if (err) *err = r.error();
    return "<error>";
  }
  return std::string(out, *r);
}

// The model: a stack of components; ".." on an empty stack is an escape.
bool model(const std::string& p, std::string* out) {
  std::vector<std::string> stack;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string c = p.substr(i, j - i);
    i = j + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (stack.empty()) return false;
      stack.pop_back();
      continue;
    }
    stack.push_back(c);
  }
  out->clear();
  for (size_t k = 0; k < stack.size(); ++k) *out += (k ? "/" : "") + stack[k];
  return true;
}

}  // namespace

TEST(PathConfine, Examples) {
  EXPECT_EQ(confine("a/b/c"), "a/b/c");
  EXPECT_EQ(confine("/etc/passwd"), "etc/passwd");  // absolute: from the granted root
  EXPECT_EQ(confine("./a//b/./"), "a/b");
  EXPECT_EQ(confine("a/../b"), "b");
  EXPECT_EQ(confine("a/.."), "");
  EXPECT_EQ(confine("/"), "");
  capos::Err e{};
  EXPECT_EQ(confine("../../x", &e), "<error>");
  EXPECT_EQ(e, capos::Err::PermissionDenied);
  EXPECT_EQ(confine("/../x", &e), "<error>");
  EXPECT_EQ(e, capos::Err::PermissionDenied);
  EXPECT_EQ(confine("a/../../x", &e), "<error>");
  EXPECT_EQ(e, capos::Err::PermissionDenied);
  EXPECT_EQ(confine("", &e), "<error>");
  EXPECT_EQ(e, capos::Err::InvalidArgument);
  EXPECT_EQ(confine(std::string("a\0b", 3), &e), "<error>");
  EXPECT_EQ(e, capos::Err::InvalidArgument);
  EXPECT_EQ(confine(std::string(256, 'n'), &e), "<error>");
  EXPECT_EQ(e, capos::Err::LimitExceeded);
  EXPECT_EQ(confine(std::string(255, 'n')), std::string(255, 'n'));
}

TEST(PathConfine, OutputBufferBound) {
  char out[4];
  auto r = capos::libc::confine_path(capos::StrView("abc/d", 5), out, sizeof out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), capos::Err::LimitExceeded);
}

TEST(PathConfine, RandomPathsMatchTheModel) {
  std::mt19937 rng(20);
  const char* parts[] = {"a", "bb", ".", "..", "", "/"};
  for (int round = 0; round < 20000; ++round) {
    std::string p;
    int n = 1 + static_cast<int>(rng() % 10);
    for (int k = 0; k < n; ++k) {
      p += parts[rng() % 6];
      if (rng() % 2) p += "/";
    }
    if (p.empty()) continue;  // InvalidArgument (Examples)
    std::string want;
    bool ok = model(p, &want);
    capos::Err e{};
    std::string got = confine(p, &e);
    if (ok) {
      EXPECT_EQ(got, want) << "path " << p;
      // No "." or ".." component survives (names like "...." are names).
      std::string wrapped = "/" + got + "/";
      EXPECT_EQ(wrapped.find("/../"), std::string::npos) << "path " << p;
      EXPECT_EQ(wrapped.find("/./"), std::string::npos) << "path " << p;
    } else {
      EXPECT_EQ(got, "<error>") << "path " << p;
      EXPECT_EQ(e, capos::Err::PermissionDenied) << "path " << p;
    }
  }
}
