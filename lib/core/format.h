// Freestanding, type-safe formatted printer used by the kernel, userspace
// and host tools:  format(sink, "rip={:#018x} fn={}", rip, name)
// Spec grammar inside {}: [:][fill][<|>][#][0][width][x|X|d|b|c|p]
// Arguments are type-erased into FormatArg so the parser is compiled once.
#pragma once

#include "lib/core/cstring.h"
#include "lib/core/span.h"

namespace capos {

class Sink {
 public:
  virtual void write(const char* data, size_t len) = 0;

 protected:
  ~Sink() = default;
};

// Writes into a caller buffer, always NUL-terminates, remembers truncation.
class BufferSink final : public Sink {
 public:
  BufferSink(char* buf, size_t cap) : buf_(buf), cap_(cap) {
    if (cap_) buf_[0] = '\0';
  }
  void write(const char* data, size_t len) override;
  size_t size() const { return len_; }
  bool truncated() const { return truncated_; }
  StrView view() const { return StrView(buf_, len_); }
  void clear() { len_ = 0; truncated_ = false; if (cap_) buf_[0] = '\0'; }

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool truncated_ = false;
};

struct FormatArg {
  enum class Kind : uint8_t { Signed, Unsigned, Bool, Char, Str, Ptr };
  Kind kind;
  union {
    int64_t s;
    uint64_t u;
    const void* p;
    struct {
      const char* ptr;
      size_t len;
    } str;
  };
};

inline FormatArg make_arg(bool v) { FormatArg a{FormatArg::Kind::Bool, {}}; a.u = v; return a; }
inline FormatArg make_arg(char v) { FormatArg a{FormatArg::Kind::Char, {}}; a.u = static_cast<unsigned char>(v); return a; }
inline FormatArg make_arg(signed char v) { FormatArg a{FormatArg::Kind::Signed, {}}; a.s = v; return a; }
inline FormatArg make_arg(short v) { FormatArg a{FormatArg::Kind::Signed, {}}; a.s = v; return a; }
inline FormatArg make_arg(int v) { FormatArg a{FormatArg::Kind::Signed, {}}; a.s = v; return a; }
inline FormatArg make_arg(long v) { FormatArg a{FormatArg::Kind::Signed, {}}; a.s = v; return a; }
inline FormatArg make_arg(long long v) { FormatArg a{FormatArg::Kind::Signed, {}}; a.s = v; return a; }
inline FormatArg make_arg(unsigned char v) { FormatArg a{FormatArg::Kind::Unsigned, {}}; a.u = v; return a; }
inline FormatArg make_arg(unsigned short v) { FormatArg a{FormatArg::Kind::Unsigned, {}}; a.u = v; return a; }
inline FormatArg make_arg(unsigned v) { FormatArg a{FormatArg::Kind::Unsigned, {}}; a.u = v; return a; }
inline FormatArg make_arg(unsigned long v) { FormatArg a{FormatArg::Kind::Unsigned, {}}; a.u = v; return a; }
inline FormatArg make_arg(unsigned long long v) { FormatArg a{FormatArg::Kind::Unsigned, {}}; a.u = v; return a; }
inline FormatArg make_arg(const char* v) {
  FormatArg a{FormatArg::Kind::Str, {}};
  a.str.ptr = v ? v : "(null)";
  a.str.len = strlen(a.str.ptr);
  return a;
}
inline FormatArg make_arg(char* v) { return make_arg(static_cast<const char*>(v)); }
inline FormatArg make_arg(StrView v) {
  FormatArg a{FormatArg::Kind::Str, {}};
  a.str.ptr = v.ptr;
  a.str.len = v.len;
  return a;
}
inline FormatArg make_arg(const void* v) { FormatArg a{FormatArg::Kind::Ptr, {}}; a.p = v; return a; }
inline FormatArg make_arg(void* v) { return make_arg(static_cast<const void*>(v)); }
// Enums print as their underlying integer.
template <class E>
  requires __is_enum(E)
inline FormatArg make_arg(E v) { return make_arg(static_cast<__underlying_type(E)>(v)); }

// Returns the number of bytes produced (before any sink truncation).
size_t vformat(Sink& sink, StrView fmt, Span<const FormatArg> args);

template <class... Args> size_t format(Sink& sink, StrView fmt, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    return vformat(sink, fmt, Span<const FormatArg>());
  } else {
    const FormatArg list[] = {make_arg(args)...};
    return vformat(sink, fmt, Span<const FormatArg>(list, sizeof...(Args)));
  }
}

// snprintf-style helper: formats into buf (always NUL-terminated).
template <class... Args> StrView format_to(char* buf, size_t cap, StrView fmt, const Args&... args) {
  BufferSink s(buf, cap);
  format(s, fmt, args...);
  return s.view();
}

}  // namespace capos
