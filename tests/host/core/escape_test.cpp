// escape_untrusted: the log-line rule (lib/core/escape.h). Exact renderings
// for the forgery shapes, and for random bytes: the output is printable
// ASCII only and decodes back to the input (nothing lost, nothing added).
#include "lib/core/escape.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

using capos::escape_untrusted;
using capos::StrView;

namespace {

std::string esc(const std::string& in, size_t cap = 4096) {
  std::string out(cap, '\0');
  StrView v = escape_untrusted(StrView(in.data(), in.size()), out.data(), cap);
  return std::string(v.ptr, v.len);
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') { out += s[i]; continue; }
    char c = s[++i];
    if (c == 'n') out += '\n';
    else if (c == 'r') out += '\r';
    else if (c == 't') out += '\t';
    else if (c == '\\') out += '\\';
    else if (c == 'x') { out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)); i += 2; }
    else ADD_FAILURE() << "bad escape in " << s;
  }
  return out;
}

TEST(Escape, ForgedLinesStayOnOneLine) {
  EXPECT_EQ(esc("ok\r\n[log info init] fake\ncapOS: boot complete"),
            "ok\\r\\n[log info init] fake\\ncapOS: boot complete");
  EXPECT_EQ(esc("tab\there"), "tab\\there");
  EXPECT_EQ(esc("back\\slash"), "back\\\\slash");
  EXPECT_EQ(esc(std::string("\x1b[2J\x9b" "31m\x7f\0", 10)), "\\x1b[2J\\x9b31m\\x7f\\x00");
  EXPECT_EQ(esc("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

TEST(Escape, CutOnlyAtWholeEscapes) {
  EXPECT_EQ(esc("ab\ncd", 3), "ab");
  EXPECT_EQ(esc("ab\ncd", 4), "ab\\n");
  EXPECT_EQ(esc("\x01", 3), "");
  EXPECT_EQ(esc("abc", 0), "");
}

TEST(Escape, RandomBytesRoundTripAsPrintableAscii) {
  std::mt19937 rng(12);
  for (int round = 0; round < 2000; ++round) {
    std::string in(rng() % 64, '\0');
    for (char& c : in) c = static_cast<char>(rng());
    std::string out = esc(in, capos::escaped_max(in.size()));
    for (char c : out) ASSERT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
    ASSERT_EQ(unescape(out), in);
  }
}

}  // namespace
