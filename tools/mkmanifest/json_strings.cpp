#include "tools/mkmanifest/json_strings.h"

#include <cstdint>

#include "tools/mkmanifest/config_error.h"

namespace capos::mkmanifest {
namespace {

[[noreturn]] void bad(const std::string& what, size_t at) {
  throw ConfigError("invalid JSON: " + what + " at byte offset " + std::to_string(at));
}

// The 4 hex digits at json[at..at+4).
uint32_t hex4(const std::string& json, size_t at) {
  if (at + 4 > json.size()) bad("truncated \\u escape", at - 2);
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    char c = json[at + k];
    int d = (c >= '0' && c <= '9') ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) bad("\\u escape with a non-hex digit", at - 2);
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return v;
}

void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

std::string decode_unicode_escapes(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (!in_string || (c != '\\' && c != '"')) {
      in_string ^= (c == '"');  // only reached for '"' outside a string
      out += c;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out += c;
      continue;
    }
    if (i + 1 >= json.size()) bad("unterminated escape", i);
    char e = json[i + 1];
    if (e != 'u') {  // short escapes: the parser decodes these correctly
      out += c;
      out += e;
      ++i;
      continue;
    }
    size_t at = i;
    uint32_t cp = hex4(json, i + 2);
    i += 5;
    if (cp >= 0xdc00 && cp <= 0xdfff) bad("\\u escape is a lone low surrogate", at);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (i + 2 >= json.size() || json[i + 1] != '\\' || json[i + 2] != 'u')
        bad("\\u escape is a high surrogate without its low half", at);
      uint32_t lo = hex4(json, i + 3);
      if (lo < 0xdc00 || lo > 0xdfff) bad("\\u escape is a high surrogate without its low half", at);
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      i += 6;
    }
    if (cp == 0) bad("\\u0000 (a text value cannot hold a NUL byte)", at);
    if (cp == '"' || cp == '\\') out += '\\';
    put_utf8(out, cp);
  }
  return out;
}

}  // namespace capos::mkmanifest
