#include "lib/core/escape.h"

namespace capos {

StrView escape_untrusted(StrView in, char* out, size_t cap) {
  static const char kHex[] = "0123456789abcdef";
  size_t n = 0;
  for (size_t i = 0; i < in.len; ++i) {
    unsigned char c = static_cast<unsigned char>(in.ptr[i]);
    char e[4];
    size_t len = 2;
    e[0] = '\\';
    if (c == '\\') e[1] = '\\';
    else if (c == '\n') e[1] = 'n';
    else if (c == '\r') e[1] = 'r';
    else if (c == '\t') e[1] = 't';
    else if (c >= 0x20 && c < 0x7f) e[0] = static_cast<char>(c), len = 1;
    else e[1] = 'x', e[2] = kHex[c >> 4], e[3] = kHex[c & 15], len = 4;
    if (cap - n < len) break;
    for (size_t k = 0; k < len; ++k) out[n++] = e[k];
  }
  return StrView(out, n);
}

}  // namespace capos
