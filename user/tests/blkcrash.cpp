// blkcrash: a BlockDevice client whose driver dies under it (QEMU test
// qemu.iommu_driver_crash: the driver, dmaevil, is stopped for a stray
// DMA while serving this client's read). The read in flight must fail
// `disconnected`, and so must the next call on the dead driver's cap.
#include "schema/devices.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;
using BD = wire::BlockDevice::Client;

namespace {
alignas(8) uint8_t g_pbuf[256];
alignas(8) uint8_t g_rbuf[1024];

Status read(rt::Cap<wire::BlockDevice> dev) {
  capnp::FixedMessageBuilder params{MutBytes(g_pbuf, sizeof(g_pbuf))};
  capnp::Response resp{MutBytes(g_rbuf, sizeof(g_rbuf))};
  auto p = CAPOS_TRY(BD::readParams(params));
  p.setLba(0);
  p.setBlocks(1);
  (void)CAPOS_TRY(BD(&rt::transport(), dev).read(params, resp));
  return {};
}
}  // namespace

int main() {
  auto dev = rt::capset_find<wire::BlockDevice>("block");
  if (!dev) return 2;
  Status first = read(*dev);
  rt::printf("blkcrash: read in flight when the driver was stopped: {}\n", first ? "success" : err_name(first.error()));
  Status second = read(*dev);
  rt::printf("blkcrash: next read on the same cap: {}\n", second ? "success" : err_name(second.error()));
  bool ok = !first && first.error() == Err::Disconnected && !second && second.error() == Err::Disconnected;
  if (ok) rt::print("blkcrash: all checks passed\n");
  return ok ? 0 : 1;
}
