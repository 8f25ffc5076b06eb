// fds 0-2 on a shell's terminal (grant "stdio", StdIO: `run "x" with {
// stdio: client @stdio }`): writes go out through StdIO.write (the shell
// shows control bytes as `?` and turns newline into CR LF), reads take one
// line at a time from StdIO.readLine — already echoed and edited by the
// terminal — and hand it out with its '\n'; Ctrl-D or Ctrl-C there is end
// of file. A process granted "stdio" uses it instead of its "console".
#include "schema/identity.capnp.capos.h"
#include "user/libc/os/fd_state.h"
#include "user/rt/cap.h"
#include "user/rt/transport.h"

namespace capos::libc {

namespace {

namespace wire = schema::wire;

FdLock g_term_lock;
struct Line {
  char bytes[wire::MAX_TERMINAL_LINE + 1];
  size_t len = 0, pos = 0;
  bool eof = false;
};
Line g_line CAPOS_GUARDED_BY(g_term_lock);

wire::StdIO::Client client(uint32_t cap) {
  return wire::StdIO::Client(&rt::transport(), rt::Cap<wire::StdIO>::unchecked(cap));
}

}  // namespace

Result<size_t, Errno> terminal_write(uint32_t cap, const uint8_t* buf, size_t n) {
  constexpr size_t kChunk = 2048;  // StdIO.write's bound
  alignas(8) uint8_t pbuf[kChunk + 128], rbuf[128];
  size_t done = 0;
  while (done < n) {
    size_t chunk = min(n - done, kChunk);
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof pbuf));
    auto pp = wire::StdIO::Client::writeParams(p);
    if (!pp || !pp->setData(Bytes(buf + done, chunk))) return fail(CAPOS_EIO);
    capnp::Response r(MutBytes(rbuf, sizeof rbuf));
    if (!client(cap).write(p, r)) {
      if (done > 0) return done;
      return fail(CAPOS_EIO);  // the run ended: the shell no longer serves it
    }
    done += chunk;
  }
  return done;
}

Result<size_t, Errno> terminal_read(uint32_t cap, uint8_t* buf, size_t n) {
  FdGuard g(g_term_lock);
  if (n == 0) return size_t{0};
  if (g_line.pos == g_line.len) {
    if (g_line.eof) return size_t{0};
    alignas(8) uint8_t pbuf[64], rbuf[wire::MAX_TERMINAL_LINE + 128];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof pbuf));
    if (!wire::StdIO::Client::readLineParams(p)) return fail(CAPOS_EIO);
    capnp::Response r(MutBytes(rbuf, sizeof rbuf));
    auto res = client(cap).readLine(p, r);
    if (!res) return fail(CAPOS_EIO);
    if (res->getEof()) {
      g_line.eof = true;  // Ctrl-D: this and every later read see end of file
      return size_t{0};
    }
    auto line = res->getLine();
    if (!line || line->size() > wire::MAX_TERMINAL_LINE) return fail(CAPOS_EIO);
    memcpy(g_line.bytes, line->ptr, line->size());
    g_line.bytes[line->size()] = '\n';
    g_line.len = line->size() + 1;
    g_line.pos = 0;
  }
  size_t got = min(n, g_line.len - g_line.pos);
  memcpy(buf, g_line.bytes + g_line.pos, got);
  g_line.pos += got;
  return got;
}

}  // namespace capos::libc
