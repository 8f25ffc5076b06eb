// libFuzzer: mkmanifest's JSON \u-escape decoder (tools/mkmanifest/
// json_strings.h) on arbitrary bytes. It either rejects with ConfigError
// or returns text that is never longer than the input and that decodes to
// itself (the output holds no \u escape, only raw UTF-8, \" and \\).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tools/mkmanifest/config_error.h"
#include "tools/mkmanifest/json_strings.h"

using capos::mkmanifest::ConfigError;
using capos::mkmanifest::decode_unicode_escapes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  std::string out;
  try {
    out = decode_unicode_escapes(in);
  } catch (const ConfigError&) {
    return 0;
  }
  if (out.size() > in.size()) abort();
  std::string again;
  try {
    again = decode_unicode_escapes(out);
  } catch (const ConfigError&) {
    abort();  // decoded text must decode again
  }
  if (again != out) abort();
  return 0;
}
