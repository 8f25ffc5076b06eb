// sysinfo: the SystemInfo service. Reads the manifest once through its
// "boot" cap (BootPackage), keeps kernelParams.motd and .hostname, and
// serves SystemInfo on its "sysinfo" endpoint. It holds nothing else, and
// SystemInfo reveals only these strings and the build facts.
#include "schema/capos.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/boot_package.h"

using namespace capos;
namespace wire = capos::schema::wire;

#ifndef CAPOS_VERSION
#define CAPOS_VERSION "0.1.0"
#endif
#ifndef CAPOS_COMMIT
#define CAPOS_COMMIT ""
#endif

namespace {

char g_motd[4097];
size_t g_motd_len = 0;
char g_host[64];
size_t g_host_len = 0;

class SystemInfoImpl final : public wire::SystemInfo::Server {
 public:
  Status motd(wire::SystemInfo::MotdParams::Reader, wire::SystemInfo::MotdResults::Builder r) override {
    return r.setText(StrView(g_motd, g_motd_len));
  }
  Status hostname(wire::SystemInfo::HostnameParams::Reader, wire::SystemInfo::HostnameResults::Builder r) override {
    return r.setName(StrView(g_host, g_host_len));
  }
  Status buildInfo(wire::SystemInfo::BuildInfoParams::Reader, wire::SystemInfo::BuildInfoResults::Builder r) override {
    CAPOS_TRY_STATUS(r.setVersion(CAPOS_VERSION));
    CAPOS_TRY_STATUS(r.setCommit(CAPOS_COMMIT));
    r.setSchemaAbiVersion(wire::SCHEMA_ABI_VERSION);
    return {};
  }
};

SystemInfoImpl g_impl;

void copy(StrView s, char* out, size_t cap, size_t* len) {
  *len = s.size() < cap ? s.size() : cap;
  memcpy(out, s.ptr, *len);
}

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("sysinfo");
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  if (!ep || !boot) {
    rt::printf("sysinfo: needs the `sysinfo` endpoint and the `boot` cap\n");
    return 2;
  }
  auto m = rt::boot_decode_manifest(*boot);
  if (!m) {
    rt::printf("sysinfo: cannot read the manifest: {}\n", err_name(m.error()));
    return 3;
  }
  copy(m->params.motd, g_motd, sizeof(g_motd) - 1, &g_motd_len);
  copy(m->params.hostname, g_host, sizeof(g_host) - 1, &g_host_len);
  Status st = rt::serve(*ep, g_impl);
  rt::printf("sysinfo: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
