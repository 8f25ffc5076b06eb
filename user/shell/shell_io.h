// What the shell's command files share: terminal output and error
// reporting (shell_io.cpp), and typed lookup in the shell's cap namespace
// (names.h).
#pragma once

#include "lib/core/format.h"
#include "schema/identity.capnp.capos.h"
#include "user/rt/cap.h"
#include "user/shell/names.h"

namespace capos::shell {

// Where out() writes; set once by main before any output.
void set_terminal(rt::Cap<schema::wire::TerminalSession> term);
// Raw bytes to the terminal.
void write_raw(StrView s);
// Text with '\n' line ends; control bytes other than '\n' and '\t' are
// shown as '?', so no reply can move the cursor or inject sequences.
void out(StrView s);
template <class... A> void say(StrView fmt, const A&... args) {
  char buf[600];
  out(format_to(buf, sizeof(buf), fmt, args...));
}
// "<cmd>: failed: <err>[: <exception message>]".
void report_error(StrView cmd, Err e);

// A cap by name, typed; an empty Cap (after a one-line error naming the
// command) if the shell holds none with that interface.
template <class Iface>
rt::Cap<Iface> need(StrView cmd, StrView name) {
  auto c = names::find(name, Iface::kInterfaceId);
  if (c) return rt::Cap<Iface>::unchecked(*c);
  say("{}: no `{}` capability in this session (see `caps`; `login` may bring it)\n", cmd, name);
  return rt::Cap<Iface>();
}

}  // namespace capos::shell
