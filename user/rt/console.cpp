#include "user/rt/console.h"

#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace capos::rt {

namespace wire = schema::wire;

bool print(StrView text) {
  static bool looked = false;
  static uint32_t cap = 0;
  static bool have = false;
  if (!looked) {
    looked = true;
    auto c = capset_find("console", wire::Console::kInterfaceId);
    have = c.ok();
    cap = c.value_or(0);
  }
  if (!have) return false;
  wire::Console::Client console(&transport(), cap);
  // Large texts go out in schema-bounded chunks.
  while (!text.empty()) {
    StrView chunk = text.substr(0, wire::MAX_CONSOLE_WRITE_BYTES);
    alignas(8) uint8_t pbuf[wire::MAX_CONSOLE_WRITE_BYTES + 64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    auto p = wire::Console::Client::writeParams(params);
    if (!p || !p->setData(Bytes(reinterpret_cast<const uint8_t*>(chunk.ptr), chunk.size()))) return false;
    alignas(8) uint8_t rbuf[64];
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    if (!console.write(params, resp)) return false;
    text = text.substr(chunk.size());
  }
  return true;
}

}  // namespace capos::rt
