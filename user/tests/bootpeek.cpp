// bootpeek: what one BootPackage lets its holder read (qemu.boot_secrets,
// docs/identity.md "Keys"). It reports whether the secrets "credkey" and
// "auditkey" and the data file "manual.pages" can be found and read, and
// whether its BootPackage can narrow (to "credkey"). Init gives every
// service a BootPackage narrowed to at most its own secret, so a service
// without one reads no key and none can narrow again.
//
// Caps: "boot" (BootPackage); any cap named "as-<who>" names this
// instance in its lines (two services run this binary).
#include "schema/manifest.capnp.capos.h"
#include "user/rt/boot_package.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

StrView g_who = "?";

void peek(rt::Cap<wire::BootPackage> boot, StrView name) {
  auto size = rt::boot_binary_size(boot, name);
  if (!size) {
    rt::printf("bootpeek {}: {}: cannot find it ({})\n", g_who, name, err_name(size.error()));
    return;
  }
  uint8_t buf[32];
  size_t n = *size < sizeof(buf) ? static_cast<size_t>(*size) : sizeof(buf);
  Status st = rt::boot_read_binary(boot, name, 0, MutBytes(buf, n));
  if (!st) {
    rt::printf("bootpeek {}: {}: found ({} bytes) but cannot read it ({})\n", g_who, name, *size, err_name(st.error()));
    return;
  }
  rt::printf("bootpeek {}: {}: READ {} bytes\n", g_who, name, n);
}

}  // namespace

int main() {
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  if (!boot) {
    rt::printf("bootpeek: needs `boot`\n");
    return 2;
  }
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    StrView name = e ? rt::capset_name(*e) : StrView();
    if (name.starts_with("as-")) g_who = name.substr(3);
  }
  peek(*boot, "manual.pages");
  peek(*boot, "credkey");
  peek(*boot, "auditkey");
  alignas(8) uint8_t pbuf[128], rbuf[128];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto p = wire::BootPackage::Client::narrowParams(params);
  if (!p || !p->setSecret("credkey")) return 3;
  auto narrowed = rt::call_for_cap<wire::BootPackage>(*boot, static_cast<uint16_t>(wire::BootPackage::Method::NARROW),
                                                      params, resp);
  if (narrowed) {
    rt::printf("bootpeek {}: narrow(credkey) GRANTED\n", g_who);
    peek(*narrowed, "credkey");
  } else {
    rt::printf("bootpeek {}: narrow(credkey) refused: {} ({})\n", g_who, err_name(narrowed.error()), rt::call_exception());
  }
  rt::printf("bootpeek {}: done\n", g_who);
  return 0;
}
