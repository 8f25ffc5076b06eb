// The Console behind fds 0-2 (grant name "console"): cooked output through
// the runtime's print (a bare '\n' goes out as "\r\n", chunked to the
// schema bound) and blocking reads through Console.read.
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/transport.h"

namespace wire = capos::schema::wire;

// Bytes written, or -1 when there is no console or a write failed.
extern "C" long capos_libc_console_write(const char* p, size_t n) {
  if (!capos::rt::print(capos::StrView(p, n))) return -1;
  return static_cast<long>(n);
}

// Blocks for at least one byte; bytes read, 0 never (the console has no
// end), -1 when there is no console or the read failed.
extern "C" long capos_libc_console_read(char* p, size_t n) {
  auto cap = capos::rt::capset_find<wire::Console>("console");
  if (!cap) return -1;
  wire::Console::Client console(&capos::rt::transport(), *cap);
  for (;;) {
    alignas(8) uint8_t pbuf[64], rbuf[wire::MAX_CONSOLE_WRITE_BYTES + 128];
    capos::capnp::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    auto rp = wire::Console::Client::readParams(params);
    if (!rp) return -1;
    uint32_t want = n > 1024 ? 1024 : static_cast<uint32_t>(n);
    rp->setMaxBytes(want);
    rp->setBlock(true);
    capos::capnp::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    auto r = console.read(params, resp);
    if (!r) return -1;
    if (r->which() != wire::Console::ReadResult::Which::DATA) continue;
    auto d = r->getData();
    if (!d) return -1;
    size_t got = d->size() < n ? d->size() : n;
    if (got == 0) continue;
    memcpy(p, d->data(), got);
    return static_cast<long>(got);
  }
}
