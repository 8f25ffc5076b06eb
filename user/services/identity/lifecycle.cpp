// lifecycle: serves Lifecycle (schema/identity.capnp), the narrowed
// shutdown authority an operator bundle carries instead of SystemControl:
// power off or reboot with a clean status, nothing else. Holds "control"
// (SystemControl), "lifecycle" (endpoint) and optionally "audit" (an
// AuditLog writer endpoint: every request is recorded before it is
// carried out); the manifest grants its export only to the
// AuthorityBroker's operator bundle.
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/audit_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

rt::Cap<wire::SystemControl> g_control;
identity::AuditWriter g_audit;

Status shutdown(wire::SystemControl::ShutdownMode mode) {
  wire::SystemControl::Client c(&rt::transport(), g_control);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::SystemControl::Client::shutdownParams(p));
  pp.setMode(mode);
  pp.setStatus(0);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  (void)CAPOS_TRY(c.shutdown(p, r));
  return {};  // reached only if the machine could not do it
}

class LifecycleImpl final : public wire::Lifecycle::Server {
 public:
  Status powerOff(wire::Lifecycle::PowerOffParams::Reader, wire::Lifecycle::PowerOffResults::Builder) override {
    // A privileged action that cannot be recorded is not carried out.
    CAPOS_TRY_STATUS(g_audit.append("power off requested"));
    return shutdown(wire::SystemControl::ShutdownMode::POWER_OFF);
  }
  Status reboot(wire::Lifecycle::RebootParams::Reader, wire::Lifecycle::RebootResults::Builder) override {
    CAPOS_TRY_STATUS(g_audit.append("reboot requested"));
    return shutdown(wire::SystemControl::ShutdownMode::REBOOT);
  }
};

LifecycleImpl g_impl;

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("lifecycle");
  auto control = rt::capset_find<wire::SystemControl>("control");
  if (!ep || !control) {
    rt::printf("lifecycle: needs the `lifecycle` endpoint and `control` (SystemControl)\n");
    return 2;
  }
  g_control = *control;
  g_audit.attach();
  Status st = rt::serve(*ep, g_impl);
  rt::printf("lifecycle: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
