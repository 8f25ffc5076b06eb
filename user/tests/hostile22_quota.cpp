// Quota isolation (issue 22): "hog" exhausts its own (lowered) quotas
// through every path it has, then holds everything; "guarded", started
// afterwards, must still get frames within its own quota and sees the
// hog pinned at its limits in SystemStatus.
#include "user/tests/hostile22.h"

namespace capos::h22 {

using namespace abi;

// Order matters only so that each path meets its own limit: sparse maps
// (one frame and up to three page tables each) until page tables run out,
// MemoryObjects until frames are nearly gone, single anonymous pages next
// to the first sparse map (no new table) until frames run out, then
// Timer.sleeps until the outstanding-call quota is used up. Every refusal
// must be Overloaded. Then it blocks until killed.
int hog() {
  auto vm = cap<wire::VirtualMemory>("hog");
  auto fa = cap<wire::FrameAllocator>("frames");
  auto t = cap<wire::Timer>("timer");
  uint32_t sparse = 0, objects = 0, anon = 0, sleeps = 0;
  for (;; ++sparse) {
    uint64_t hint = USER_HEAP_BASE + (uint64_t{sparse} << 39);
    auto a = vm_map(vm, hint, PG, true);
    if (!a) {
      H22_CHECK(a.error() == Err::Overloaded, 120);
      break;
    }
    H22_CHECK(*a == hint, 121);
  }
  for (;; ++objects) {
    auto mo = allocate(fa, 32);
    if (!mo) {
      H22_CHECK(mo.error() == Err::Overloaded, 122);
      break;
    }
  }
  for (;; ++anon) {
    auto a = vm_map(vm, USER_HEAP_BASE + (1 + uint64_t{anon}) * PG, PG, true);
    if (!a) {
      H22_CHECK(a.error() == Err::Overloaded, 123);
      break;
    }
    *reinterpret_cast<volatile uint8_t*>(*a) = 1;
  }
  H22_CHECK(sparse > 0 && objects > 0 && anon > 0, 124);
  static uint8_t sp_buf[64];
  capnp::FixedMessageBuilder mb(MutBytes(sp_buf, sizeof(sp_buf)));
  auto p = wire::Timer::Client::sleepParams(mb);
  H22_CHECK(p, 125);
  p->setDurationNs(3600'000'000'000ull);
  Bytes msg = mb.framed();
  static uint8_t results[CQ_ENTRIES][64];
  for (;; ++sleeps) {
    H22_CHECK(sleeps < CQ_ENTRIES - 1, 126);  // the quota must bind before the ring does
    CapCqe c = {};
    CapSqe s = call_sqe(t, static_cast<uint16_t>(wire::Timer::Method::SLEEP), msg.data(),
                        static_cast<uint32_t>(msg.size()), results[sleeps], 64);
    H22_CHECK(rt::ring().push(s), 127);
    H22_CHECK(rt::ring().enter(0, CAP_ENTER_NO_WAIT).ok(), 128);
    if (rt::ring().try_take(s.user_data, &c)) {  // answered at once: refused
      H22_CHECK(c.result == CAP_ERR_APPLICATION_EXCEPTION, 129);
      break;
    }
  }
  rt::cap_enter(1, CAP_ENTER_FOREVER);  // never satisfied: ends by kill
  return 130;
}

// Runs while the hog holds everything: FrameAllocator.allocate within its
// own quota succeeds and the memory is usable; the hog's ledger (read by
// name through SystemStatus.processes) sits at its limits.
int guarded() {
  auto fa = cap<wire::FrameAllocator>("guarded");
  auto ss = cap<wire::SystemStatus>("status");
  auto mo = allocate(fa, 64);
  if (!mo) {
    rt::printf("guarded: allocate(64) within quota failed: {}\n", err_name(mo.error()));
    return 140;
  }
  Call c;
  auto mp = wire::MemoryObject::Client::mapParams(c.params);
  auto prot = mp->initProt();
  H22_CHECK(prot, 141);
  prot->setRead(true);
  prot->setWrite(true);
  auto m = wire::MemoryObject::Client(&rt::transport(), *mo).map(c.params, c.resp);
  H22_CHECK(m, 142);
  for (uint64_t i = 0; i < 64 * PG; i += PG) reinterpret_cast<volatile uint8_t*>(m->getAddr())[i] = 7;
  auto freef = free_frames(ss);
  H22_CHECK(freef, 143);
  rt::printf("guarded: allocate(64) within my quota succeeded while the hog held its quota; {} frames free\n",
             *freef);
  return 0;
}

}  // namespace capos::h22
