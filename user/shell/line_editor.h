// The terminal side of the shell: a line editor over raw serial bytes.
// The shell edits its command lines itself over raw bytes from the
// TerminalSession service (user/services/identity/terminal.cpp), which owns
// the console; hidden input (passwords) is read by the terminal's own line
// discipline for the SessionManager and never reaches the shell.
//
// Pure logic, no I/O: feed() takes input bytes and appends the bytes to
// echo (ANSI sequences included) to an output buffer; a completed line is
// reported by the return value. Lines are ASCII, at most kMaxLine bytes;
// anything else is refused with a bell, so input can never overflow or
// break the prompt.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"

namespace capos::shell {

class LineEditor {
 public:
  static constexpr size_t kMaxLine = 256;
  static constexpr size_t kHistory = 32;
  static constexpr size_t kOutMax = 2048;

  enum class Event { None, Line, Cancel };

  explicit LineEditor(StrView prompt) : prompt_(prompt) {}
  // The prompt shown from the next start() on (it must outlive its use).
  void set_prompt(StrView prompt) { prompt_ = prompt; }

  // Appends the prompt (at the start of a fresh line).
  void start();
  // Handles one input byte. On Event::Line, line() is the entered text
  // (already added to the history); on Cancel the line was abandoned.
  Event feed(uint8_t b);
  StrView line() const { return StrView(done_, done_len_); }

  // Output produced so far; the caller writes it out and clears it.
  StrView output() const { return StrView(out_, out_len_); }
  void clear_output() { out_len_ = 0; }
  // Text the caller wants shown (newlines become CR LF).
  void emit(StrView s);

  size_t history_size() const { return hist_count_; }

 private:
  enum class State { Normal, Esc, Csi, Ss3 };

  void put(StrView s);
  void put_char(char c);
  void bell() { put_char('\a'); }
  void redraw();
  void insert(char c);
  void backspace();
  void delete_at_cursor();
  void history_step(int dir);
  void csi_final(char f);
  Event finish();

  StrView prompt_;
  char buf_[kMaxLine];
  size_t len_ = 0;
  size_t cur_ = 0;
  State state_ = State::Normal;
  char csi_[8];
  size_t csi_len_ = 0;
  bool last_cr_ = false;

  char done_[kMaxLine];
  size_t done_len_ = 0;

  char hist_[kHistory][kMaxLine];
  size_t hist_len_[kHistory] = {};
  size_t hist_count_ = 0;  // entries stored (<= kHistory)
  size_t hist_head_ = 0;   // next slot to write
  size_t hist_pos_ = 0;    // 0 = editing the new line, k = k-th most recent
  char saved_[kMaxLine];
  size_t saved_len_ = 0;

  char out_[kOutMax];
  size_t out_len_ = 0;
};

}  // namespace capos::shell
