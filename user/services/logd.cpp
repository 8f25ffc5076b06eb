// logd: the LogSink service. Serves LogSink.log on its endpoint "log"
// (owner facet) and prints each record on its "console" as
//   [<caller>] <level>: <message>
// where <caller> is the short hex of the kernel's service-scoped caller
// reference: stable per client session, unforgeable by the client (it is
// identity as data, never a name the client chooses).
#include "lib/core/escape.h"
#include "lib/wire/schema_enums.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

using wire_enums::log_level_name;

class LogSinkImpl final : public wire::LogSink::Server {
 public:
  Status log(wire::LogSink::LogParams::Reader p, wire::LogSink::LogResults::Builder r) override {
    StrView msg = CAPOS_TRY(p.getMessage());
    msg = msg.substr(0, wire::MAX_LOG_MESSAGE_BYTES);  // schema: cut, not rejected
    // The kernel's rule (lib/core/escape.h): every untrusted byte escaped,
    // so one record is one line and a client cannot forge other lines,
    // other origins or terminal sequences in the console log.
    char clean[escaped_max(wire::MAX_LOG_MESSAGE_BYTES)];
    StrView text = escape_untrusted(msg, clean, sizeof clean);
    const abi::EndpointMessageHeader& h = rt::current_call();
    uint32_t ref = static_cast<uint32_t>(h.scoped_ref_lo ^ (h.scoped_ref_lo >> 32));
    rt::printf("[{:08x}] {}: {}\n", ref, log_level_name(p.getLevel()), text);
    r.setAccepted(true);
    return {};
  }
};

LogSinkImpl g_impl;

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("log");
  if (!ep) {
    rt::printf("logd: no `log` endpoint granted ({})\n", err_name(ep.error()));
    return 2;
  }
  Status st = rt::serve(*ep, g_impl);
  rt::printf("logd: serving stopped: {}\n", err_name(st.error()));
  return 3;
}
