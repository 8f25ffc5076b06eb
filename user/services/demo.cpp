// demo: the program the shell's `run`/`spawn` starts. With a "stdio" cap
// (`run "demo" with { stdio: client @stdio }`) it asks for a name on its
// StdIO, reads one line and answers; else it prints one line through the
// "console" it was granted. Exits 0.
#include "lib/core/format.h"
#include "schema/identity.capnp.capos.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

Status stdio_write(rt::Cap<wire::StdIO> io, StrView text) {
  wire::StdIO::Client c(&rt::transport(), io);
  alignas(8) uint8_t pbuf[512], rbuf[64];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::StdIO::Client::writeParams(p));
  CAPOS_TRY_STATUS(pp.setData(Bytes(reinterpret_cast<const uint8_t*>(text.ptr), text.size())));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  (void)CAPOS_TRY(c.write(p, r));
  return {};
}

int converse(rt::Cap<wire::StdIO> io) {
  if (!stdio_write(io, "demo: what is your name? ")) return 3;
  wire::StdIO::Client c(&rt::transport(), io);
  alignas(8) uint8_t pbuf[64], rbuf[512];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  if (!wire::StdIO::Client::readLineParams(p)) return 3;
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = c.readLine(p, r);
  if (!res) return 4;
  if (res->getEof()) return stdio_write(io, "demo: no name, then\n") ? 0 : 3;
  char buf[400];
  StrView answer = format_to(buf, sizeof(buf), "demo: hello, {}! ({} letters)\n", res->getLine().value_or("?"),
                             res->getLine().value_or("").size());
  return stdio_write(io, answer) ? 0 : 3;
}

}  // namespace

int main() {
  if (auto io = rt::capset_find<wire::StdIO>("stdio")) return converse(*io);
  if (!rt::printf("demo: hello from pid {}\n", rt::pid())) return 2;  // no console granted
  return 0;
}
