// mkmanifest's JSON path keeps strings byte-exact: \u escapes (the CUE
// exporter writes '<' as \u003c) decode to the right UTF-8, surrogate
// pairs join, and malformed escapes are one clear error.
#include "tools/mkmanifest/json_strings.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <string>

#include "tools/mkmanifest/json_decode.h"

using capos::mkmanifest::ConfigError;
using capos::mkmanifest::decode_unicode_escapes;

namespace {

// The motd after the whole JSON -> SystemManifest decoding.
std::string motd_of(const std::string& json_string_literal) {
  std::string json = R"({"schemaVersion": 1, "binaries": [{"name": "init"}],
    "initConfig": {"init": {"binary": "init", "caps": []}},
    "kernelParams": {"hostname": "h", "motd": )" + json_string_literal + "}}";
  capnp::MallocMessageBuilder mb;
  auto root = mb.initRoot<capos::schema::SystemManifest>();
  capos::mkmanifest::decode_manifest(json, root);
  auto t = root.getKernelParams().getMotd();
  return std::string(t.begin(), t.size());
}

std::string error_of(const std::string& json) {
  try {
    decode_unicode_escapes(json);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(JsonStrings, HexLetterEscapesDecodeExactly) {
  // What `cue export` writes for <, >, & and friends.
  EXPECT_EQ(motd_of(R"("a\u003cb\u003e\u0026c\u00e9\u00FC\u65e5\u2028")"), "a<b>&c\xc3\xa9\xc3\xbc\xe6\x97\xa5\xe2\x80\xa8");
  EXPECT_EQ(motd_of(R"("\ud83d\ude00 \uD83D\uDE00")"), "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80");
  EXPECT_EQ(motd_of(R"("q\u0022 b\u005c \" \\ \/ \n\t")"), "q\" b\\ \" \\ / \n\t");
  EXPECT_EQ(motd_of(R"("\u001b\u007f\u0080\u009b")"), "\x1b\x7f\xc2\x80\xc2\x9b");
  EXPECT_EQ(motd_of("\"raw \xe6\x97\xa5 bytes\""), "raw \xe6\x97\xa5 bytes");
}

TEST(JsonStrings, OutsideStringsNothingChanges) {
  std::string j = R"({"a\u0041": [1, 2.5e3, true, null], "\\u0041": "\\"})";
  EXPECT_EQ(decode_unicode_escapes(j), R"({"aA": [1, 2.5e3, true, null], "\\u0041": "\\"})");
}

TEST(JsonStrings, MalformedEscapesAreOneLine) {
  EXPECT_EQ(error_of(R"("\u00zz")"), "invalid JSON: \\u escape with a non-hex digit at byte offset 1");
  EXPECT_EQ(error_of(R"("\u12)"), "invalid JSON: truncated \\u escape at byte offset 1");
  EXPECT_EQ(error_of(R"(["x", "\udc00"])"), "invalid JSON: \\u escape is a lone low surrogate at byte offset 7");
  EXPECT_EQ(error_of(R"("\ud800x")"),
            "invalid JSON: \\u escape is a high surrogate without its low half at byte offset 1");
  EXPECT_EQ(error_of(R"("\ud800\u0041")"),
            "invalid JSON: \\u escape is a high surrogate without its low half at byte offset 1");
  EXPECT_EQ(error_of(R"("a\u0000")"),
            "invalid JSON: \\u0000 (a text value cannot hold a NUL byte) at byte offset 2");
  EXPECT_EQ(error_of("\"\\"), "invalid JSON: unterminated escape at byte offset 1");
}

}  // namespace
