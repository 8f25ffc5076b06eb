// devhostile: a hostile driver, run as init with DeviceManager, Console
// and SystemStatus (QEMU test qemu.devices_hostile; no DMA opt-in in its
// manifest). It claims what is not there, claims twice, maps BARs and
// ranges it was not given (including the MSI-X table), hands the kernel a
// BAR mapping as a message buffer, writes garbage over the whole virtio
// register window, routes bad MSI-X entries, asks for DMA without an
// IOMMU, and releases a pending Interrupt.wait. Each is refused or
// contained; afterwards the function is claimable again and the free
// frame count after a second identical round equals the count after the
// first exactly (the first round warms per-process caches: kernel-cap
// scratch, call records). Exit 0 only if all checks pass.
#include "lib/abi/errors.h"
#include "lib/abi/ring.h"
#include "lib/core/cstring.h"
#include "schema/kernel.capnp.capos.h"
#include "user/drivers/device.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
using namespace capos::drivers;
using namespace capos::abi;
namespace wire = capos::schema::wire;

namespace {

int g_failures = 0;
rt::Cap<wire::DeviceManager> g_dm;
rt::Cap<wire::SystemStatus> g_status;
rt::Cap<wire::Console> g_console;
uint64_t g_base = 0, g_after = 0;

void check(bool ok, StrView what) {
  if (ok) return;
  ++g_failures;
  rt::printf("devhostile: FAILED: {}\n", what);
}

template <class T> void refused(const Result<T>& r, Err want, StrView what) {
  if (!r && r.error() == want) {
    rt::printf("devhostile: refused {}: {}\n", what, err_name(r.error()));
    return;
  }
  ++g_failures;
  rt::printf("devhostile: FAILED: {} gave {}\n", what, r ? "success" : err_name(r.error()));
}

// Refused as invalidArgument with the kernel's `why` (the exception message):
// PermissionDenied travels as invalidArgument, its name as the message.
template <class T> void refused_because(const Result<T>& r, StrView why, StrView what) {
  StrView msg = rt::call_exception();  // claim and narrow go through call_for_cap
  if (!r && r.error() == Err::InvalidArgument && msg == why) {
    rt::printf("devhostile: refused {}: {} ({})\n", what, err_name(r.error()), msg);
    return;
  }
  ++g_failures;
  rt::printf("devhostile: FAILED: {} gave {} ({})\n", what, r ? "success" : err_name(r.error()), msg);
}

Result<uint64_t> free_frames() {
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  (void)CAPOS_TRY(wire::SystemStatus::Client::memoryParams(params));
  return CAPOS_TRY(wire::SystemStatus::Client(&rt::transport(), g_status).memory(params, resp)).getFreeFrames();
}

// A raw Console.write CALL whose params or result buffer is `addr`.
int32_t console_call_with(uint64_t params, uint64_t result) {
  alignas(8) static uint8_t ok_buf[256];
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.cap_id = g_console.id();
  s.method_id = 0;
  s.params_addr = params ? params : reinterpret_cast<uint64_t>(ok_buf);
  s.params_len = 64;
  s.result_addr = result ? result : reinterpret_cast<uint64_t>(ok_buf);
  s.result_len = 64;
  s.user_data = rt::ring().next_user_data();
  return rt::ring().call(s).result;
}

uint64_t g_rng = 0x9E3779B97F4A7C15ull;
uint64_t next_rand() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

void round(const Found* f);

int run() {
  auto dm = rt::capset_find<wire::DeviceManager>("devices");
  auto st = rt::capset_find<wire::SystemStatus>("status");
  auto con = rt::capset_find<wire::Console>("console");
  if (!dm || !st || !con) return 2;
  g_dm = *dm;
  g_status = *st;
  g_console = *con;
  static const uint16_t ids[] = {0x1042};
  auto f = find_device(g_dm, 0x1AF4, Span<const uint16_t>(ids, 1));
  if (!f) return 3;

  for (int i = 1; i <= 2; ++i) {
    round(&*f);
    auto frames = free_frames();
    check(frames.ok(), "SystemStatus.memory");
    rt::printf("devhostile: round {} done, {} frames free\n", i, frames.value_or(0));
    if (i == 1) g_base = frames.value_or(0);
    else g_after = frames.value_or(1);
  }
  check(g_after == g_base, "free frames after round 2 equal those after round 1");
  if (g_failures == 0) rt::print("devhostile: all checks passed\n");
  return g_failures == 0 ? 0 : 10;
}

// A narrowed DeviceManager (what init grants a driver from the manifest's
// `devices`) covers its own device only: the ICH9 SATA controller 00:1f.2
// that every q35 machine has is out of its reach, and narrowing never widens.
void narrowed(const Found* f) {
  const DeviceId mine[] = {{f->vendor, f->device}};
  auto nd = narrow(g_dm, Span<const DeviceId>(mine, 1));
  check(nd.ok(), "narrow to the virtio-blk function");
  if (!nd) return;
  auto n = count_devices(*nd);
  check(n && *n == 1, "a narrowed manager lists only its device");
  if (n) rt::printf("devhostile: narrowed manager lists {} function(s)\n", *n);
  refused_because(claim(*nd, 0, 0x1F, 2), "permission-denied",
                  "claim of another function (00:1f.2) through a narrowed manager");
  const DeviceId sata[] = {{0x8086, 0x2922}};
  refused_because(narrow(*nd, Span<const DeviceId>(sata, 1)), "permission-denied",
                  "narrowing a narrowed manager to another device");
  refused(narrow(g_dm, Span<const DeviceId>()), Err::InvalidArgument, "narrowing to no devices");
  DeviceId nine[9];
  for (DeviceId& d : nine) d = mine[0];
  refused(narrow(g_dm, Span<const DeviceId>(nine, 9)), Err::InvalidArgument, "narrowing to 9 matches");
  auto again = narrow(*nd, Span<const DeviceId>(mine, 1));
  check(again.ok(), "narrowing a narrowed manager to its own device");
  if (again) rt::release_cap(*again);
  auto mmio = claim(*nd, f->bus, f->dev, f->fn);
  check(mmio.ok(), "claim of its own device through the narrowed manager");
  if (mmio) rt::release_cap(*mmio);
  rt::release_cap(*nd);
}

void round(const Found* f) {
  narrowed(f);
  refused(claim(g_dm, 0, 0x1E, 7), Err::InvalidArgument, "claim of an empty slot 00:1e.7");
  refused(claim(g_dm, 0, 5, 0), Err::InvalidArgument, "claim of the PCI bridge 00:05.0");
  auto mmio = claim(g_dm, f->bus, f->dev, f->fn);
  check(mmio.ok(), "claim after release");
  if (!mmio) return;
  refused(claim(g_dm, f->bus, f->dev, f->fn), Err::Overloaded, "second claim of a claimed function");

  refused(map_bar(*mmio, 7, 0, 4096), Err::InvalidArgument, "map of BAR 7 (no such BAR)");
  refused(map_bar(*mmio, 0, 0, 4096), Err::InvalidArgument, "map of BAR 0 (not implemented)");
  refused(map_bar(*mmio, 1, 0, 4096), Err::InvalidArgument, "map of the MSI-X table page");
  refused(map_bar(*mmio, 4, 0x4000, 4096), Err::InvalidArgument, "map past the end of BAR 4");
  refused(map_bar(*mmio, 4, 0x800, 4096), Err::InvalidArgument, "map at an unaligned offset");
  refused(map_bar(*mmio, 4, 0, 0), Err::InvalidArgument, "map of 0 bytes");
  refused(map_bar(*mmio, 4, ~0ull & ~0xFFFull, 8192), Err::InvalidArgument, "map at offset 2^64-4096 (overflow)");
  refused(read_config(*mmio, 4096), Err::InvalidArgument, "config read at 4096");
  refused(read_config(*mmio, 2), Err::InvalidArgument, "config read at an unaligned offset");
  auto id = read_config(*mmio, 0);
  check(id && *id == 0x10421AF4u, "config read of the id register");

  auto regs = map_bar(*mmio, 4, 0, 0x4000);
  check(regs.ok(), "map of the virtio register BAR");
  if (!regs) return;
  // The kernel never touches device registers on a process's behalf.
  int32_t r1 = console_call_with(*regs, 0), r2 = console_call_with(0, *regs + 0x1000);
  check(r1 == CAP_ERR_INVALID_PARAMS_BUFFER && r2 == CAP_ERR_INVALID_RESULT_BUFFER, "BAR pages as message buffers");
  rt::printf("devhostile: BAR mapping as params buffer: {}, as result buffer: {}\n", cap_err_name(r1),
             cap_err_name(r2));

  // Garbage into every register of the window, doorbells included. Bus
  // mastering is off (no DmaPool), so whatever the device makes of it,
  // it cannot reach memory.
  auto* w = reinterpret_cast<volatile uint32_t*>(*regs);
  for (int i = 0; i < 4000; ++i) w[next_rand() % (0x4000 / 4)] = static_cast<uint32_t>(next_rand());
  rt::print("devhostile: 4000 garbage register writes (doorbells included) done\n");

  refused(route_interrupt(*mmio, 99), Err::InvalidArgument, "MSI-X entry 99 of 2");
  auto irq = route_interrupt(*mmio, 0);
  check(irq.ok(), "route MSI-X entry 0");
  refused(route_interrupt(*mmio, 0), Err::InvalidArgument, "MSI-X entry 0 routed twice");
  refused(dma_pool(*mmio, 8), Err::Unsupported, "DMA pool without an IOMMU or the manifest opt-in");

  // A wait pending when its Interrupt is released completes disconnected.
  if (irq) {
    alignas(8) uint8_t pbuf[64], rbuf[64];
    capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
    (void)wire::Interrupt::Client::waitParams(params);
    rt::AsyncCall wait;
    check(rt::submit_call(wait, *irq, 0, params, MutBytes(rbuf, sizeof(rbuf))).ok(),
          "submit Interrupt.wait");
    check(!rt::poll_call(wait), "Interrupt.wait stays pending");
    rt::release_cap(*irq);
    rt::AsyncCall* calls[] = {&wait};
    bool done = rt::wait_any(Span<rt::AsyncCall* const>(calls, 1)).value_or(1) == 0;
    check(done && wait.cqe.result == CAP_ERR_DISCONNECTED, "pending wait after release");
    rt::printf("devhostile: pending Interrupt.wait after its release: {}\n", cap_err_name(wait.cqe.result));
  }

  check(unmap_bar(*mmio, *regs).ok(), "unmap");
  refused(unmap_bar(*mmio, *regs), Err::InvalidArgument, "unmap twice");
  rt::release_cap(*mmio);
  auto again = claim(g_dm, f->bus, f->dev, f->fn);
  check(again.ok(), "claim after the hostile round");
  if (again) rt::release_cap(*again);
}

}  // namespace

int main() { return run(); }
