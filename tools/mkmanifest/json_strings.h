// Rewrites the \uXXXX escapes in JSON string literals as the UTF-8 bytes
// they stand for, before libcapnp's JSON parser sees the text.
//
// Why: capnp 0.9's JsonCodec decodes \u escapes whose hex digits include
// the letters a-f wrongly (it reads 'c' as 2), so "\u003c" — which the
// CUE exporter writes for every '<' — arrived in manifest.bin as "2". We
// decode them here and hand libcapnp only raw UTF-8 and the short escapes
// it handles correctly (\" \\ \/ \b \f \n \r \t), so every string in the
// configuration arrives byte-exact. Tested by tests/host/manifest
// (json_strings_test) and the CUE round-trip property test
// (manifest.byte_exact_strings).
#pragma once

#include <string>

namespace capos::mkmanifest {

// Throws ConfigError (one line naming the byte offset) for a malformed
// \u escape, a lone surrogate, or U+0000 (Text cannot hold a NUL). Bytes
// outside string literals, and every other escape, are copied unchanged.
std::string decode_unicode_escapes(const std::string& json);

}  // namespace capos::mkmanifest
