// launcher: the ProcessLauncher service — an attenuated ProcessSpawner for
// the shell. Holds "spawner" (ProcessSpawner) and "boot" (BootPackage) and
// serves ProcessLauncher on its "launcher" endpoint.
//
// Allow-list (fixed at start from the manifest): every packaged ELF binary
// except init's and those of the manifest's services, so a shell can start
// demo programs but can neither start a second init nor impersonate a
// system service. Binaries declared as data (manual.pages) are left out.
//
// A launch forwards the caller's SpawnRequest to the spawner. Grants that
// transfer a capability pass on exactly the caps the caller attached to the
// call (so a caller never grants more than it holds); child-local kinds are
// made by the spawner, and the client facet of each child-local `endpoint`
// (a C program's `args`, docs/posix.md) is moved on to the caller, so it is
// never ours to use. ProcessHandles are non-transferable, so the launcher keeps
// each child's handle and the caller waits by pid (ProcessLauncher.wait),
// only for children it launched itself (matched by the kernel's
// service-scoped caller reference). A wait blocks the launcher until the
// child ends: one interactive shell is its only client.
#include "schema/ipc.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/boot_package.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

constexpr uint32_t kMaxAllowed = 64;
constexpr uint32_t kMaxChildren = 32;

struct Name {
  char s[33];
  uint8_t len;
  StrView view() const { return StrView(s, len); }
};
Name g_allowed[kMaxAllowed];
uint32_t g_n_allowed = 0;

struct Child {
  bool used = false;
  uint32_t pid = 0;
  rt::Cap<wire::ProcessHandle> handle;
  uint64_t owner_lo = 0, owner_hi = 0;
};
Child g_children[kMaxChildren];

rt::Cap<wire::ProcessSpawner> g_spawner;

// Client facets moved on to the caller by the launch being answered.
uint32_t g_passed[abi::XFER_MAX];
uint32_t g_n_passed = 0;

bool is_passed(uint32_t cap) {
  for (uint32_t i = 0; i < g_n_passed; ++i)
    if (g_passed[i] == cap) return true;
  return false;
}

// Moves the spawner's client facets (one per child-local endpoint grant) to
// the caller, in grant order, as the results' `clients`.
Status pass_clients(wire::SpawnResult::Spawned::Reader sp, const abi::CapTransferRecord* rec, uint32_t n_rec,
                    wire::SpawnResult::Spawned::Builder o) {
  g_n_passed = 0;
  auto in = CAPOS_TRY(sp.getClients());
  auto list = CAPOS_TRY(o.initClients(in.size()));
  for (uint32_t i = 0; i < in.size(); ++i) {
    uint32_t idx = CAPOS_TRY(in[i].getClient().get_capability());
    if (idx >= n_rec || g_n_passed == abi::XFER_MAX) return fail(Err::Corrupt);
    CAPOS_TRY_STATUS(list[i].setName(CAPOS_TRY(in[i].getName())));
    uint32_t out_idx = CAPOS_TRY(rt::add_result_cap(rec[idx].cap_id, abi::XFER_MOVE));
    g_passed[g_n_passed++] = rec[idx].cap_id;
    list[i].getClient().set_capability(out_idx);
  }
  return {};
}

bool allowed(StrView name) {
  for (uint32_t i = 0; i < g_n_allowed; ++i)
    if (g_allowed[i].view() == name) return true;
  return false;
}

// Frees the slots of children that ended and nobody waited for.
void reap_finished() {
  for (Child& c : g_children) {
    if (!c.used) continue;
    wire::ProcessHandle::Client h(&rt::transport(), c.handle);
    alignas(8) uint8_t pbuf[64], rbuf[256];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    if (!wire::ProcessHandle::Client::infoParams(p)) continue;
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto info = h.info(p, r);
    if (info && !info->getRunning()) {
      rt::release_cap(c.handle);
      c = Child{};
    }
  }
}

Child* free_slot() {
  for (Child& c : g_children)
    if (!c.used) return &c;
  reap_finished();
  for (Child& c : g_children)
    if (!c.used) return &c;
  return nullptr;
}

alignas(8) uint8_t g_params[8192];
alignas(8) uint8_t g_reply[4096 + 32 * sizeof(abi::CapTransferRecord)];

class LauncherImpl final : public wire::ProcessLauncher::Server {
 public:
  Status launch(wire::SpawnRequest::Reader req, wire::SpawnResult::Builder out) override {
    StrView binary = CAPOS_TRY(req.getBinaryName());
    if (!allowed(binary)) {
      out.setNotPermitted();
      return {};
    }
    Child* slot = free_slot();
    if (!slot) {
      rt::set_error_message("too many unwaited children");
      return fail(Err::Overloaded);
    }
    auto in_caps = rt::current_call_caps();
    capnp::FixedMessageBuilder params(MutBytes(g_params, sizeof(g_params)));
    auto fwd = CAPOS_TRY(wire::ProcessSpawner::Client::spawnParams(params));
    CAPOS_TRY_STATUS(fwd.setName(CAPOS_TRY(req.getName())));
    CAPOS_TRY_STATUS(fwd.setBinaryName(binary));
    auto grants = CAPOS_TRY(req.getGrants());
    auto out_grants = CAPOS_TRY(fwd.initGrants(grants.size()));
    abi::CapTransferDesc xfer[abi::XFER_MAX];
    uint32_t n_xfer = 0;
    for (uint32_t i = 0; i < grants.size(); ++i) {
      auto g = grants[i];
      auto o = out_grants[i];
      CAPOS_TRY_STATUS(o.setName(CAPOS_TRY(g.getName())));
      o.setInterfaceId(g.getInterfaceId());
      auto src = g.getSource();
      if (src.isTransfer()) {
        uint32_t idx = CAPOS_TRY(src.getTransfer().get_capability());
        if (idx >= in_caps.size() || n_xfer >= abi::XFER_MAX) {
          rt::set_error_message("a transfer grant names no attached capability");
          return fail(Err::InvalidArgument);
        }
        // Copy: the attached cap is released after this call anyway.
        xfer[n_xfer] = abi::CapTransferDesc{in_caps[idx].cap_id, abi::XFER_COPY, {0, 0, 0}};
        o.getSource().getTransfer().set_capability(n_xfer);
        ++n_xfer;
      } else {
        auto cl = src.getChildLocal();
        auto ocl = o.getSource().initChildLocal();
        ocl.setKind(cl.getKind());
        ocl.setServedInterfaceId(cl.getServedInterfaceId());
      }
    }
    if (req.hasLimits()) CAPOS_TRY_STATUS(fwd.setLimits(CAPOS_TRY(req.getLimits())));

    capnp::Response resp(MutBytes(g_reply, sizeof(g_reply)));
    abi::CapTransferRecord rec[32];
    uint32_t n_rec = 0;
    Status st = rt::call_with_caps(g_spawner, 0, params, resp,
                                   Span<const abi::CapTransferDesc>(xfer, n_xfer), Span<abi::CapTransferRecord>(rec),
                                   &n_rec);
    if (!st) {
      rt::set_error_message(rt::call_exception());
      return st;
    }
    auto release_all = [&] {
      for (uint32_t i = 0; i < n_rec; ++i) rt::release_cap(rec[i].cap_id);
    };
    auto root = resp.root();
    if (!root) return release_all(), fail(Err::Corrupt);
    wire::SpawnResult::Reader r(*root);
    if (r.isBinaryNotFound()) return release_all(), out.setBinaryNotFound(), Status{};
    if (r.isNotPermitted()) return release_all(), out.setNotPermitted(), Status{};
    if (!r.isSpawned()) return release_all(), fail(Err::Corrupt);
    auto sp = r.getSpawned();
    auto hidx = sp.getHandle();
    auto handle = hidx && *hidx < n_rec ? rt::record_cap<wire::ProcessHandle>(rec[*hidx]) : fail(Err::NotFound);
    if (!handle) return release_all(), fail(Err::Corrupt);
    // The child exists from here on: keep its handle even if passing the
    // endpoint clients on fails (the caller can still wait for it).
    const abi::EndpointMessageHeader& h = rt::current_call();
    *slot = Child{true, sp.getPid(), *handle, h.scoped_ref_lo, h.scoped_ref_hi};
    auto o = out.initSpawned();
    o.setPid(sp.getPid());
    Status moved = pass_clients(sp, rec, n_rec, o);
    for (uint32_t i = 0; i < n_rec; ++i)
      if (i != *hidx && !is_passed(rec[i].cap_id)) rt::release_cap(rec[i].cap_id);
    return moved;
  }

  Status binaries(wire::ProcessLauncher::BinariesParams::Reader,
                  wire::ProcessLauncher::BinariesResults::Builder r) override {
    auto list = CAPOS_TRY(r.initNames(g_n_allowed));
    for (uint32_t i = 0; i < g_n_allowed; ++i) CAPOS_TRY_STATUS(list.set(i, g_allowed[i].view()));
    return {};
  }

  Status wait(wire::ProcessLauncher::WaitParams::Reader p, wire::ProcessLauncher::WaitResults::Builder r) override {
    const abi::EndpointMessageHeader& h = rt::current_call();
    Child* c = nullptr;
    for (Child& k : g_children)
      if (k.used && k.pid == p.getPid() && k.owner_lo == h.scoped_ref_lo && k.owner_hi == h.scoped_ref_hi) c = &k;
    if (!c) {
      rt::set_error_message("not a child you launched (or already waited for)");
      return fail(Err::InvalidArgument);
    }
    wire::ProcessHandle::Client handle(&rt::transport(), c->handle);
    alignas(8) uint8_t pbuf[64], rbuf[512];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    (void)CAPOS_TRY(wire::ProcessHandle::Client::waitParams(params));
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    auto res = handle.wait(params, resp);
    if (!res) {
      rt::set_error_message(rt::transport().last_exception());
      return fail(res.error());
    }
    auto status = CAPOS_TRY(res->getStatus());
    auto o = CAPOS_TRY(r.initStatus());
    switch (status.which()) {
      case wire::ExitStatus::Which::EXITED: o.setExited(status.getExited()); break;
      case wire::ExitStatus::Which::FAULTED: CAPOS_TRY_STATUS(o.setFaulted(CAPOS_TRY(status.getFaulted()))); break;
      case wire::ExitStatus::Which::KILLED: o.setKilled(status.getKilled()); break;
    }
    rt::release_cap(c->handle);
    *c = Child{};
    return {};
  }
};

LauncherImpl g_impl;

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("launcher");
  auto spawner = rt::capset_find<wire::ProcessSpawner>("spawner");
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  if (!ep || !spawner || !boot) {
    rt::printf("launcher: needs the `launcher` endpoint and the `spawner` and `boot` caps\n");
    return 2;
  }
  g_spawner = *spawner;
  auto m = rt::boot_decode_manifest(*boot);
  if (!m) {
    rt::printf("launcher: cannot read the manifest: {}\n", err_name(m.error()));
    return 3;
  }
  for (const manifest::BinaryDecl& b : m->binaries) {
    bool system = b.name == m->init.binary;
    for (const manifest::ServiceDecl& s : m->services) system |= b.name == s.binary;
    if (system || b.data || b.name.size() > 32 || g_n_allowed == kMaxAllowed) continue;
    Name& n = g_allowed[g_n_allowed++];
    memcpy(n.s, b.name.ptr, b.name.size());
    n.len = static_cast<uint8_t>(b.name.size());
  }
  rt::release_cap(*boot);  // the allow-list is fixed; nothing else needs the package
  Status st = rt::serve(*ep, g_impl);
  rt::printf("launcher: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
