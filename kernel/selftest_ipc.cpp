// capos.test=ipc: drives endpoint IPC end to end with processes built
// from the boot module (user/tests/ipc_test.cpp), acting as a tiny init:
// it creates endpoints, grants facets, and judges exit statuses.
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/timer.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/objects/sched_context_cap.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/selftest_internal.h"
#include "kernel/selftest_procs.h"
#include "schema/memory.capnp.capos.h"

namespace capos::selftest {

namespace {

Bytes g_image;

constexpr uint64_t TEST_IFACE = 0x1234;

// The budget a server is bound to; static: its threads point at it until
// they are reaped.
sched::Budget g_capped_budget(nullptr, 0, 0, 0);

Process* spawn(const char* name, const char* cap_name, Ref<KObject> cap) CAPOS_REQUIRES(g_kernel_lock) {
  auto p = Process::create(name, g_image);
  if (!p) panic("selftest ipc: cannot create {}: {} ({})", name, err_name(p.error().code), p.error().detail);
  if (!(*p)->grant(cap_name, move(cap), TEST_IFACE)) panic("selftest ipc: grant failed");
  return *p;
}

Ref<KObject> client_of(const Ref<EndpointCore>& core) {
  return Ref<KObject>(ClientEndpoint::create(core));
}

void expect_exit(Ref<ExitWatch>& w, const char* who, ExitStatus::Kind kind, int64_t code) CAPOS_REQUIRES(g_kernel_lock) {
  w->wait();
  const ExitStatus& st = w->status();
  if (st.kind != kind || (kind == ExitStatus::Kind::Exited && st.code != code))
    panic("selftest ipc: {} ended with kind {} code {} (expected kind {} code {})", who,
          static_cast<int>(st.kind), st.code, static_cast<int>(kind), code);
  klog("selftest ipc: {} ended as expected\n", who);
}

void scenario() CAPOS_REQUIRES(g_kernel_lock) {
  {
    Ref<EndpointCore> core = EndpointCore::create(TEST_IFACE);
    Process* server = spawn("server", "endpoint", Ref<KObject>(EndpointOwner::create(core)));
    Process* a = spawn("client-a", "echo", Ref<KObject>(ClientEndpoint::create(core)));
    Process* b = spawn("client-b", "echo", Ref<KObject>(ClientEndpoint::create(core)));
    // client-a also echoes through buffers it unmaps and maps again.
    if (!a->grant("vm", Ref<KObject>(VmCap::create(a->pid())), schema::wire::VirtualMemory::kInterfaceId))
      panic("selftest ipc: grant failed");
    Ref<ExitWatch> ws = server->share_watch(), wa = a->share_watch(), wb = b->share_watch();
    server->start();
    a->start();
    b->start();
    expect_exit(wa, "client-a (2000 echoes + misuse checks, moved buffers)", ExitStatus::Kind::Exited, 0);
    expect_exit(wb, "client-b (2000 echoes + misuse checks)", ExitStatus::Kind::Exited, 0);

    // Copy and move transfers on CALL and RETURN; the server's table is
    // capped so a two-cap move must roll back.
    server->ledger().set_limit(Res::CapSlots, 4);
    Process* x = spawn("xfer", "xfer", client_of(core));
    if (!x->grant("extra1", client_of(core), TEST_IFACE) || !x->grant("extra2", client_of(core), TEST_IFACE))
      panic("selftest ipc: grant failed");
    Ref<ExitWatch> wx = x->share_watch();
    x->start();
    expect_exit(wx, "xfer (copy/move on CALL and RETURN, rollback, hostile descriptors)", ExitStatus::Kind::Exited, 0);

    // Multi-hop: A passes a capability to B, which passes it on to C.
    {
      Ref<EndpointCore> core_b = EndpointCore::create(TEST_IFACE), core_c = EndpointCore::create(TEST_IFACE);
      Process* c3 = spawn("hop-c", "hopc", Ref<KObject>(EndpointOwner::create(core_c)));
      Process* b3 = spawn("hop-b", "hopb", Ref<KObject>(EndpointOwner::create(core_b)));
      if (!b3->grant("next", client_of(core_c), TEST_IFACE)) panic("selftest ipc: grant failed");
      Process* a3 = spawn("hop-a", "hopa", client_of(core_b));
      if (!a3->grant("gift", client_of(core), TEST_IFACE)) panic("selftest ipc: grant failed");
      Ref<ExitWatch> wa3 = a3->share_watch(), wb3 = b3->share_watch(), wc3 = c3->share_watch();
      c3->start();
      b3->start();
      a3->start();
      expect_exit(wa3, "hop-a (A -> B -> C with a moved capability)", ExitStatus::Kind::Exited, 0);
      b3->request_kill();
      c3->request_kill();
      expect_exit(wb3, "hop-b (killed)", ExitStatus::Kind::Killed, 0);
      expect_exit(wc3, "hop-c (killed)", ExitStatus::Kind::Killed, 0);
    }

    // A client that dies with a call in flight leaves the server unharmed.
    Process* ab = spawn("abandoner", "abandoner", Ref<KObject>(ClientEndpoint::create(core)));
    Ref<ExitWatch> wab = ab->share_watch();
    ab->start();
    expect_exit(wab, "abandoner", ExitStatus::Kind::Faulted, 0);
    Process* c = spawn("client-c", "echo", Ref<KObject>(ClientEndpoint::create(core)));
    Ref<ExitWatch> wc = c->share_watch();
    c->start();
    expect_exit(wc, "client-c after the abandoned call", ExitStatus::Kind::Exited, 0);

    // The endpoint entry (kernel/ring/dispatch.cpp enter_endpoint): a
    // wait with a deadline it must leave to cap_enter (else the client
    // sleeps for ever on a held call), then a kill while the client waits
    // in it for a second held call.
    {
      Ref<EndpointCore> core_h = EndpointCore::create(TEST_IFACE);
      Process* h = spawn("holder", "holder", Ref<KObject>(EndpointOwner::create(core_h)));
      Process* e = spawn("entry", "entry", client_of(core));
      if (!e->grant("hold", client_of(core_h), TEST_IFACE)) panic("selftest ipc: grant failed");
      Ref<ExitWatch> wh = h->share_watch(), we = e->share_watch();
      h->start();
      e->start();
      // Both calls delivered: the client made its second one in a
      // cap_enter it did not leave (delivery and block hold the lock).
      // poll_point runs the deferred timer work (the deadline's expiry).
      uint64_t end = timer::ticks() + 30 * timer::TICK_HZ;
      auto serving = [&]() CAPOS_REQUIRES(g_kernel_lock) {  // the calls the holder holds (the list keeps no count)
        uint32_t n = 0;
        for (IpcCall* c = h->ipc().serving.front(); c; c = h->ipc().serving.next(c)) ++n;
        return n;
      };
      while (serving() < 2) {
        if (we->exited()) expect_exit(we, "entry (ended before its second held call)", ExitStatus::Kind::Killed, 0);
        if (timer::ticks() >= end) {
          sched::log_state(e->thread_in(0));
          panic("selftest ipc: the entry client's held calls did not both arrive (the deadline wait did not end?)");
        }
        procs::poll_point();
      }
      const Thread* et = e->thread_in(0);
      if (et->state != ThreadState::Blocked || !et->in_cap_enter)
        panic("selftest ipc: the entry client is not waiting in cap_enter (state {})", static_cast<int>(et->state));
      e->request_kill();
      expect_exit(we, "entry (deadline wait, then killed waiting in the endpoint entry)", ExitStatus::Kind::Killed, 0);
      h->request_kill();
      expect_exit(wh, "holder (killed)", ExitStatus::Kind::Killed, 0);
    }

    // A server whose budget runs out: the client's endpoint entry hands
    // the CPU over by the direct switch, whose budget test (sched
    // block_and_switch) holds the server back until its period renews;
    // every call is still answered, and the server is woken where the
    // entry blocked it.
    {
      Ref<EndpointCore> core_t = EndpointCore::create(TEST_IFACE);
      Process* st = spawn("server-capped", "endpoint", Ref<KObject>(EndpointOwner::create(core_t)));
      // 0.2 ms per 10 ms: a few hundred echoes use it up.
      uint64_t hz = timer::tsc_hz();
      g_capped_budget = sched::Budget(nullptr, hz / 5000, hz / 100, arch::rdtsc());
      Ref<SchedContextCap> ctx = SchedContextCap::create_root();  // names the binding; the budget is ours
      st->bind_sched(ctx.get(), &g_capped_budget, 1);
      Process* cd = spawn("client-d", "echo", client_of(core_t));
      Ref<ExitWatch> wst = st->share_watch(), wcd = cd->share_watch();
      st->start();
      cd->start();
      expect_exit(wcd, "client-d (2000 echoes from a throttled server)", ExitStatus::Kind::Exited, 0);
      if (g_capped_budget.throttled() == 0) panic("selftest ipc: the capped server was never held back");
      klog("selftest ipc: the capped server was held back {} times\n", g_capped_budget.throttled());
      st->request_kill();
      expect_exit(wst, "server-capped (killed)", ExitStatus::Kind::Killed, 0);
    }

    // The server crashes mid-call: callers get DISCONNECTED, now and later.
    Process* cr = spawn("crasher", "crasher", Ref<KObject>(ClientEndpoint::create(core)));
    Ref<ExitWatch> wcr = cr->share_watch();
    cr->start();
    expect_exit(ws, "server (crashes on request)", ExitStatus::Kind::Faulted, 0);
    expect_exit(wcr, "crasher (sees DISCONNECTED)", ExitStatus::Kind::Exited, 0);
    if (!core->dead()) panic("selftest ipc: endpoint still alive after its server died");
  }
  settle_processes();
}

void ipc_thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  // The first round warms the recycled IPC record pool; the second must
  // return to exactly the same frame and heap counts.
  scenario();
  uint64_t frames_before = frames::free_count();
  size_t heap_before = heap::stats().allocations;
  scenario();
  uint64_t frames_after = frames::free_count();
  size_t heap_after = heap::stats().allocations;
  klog("selftest ipc: second round: free frames {} -> {}; heap allocations {} -> {}\n", frames_before,
       frames_after, heap_before, heap_after);
  if (frames_after != frames_before || heap_after != heap_before) panic("selftest ipc: leak detected");
  klog("capOS: selftest ipc ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

}  // namespace

void run_ipc(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest ipc: needs the ipc_test program as the boot module");
  g_image = module;
  auto t = Thread::create_kernel("selftest-ipc", ipc_thread, nullptr);
  if (!t) panic("selftest ipc: no thread");
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
