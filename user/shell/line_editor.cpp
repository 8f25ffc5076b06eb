#include "user/shell/line_editor.h"

#include "lib/core/format.h"

namespace capos::shell {

void LineEditor::put(StrView s) {
  for (size_t i = 0; i < s.size(); ++i) put_char(s.ptr[i]);
}

void LineEditor::put_char(char c) {
  if (out_len_ < kOutMax) out_[out_len_++] = c;
}

void LineEditor::emit(StrView s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.ptr[i] == '\n') put_char('\r');
    put_char(s.ptr[i]);
  }
}

void LineEditor::start() {
  len_ = cur_ = 0;
  hist_pos_ = 0;
  state_ = State::Normal;
  put(prompt_);
}

// Redraws the whole line: CR, prompt, text, erase to the end, then moves
// the cursor back to its place. Robust whatever the terminal showed.
void LineEditor::redraw() {
  put("\r");
  put(prompt_);
  put(StrView(buf_, len_));
  put("\x1b[K");
  if (cur_ < len_) {
    char seq[16];
    put(format_to(seq, sizeof(seq), "\x1b[{}D", len_ - cur_));
  }
}

void LineEditor::insert(char c) {
  if (len_ >= kMaxLine) return bell();
  memmove(buf_ + cur_ + 1, buf_ + cur_, len_ - cur_);
  buf_[cur_++] = c;
  ++len_;
  if (cur_ == len_) put_char(c);  // appending: a plain echo is enough
  else redraw();
}

void LineEditor::backspace() {
  if (cur_ == 0) return bell();
  memmove(buf_ + cur_ - 1, buf_ + cur_, len_ - cur_);
  --cur_;
  --len_;
  redraw();
}

void LineEditor::delete_at_cursor() {
  if (cur_ == len_) return bell();
  memmove(buf_ + cur_, buf_ + cur_ + 1, len_ - cur_ - 1);
  --len_;
  redraw();
}

// dir +1 = older (up), -1 = newer (down).
void LineEditor::history_step(int dir) {
  size_t want = hist_pos_ + dir;
  if (dir > 0 && hist_pos_ >= hist_count_) return bell();
  if (dir < 0 && hist_pos_ == 0) return bell();
  if (hist_pos_ == 0) {  // leaving the line being edited: keep it
    memcpy(saved_, buf_, len_);
    saved_len_ = len_;
  }
  hist_pos_ = want;
  if (hist_pos_ == 0) {
    memcpy(buf_, saved_, saved_len_);
    len_ = saved_len_;
  } else {
    size_t slot = (hist_head_ + kHistory - hist_pos_) % kHistory;
    memcpy(buf_, hist_[slot], hist_len_[slot]);
    len_ = hist_len_[slot];
  }
  cur_ = len_;
  redraw();
}

void LineEditor::csi_final(char f) {
  switch (f) {
    case 'A': return history_step(+1);
    case 'B': return history_step(-1);
    case 'C':
      if (cur_ < len_) ++cur_, put("\x1b[C");
      else bell();
      return;
    case 'D':
      if (cur_ > 0) --cur_, put("\x1b[D");
      else bell();
      return;
    case 'H': cur_ = 0; return redraw();
    case 'F': cur_ = len_; return redraw();
    case '~': {
      StrView p(csi_, csi_len_);
      if (p == "1" || p == "7") cur_ = 0, redraw();
      else if (p == "4" || p == "8") cur_ = len_, redraw();
      else if (p == "3") delete_at_cursor();
      else bell();
      return;
    }
    default: return bell();  // unknown sequence: swallowed whole
  }
}

LineEditor::Event LineEditor::finish() {
  put("\r\n");
  memcpy(done_, buf_, len_);
  done_len_ = len_;
  // History: non-empty lines that differ from the most recent entry.
  bool blank = true;
  for (size_t i = 0; i < len_; ++i) blank &= buf_[i] == ' ';
  size_t last = (hist_head_ + kHistory - 1) % kHistory;
  bool dup = hist_count_ > 0 && hist_len_[last] == len_ && memcmp(hist_[last], buf_, len_) == 0;
  if (!blank && !dup) {
    memcpy(hist_[hist_head_], buf_, len_);
    hist_len_[hist_head_] = len_;
    hist_head_ = (hist_head_ + 1) % kHistory;
    if (hist_count_ < kHistory) ++hist_count_;
  }
  len_ = cur_ = 0;
  hist_pos_ = 0;
  return Event::Line;
}

LineEditor::Event LineEditor::feed(uint8_t b) {
  bool after_cr = last_cr_;
  last_cr_ = false;
  switch (state_) {
    case State::Esc:
      if (b == 0x1b) return Event::None;  // ESC ESC: still one escape
      if (b == '[') state_ = State::Csi, csi_len_ = 0;
      else if (b == 'O') state_ = State::Ss3;
      else state_ = State::Normal;  // ESC + other: dropped
      return Event::None;
    case State::Ss3:
      state_ = b == 0x1b ? State::Esc : State::Normal;
      if (b >= 'A' && b <= 'H') csi_len_ = 0, csi_final(static_cast<char>(b));
      return Event::None;
    case State::Csi:
      if (b >= 0x40 && b <= 0x7e) {
        state_ = State::Normal;
        csi_final(static_cast<char>(b));
      } else if (b < 0x20 || b > 0x7e) {
        state_ = State::Normal;  // broken sequence: dropped
        bell();
      } else if (csi_len_ < sizeof(csi_)) {
        csi_[csi_len_++] = static_cast<char>(b);
      }  // over-long parameters: ignored until the final byte
      return Event::None;
    case State::Normal: break;
  }
  switch (b) {
    case '\r': last_cr_ = true; return finish();
    case '\n':
      if (after_cr) return Event::None;  // CR LF is one Enter
      return finish();
    case 0x7f:
    case 0x08: backspace(); return Event::None;
    case 0x03:  // Ctrl-C
      put("^C\r\n");
      len_ = cur_ = 0;
      hist_pos_ = 0;
      return Event::Cancel;
    case 0x15:  // Ctrl-U
      len_ = cur_ = 0;
      redraw();
      return Event::None;
    case 0x01: cur_ = 0; redraw(); return Event::None;       // Ctrl-A
    case 0x05: cur_ = len_; redraw(); return Event::None;    // Ctrl-E
    case 0x0c: put("\x1b[H\x1b[2J"); redraw(); return Event::None;  // Ctrl-L
    case 0x1b: state_ = State::Esc; return Event::None;
    default: break;
  }
  if (b >= 0x20 && b < 0x7f) insert(static_cast<char>(b));
  else bell();  // other control bytes and non-ASCII: refused, never echoed
  return Event::None;
}

}  // namespace capos::shell
