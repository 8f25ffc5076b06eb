#include "user/shell/line_editor.h"

#include <gtest/gtest.h>

#include <string>

using capos::shell::LineEditor;

namespace {

// Feeds `keys`; returns the events' lines joined by '|', cancels as '^C'.
std::string type(LineEditor& ed, const std::string& keys) {
  std::string out;
  for (unsigned char c : keys) {
    auto ev = ed.feed(c);
    if (ev == LineEditor::Event::Line) out += std::string(ed.line().ptr, ed.line().len) + "|";
    if (ev == LineEditor::Event::Cancel) out += "^C|";
  }
  return out;
}

TEST(LineEditor, EntersLinesWithEditing) {
  LineEditor ed("capos> ");
  ed.start();
  EXPECT_EQ(type(ed, "helo\x7f" "lo\r"), "hello|");
  EXPECT_EQ(type(ed, "abc\x15xyz\r"), "xyz|");                 // Ctrl-U clears
  EXPECT_EQ(type(ed, "ac\x1b[Db\r"), "abc|");                  // left arrow, insert
  EXPECT_EQ(type(ed, "x\x1b[D\x1b[C\x1b[Cy\r"), "xy|");        // right past the end stays at the end
  EXPECT_EQ(type(ed, "junk\x03"), "^C|");                      // Ctrl-C cancels
  EXPECT_EQ(type(ed, "\r"), "|");                              // empty line
}

TEST(LineEditor, HistoryUpAndDown) {
  LineEditor ed("> ");
  ed.start();
  type(ed, "one\r");
  type(ed, "two\r");
  EXPECT_EQ(type(ed, "\x1b[A\r"), "two|");
  EXPECT_EQ(type(ed, "\x1b[A\x1b[A\x1b[A\r"), "one|");  // stops at the oldest
  EXPECT_EQ(type(ed, "\x1b[A\x1b[B\r"), "|");            // down returns to the fresh line
  EXPECT_LE(ed.history_size(), LineEditor::kHistory);
}

TEST(LineEditor, LongAndHostileInputNeverOverflows) {
  LineEditor ed("> ");
  ed.start();
  std::string garbage(400, 'a');
  std::string got = type(ed, garbage + "\r");
  ASSERT_EQ(got.size(), LineEditor::kMaxLine + 1);  // capped line + '|'
  ed.clear_output();
  // Every byte value, including broken escape sequences, then a real command.
  std::string all;
  for (int b = 0; b < 256; ++b)
    if (b != '\r' && b != '\n' && b != 3) all.push_back(static_cast<char>(b));
  type(ed, all + "\x1b[" + "\x1b[9999999~" + "\x15");
  EXPECT_LE(ed.output().len, LineEditor::kOutMax);
  EXPECT_EQ(type(ed, "help\r"), "help|");
}

TEST(LineEditor, HistoryIsBounded) {
  LineEditor ed("> ");
  ed.start();
  for (int i = 0; i < 100; ++i) type(ed, "cmd" + std::to_string(i) + "\r");
  EXPECT_EQ(ed.history_size(), LineEditor::kHistory);
  for (size_t i = 0; i < LineEditor::kHistory + 5; ++i) type(ed, "\x1b[A");
  EXPECT_EQ(type(ed, "\r"), "cmd" + std::to_string(100 - LineEditor::kHistory) + "|");
}

}  // namespace
