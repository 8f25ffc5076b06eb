// terminal: the TerminalSession service. The only process that reads or
// writes the serial Console for interactive use: the shell and the
// SessionManager each hold a client (schema/identity.capnp). Serial
// semantics: raw bytes out, input from the kernel's receive buffer, no
// window size. readLine runs the line discipline here, so hidden input
// (passwords) is never echoed and goes only to the caller that asked.
//
// One call at a time: a pending read blocks the other client's calls in
// the endpoint queue, which is what a single terminal means.
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/line_discipline.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

rt::Cap<wire::Console> g_console;
terminal::LineDiscipline g_ld;

// Input read from the console but not yet handed out (after a line end).
uint8_t g_pending[256];
size_t g_pending_len = 0;
// The last byte handed out was a CR (see LineDiscipline::start).
bool g_after_cr = false;

// How much of g_pending a raw read of at most `max` bytes may take: up to
// and including the first line end (CR, or CR LF), so input typed ahead of
// a prompt stays here for whoever reads next — a hidden password read by
// the SessionManager is never handed to the shell as a command.
size_t raw_take(size_t max) {
  size_t n = min(max, g_pending_len);
  for (size_t i = 0; i < n; ++i) {
    if (g_pending[i] != '\r' && g_pending[i] != '\n') continue;
    size_t end = i + 1;
    if (g_pending[i] == '\r' && end < g_pending_len && g_pending[end] == '\n') ++end;
    return min(end, n);
  }
  return n;
}

Status console_write(Bytes data) {
  wire::Console::Client c(&rt::transport(), g_console);
  alignas(8) uint8_t pbuf[wire::MAX_CONSOLE_WRITE_BYTES + 64], rbuf[64];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::Console::Client::writeParams(p));
  CAPOS_TRY_STATUS(pp.setData(data));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  (void)CAPOS_TRY(c.write(p, r));
  return {};
}

// Blocks for at least one byte into g_pending.
Status fill() {
  if (g_pending_len) return {};
  wire::Console::Client c(&rt::transport(), g_console);
  alignas(8) uint8_t pbuf[64], rbuf[512];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::Console::Client::readParams(p));
  pp.setMaxBytes(sizeof(g_pending));
  pp.setBlock(true);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = CAPOS_TRY(c.read(p, r));
  if (!res.isData()) return {};
  Bytes d = CAPOS_TRY(res.getData());
  size_t n = min(d.size(), sizeof(g_pending));
  memcpy(g_pending, d.data(), n);
  g_pending_len = n;
  // Keep no second copy of what was typed (it may be a password).
  for (size_t i = 0; i < sizeof(rbuf); ++i) reinterpret_cast<volatile uint8_t*>(rbuf)[i] = 0;
  return {};
}

void take(size_t n) {
  memmove(g_pending, g_pending + n, g_pending_len - n);
  g_pending_len -= n;
  for (size_t i = g_pending_len; i < g_pending_len + n; ++i) reinterpret_cast<volatile uint8_t*>(g_pending)[i] = 0;
}

class TerminalImpl final : public wire::TerminalSession::Server {
 public:
  Status write(wire::TerminalSession::WriteParams::Reader p, wire::TerminalSession::WriteResults::Builder) override {
    Bytes d = CAPOS_TRY(p.getData());
    if (d.size() > wire::MAX_CONSOLE_WRITE_BYTES) return fail(Err::InvalidArgument);
    return console_write(d);
  }

  Status read(wire::TerminalSession::ReadParams::Reader p, wire::TerminalSession::ReadResults::Builder r) override {
    uint32_t max = p.getMaxBytes();
    if (max == 0 || max > 256) return fail(Err::InvalidArgument);
    while (!g_pending_len) CAPOS_TRY_STATUS(fill());
    size_t n = raw_take(max);
    CAPOS_TRY_STATUS(r.setData(Bytes(g_pending, n)));
    g_after_cr = g_pending[n - 1] == '\r';
    take(n);
    return {};
  }

  Status readLine(wire::TerminalSession::ReadLineParams::Reader p,
                  wire::TerminalSession::ReadLineResults::Builder r) override {
    StrView prompt = CAPOS_TRY(p.getPrompt());
    if (prompt.size() > 64) return fail(Err::InvalidArgument);
    CAPOS_TRY_STATUS(console_write(Bytes(reinterpret_cast<const uint8_t*>(prompt.ptr), prompt.size())));
    g_ld.start(p.getEcho(), g_after_cr);
    for (;;) {
      CAPOS_TRY_STATUS(fill());
      size_t used = 0;
      auto ev = terminal::LineDiscipline::Event::None;
      while (used < g_pending_len && ev == terminal::LineDiscipline::Event::None) ev = g_ld.feed(g_pending[used++]);
      take(used);
      g_after_cr = g_ld.after_cr();
      StrView echo = g_ld.output();
      if (!echo.empty()) (void)console_write(Bytes(reinterpret_cast<const uint8_t*>(echo.ptr), echo.size()));
      g_ld.clear_output();
      if (ev == terminal::LineDiscipline::Event::Cancel) {
        r.setCancelled(true);
        return r.setLine("");
      }
      if (ev == terminal::LineDiscipline::Event::Line) {
        Status st = r.setLine(g_ld.line());
        g_ld.wipe();  // the reply buffer is the only copy left
        return st;
      }
    }
  }
};

TerminalImpl g_impl;

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("terminal");
  auto console = rt::capset_find<wire::Console>("console");
  if (!ep || !console) {
    rt::printf("terminal: needs the `terminal` endpoint and the `console` cap\n");
    return 2;
  }
  g_console = *console;
  Status st = rt::serve(*ep, g_impl);
  rt::printf("terminal: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
