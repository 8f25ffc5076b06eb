#include "user/shell/launch.h"

#include "lib/wire/schema_enums.h"
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/posix.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/shell/grants.h"
#include "user/shell/shell_io.h"
#include "user/shell/stdio_server.h"
#include "user/storage/fs_client.h"

namespace capos::shell {

namespace wire = schema::wire;

namespace {

constexpr uint32_t kMaxChildren = 32;
uint32_t g_children[kMaxChildren];
uint32_t g_n_children = 0;

void print_status(uint32_t pid, wire::ExitStatus::Reader s) {
  switch (s.which()) {
    case wire::ExitStatus::Which::EXITED: say("process {} exited with code {}\n", pid, s.getExited()); return;
    case wire::ExitStatus::Which::FAULTED: {
      auto f = s.getFaulted();
      if (!f) break;
      say("process {} crashed: {} (vector {}) at address {:#x}, ip {:#x}\n", pid, wire_enums::fault_name(f->getKind()),
          static_cast<unsigned>(f->getVector()), f->getAddress(), f->getInstructionPointer());
      return;
    }
    case wire::ExitStatus::Which::KILLED:
      say("process {} was killed ({})\n", pid,
          s.getKilled() == wire::KillReason::BY_HANDLE ? "by its handle" : "at system shutdown");
      return;
  }
  say("process {} ended (status unreadable)\n", pid);
}

void forget_child(uint32_t pid) {
  for (uint32_t i = 0; i < g_n_children; ++i)
    if (g_children[i] == pid) g_children[i] = g_children[--g_n_children];
}

void list_binaries(StrView cmd) {
  auto launcher = need<wire::ProcessLauncher>(cmd, "launcher");
  if (!launcher) return;
  wire::ProcessLauncher::Client l(&rt::transport(), launcher);
  alignas(8) uint8_t pbuf[64], rbuf[4096];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::ProcessLauncher::Client::binariesParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = l.binaries(p, r);
  if (!res) return report_error(cmd, res.error());
  auto names = res->getNames();
  if (!names) return report_error(cmd, names.error());
  say("usage: {} \"<binary>\" with { name: @cap, io: client @stdio }; the launcher may start:", cmd);
  for (uint32_t i = 0; i < names->size(); ++i) say(" {}", (*names)[i].value_or("?"));
  say("\n");
}

// Child-local kinds a grant may ask for with `new <kind>` (legacy
// `child=new:<kind>`): per-process kernel caps the spawner makes for the child.
struct LocalKind {
  const char* name;
  wire::ChildLocalKind kind;
  uint64_t iface;
};
constexpr LocalKind kLocalKinds[] = {
    {"threadSpawner", wire::ChildLocalKind::THREAD_SPAWNER, wire::ThreadSpawner::kInterfaceId},
    {"threadControl", wire::ChildLocalKind::THREAD_CONTROL, wire::ThreadControl::kInterfaceId},
    {"virtualMemory", wire::ChildLocalKind::VIRTUAL_MEMORY, wire::VirtualMemory::kInterfaceId},
    {"logSink", wire::ChildLocalKind::LOG_SINK, wire::LogSink::kInterfaceId},
};

// The StdIO endpoint made for `client @stdio` (owner kept by the shell).
struct Stdio {
  rt::Cap<wire::Endpoint> owner;
  uint32_t client = 0;
};

Result<Stdio> make_stdio(StrView cmd) {
  auto eps = need<wire::EndpointFactory>(cmd, "eps");
  if (!eps) return fail(Err::NotFound);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::EndpointFactory::Client::createParams(p));
  pp.setServedInterfaceId(wire::StdIO::kInterfaceId);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(eps, 0, p, r, Span<const abi::CapTransferDesc>(), Span<abi::CapTransferRecord>(rec), &n));
  if (n != 2) {
    for (uint32_t i = 0; i < n; ++i) rt::release_cap(rec[i].cap_id);
    return fail(Err::Corrupt);
  }
  return Stdio{CAPOS_TRY(rt::record_cap<wire::Endpoint>(rec[0])), rec[1].cap_id};
}

// A started child: its pid, and the client facet of its SpawnArguments
// endpoint `args` when the line passed arguments (0 otherwise).
struct Launched {
  uint32_t pid = 0;
  uint32_t args = 0;
};

// Launches `l`. `stdio` is filled when a grant asked for `client @stdio`
// (the caller serves it, then releases it). Arguments go through a
// child-local endpoint `args` the child serves before main (a C program,
// docs/posix.md); the launcher hands its client facet back to us.
Result<Launched> launch(const LaunchLine& l, Stdio* stdio) {
  StrView cmd = l.command;
  auto launcher = need<wire::ProcessLauncher>(cmd, "launcher");
  if (!launcher) return fail(Err::NotFound);
  alignas(8) uint8_t pbuf[4096];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  auto req = CAPOS_TRY(wire::ProcessLauncher::Client::launchParams(params));
  CAPOS_TRY_STATUS(req.setName(l.binary));
  CAPOS_TRY_STATUS(req.setBinaryName(l.binary));
  // Every child carries the session it was started from (docs/identity.md):
  // the bundle's `session` (UserSession) goes along unless a grant names it.
  const names::Entry* session = names::lookup("session");
  if (session && (!session->session || session->interface_id != wire::UserSession::kInterfaceId)) session = nullptr;
  for (size_t i = 0; session && i < l.n_grants; ++i)
    if (l.grants[i].child == "session") session = nullptr;
  for (size_t i = 0; l.n_args && i < l.n_grants; ++i)
    if (l.grants[i].child == "args")
      return say("{}: `args` carries the arguments: name that grant differently\n", cmd), fail(Err::InvalidArgument);
  if (session && l.n_grants >= abi::XFER_MAX)
    return say("{}: at most {} grants (the session's `session` takes one)\n", cmd, abi::XFER_MAX - 1),
           fail(Err::LimitExceeded);
  uint32_t n_grants = static_cast<uint32_t>(l.n_grants) + (session ? 1 : 0) + (l.n_args ? 1 : 0);
  auto grants = CAPOS_TRY(req.initGrants(n_grants));
  if (l.n_args) {
    auto gb = grants[static_cast<uint32_t>(l.n_grants)];
    CAPOS_TRY_STATUS(gb.setName("args"));
    gb.setInterfaceId(wire::SpawnArguments::kInterfaceId);
    auto cl = gb.getSource().initChildLocal();
    cl.setKind(wire::ChildLocalKind::ENDPOINT);
    cl.setServedInterfaceId(wire::SpawnArguments::kInterfaceId);
  }
  abi::CapTransferDesc xfer[abi::XFER_MAX];
  uint32_t nx = 0;
  // Directories narrowed for the child are closed again if the launch
  // fails before they are sent.
  struct Narrowed {
    fsc::Dir dirs[LaunchLine::kMaxGrants];
    size_t n = 0;
    bool sent = false;
    ~Narrowed() {
      for (size_t k = 0; !sent && k < n; ++k) (void)fsc::close(dirs[k]);
    }
  } narrowed;
  if (session) {
    auto gb = grants[n_grants - 1];
    CAPOS_TRY_STATUS(gb.setName("session"));
    gb.setInterfaceId(session->interface_id);
    gb.getSource().getTransfer().set_capability(nx);
    xfer[nx++] = abi::CapTransferDesc{session->cap, abi::XFER_COPY, {0, 0, 0}};
  }
  for (size_t i = 0; i < l.n_grants; ++i) {
    const Grant& g = l.grants[i];
    auto gb = grants[static_cast<uint32_t>(i)];
    if (!g.local_kind.empty()) {
      const LocalKind* lk = nullptr;
      for (const LocalKind& k : kLocalKinds)
        if (g.local_kind == StrView(k.name)) lk = &k;
      if (!lk)
        return say("{}: `new {}`: the kind is one of threadSpawner, threadControl, virtualMemory, logSink\n", cmd,
                   g.local_kind),
               fail(Err::InvalidArgument);
      CAPOS_TRY_STATUS(gb.setName(g.child));
      gb.setInterfaceId(lk->iface);
      gb.getSource().initChildLocal().setKind(lk->kind);
      continue;
    }
    uint64_t iface = 0;
    uint32_t cap = 0;
    uint8_t mode = abi::XFER_COPY;
    if (g.source == "stdio") {
      if (!g.client) return say("{}: `@stdio` is served by the shell: write `{}: client @stdio`\n", cmd, g.child), fail(Err::InvalidArgument);
      if (l.command == "spawn") return say("spawn: only `run` serves a child's stdio\n"), fail(Err::InvalidArgument);
      if (stdio->owner) return say("{}: one stdio per child\n", cmd), fail(Err::InvalidArgument);
      *stdio = CAPOS_TRY(make_stdio(cmd));
      cap = stdio->client;
      iface = wire::StdIO::kInterfaceId;
      mode = abi::XFER_MOVE;
    } else {
      const names::Entry* e = names::lookup(g.source);
      if (!e) return say("{}: I hold no capability named `{}` (see `caps`)\n", cmd, g.source), fail(Err::NotFound);
      if (g.client) return say("{}: `{}` is not an endpoint this shell serves; write `@{}`\n", cmd, g.source, g.source), fail(Err::InvalidArgument);
      cap = e->cap;
      iface = e->interface_id;
      if (!g.path.empty() || g.read_only) {
        // A narrower directory made for the child (moved to it): it holds
        // that directory and what lies below, never `source` itself.
        if (iface != wire::Directory::kInterfaceId)
          return say("{}: `@{}` is not a Directory: only a directory grant takes a path or `ro`\n", cmd, g.source),
                 fail(Err::InvalidArgument);
        auto dir = fsc::narrow(fsc::Dir::unchecked(cap), g.path, !g.read_only);
        if (!dir) {
          if (dir.error().step.empty())
            say("{}: `{}`: Directory.readOnly of `{}` failed: {} ({})\n", cmd, g.child, g.source,
                err_name(dir.error().code), fsc::last_error());
          else
            say("{}: `{}`: no directory `{}` below `{}`: {} ({})\n", cmd, g.child, dir.error().step, g.source,
                err_name(dir.error().code), fsc::last_error());
          return fail(dir.error().code);
        }
        narrowed.dirs[narrowed.n++] = *dir;
        cap = dir->id();
        mode = abi::XFER_MOVE;
      }
    }
    CAPOS_TRY_STATUS(gb.setName(g.child));
    gb.setInterfaceId(iface);
    gb.getSource().getTransfer().set_capability(nx);
    xfer[nx++] = abi::CapTransferDesc{cap, mode, {0, 0, 0}};
  }
  alignas(8) uint8_t rbuf[1024];
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferRecord rec[4];
  uint32_t n_rec = 0;
  narrowed.sent = true;
  Status st = rt::call_with_caps(launcher, 0, params, resp, Span<const abi::CapTransferDesc>(xfer, nx),
                                 Span<abi::CapTransferRecord>(rec), &n_rec);
  // The launcher returns only the `args` client (when we asked for one).
  struct Received {
    abi::CapTransferRecord* rec;
    uint32_t n;
    uint32_t kept = ~0u;
    ~Received() {
      for (uint32_t i = 0; i < n; ++i)
        if (i != kept) rt::release_cap(rec[i].cap_id);
    }
  } received{rec, n_rec};
  if (!st) return report_error(cmd, st.error()), fail(st.error());
  auto root = CAPOS_TRY(resp.root());
  wire::SpawnResult::Reader r(root);
  if (r.isBinaryNotFound()) return say("{}: no binary `{}` in the boot package\n", cmd, l.binary), fail(Err::NotFound);
  if (r.isNotPermitted())
    return say("{}: the launcher may not start `{}` (try `spawn` with no arguments for the list)\n", cmd, l.binary),
           fail(Err::PermissionDenied);
  if (!r.isSpawned()) return fail(Err::Corrupt);
  Launched out{r.getSpawned().getPid(), 0};
  if (g_n_children < kMaxChildren) g_children[g_n_children++] = out.pid;
  auto clients = CAPOS_TRY(r.getSpawned().getClients());
  for (uint32_t i = 0; i < clients.size(); ++i) {
    auto idx = clients[i].getClient().get_capability();
    if (idx && *idx < n_rec && CAPOS_TRY(clients[i].getName()) == "args") received.kept = *idx;
  }
  if (l.n_args) {
    if (received.kept >= n_rec) return say("{}: the launcher returned no `args` endpoint\n", cmd), fail(Err::Corrupt);
    out.args = rec[received.kept].cap_id;
  }
  return out;
}

// Queues SpawnArguments.deliver(argv = binary and the line's arguments,
// envp = empty) on the child's `args`; the child answers it before main.
Status submit_args(rt::AsyncCall& c, uint32_t args, const LaunchLine& l, MutBytes out) {
  capnp::FixedMessageBuilder p(MutBytes(c.params, sizeof(c.params)));
  auto pp = CAPOS_TRY(wire::SpawnArguments::Client::deliverParams(p));
  auto argv = CAPOS_TRY(pp.initArgv(static_cast<uint32_t>(l.n_args + 1)));
  CAPOS_TRY_STATUS(argv.set(0, l.binary));
  for (size_t i = 0; i < l.n_args; ++i) CAPOS_TRY_STATUS(argv.set(static_cast<uint32_t>(i + 1), l.args[i]));
  (void)CAPOS_TRY(pp.initEnvp(0));
  return rt::submit_call(c, rt::Cap<wire::SpawnArguments>::unchecked(args), 0, p, out);
}

Status submit_wait(rt::AsyncCall& c, rt::Cap<wire::ProcessLauncher> launcher, uint32_t pid, MutBytes out) {
  capnp::FixedMessageBuilder p(MutBytes(c.params, sizeof(c.params)));
  auto pp = CAPOS_TRY(wire::ProcessLauncher::Client::waitParams(p));
  pp.setPid(pid);
  return rt::submit_call(c, launcher, 2, p, out);
}

// Collects the answer to the arguments handed to `binary`: a child that
// ended without serving `args` (not a C program) never took them.
void finish_args(StrView cmd, StrView binary, rt::AsyncCall& c, MutBytes result, uint32_t args) {
  if (c.pending) {
    rt::AsyncCall* one[1] = {&c};
    if (auto w = rt::wait_any(Span<rt::AsyncCall* const>(one, 1)); !w) report_error(cmd, w.error());
  }
  if (!c.pending) {
    capnp::Response r(result);
    abi::CapTransferRecord none[1];
    uint32_t n = 0;
    if (Status st = rt::finish_call(c, r, Span<abi::CapTransferRecord>(none, 1), &n); !st)
      say("{}: `{}` did not take its arguments ({}); only a C program does\n", cmd, binary, err_name(st.error()));
  }
  rt::release_cap(args);
}

// Waits for `pid`, serving `stdio` (if any) meanwhile, after handing it
// its arguments (`args` non-zero); prints how it ended.
void wait_for(StrView cmd, uint32_t pid, Stdio stdio, uint32_t args = 0, const LaunchLine* line = nullptr) {
  auto launcher = need<wire::ProcessLauncher>(cmd, "launcher");
  if (!launcher) return;
  static rt::AsyncCall args_call;
  alignas(8) static uint8_t args_rbuf[128];
  if (args) {
    if (Status st = submit_args(args_call, args, *line, MutBytes(args_rbuf, sizeof(args_rbuf))); !st) {
      // Too long for one queued call: the child still waits for them, so
      // releasing `args` makes its start-up fail rather than hang.
      say("{}: the arguments do not fit one call ({})\n", cmd, err_name(st.error()));
      rt::release_cap(args);
      args = 0;
    }
  }
  static rt::AsyncCall call;
  alignas(8) static uint8_t rbuf[512];
  if (Status st = submit_wait(call, launcher, pid, MutBytes(rbuf, sizeof(rbuf))); !st) {
    if (stdio.owner) rt::release_cap(stdio.owner);
    if (args) finish_args(cmd, line->binary, args_call, MutBytes(args_rbuf, sizeof(args_rbuf)), args);
    return report_error(cmd, st.error());
  }
  if (stdio.owner) {
    if (Status st = serve_stdio(stdio.owner, call); !st) report_error(cmd, st.error());
  }
  if (call.pending) {
    rt::AsyncCall* one[1] = {&call};
    if (auto w = rt::wait_any(Span<rt::AsyncCall* const>(one, 1)); !w) return report_error(cmd, w.error());
  }
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferRecord none[1];
  uint32_t n = 0;
  if (Status st = rt::finish_call(call, r, Span<abi::CapTransferRecord>(none, 1), &n); !st) return report_error(cmd, st.error());
  auto root = r.root();
  if (!root) return report_error(cmd, root.error());
  auto s = wire::ProcessLauncher::WaitResults::Reader(*root).getStatus();
  if (!s) return report_error(cmd, s.error());
  if (args) finish_args(cmd, line->binary, args_call, MutBytes(args_rbuf, sizeof(args_rbuf)), args);
  print_status(pid, *s);
  forget_child(pid);
}

// Legacy form: `spawn <binary> [grant...]`, grant = `name` or `child=mine`.
Result<LaunchLine, SyntaxError> parse_legacy(StrView line) {
  LaunchLine l;
  StrView w[LaunchLine::kMaxGrants + 2];
  size_t n = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && line.ptr[i] == ' ') ++i;
    if (i == line.size()) break;
    size_t s = i;
    while (i < line.size() && line.ptr[i] != ' ') ++i;
    if (n == LaunchLine::kMaxGrants + 2) return fail(SyntaxError{s + 1, "too many grants"});
    w[n++] = line.substr(s, i - s);
  }
  l.command = w[0];
  l.binary = n > 1 ? w[1] : StrView();
  for (size_t k = 2; k < n; ++k) {
    Grant g;
    g.child = g.source = w[k];
    for (size_t c = 0; c < w[k].size(); ++c)
      if (w[k].ptr[c] == '=') g.child = w[k].substr(0, c), g.source = w[k].substr(c + 1);
    if (g.source.size() > 4 && g.source.substr(0, 4) == StrView("new:") && !(g.child == w[k]))
      g.local_kind = g.source.substr(4), g.source = StrView();
    if (g.child.empty() || (g.source.empty() && g.local_kind.empty()))
      return fail(SyntaxError{0, "a grant is `name`, `child=mine` or `child=new:<kind>`"});
    l.grants[l.n_grants++] = g;
  }
  return l;
}

}  // namespace

void launch_line(StrView line) {
  bool quoted = is_launch_syntax(line);
  auto parsed = quoted ? parse_launch(line) : parse_legacy(line);
  if (!parsed) {
    size_t w = 0;
    while (w < line.size() && line.ptr[w] != ' ') ++w;
    StrView cmd = line.substr(0, w);
    if (parsed.error().column)
      return say("{}: column {}: {}\n{}\n{:>{}}\n", cmd, parsed.error().column, parsed.error().message, line, "^",
                 parsed.error().column);
    return say("{}: {}\n", cmd, parsed.error().message);
  }
  const LaunchLine& l = *parsed;
  if (l.binary.empty()) return list_binaries(l.command);
  // The shell answers for a child's arguments while it waits for the child
  // (a program that never takes them must not hang the shell), so only
  // `run` passes them.
  if (l.n_args && l.command == "spawn") return say("spawn: only `run` passes arguments\n");
  Stdio stdio;
  auto launched = launch(l, &stdio);
  if (!launched) {
    if (stdio.owner) rt::release_cap(stdio.owner);
    return;
  }
  if (l.command == "spawn") return say("started {} as pid {}\n", l.binary, launched->pid);
  wait_for(l.command, launched->pid, stdio, launched->args, &l);
}

void cmd_wait(StrView arg) {
  uint64_t pid = 0;
  bool ok = !arg.empty() && arg.size() <= 10;
  for (size_t i = 0; ok && i < arg.size(); ++i) {
    ok = arg.ptr[i] >= '0' && arg.ptr[i] <= '9';
    pid = pid * 10 + static_cast<uint64_t>(arg.ptr[i] - '0');
  }
  if (!ok || pid > 0xffffffffu) return say("wait: `{}` is not a pid\n", arg);
  bool mine = false;
  for (uint32_t i = 0; i < g_n_children; ++i) mine |= g_children[i] == pid;
  if (!mine) return say("wait: pid {} is not a child of this shell\n", pid);
  wait_for("wait", static_cast<uint32_t>(pid), Stdio{});
}

}  // namespace capos::shell
