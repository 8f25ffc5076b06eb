#include "kernel/objects/spawner_cap.h"

#include "kernel/boot/boot_package.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/objects/log_sink_cap.h"
#include "kernel/objects/sched_context_cap.h"
#include "kernel/objects/thread_caps.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/debug/log.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "lib/manifest/cap_matrix.h"
#include "lib/manifest/validate.h"
#include "schema/ipc.capnp.capos.h"

namespace capos {

namespace wire = schema::wire;

namespace {

struct PlannedGrant {
  StrView name;
  uint64_t interface_id;
  bool endpoint = false;  // child-local endpoint (else a transfer)
  // A per-process kernel cap made for the child once it exists
  // (VirtualMemory, ThreadControl, ThreadSpawner: bound to its pid;
  // LogSink: scoped to its name).
  bool kernel_local = false;
  wire::ChildLocalKind local_kind = wire::ChildLocalKind::VIRTUAL_MEMORY;
  uint32_t xfer_index = 0;
  Ref<EndpointCore> core;
};

// The capability-matrix cell (lib/manifest/cap_matrix.h, column Child) for
// a child-local kind; unknown ordinals are refused.
manifest::Cell child_local_cell(wire::ChildLocalKind k) {
  using manifest::KernelCapKind;
  auto kernel = [](KernelCapKind kind) {
    return manifest::cell_for(manifest::Holder::Child, manifest::SourceKind::Kernel, static_cast<uint16_t>(kind));
  };
  switch (k) {
    case wire::ChildLocalKind::VIRTUAL_MEMORY: return kernel(KernelCapKind::VirtualMemory);
    case wire::ChildLocalKind::THREAD_CONTROL: return kernel(KernelCapKind::ThreadControl);
    case wire::ChildLocalKind::THREAD_SPAWNER: return kernel(KernelCapKind::ThreadSpawner);
    case wire::ChildLocalKind::LOG_SINK: return kernel(KernelCapKind::LogSink);
    case wire::ChildLocalKind::ENDPOINT:
      return manifest::cell_for(manifest::Holder::Child, manifest::SourceKind::Endpoint, 0);
  }
  return manifest::Cell{manifest::Delivery::No, "unknown child-local kind"};
}

// The interface id a per-process child-local kind's cap answers to.
uint64_t child_local_interface(wire::ChildLocalKind k) {
  switch (k) {
    case wire::ChildLocalKind::VIRTUAL_MEMORY: return wire::VirtualMemory::kInterfaceId;
    case wire::ChildLocalKind::THREAD_CONTROL: return wire::ThreadControl::kInterfaceId;
    case wire::ChildLocalKind::THREAD_SPAWNER: return wire::ThreadSpawner::kInterfaceId;
    case wire::ChildLocalKind::LOG_SINK: return wire::LogSink::kInterfaceId;
    case wire::ChildLocalKind::ENDPOINT: break;
  }
  return 0;
}

// The child's own instance of a per-process kind (null: heap exhausted).
Ref<KObject> make_child_local(wire::ChildLocalKind k, const Process& child) {
  switch (k) {
    case wire::ChildLocalKind::VIRTUAL_MEMORY: return VmCap::create(child.pid());
    case wire::ChildLocalKind::THREAD_CONTROL: return ThreadControlCap::create(child.pid());
    case wire::ChildLocalKind::THREAD_SPAWNER: return ThreadSpawnerCap::create(child.pid());
    case wire::ChildLocalKind::LOG_SINK: return LogSinkCap::create(StrView(child.name()));
    case wire::ChildLocalKind::ENDPOINT: break;
  }
  return {};
}

// The child's ledger limits: the request (absent = defaults) clamped to the
// kernel defaults and to the caller's remaining quota.
Result<ResourceLedger::Limits> child_limits(wire::SpawnRequest::Reader req, const ResourceLedger& parent) {
  ResourceLedger::Limits want{};
  if (req.hasLimits()) {
    auto l = CAPOS_TRY(req.getLimits());
    want.max[static_cast<int>(Res::CapSlots)] = l.getCapSlots();
    want.max[static_cast<int>(Res::FramePages)] = l.getFramePages();
    want.max[static_cast<int>(Res::VirtualPages)] = l.getVirtualPages();
    want.max[static_cast<int>(Res::Threads)] = l.getThreads();
    want.max[static_cast<int>(Res::OutstandingCalls)] = l.getOutstandingCalls();
  }
  return ResourceLedger::child_limits(want, parent);
}

}  // namespace

void SpawnerCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status SpawnerCap::spawn(wire::SpawnRequest::Reader req, wire::SpawnResult::Builder r) {
  CallContext& ctx = current_call();
  StrView name = CAPOS_TRY(req.getName());
  StrView binary = CAPOS_TRY(req.getBinaryName());
  if (!manifest::valid_name(name) || !manifest::valid_name(binary)) return fail(Err::InvalidArgument);
  Bytes image = boot_package::find_binary(binary);
  if (image.empty()) {
    r.setBinaryNotFound();
    return {};
  }
  if (boot_package::is_data(binary)) {
    format_to(ctx.fail_message, sizeof ctx.fail_message, "binary is declared as data, not a program");
    return fail(Err::InvalidArgument);
  }
  auto grants = CAPOS_TRY(req.getGrants());
  if (grants.size() > wire::MAX_SPAWN_GRANTS) return fail(Err::LimitExceeded);

  // 1. Plan and validate every grant; nothing changes yet.
  PlannedGrant plan[wire::MAX_SPAWN_GRANTS];
  uint32_t n = grants.size(), endpoints = 0;
  for (uint32_t i = 0; i < n; ++i) {
    auto g = grants[i];
    PlannedGrant& pg = plan[i];
    pg.name = CAPOS_TRY(g.getName());
    pg.interface_id = g.getInterfaceId();
    if (!manifest::valid_name(pg.name)) return fail(Err::InvalidArgument);
    for (uint32_t k = 0; k < i; ++k)
      if (plan[k].name == pg.name) return fail(Err::AlreadyExists);
    auto src = g.getSource();
    if (src.isTransfer()) {
      pg.xfer_index = CAPOS_TRY(src.getTransfer().get_capability());
      uint64_t held_iface = 0;
      if (!ctx.xfer->peek(pg.xfer_index, &held_iface)) return fail(Err::InvalidArgument);
      // A grant may name the interface, never relabel it.
      if (pg.interface_id && pg.interface_id != held_iface) return fail(Err::InvalidArgument);
      pg.interface_id = held_iface;
      for (uint32_t k = 0; k < i; ++k)
        if (!plan[k].endpoint && plan[k].xfer_index == pg.xfer_index) return fail(Err::InvalidArgument);
    } else {
      auto cl = src.getChildLocal();
      // The capability matrix decides what this kernel can create.
      if (child_local_cell(cl.getKind()).how == manifest::Delivery::No) {
        r.setNotPermitted();
        return {};
      }
      if (cl.getKind() != wire::ChildLocalKind::ENDPOINT && cl.getServedInterfaceId() != 0)
        return fail(Err::InvalidArgument);  // schema: 0 for every other kind
      if (uint64_t want = child_local_interface(cl.getKind())) {
        if (pg.interface_id && pg.interface_id != want) return fail(Err::InvalidArgument);
        pg.kernel_local = true;  // created in step 5, once the child (pid, name) exists
        pg.local_kind = cl.getKind();
        pg.interface_id = want;
        continue;
      }
      pg.endpoint = true;
      pg.core = EndpointCore::create(cl.getServedInterfaceId());
      if (!pg.core) return fail(Err::OutOfMemory);
      ++endpoints;
    }
  }

  // The context the child runs on: one of its transferred grants, checked
  // now (nothing has changed yet), bound once the grants are in place.
  SchedContextCap* run_on = nullptr;
  StrView run_on_name = CAPOS_TRY(req.getRunOn());
  if (!run_on_name.empty()) {
    for (uint32_t i = 0; i < n && !run_on; ++i) {
      if (!(plan[i].name == run_on_name) || plan[i].kernel_local || plan[i].endpoint) continue;
      uint64_t iface = 0;
      run_on = down_cast<SchedContextCap>(ctx.xfer->peek(plan[i].xfer_index, &iface));
    }
    if (!run_on) {
      format_to(ctx.fail_message, sizeof ctx.fail_message, "runOn `{}` is not a transferred SchedulingContext grant",
                run_on_name);
      return fail(Err::InvalidArgument);
    }
  }

  // 2. Reserve the caller's result slots and check the reply fits.
  uint64_t reply_bytes = 256 + uint64_t{endpoints} * 96 + (1 + endpoints) * sizeof(abi::CapTransferRecord);
  if (reply_bytes > ctx.result.len) return fail(Err::OutOfRange);
  CAPOS_TRY_STATUS(ctx.reserve_results(1 + endpoints));

  // 3. Build the child (not started): fails cleanly with nothing granted.
  //    Its quotas are the request clamped to the caller's remaining quota;
  //    the image and ring pages count against them from the start.
  ResourceLedger::Limits limits = CAPOS_TRY(child_limits(req, ctx.caller.ledger()));
  auto child = Process::create(name, image, &limits);
  if (!child) {
    DetailedErr e = child.error();
    klog("spawn: {} ({}) rejected: {} ({})\n", name, binary, err_name(e.code), e.detail);
    if (e.code == Err::Overloaded)
      format_to(ctx.fail_message, sizeof ctx.fail_message, "the image does not fit its quotas (frame pages {})",
                limits.max[static_cast<int>(Res::FramePages)]);
    return fail(e.code);
  }
  Process* p = *child;
  // Every grant takes one cap slot: refuse before any result exists.
  if (p->ledger().remaining(Res::CapSlots) < n) {
    format_to(ctx.fail_message, sizeof ctx.fail_message, "cap-slots quota {} is less than its {} grants",
              p->ledger().limit(Res::CapSlots), n);
    Process::discard(p);
    return fail(Err::Overloaded);
  }
  if (req.getShareSession()) p->share_session(ctx.caller);  // else the fresh one from create()
  p->watch()->set_binary(binary);

  // 4. Results first (may still fail: then the unstarted child is
  //    discarded and nothing has moved): the handle, then one client facet
  //    per child-local endpoint.
  Status built = [&]() -> Status {
    auto spawned = r.initSpawned();
    uint32_t hidx = CAPOS_TRY(ctx.add_result(Ref<KObject>(p->share_watch()),
                                             wire::ProcessHandle::kInterfaceId, CAP_F_NO_TRANSFER));
    spawned.setHandle(hidx);
    spawned.setPid(p->pid());
    auto clients = CAPOS_TRY(spawned.initClients(endpoints));
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (!plan[i].endpoint) continue;
      Ref<ClientEndpoint> facet = ClientEndpoint::create(plan[i].core);
      if (!facet) return fail(Err::OutOfMemory);
      uint32_t idx = CAPOS_TRY(ctx.add_result(Ref<KObject>(facet), plan[i].core->interface_id()));
      auto gc = clients[c++];
      CAPOS_TRY_STATUS(gc.setName(plan[i].name));
      gc.getClient().set_capability(idx);
    }
    return {};
  }();
  if (!built) {
    Process::discard(p);
    return built;
  }

  // 5. Commit: move/copy the transferred caps and endpoint owner facets
  //    into the child. Preflighted (cap-slot quota checked above, bounded
  //    grants), so this only fails if the kernel heap is exhausted.
  for (uint32_t i = 0; i < n; ++i) {
    PlannedGrant& pg = plan[i];
    Status st;
    if (pg.kernel_local) {
      Ref<KObject> obj = make_child_local(pg.local_kind, *p);
      st = obj ? p->grant(pg.name, move(obj), pg.interface_id) : Status(fail(Err::OutOfMemory));
    } else if (pg.endpoint) {
      Ref<EndpointOwner> owner = EndpointOwner::create(pg.core);
      st = owner ? p->grant(pg.name, Ref<KObject>(owner), wire::Endpoint::kInterfaceId)
                 : Status(fail(Err::OutOfMemory));
    } else {
      st = p->grant(pg.name, ctx.xfer->take(pg.xfer_index), pg.interface_id);
    }
    if (!st) {
      Process::discard(p);
      return st;
    }
  }
  // The grant holds the context now (a move emptied the caller's slot);
  // the binding takes its own reference.
  if (run_on) {
    run_on->bind_process(*p);
  } else {
    p->inherit_sched(ctx.caller);
  }
  p->start();
  return {};
}

}  // namespace capos
