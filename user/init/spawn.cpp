// One ProcessSpawner.spawn per service start: every manifest cap entry
// becomes one grant.
//   kernel (shared kind)  -> COPY of init's own cap of that kind
//   deviceManager + devices -> COPY of a DeviceManager narrowed to those
//                            devices (init's copy is released after the spawn)
//   schedulingContext + schedule -> a context init mints from its root
//                            (SchedulingContext.mint; released after the spawn)
//   bootPackage (+ secret) -> COPY of a BootPackage narrowed to no secret or
//                            the one named, which cannot narrow again
//                            (init's copy is released after the spawn)
//   kernel (per-process)  -> child-local object of that kind
//   endpoint              -> child-local endpoint; the client facet that
//                            comes back is the service's export provider
//   service import        -> COPY of the exporter's stored client facet
//   directory             -> COPY of a Directory init reaches from the
//                            exporter's Directory by sub (and readOnly);
//                            init's copy is released after the spawn
#include "lib/core/format.h"
#include "lib/manifest/limits.h"
#include "lib/manifest/schema_ids.h"
#include "schema/devices.capnp.capos.h"
#include "schema/manifest.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/init/init.h"
#include "user/storage/fs_client.h"

namespace capos::init {

namespace wire = schema::wire;
using manifest::CapDecl;
using manifest::SourceKind;

namespace {

alignas(8) uint8_t g_params[8192];
// Reply: the SpawnResult plus up to 1 + 64 result records.
alignas(8) uint8_t g_reply[4096 + (1 + manifest::kMaxCapsPerProcess) * sizeof(abi::CapTransferRecord)];

// Per-process kernel kinds map to ChildLocalKind.
bool child_local_kind(uint16_t kind, wire::ChildLocalKind* out) {
  switch (static_cast<manifest::KernelCapKind>(kind)) {
    case manifest::KernelCapKind::VirtualMemory: *out = wire::ChildLocalKind::VIRTUAL_MEMORY; return true;
    case manifest::KernelCapKind::ThreadControl: *out = wire::ChildLocalKind::THREAD_CONTROL; return true;
    case manifest::KernelCapKind::ThreadSpawner: *out = wire::ChildLocalKind::THREAD_SPAWNER; return true;
    case manifest::KernelCapKind::LogSink: *out = wire::ChildLocalKind::LOG_SINK; return true;
    default: return false;
  }
}

Provider* find_provider(Registry& reg, StrView service, StrView export_name) {
  for (size_t i = 0; i < reg.n_providers; ++i) {
    Provider& p = reg.providers[i];
    if (p.service == service && p.export_name == export_name) return &p;
  }
  return nullptr;
}

// Publishes (or, after a restart, replaces) the provider of every export
// of `svc` that names grant `grant`. Importers started earlier keep their
// old facet, which now answers `disconnected`; later (re)starts get this one.
void publish(Registry& reg, const manifest::ServiceDecl& svc, StrView grant, uint32_t cap, uint64_t iface) {
  bool used = false;
  for (const manifest::ExportDecl& e : svc.exports) {
    if (!(e.cap == grant)) continue;
    Provider* p = find_provider(reg, svc.name, e.name);
    if (!p) {
      p = &reg.providers[reg.n_providers++];  // bounded: one slot per manifest export
      p->service = svc.name;
      p->export_name = e.name;
    } else if (p->cap != abi::CAPID_INVALID && p->cap != cap) {
      rt::release_cap(p->cap);
    }
    p->cap = cap;  // several exports of one endpoint share the facet
    p->interface_id = iface;
    used = true;
  }
  if (!used) rt::release_cap(cap);  // an endpoint nobody imports
}

// DeviceManager.narrow of init's whole DeviceManager to `c`'s devices:
// what a driver gets instead of every device (docs/devices.md).
Result<uint32_t> narrowed_devices(Registry& reg, uint32_t whole, const CapDecl& c) {
  auto dm = CAPOS_TRY(rt::capset_typed<wire::DeviceManager>(whole));
  alignas(8) uint8_t pbuf[256], rbuf[128];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto p = CAPOS_TRY(wire::DeviceManager::Client::narrowParams(params));
  auto list = CAPOS_TRY(p.initMatches(c.device_count));
  for (uint32_t i = 0; i < c.device_count; ++i) {
    const manifest::DeviceMatchDecl& d = reg.device_matches[c.device_first + i];
    list[i].setVendorId(d.vendor);
    list[i].setDeviceId(d.device);
  }
  auto cap = CAPOS_TRY(rt::call_for_cap<wire::DeviceManager>(
      dm, static_cast<uint16_t>(wire::DeviceManager::Method::NARROW), params, resp));
  return cap.id();
}

// SchedulingContext.mint of init's root context with `c`'s schedule: what
// a service gets instead of the root (docs/scheduling.md).
Result<uint32_t> minted_context(uint32_t root, const CapDecl& c) {
  auto sc = CAPOS_TRY(rt::capset_typed<wire::SchedulingContext>(root));
  alignas(8) uint8_t pbuf[128], rbuf[128];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto p = CAPOS_TRY(wire::SchedulingContext::Client::mintParams(params));
  p.setWeight(c.sched_weight);
  p.setBudgetUs(c.sched_budget_us);
  p.setPeriodUs(c.sched_period_us);
  auto cap = CAPOS_TRY(rt::call_for_cap<wire::SchedulingContext>(
      sc, static_cast<uint16_t>(wire::SchedulingContext::Method::MINT), params, resp));
  return cap.id();
}

// BootPackage.narrow of init's own BootPackage: what a service gets
// instead of init's, which could narrow to any secret. `c.secret` (empty or
// a secret binary, validate()) is the one secret it may read.
Result<uint32_t> narrowed_boot_package(uint32_t whole, const CapDecl& c) {
  auto bp = CAPOS_TRY(rt::capset_typed<wire::BootPackage>(whole));
  alignas(8) uint8_t pbuf[128], rbuf[128];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto p = CAPOS_TRY(wire::BootPackage::Client::narrowParams(params));
  CAPOS_TRY_STATUS(p.setSecret(c.secret));
  auto cap = CAPOS_TRY(rt::call_for_cap<wire::BootPackage>(
      bp, static_cast<uint16_t>(wire::BootPackage::Method::NARROW), params, resp));
  return cap.id();
}

// A failed spawn's line (it names the service's caps and binary, so it is
// formatted, not static).
template <class... A> Failure<SpawnError> spawn_fail(StrView fmt, const A&... args) {
  SpawnError e;
  format_to(e.line, sizeof e.line, fmt, args...);
  return fail(e);
}

// The directory a `directory` source grants: Directory.sub from the
// exported Directory `exported` through every name of the path (writable
// only if the grant is), or its read-only facet for an empty path
// (fsc::narrow). The result is a new cap of init's, released after the spawn.
Result<uint32_t, SpawnError> narrowed_directory(Registry& reg, uint32_t exported, const CapDecl& c) {
  auto dir = fsc::narrow(fsc::Dir::unchecked(exported), reg.dir_paths[c.dir_path], c.dir_writable);
  if (!dir && dir.error().step.empty()) {
    return spawn_fail("cap `{}`: Directory.readOnly of `{}`.`{}` failed: {} ({})", c.name, c.service,
                      c.export_name, err_name(dir.error().code), fsc::last_error());
  }
  if (!dir) {
    return spawn_fail("cap `{}`: Directory.sub(`{}`) of `{}`.`{}` failed: {} ({})", c.name, dir.error().step,
                      c.service, c.export_name, err_name(dir.error().code), fsc::last_error());
  }
  return dir->id();
}

// Fills grant `g` from cap entry `c`; appends to `xfer` as needed. A cap
// init made only for this grant is added to `temp` (released after the spawn).

Result<void, SpawnError> fill_grant(Registry& reg, const CapDecl& c, wire::CapGrant::Builder g,
                                    abi::CapTransferDesc* xfer, uint32_t* n_xfer, uint32_t* temp, uint32_t* n_temp) {
  if (!g.setName(c.name)) return spawn_fail("cap `{}`: request too large", c.name);
  g.setInterfaceId(c.interface_id);
  uint32_t from = abi::CAPID_INVALID;
  switch (c.source) {
    case SourceKind::Kernel: {
      wire::ChildLocalKind kind;
      if (child_local_kind(c.kernel_kind, &kind)) {
        auto cl = g.getSource().initChildLocal();
        cl.setKind(kind);
        return {};
      }
      if (c.kernel_kind < manifest::kKernelCapKindCount) from = reg.kernel_caps[c.kernel_kind];
      if (from == abi::CAPID_INVALID) {
        return spawn_fail("cap `{}`: init holds no `{}` cap to copy", c.name,
                         c.kernel_kind < manifest::kKernelCapKindCount ? manifest::kKernelCaps[c.kernel_kind].name : "?");
      }
      if (c.device_count) {  // validate(): only on deviceManager, indices inside device_matches
        auto narrowed = narrowed_devices(reg, from, c);
        if (!narrowed) {
          return spawn_fail("cap `{}`: DeviceManager.narrow failed: {}", c.name, err_name(narrowed.error()));
        }
        from = temp[(*n_temp)++] = *narrowed;
      }
      if (c.has_schedule) {  // validate(): only on schedulingContext, values mint accepts
        auto minted = minted_context(from, c);
        if (!minted) return spawn_fail("cap `{}`: SchedulingContext.mint failed: {}", c.name, err_name(minted.error()));
        from = temp[(*n_temp)++] = *minted;
      }
      if (c.kernel_kind == static_cast<uint16_t>(manifest::KernelCapKind::BootPackage)) {
        auto narrowed = narrowed_boot_package(from, c);
        if (!narrowed) {
          return spawn_fail("cap `{}`: BootPackage.narrow failed: {}", c.name, err_name(narrowed.error()));
        }
        from = temp[(*n_temp)++] = *narrowed;
      }
      break;
    }
    case SourceKind::Endpoint: {
      auto cl = g.getSource().initChildLocal();
      cl.setKind(wire::ChildLocalKind::ENDPOINT);
      cl.setServedInterfaceId(c.served_interface_id);
      return {};
    }
    case SourceKind::Service: {
      Provider* p = find_provider(reg, c.service, c.export_name);
      if (!p || p->cap == abi::CAPID_INVALID) {
        return spawn_fail("cap `{}`: export `{}` of `{}` is unavailable (`{}` is not running)", c.name,
                          c.export_name, c.service, c.service);
      }
      from = p->cap;
      break;
    }
    case SourceKind::Directory: {
      Provider* p = find_provider(reg, c.service, c.export_name);
      if (!p || p->cap == abi::CAPID_INVALID || p->interface_id != wire::Directory::kInterfaceId) {
        return spawn_fail("cap `{}`: Directory export `{}` of `{}` is unavailable (`{}` is not running)", c.name,
                          c.export_name, c.service, c.service);
      }
      from = p->cap;
      if (c.dir_writable && reg.dir_paths[c.dir_path].empty()) break;  // the export itself
      from = CAPOS_TRY(narrowed_directory(reg, p->cap, c));
      temp[(*n_temp)++] = from;
      break;
    }
  }
  if (*n_xfer >= abi::XFER_MAX) {
    return spawn_fail("cap `{}`: more than {} transferred caps in one spawn", c.name, abi::XFER_MAX);
  }
  xfer[*n_xfer] = abi::CapTransferDesc{from, abi::XFER_COPY, {0, 0, 0}};
  g.getSource().getTransfer().set_capability(*n_xfer);
  ++*n_xfer;
  return {};
}

}  // namespace

Result<void, SpawnError> spawn(Registry& reg, Child& ch) {
  const manifest::ServiceDecl& svc = *ch.decl;
  capnp::FixedMessageBuilder params(MutBytes(g_params, sizeof(g_params)));
  auto req = wire::ProcessSpawner::Client::spawnParams(params);
  if (!req || !req->setName(svc.name) || !req->setBinaryName(svc.binary)) {
    return spawn_fail("spawn request too large");
  }
  // Service.runOn (validated: one of its schedulingContext caps, granted
  // under the same name): the kernel binds the child to it at spawn.
  if (!svc.run_on.empty() && !req->setRunOn(svc.run_on)) return spawn_fail("spawn request too large");
  bool env = !svc.env.empty();
  auto grants = req->initGrants(static_cast<uint32_t>(svc.caps.size() + (env ? 1 : 0)));
  if (!grants) return spawn_fail("spawn request too large");
  if (env) {
    // The environment goes to the child's `args` endpoint (its C start-up
    // code serves it before main); init keeps the client facet.
    auto g = (*grants)[static_cast<uint32_t>(svc.caps.size())];
    if (!g.setName("args")) return spawn_fail("spawn request too large");
    g.setInterfaceId(wire::SpawnArguments::kInterfaceId);
    auto cl = g.getSource().initChildLocal();
    cl.setKind(wire::ChildLocalKind::ENDPOINT);
    cl.setServedInterfaceId(wire::SpawnArguments::kInterfaceId);
  }
  abi::CapTransferDesc xfer[abi::XFER_MAX];
  uint32_t n_xfer = 0;
  uint32_t temp[manifest::kMaxCapsPerProcess];
  uint32_t n_temp = 0;
  struct ReleaseTemp {  // the child holds its own copies (or the spawn failed)
    uint32_t* ids;
    uint32_t* n;
    ~ReleaseTemp() {
      for (uint32_t i = 0; i < *n; ++i) rt::release_cap(ids[i]);
    }
  } release_temp{temp, &n_temp};
  for (uint32_t i = 0; i < svc.caps.size(); ++i) {
    CAPOS_TRY_STATUS(fill_grant(reg, svc.caps[i], (*grants)[i], xfer, &n_xfer, temp, &n_temp));
  }
  const manifest::LimitsDecl& lim = svc.limits;
  if (lim.present) {
    auto l = req->initLimits();
    if (!l) return spawn_fail("spawn request too large");
    l->setCapSlots(lim.cap_slots);
    l->setFramePages(lim.frame_pages);
    l->setVirtualPages(lim.virtual_pages);
    l->setThreads(lim.threads);
    l->setOutstandingCalls(lim.outstanding_calls);
  }

  capnp::Response resp(MutBytes(g_reply, sizeof(g_reply)));
  abi::CapTransferRecord rec[1 + manifest::kMaxCapsPerProcess];
  uint32_t n_rec = 0;
  Status st = rt::call_with_caps(reg.spawner, 0, params, resp,
                                 Span<const abi::CapTransferDesc>(xfer, n_xfer), Span<abi::CapTransferRecord>(rec),
                                 &n_rec);
  if (!st) {
    StrView ex = rt::call_exception();
    return spawn_fail("spawn failed: {}{}{}", err_name(st.error()), ex.empty() ? "" : ": ", ex);
  }
  // From here on every result cap is ours: release what we do not keep.
  auto release_all = [&] {
    for (uint32_t i = 0; i < n_rec; ++i) rt::release_cap(rec[i].cap_id);
  };
  auto root = resp.root();
  if (!root) return release_all(), spawn_fail("unreadable spawn result");
  wire::SpawnResult::Reader r(*root);
  if (r.isBinaryNotFound()) return release_all(), spawn_fail("binary `{}` is not in the package", svc.binary);
  if (r.isNotPermitted()) {
    release_all();
    return spawn_fail("the spawner refused a grant (not permitted; child-local kinds other than endpoint?)");
  }
  if (!r.isSpawned()) return release_all(), spawn_fail("unknown spawn result");
  auto sp = r.getSpawned();
  auto hidx = sp.getHandle();
  auto handle = hidx && *hidx < n_rec ? rt::record_cap<wire::ProcessHandle>(rec[*hidx]) : fail(Err::NotFound);
  if (!handle) return release_all(), spawn_fail("spawn result has no ProcessHandle");
  auto clients = sp.getClients();
  if (!clients) return release_all(), spawn_fail("unreadable spawn result clients");
  bool used[1 + manifest::kMaxCapsPerProcess] = {};
  used[*hidx] = true;
  for (uint32_t i = 0; i < clients->size(); ++i) {
    auto gc = (*clients)[i];
    auto name = gc.getName();
    auto idx = gc.getClient().get_capability();
    if (!name || !idx || *idx >= n_rec || used[*idx]) continue;
    used[*idx] = true;
    if (env && *name == "args") {
      ch.args = rec[*idx].cap_id;  // not an export: only init calls it
      continue;
    }
    publish(reg, svc, *name, rec[*idx].cap_id, rec[*idx].interface_id);
  }
  for (uint32_t i = 0; i < n_rec; ++i)
    if (!used[i]) rt::release_cap(rec[i].cap_id);
  ch.handle = *handle;
  ch.pid = sp.getPid();
  if (env) {
    if (!ch.args) return spawn_fail("the spawner returned no `args` endpoint for the environment");
    if (Status q = submit_env(ch); !q) {
      rt::release_cap(ch.args);
      ch.args = 0;
      return spawn_fail("cannot queue the environment: {}", err_name(q.error()));
    }
  }
  return {};
}

Status submit_env(Child& ch) {
  const manifest::ServiceDecl& svc = *ch.decl;
  capnp::FixedMessageBuilder p(MutBytes(ch.env_call.params, sizeof(ch.env_call.params)));
  auto pp = CAPOS_TRY(wire::SpawnArguments::Client::deliverParams(p));
  auto argv = CAPOS_TRY(pp.initArgv(1));
  CAPOS_TRY_STATUS(argv.set(0, svc.binary));
  auto envp = CAPOS_TRY(pp.initEnvp(static_cast<uint32_t>(svc.env.size())));
  for (uint32_t i = 0; i < svc.env.size(); ++i) CAPOS_TRY_STATUS(envp.set(i, svc.env[i]));
  return rt::submit_call(ch.env_call, rt::Cap<wire::SpawnArguments>::unchecked(ch.args), 0, p,
                         MutBytes(ch.env_result, sizeof(ch.env_result)));
}

}  // namespace capos::init
