// The shell's terminal output (shell_io.h): every command prints through
// out(), which writes to the TerminalSession set by set_terminal().
#include "user/shell/shell_io.h"

#include "schema/identity.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/transport.h"

namespace capos::shell {

namespace wire = schema::wire;

namespace {

rt::Cap<wire::TerminalSession> g_term;

}  // namespace

void set_terminal(rt::Cap<wire::TerminalSession> term) { g_term = term; }

void write_raw(StrView s) {
  wire::TerminalSession::Client term(&rt::transport(), g_term);
  while (!s.empty()) {
    StrView chunk = s.substr(0, 2048);
    alignas(8) uint8_t pbuf[2048 + 64], rbuf[64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    auto p = wire::TerminalSession::Client::writeParams(params);
    if (!p || !p->setData(Bytes(reinterpret_cast<const uint8_t*>(chunk.ptr), chunk.size()))) return;
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    (void)term.write(params, resp);
    s = s.substr(chunk.size());
  }
}

void out(StrView s) {
  char buf[512];
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s.ptr[i];
    uint8_t u = static_cast<uint8_t>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) c = '?';
    if (c == '\n') buf[n++] = '\r';
    buf[n++] = c;
    if (n >= sizeof(buf) - 2) write_raw(StrView(buf, n)), n = 0;
  }
  write_raw(StrView(buf, n));
}

void report_error(StrView cmd, Err e) {
  StrView ex = rt::transport().last_exception();
  if (ex.empty()) ex = rt::call_exception();
  say("{}: failed: {}{}{}\n", cmd, err_name(e), ex.empty() ? "" : ": ", ex);
}

}  // namespace capos::shell
