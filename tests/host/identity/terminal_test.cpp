// The terminal's line discipline (user/services/identity/line_discipline.h):
// echo, hidden input that never reaches the output, editing, cancel.
#include <gtest/gtest.h>

#include <string>

#include "user/services/identity/line_discipline.h"

namespace capos::terminal {
namespace {

std::string feed(LineDiscipline& ld, const std::string& in, LineDiscipline::Event* last) {
  *last = LineDiscipline::Event::None;
  for (char c : in) {
    *last = ld.feed(static_cast<uint8_t>(c));
    if (*last != LineDiscipline::Event::None) break;
  }
  std::string out(ld.output().ptr, ld.output().size());
  ld.clear_output();
  return out;
}

TEST(LineDiscipline, EchoedLine) {
  LineDiscipline ld;
  ld.start(true);
  LineDiscipline::Event ev;
  EXPECT_EQ(feed(ld, "hix\x7fi\r", &ev), "hix\b \bi\r\n");
  EXPECT_EQ(ev, LineDiscipline::Event::Line);
  EXPECT_EQ(std::string(ld.line().ptr, ld.line().size()), "hii");
}

TEST(LineDiscipline, HiddenInputIsNeverEchoed) {
  LineDiscipline ld;
  ld.start(false);
  LineDiscipline::Event ev;
  std::string out = feed(ld, "s3cr3t-pw\x7f\x15hunter2\r\n", &ev);
  EXPECT_EQ(ev, LineDiscipline::Event::Line);
  EXPECT_EQ(out, "\r\n");
  EXPECT_EQ(std::string(ld.line().ptr, ld.line().size()), "hunter2");
  ld.wipe();
  EXPECT_EQ(ld.line().size(), 0u);
}

TEST(LineDiscipline, CancelControlBytesAndLength) {
  LineDiscipline ld;
  ld.start(true);
  LineDiscipline::Event ev;
  EXPECT_EQ(feed(ld, "abc\x03", &ev), "abc^C\r\n");
  EXPECT_EQ(ev, LineDiscipline::Event::Cancel);
  EXPECT_EQ(ld.line().size(), 0u);
  ld.start(true);
  EXPECT_EQ(feed(ld, "\x1b\x01\xff", &ev), "\a\a\a");
  std::string longline(300, 'x');
  feed(ld, longline + "\r", &ev);
  EXPECT_EQ(ev, LineDiscipline::Event::Line);
  EXPECT_EQ(ld.line().size(), LineDiscipline::kMaxLine);
  ld.start(true);
  EXPECT_EQ(feed(ld, "\x04", &ev), "^C\r\n");  // Ctrl-D on an empty line
  EXPECT_EQ(ev, LineDiscipline::Event::Cancel);
}

}  // namespace
}  // namespace capos::terminal

namespace capos::terminal {
namespace {

TEST(LineDiscipline, LfAfterAHandedOutCrIsNotAnEmptyLine) {
  LineDiscipline ld;
  ld.start(false, /*after_cr=*/true);
  LineDiscipline::Event ev;
  feed(ld, "\npw\r", &ev);
  EXPECT_EQ(ev, LineDiscipline::Event::Line);
  EXPECT_EQ(std::string(ld.line().ptr, ld.line().size()), "pw");
  EXPECT_TRUE(ld.after_cr());
}

}  // namespace
}  // namespace capos::terminal
