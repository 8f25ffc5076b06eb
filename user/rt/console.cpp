#include "user/rt/console.h"

#include "schema/identity.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace capos::rt {

namespace wire = schema::wire;

namespace {

// A program the shell runs with `stdio: client @stdio` has no console: its
// output goes to the StdIO the shell serves, raw (the shell turns '\n'
// into CR LF itself).
bool print_stdio(Cap<wire::StdIO> io, StrView text) {
  wire::StdIO::Client c(&transport(), io);
  while (!text.empty()) {
    StrView chunk = text.substr(0, 1024);
    alignas(8) uint8_t pbuf[1024 + 64], rbuf[64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    auto p = wire::StdIO::Client::writeParams(params);
    if (!p || !p->setData(Bytes(reinterpret_cast<const uint8_t*>(chunk.ptr), chunk.size()))) return false;
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    if (!c.write(params, resp)) return false;
    text = text.substr(chunk.size());
  }
  return true;
}

}  // namespace

bool print(StrView text) {
  static bool looked = false;
  static Cap<wire::Console> cap;
  static Cap<wire::StdIO> io;
  if (!looked) {
    looked = true;
    cap = capset_find<wire::Console>("console").value_or(Cap<wire::Console>());
    io = capset_find<wire::StdIO>("stdio").value_or(Cap<wire::StdIO>());
  }
  if (!cap) return io ? print_stdio(io, text) : false;
  wire::Console::Client console(&transport(), cap);
  // Console.write is raw; text from print() is cooked for a terminal:
  // a bare '\n' goes out as "\r\n". Chunks stay within the schema bound.
  constexpr size_t CHUNK = wire::MAX_CONSOLE_WRITE_BYTES / 2;
  char cooked[wire::MAX_CONSOLE_WRITE_BYTES];
  char prev = 0;
  while (!text.empty()) {
    size_t in = 0, out = 0;
    while (in < text.size() && in < CHUNK) {
      char c = text[in++];
      if (c == '\n' && prev != '\r') cooked[out++] = '\r';
      cooked[out++] = c;
      prev = c;
    }
    alignas(8) uint8_t pbuf[wire::MAX_CONSOLE_WRITE_BYTES + 64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    auto p = wire::Console::Client::writeParams(params);
    if (!p || !p->setData(Bytes(reinterpret_cast<const uint8_t*>(cooked), out))) return false;
    alignas(8) uint8_t rbuf[64];
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    if (!console.write(params, resp)) return false;
    text = text.substr(in);
  }
  return true;
}

}  // namespace capos::rt
