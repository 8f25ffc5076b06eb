#include "lib/core/format.h"

namespace capos {

void BufferSink::write(const char* data, size_t len) {
  if (cap_ == 0) {
    truncated_ = truncated_ || len > 0;
    return;
  }
  size_t room = cap_ - 1 - len_;
  size_t n = len < room ? len : room;
  memcpy(buf_ + len_, data, n);
  len_ += n;
  buf_[len_] = '\0';
  if (n < len) truncated_ = true;
}

namespace {

struct Spec {
  char fill = ' ';
  char align = 0;  // '<', '>' or 0 (default: numbers right, text left)
  bool alt = false;
  bool zero = false;
  size_t width = 0;
  char type = 0;
};

// Counts output even when the sink truncates.
class CountingWriter {
 public:
  explicit CountingWriter(Sink& s) : sink_(s) {}
  void put(const char* d, size_t n) {
    sink_.write(d, n);
    count_ += n;
  }
  void pad(char c, size_t n) {
    char buf[32];
    memset(buf, c, sizeof(buf));
    while (n) {
      size_t k = n < sizeof(buf) ? n : sizeof(buf);
      put(buf, k);
      n -= k;
    }
  }
  size_t count() const { return count_; }

 private:
  Sink& sink_;
  size_t count_ = 0;
};

bool parse_spec(StrView s, Spec* out) {
  size_t i = 0;
  if (i < s.len && s[i] == ':') ++i;
  // fill+align: a character followed by < or >.
  if (i + 1 < s.len && (s[i + 1] == '<' || s[i + 1] == '>')) {
    out->fill = s[i];
    out->align = s[i + 1];
    i += 2;
  } else if (i < s.len && (s[i] == '<' || s[i] == '>')) {
    out->align = s[i];
    ++i;
  }
  if (i < s.len && s[i] == '#') out->alt = true, ++i;
  if (i < s.len && s[i] == '0') out->zero = true, ++i;
  while (i < s.len && s[i] >= '0' && s[i] <= '9') {
    out->width = out->width * 10 + static_cast<size_t>(s[i] - '0');
    if (out->width > 256) return false;
    ++i;
  }
  if (i < s.len) out->type = s[i++];
  return i == s.len;
}

size_t utoa(uint64_t v, unsigned base, bool upper, char* buf) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[64];
  size_t n = 0;
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  for (size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  return n;
}

void emit_padded(CountingWriter& w, const Spec& sp, const char* prefix, size_t plen, const char* body,
                 size_t blen, bool numeric) {
  size_t total = plen + blen;
  size_t padn = sp.width > total ? sp.width - total : 0;
  char align = sp.align ? sp.align : (numeric ? '>' : '<');
  if (numeric && sp.zero && !sp.align) {
    w.put(prefix, plen);
    w.pad('0', padn);
    w.put(body, blen);
    return;
  }
  if (align == '>') w.pad(sp.fill, padn);
  w.put(prefix, plen);
  w.put(body, blen);
  if (align == '<') w.pad(sp.fill, padn);
}

void emit_arg(CountingWriter& w, const Spec& sp, const FormatArg& a) {
  char body[72];
  char prefix[3];
  size_t plen = 0;
  switch (a.kind) {
    case FormatArg::Kind::Str:
      emit_padded(w, sp, "", 0, a.str.ptr, a.str.len, false);
      return;
    case FormatArg::Kind::Bool: {
      const char* t = a.u ? "true" : "false";
      emit_padded(w, sp, "", 0, t, strlen(t), false);
      return;
    }
    case FormatArg::Kind::Char:
      if (sp.type == 0 || sp.type == 'c') {
        char c = static_cast<char>(a.u);
        emit_padded(w, sp, "", 0, &c, 1, false);
        return;
      }
      break;
    default:
      break;
  }
  uint64_t mag = a.u;
  bool neg = false;
  if (a.kind == FormatArg::Kind::Signed && a.s < 0 && sp.type != 'x' && sp.type != 'X' && sp.type != 'b') {
    neg = true;
    mag = 0 - static_cast<uint64_t>(a.s);
  }
  unsigned base = 10;
  bool upper = false;
  char type = sp.type;
  if (a.kind == FormatArg::Kind::Ptr && type == 0) type = 'p';
  switch (type) {
    case 'x': base = 16; break;
    case 'X': base = 16; upper = true; break;
    case 'b': base = 2; break;
    case 'p': base = 16; break;
    default: break;
  }
  if (neg) prefix[plen++] = '-';
  if ((sp.alt && base != 10) || type == 'p') {
    prefix[plen++] = '0';
    prefix[plen++] = base == 2 ? 'b' : 'x';
  }
  size_t blen = utoa(mag, base, upper, body);
  emit_padded(w, sp, prefix, plen, body, blen, true);
}

}  // namespace

size_t vformat(Sink& sink, StrView fmt, Span<const FormatArg> args) {
  CountingWriter w(sink);
  size_t next_arg = 0;
  size_t i = 0;
  size_t lit = 0;
  while (i < fmt.len) {
    char c = fmt[i];
    if (c == '{' && i + 1 < fmt.len && fmt[i + 1] == '{') {
      w.put(fmt.ptr + lit, i + 1 - lit);
      i += 2;
      lit = i;
      continue;
    }
    if (c == '}' && i + 1 < fmt.len && fmt[i + 1] == '}') {
      w.put(fmt.ptr + lit, i + 1 - lit);
      i += 2;
      lit = i;
      continue;
    }
    if (c != '{') {
      ++i;
      continue;
    }
    w.put(fmt.ptr + lit, i - lit);
    size_t close = i + 1;
    while (close < fmt.len && fmt[close] != '}') ++close;
    if (close == fmt.len) {  // unterminated: print the rest verbatim
      lit = i;
      break;
    }
    Spec sp;
    StrView spec = fmt.substr(i + 1, close - i - 1);
    if (!parse_spec(spec, &sp)) {
      w.put("{?bad-spec}", 11);
    } else if (next_arg >= args.size()) {
      w.put("{?missing}", 10);
    } else {
      emit_arg(w, sp, args[next_arg]);
    }
    ++next_arg;
    i = close + 1;
    lit = i;
  }
  w.put(fmt.ptr + lit, fmt.len - lit);
  return w.count();
}

}  // namespace capos
