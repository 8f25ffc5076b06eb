// The terminal service's line discipline (TerminalSession.readLine): pure
// logic, host-tested (tests/host/identity). Bytes in, echo bytes out, a
// finished line reported by the return value. Hidden mode (passwords)
// echoes nothing but the final line break, so a secret never reaches the
// wire; the buffer is wiped when the line is taken.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"

namespace capos::terminal {

class LineDiscipline {
 public:
  static constexpr size_t kMaxLine = 256;
  enum class Event { None, Line, Cancel };

  // `after_cr`: the byte before this line was a CR (handed out by a raw
  // read), so a leading LF completes that CR LF pair instead of ending an
  // empty line.
  void start(bool echo, bool after_cr = false) {
    wipe();
    echo_ = echo;
    last_cr_ = after_cr;
  }
  bool after_cr() const { return last_cr_; }
  // Handles one byte; echo output accumulates in output().
  Event feed(uint8_t b) {
    if (b == '\n' && last_cr_) {  // the LF of a CR LF pair
      last_cr_ = false;
      return Event::None;
    }
    last_cr_ = b == '\r';
    if (b == '\r' || b == '\n') {
      put("\r\n", 2);
      return Event::Line;
    }
    if (b == 0x03 || (b == 0x04 && len_ == 0)) {  // Ctrl-C, or Ctrl-D on an empty line
      put("^C\r\n", 4);
      wipe();
      return Event::Cancel;
    }
    if (b == 0x7f || b == 0x08) {
      if (len_ == 0) return bell();
      buf_[--len_] = 0;
      if (echo_) put("\b \b", 3);
      return Event::None;
    }
    if (b == 0x15) {  // Ctrl-U
      if (echo_)
        for (size_t i = 0; i < len_; ++i) put("\b \b", 3);
      wipe();
      return Event::None;
    }
    if (b < 0x20 || b > 0x7e || len_ == kMaxLine) return bell();
    buf_[len_++] = static_cast<char>(b);
    if (echo_) put(reinterpret_cast<const char*>(&b), 1);
    return Event::None;
  }
  StrView line() const { return StrView(buf_, len_); }
  // Forgets the line (zeroes the buffer: it may have held a password).
  void wipe() {
    for (size_t i = 0; i < kMaxLine; ++i) reinterpret_cast<volatile char*>(buf_)[i] = 0;
    len_ = 0;
  }
  StrView output() const { return StrView(out_, out_len_); }
  void clear_output() { out_len_ = 0; }

 private:
  Event bell() {
    put("\a", 1);
    return Event::None;
  }
  void put(const char* s, size_t n) {
    for (size_t i = 0; i < n && out_len_ < sizeof(out_); ++i) out_[out_len_++] = s[i];
  }
  char buf_[kMaxLine] = {};
  size_t len_ = 0;
  bool echo_ = true;
  bool last_cr_ = false;
  char out_[1024];
  size_t out_len_ = 0;
};

}  // namespace capos::terminal
