// posix_spawn/waitpid's capOS side: a child is started through the
// caller's ProcessSpawner (grant "spawner") with explicit grants only —
// copies of the caller's "console", "stdio", "timer", "root" and "cwd" (its stdio,
// clock and filesystem view) and a fresh child-local "vm" for its heap;
// for each dup2 file action of a pipe end a child-local ByteStream
// endpoint "fd<N>" (os/streams.h), and for argv/envp a child-local
// SpawnArguments endpoint "args" that is called once right after the
// spawn. Nothing else crosses. The child's ProcessHandle stays here, keyed
// by pid, for waitpid. The C names are in os/spawn.c.
#include "lib/abi/ipc.h"
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/posix.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "schema/storage.capnp.capos.h"
#include "user/libc/os/fd_state.h"
#include "user/libc/os/spawn_api.h"
#include "user/libc/os/spawn_plan.h"
#include "user/libc/os/streams.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace {

namespace wire = capos::schema::wire;
using capos::Err;
using capos::libc::Errno;
using capos::libc::FdGuard;
using capos::libc::g_fd_lock;
using capos::libc::StreamGrant;

constexpr uint32_t kMaxChildren = 16;
struct Child {
  uint32_t pid;
  capos::rt::Cap<wire::ProcessHandle> handle;
};
Child g_children[kMaxChildren];
uint32_t g_n_children = 0;

alignas(8) uint8_t g_params[4096];
alignas(8) uint8_t g_reply[2048];
alignas(8) uint8_t g_args[capos::abi::IPC_MESSAGE_MAX];

Errno errno_of(Err e) {
  switch (e) {
    case Err::NotFound: return CAPOS_ENOENT;  // no such binary, or no "spawner" grant
    case Err::PermissionDenied: return CAPOS_EPERM;
    case Err::Overloaded:
    case Err::QuotaExceeded: return CAPOS_EAGAIN;
    case Err::InvalidArgument: return CAPOS_EINVAL;
    default: return CAPOS_EIO;
  }
}

// The dup2 actions as stream grants (os/spawn_plan.h).
capos::Result<uint32_t, Errno> plan(const capos_spawn_dup* dups, uint32_t n, StreamGrant* out) {
  FdGuard g(g_fd_lock);
  auto& st = capos::libc::fd_state();
  bool remote[capos::libc::kPipes];
  for (uint32_t i = 0; i < capos::libc::kPipes; ++i) remote[i] = st.remote[i].set;
  return capos::libc::plan_streams(st.table, remote, capos::libc::kPipes, dups, n, out);
}

uint32_t count(char* const v[]) {
  uint32_t n = 0;
  while (v && v[n]) ++n;
  return n;
}

// argv and envp must fit one SpawnArguments.deliver message: checked
// before the spawn, so a child never waits for arguments that cannot come.
bool args_fit(char* const argv[], char* const envp[]) {
  uint32_t na = count(argv), ne = count(envp);
  if (na > wire::MAX_SPAWN_ARGS || ne > wire::MAX_SPAWN_ARGS) return false;
  size_t bytes = 64 + 16 * (size_t{na} + ne);  // the structs and list pointers, generously
  for (uint32_t i = 0; i < na; ++i) bytes += strlen(argv[i]) + 8;
  for (uint32_t i = 0; i < ne; ++i) bytes += strlen(envp[i]) + 8;
  return bytes <= sizeof g_args - 512;
}

capos::Status deliver_args(uint32_t cap, char* const argv[], char* const envp[]) {
  capos::capnp::FixedMessageBuilder params(capos::MutBytes(g_args, sizeof g_args));
  auto p = CAPOS_TRY(wire::SpawnArguments::Client::deliverParams(params));
  uint32_t na = count(argv), ne = count(envp);
  if (na > wire::MAX_SPAWN_ARGS || ne > wire::MAX_SPAWN_ARGS) return capos::fail(Err::LimitExceeded);
  auto a = CAPOS_TRY(p.initArgv(na));
  for (uint32_t i = 0; i < na; ++i) CAPOS_TRY_STATUS(a.set(i, capos::StrView(argv[i])));
  auto e = CAPOS_TRY(p.initEnvp(ne));
  for (uint32_t i = 0; i < ne; ++i) CAPOS_TRY_STATUS(e.set(i, capos::StrView(envp[i])));
  alignas(8) uint8_t rbuf[256];
  capos::capnp::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
  wire::SpawnArguments::Client c(&capos::rt::transport(), capos::rt::Cap<wire::SpawnArguments>::unchecked(cap));
  (void)CAPOS_TRY(c.deliver(params, resp));
  return {};
}

capos::Result<uint32_t, Errno> spawn(capos::StrView binary, char* const argv[], char* const envp[],
                                     const capos_spawn_dup* dups, uint32_t n_dups) {
  auto spawner = capos::rt::capset_find<wire::ProcessSpawner>("spawner");
  if (!spawner) return capos::fail(CAPOS_ENOENT);
  if (g_n_children == kMaxChildren) return capos::fail(CAPOS_EAGAIN);
  StreamGrant streams[3];
  uint32_t n_streams = CAPOS_TRY(plan(dups, n_dups, streams));
  bool args = argv != nullptr || envp != nullptr;
  if (args && !args_fit(argv, envp)) return capos::fail(CAPOS_E2BIG);

  capos::capnp::FixedMessageBuilder params(capos::MutBytes(g_params, sizeof g_params));
  auto req = wire::ProcessSpawner::Client::spawnParams(params);
  if (!req || !req->setName(binary) || !req->setBinaryName(binary)) return capos::fail(CAPOS_EINVAL);
  // Copies of the caller's own caps, when it holds them.
  struct Copy {
    const char* name;
    uint64_t iface;
    uint32_t id;
  };
  const Copy wanted[] = {{"console", wire::Console::kInterfaceId, 0},
                         {"stdio", wire::StdIO::kInterfaceId, 0},
                         {"timer", wire::Timer::kInterfaceId, 0},
                         {"root", wire::Directory::kInterfaceId, 0},
                         {"cwd", wire::Directory::kInterfaceId, 0}};
  Copy present[5];
  uint32_t n_xfer = 0;
  for (Copy c : wanted) {
    if (auto id = capos::rt::capset_find_id(c.name, c.iface)) {
      c.id = *id;
      present[n_xfer++] = c;
    }
  }
  uint32_t n_grants = n_xfer + 1 + n_streams + (args ? 1 : 0);
  auto grants = req->initGrants(n_grants);
  if (!grants) return capos::fail(CAPOS_EIO);
  capos::abi::CapTransferDesc xfer[5];
  for (uint32_t i = 0; i < n_xfer; ++i) {
    auto g = (*grants)[i];
    if (!g.setName(present[i].name)) return capos::fail(CAPOS_EIO);
    g.setInterfaceId(present[i].iface);
    g.getSource().getTransfer().set_capability(i);
    xfer[i] = capos::abi::CapTransferDesc{present[i].id, capos::abi::XFER_COPY, {0, 0, 0}};
  }
  auto local = [&](uint32_t at, capos::StrView name, wire::ChildLocalKind kind, uint64_t iface, uint64_t served) {
    auto g = (*grants)[at];
    if (!g.setName(name)) return false;
    g.setInterfaceId(iface);
    auto cl = g.getSource().initChildLocal();
    cl.setKind(kind);
    cl.setServedInterfaceId(served);
    return true;
  };
  uint32_t at = n_xfer;
  if (!local(at++, "vm", wire::ChildLocalKind::VIRTUAL_MEMORY, wire::VirtualMemory::kInterfaceId, 0))
    return capos::fail(CAPOS_EIO);
  char names[3][4];
  for (uint32_t i = 0; i < n_streams; ++i) {
    names[i][0] = 'f', names[i][1] = 'd', names[i][2] = static_cast<char>('0' + streams[i].to), names[i][3] = '\0';
    if (!local(at++, capos::StrView(names[i], 3), wire::ChildLocalKind::ENDPOINT, wire::Endpoint::kInterfaceId,
               wire::ByteStream::kInterfaceId))
      return capos::fail(CAPOS_EIO);
  }
  if (args && !local(at++, "args", wire::ChildLocalKind::ENDPOINT, wire::Endpoint::kInterfaceId,
                     wire::SpawnArguments::kInterfaceId))
    return capos::fail(CAPOS_EIO);

  capos::capnp::Response resp(capos::MutBytes(g_reply, sizeof g_reply));
  capos::abi::CapTransferRecord rec[8];
  uint32_t n_rec = 0;
  constexpr uint16_t kSpawnMethod = 0;  // ProcessSpawner.spawn @0
  auto called = capos::rt::call_with_caps(*spawner, kSpawnMethod, params, resp,
                                          capos::Span<const capos::abi::CapTransferDesc>(xfer, n_xfer),
                                          capos::Span<capos::abi::CapTransferRecord>(rec, 8), &n_rec);
  if (!called) return capos::fail(errno_of(called.error()));
  bool used[8] = {};
  auto release_unused = [&] {
    for (uint32_t i = 0; i < n_rec; ++i)
      if (!used[i]) capos::rt::release_cap(rec[i].cap_id);
  };
  auto root = resp.root();
  if (!root) return release_unused(), capos::fail(CAPOS_EIO);
  wire::SpawnResult::Reader r(*root);
  if (r.isBinaryNotFound()) return release_unused(), capos::fail(CAPOS_ENOENT);
  if (!r.isSpawned()) return release_unused(), capos::fail(CAPOS_EPERM);
  auto sp = r.getSpawned();
  auto hidx = sp.getHandle();
  if (!hidx || *hidx >= n_rec) return release_unused(), capos::fail(CAPOS_EIO);
  auto handle = capos::rt::record_cap<wire::ProcessHandle>(rec[*hidx]);
  if (!handle) return release_unused(), capos::fail(CAPOS_EIO);
  used[*hidx] = true;
  g_children[g_n_children++] = Child{sp.getPid(), *handle};

  // The client facets: pipes now reach the child; then its arguments.
  uint32_t args_cap = 0;
  bool have_args = false;
  if (auto clients = sp.getClients()) {
    for (uint32_t i = 0; i < clients->size(); ++i) {
      auto gc = (*clients)[i];
      auto name = gc.getName();
      auto idx = gc.getClient().get_capability();
      if (!name || !idx || *idx >= n_rec || used[*idx]) continue;
      if (*name == capos::StrView("args")) {
        used[*idx] = true;
        args_cap = rec[*idx].cap_id;
        have_args = true;
        continue;
      }
      for (uint32_t k = 0; k < n_streams; ++k) {
        if (!(*name == capos::StrView(names[k], 3))) continue;
        used[*idx] = true;
        FdGuard g(g_fd_lock);
        auto& rem = capos::libc::fd_state().remote[streams[k].pipe];
        rem.set = true;
        rem.parent_reads = streams[k].parent_reads;
        rem.cap = rec[*idx].cap_id;
      }
    }
  }
  release_unused();
  // Bytes written into a stdin pipe before the spawn go to the child first.
  for (uint32_t k = 0; k < n_streams; ++k) {
    if (streams[k].parent_reads) continue;
    uint8_t pending[capos::libc::PipeBuffer::kCapacity];
    size_t n;
    uint32_t cap;
    {
      FdGuard g(g_fd_lock);
      auto& st = capos::libc::fd_state();
      n = st.pipes[streams[k].pipe].read(pending, sizeof pending);
      cap = st.remote[streams[k].pipe].cap;
    }
    if (n > 0) (void)capos::libc::remote_write(cap, pending, n);
  }
  if (have_args) {
    auto d = deliver_args(args_cap, argv, envp);
    capos::rt::release_cap(args_cap);
    if (!d) return capos::fail(CAPOS_EIO);  // sizes were checked before the spawn
  }
  return sp.getPid();
}

}  // namespace

extern "C" int capos_libc_spawn(const char* binary, char* const argv[], char* const envp[], const capos_spawn_dup* dups,
                                uint32_t n_dups, uint32_t* pid) {
  auto r = spawn(capos::StrView(binary), argv, envp, dups, n_dups);
  if (!r) return r.error();
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
