// The Console behind fds 0-2 (grant name "console"): cooked output through
// the runtime's print (a bare '\n' goes out as "\r\n", chunked to the
// schema bound) and reads through Console.read. poll() needs to know
// whether input is waiting without consuming it, so a non-blocking read
// keeps what it got in a small lookahead that the next read returns first.
#include "schema/kernel.capnp.capos.h"
#include "user/libc/os/fd_state.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/transport.h"

namespace wire = capos::schema::wire;

namespace {

capos::libc::FdLock g_console_lock;
struct Lookahead {
  char bytes[256];
  size_t len = 0;
};
Lookahead g_ahead CAPOS_GUARDED_BY(g_console_lock);

// One Console.read: bytes read (0 when `block` is false and nothing is
// waiting), or the failure.
capos::Result<size_t> console_read(char* p, size_t n, bool block) {
  auto cap = CAPOS_TRY(capos::rt::capset_find<wire::Console>("console"));
  wire::Console::Client console(&capos::rt::transport(), cap);
  for (;;) {
    alignas(8) uint8_t pbuf[64], rbuf[wire::MAX_CONSOLE_READ_BYTES + 128];
    capos::capnp::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    auto rp = CAPOS_TRY(wire::Console::Client::readParams(params));
    rp.setMaxBytes(static_cast<uint32_t>(capos::min<size_t>(n, 1024)));
    rp.setBlock(block);
    capos::capnp::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    auto r = CAPOS_TRY(console.read(params, resp));
    if (r.which() != wire::Console::ReadResult::Which::DATA) {
      if (!block) return size_t{0};
      continue;
    }
    auto d = CAPOS_TRY(r.getData());
    size_t got = capos::min(d.size(), n);
    if (got == 0 && block) continue;
    memcpy(p, d.data(), got);
    return got;
  }
}

}  // namespace

// Bytes written, or -1 when there is no console or a write failed.
extern "C" long capos_libc_console_write(const char* p, size_t n) {
  if (!capos::rt::print(capos::StrView(p, n))) return -1;
  return static_cast<long>(n);
}

// Blocks for at least one byte; bytes read (never 0: the console has no
// end), -1 when there is no console or the read failed.
extern "C" long capos_libc_console_read(char* p, size_t n) {
  capos::libc::FdGuard g(g_console_lock);
  if (g_ahead.len > 0) {
    size_t got = capos::min(n, g_ahead.len);
    memcpy(p, g_ahead.bytes, got);
    memmove(g_ahead.bytes, g_ahead.bytes + got, g_ahead.len - got);
    g_ahead.len -= got;
    return static_cast<long>(got);
  }
  auto r = console_read(p, n, true);
  return r ? static_cast<long>(*r) : -1;
}

// 1 when input is waiting (kept for the next read), 0 when not, -1 when
// there is no console.
extern "C" int capos_libc_console_ready(void) {
  capos::libc::FdGuard g(g_console_lock);
  if (g_ahead.len > 0) return 1;
  auto r = console_read(g_ahead.bytes, sizeof g_ahead.bytes, false);
  if (!r) return -1;
  g_ahead.len = *r;
  return g_ahead.len > 0 ? 1 : 0;
}
