// posix_spawn/waitpid's capOS side: a child is started through the
// caller's ProcessSpawner (grant "spawner") with explicit grants only —
// copies of the caller's "console" and "timer" (its stdio and clock) and a
// fresh child-local "vm" for its heap; nothing else crosses. The child's
// ProcessHandle stays here, keyed by pid, for waitpid. The C names and
// errno are in os/spawn.c.
#include "lib/abi/ipc.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace {

namespace wire = capos::schema::wire;
using capos::Err;

constexpr uint32_t kMaxChildren = 16;
struct Child {
  uint32_t pid;
  capos::rt::Cap<wire::ProcessHandle> handle;
};
Child g_children[kMaxChildren];
uint32_t g_n_children = 0;

alignas(8) uint8_t g_params[1024];
alignas(8) uint8_t g_reply[1024];

capos::Result<uint32_t> spawn(capos::StrView binary) {
  auto spawner = CAPOS_TRY(capos::rt::capset_find<wire::ProcessSpawner>("spawner"));
  if (g_n_children == kMaxChildren) return capos::fail(Err::Overloaded);
  capos::capnp::FixedMessageBuilder params(capos::MutBytes(g_params, sizeof g_params));
  auto req = CAPOS_TRY(wire::ProcessSpawner::Client::spawnParams(params));
  CAPOS_TRY_STATUS(req.setName(binary));
  CAPOS_TRY_STATUS(req.setBinaryName(binary));
  // Copies of the caller's own console and timer, when it holds them.
  struct Copy {
    const char* name;
    uint64_t iface;
    uint32_t id;
  };
  Copy present[2];
  uint32_t n_xfer = 0;
  const Copy wanted[] = {{"console", wire::Console::kInterfaceId, 0}, {"timer", wire::Timer::kInterfaceId, 0}};
  for (Copy c : wanted) {
    if (auto id = capos::rt::capset_find_id(c.name, c.iface)) {
      c.id = *id;
      present[n_xfer++] = c;
    }
  }
  capos::abi::CapTransferDesc xfer[2];
  auto grants = CAPOS_TRY(req.initGrants(n_xfer + 1));
  for (uint32_t i = 0; i < n_xfer; ++i) {
    auto g = grants[i];
    CAPOS_TRY_STATUS(g.setName(present[i].name));
    g.setInterfaceId(present[i].iface);
    g.getSource().getTransfer().set_capability(i);
    xfer[i] = capos::abi::CapTransferDesc{present[i].id, capos::abi::XFER_COPY, {0, 0, 0}};
  }
  auto vm = grants[n_xfer];
  CAPOS_TRY_STATUS(vm.setName("vm"));
  vm.setInterfaceId(wire::VirtualMemory::kInterfaceId);
  vm.getSource().initChildLocal().setKind(wire::ChildLocalKind::VIRTUAL_MEMORY);

  capos::capnp::Response resp(capos::MutBytes(g_reply, sizeof g_reply));
  capos::abi::CapTransferRecord rec[8];
  uint32_t n_rec = 0;
  constexpr uint16_t kSpawnMethod = 0;  // ProcessSpawner.spawn @0
  CAPOS_TRY_STATUS(capos::rt::call_with_caps(spawner, kSpawnMethod, params, resp,
                                             capos::Span<const capos::abi::CapTransferDesc>(xfer, n_xfer),
                                             capos::Span<capos::abi::CapTransferRecord>(rec, 8), &n_rec));
  auto release_all = [&] {
    for (uint32_t i = 0; i < n_rec; ++i) capos::rt::release_cap(rec[i].cap_id);
  };
  auto root = resp.root();
  if (!root) return release_all(), capos::fail(Err::Corrupt);
  wire::SpawnResult::Reader r(*root);
  if (r.isBinaryNotFound()) return release_all(), capos::fail(Err::NotFound);
  if (!r.isSpawned()) return release_all(), capos::fail(Err::PermissionDenied);
  auto sp = r.getSpawned();
  auto hidx = sp.getHandle();
  if (!hidx || *hidx >= n_rec) return release_all(), capos::fail(Err::Corrupt);
  auto handle = capos::rt::record_cap<wire::ProcessHandle>(rec[*hidx]);
  if (!handle) return release_all(), capos::fail(Err::Corrupt);
  for (uint32_t i = 0; i < n_rec; ++i)
    if (i != *hidx) capos::rt::release_cap(rec[i].cap_id);
  g_children[g_n_children++] = Child{sp.getPid(), *handle};
  return sp.getPid();
}

}  // namespace

// 0, or the capos::Err of the failure (os/spawn.c maps it to errno).
extern "C" int capos_libc_spawn(const char* binary, uint32_t* pid) {
  auto r = spawn(capos::StrView(binary));
  if (!r) return static_cast<int>(r.error());
  *pid = *r;
  return 0;
}

// Waits for child `pid` (0: any, the oldest). Fills the wait status in
// the POSIX encoding: exit code << 8, or the signal number (SIGSEGV for a
// fault, SIGKILL when killed). 0, or the capos::Err (NotFound: no such
// child).
extern "C" int capos_libc_wait(uint32_t pid, uint32_t* waited, int* status) {
  uint32_t i = 0;
  while (i < g_n_children && pid != 0 && g_children[i].pid != pid) ++i;
  if (i >= g_n_children) return static_cast<int>(Err::NotFound);
  Child c = g_children[i];
  g_children[i] = g_children[--g_n_children];
  wire::ProcessHandle::Client h(&capos::rt::transport(), c.handle);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capos::capnp::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
  if (!wire::ProcessHandle::Client::waitParams(params)) return static_cast<int>(Err::Failed);
  capos::capnp::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
  auto r = h.wait(params, resp);
  capos::rt::release_cap(c.handle);
  if (!r) return static_cast<int>(r.error());
  auto st = r->getStatus();
  if (!st) return static_cast<int>(st.error());
  *waited = c.pid;
  constexpr int kSigKill = 9, kSigSegv = 11;  // the POSIX numbers (newlib's signal.h)
  if (st->isExited()) *status = static_cast<int>((st->getExited() & 0xff) << 8);
  else if (st->isFaulted()) *status = kSigSegv;
  else *status = kSigKill;
  return 0;
}
