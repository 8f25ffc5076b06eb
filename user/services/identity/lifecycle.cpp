// lifecycle: serves Lifecycle (schema/identity.capnp), the narrowed
// shutdown authority an operator bundle carries instead of SystemControl:
// power off or reboot with a clean status, nothing else. Holds "control"
// (SystemControl), "lifecycle" (endpoint) and optionally "audit" (an
// AuditLog writer endpoint: every request is recorded before it is
// carried out) and "log" (its kernel LogSink); the manifest grants its
// export only to the AuthorityBroker's operator bundle.
//
// A request that auditd refuses (it could not write the record) is not
// carried out. A request while auditd is gone (its endpoint disconnected:
// it crashed, and a restart could not reach this holder's old endpoint)
// is recorded on the kernel LogSink instead, whose source the kernel
// stamps `lifecycle`, and then carried out: a dead audit service must not
// keep the operator from powering the machine off. Only when neither
// record can be written is the request refused.
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/audit_client.h"
#include "user/services/log_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

rt::Cap<wire::SystemControl> g_control;
identity::AuditWriter g_audit;
svc::Log g_log;
bool g_have_log = false;

// Records `what` before it is done: the AuditLog, or the kernel log if
// auditd is gone.
Status record(StrView what) {
  Status st = g_audit.append(what);
  if (st || st.error() != Err::Disconnected) return st;
  char line[160];
  StrView text = format_to(line, sizeof(line), "lifecycle: the AuditLog is gone (auditd ended): {}, recorded here only", what);
  if (!g_have_log || !g_log.log(wire::LogLevel::WARN, text)) return st;
  return {};
}

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
    CAPOS_TRY_STATUS(record("power off requested"));
    return shutdown(wire::SystemControl::ShutdownMode::POWER_OFF);
  }
  Status reboot(wire::Lifecycle::RebootParams::Reader, wire::Lifecycle::RebootResults::Builder) override {
    CAPOS_TRY_STATUS(record("reboot requested"));
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
  g_have_log = bool(g_log.attach());
  Status st = rt::serve(*ep, g_impl);
  rt::printf("lifecycle: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
