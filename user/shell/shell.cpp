// shell: the native capOS shell on the serial console. It holds only what
// the manifest grants it (see docs/shell.md): "console" for the terminal,
// and optional "timer", "sysinfo", "manual", "launcher", "status",
// "control", "random", "log", "logs". Each command uses one of them; a command
// whose cap was not granted answers with one line and the shell goes on.
// No BootPackage, no ProcessSpawner: programs start through "launcher".
#include "lib/abi/capid.h"
#include "lib/core/format.h"
#include "lib/wire/schema_enums.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/shell/dmesg.h"
#include "user/shell/iface_names.h"
#include "user/shell/line_editor.h"

using namespace capos;
using namespace capos::shell;
namespace wire = capos::schema::wire;

namespace {

constexpr StrView kPrompt("capos> ", 7);
constexpr uint32_t kMaxArgs = 16;
constexpr uint32_t kMaxChildren = 32;

rt::Cap<wire::Console> g_console;
LineEditor g_ed(kPrompt);

// ---- output

void write_raw(StrView s) {
  wire::Console::Client console(&rt::transport(), g_console);
  while (!s.empty()) {
    StrView chunk = s.substr(0, 2048);
    alignas(8) uint8_t pbuf[2048 + 64], rbuf[64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    auto p = wire::Console::Client::writeParams(params);
    if (!p || !p->setData(Bytes(reinterpret_cast<const uint8_t*>(chunk.ptr), chunk.size()))) return;
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    (void)console.write(params, resp);
    s = s.substr(chunk.size());
  }
}

void flush() {
  write_raw(g_ed.output());
  g_ed.clear_output();
}

// Text with '\n' line ends; control bytes other than '\n' and '\t' from
// services are shown as '?', so no reply can move the cursor or inject
// terminal sequences.
void out(StrView s) {
  char buf[512];
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s.ptr[i];
    uint8_t u = static_cast<uint8_t>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) c = '?';
    if (c == '\n') buf[n++] = '\r';
    buf[n++] = c;
    if (n >= sizeof(buf) - 2) write_raw(StrView(buf, n)), n = 0;
  }
  write_raw(StrView(buf, n));
}

template <class... A> void say(StrView fmt, const A&... args) {
  char buf[600];
  out(format_to(buf, sizeof(buf), fmt, args...));
}

// ---- caps

// A granted cap by name, typed; an empty Cap (after a one-line error) if
// there is none with that interface.
template <class Iface>
rt::Cap<Iface> need(StrView cmd, StrView name) {
  auto c = rt::capset_find<Iface>(name);
  if (c) return *c;
  say("{}: no `{}` capability granted to this shell\n", cmd, name);
  return rt::Cap<Iface>();
}

void report_error(StrView cmd, Err e) {
  StrView ex = rt::transport().last_exception();
  if (ex.empty()) ex = rt::call_exception();
  say("{}: failed: {}{}{}\n", cmd, err_name(e), ex.empty() ? "" : ": ", ex);
}

// ---- argument helpers

bool parse_u64(StrView s, uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
    x = x * 10 + static_cast<uint64_t>(s.ptr[i] - '0');
  }
  *v = x;
  return true;
}

// ---- commands

struct Args {
  StrView v[kMaxArgs];
  uint32_t n = 0;
};

using Handler = void (*)(const Args&);
struct Command {
  const char* name;
  const char* usage;
  const char* help;
  Handler fn;
  uint32_t min_args, max_args;  // operands after the command word
};
extern const Command kCommands[];
extern const size_t kNumCommands;

bool g_exit = false;
uint32_t g_children[kMaxChildren];
uint32_t g_n_children = 0;

void cmd_help(const Args&) {
  say("capOS shell commands:\n");
  for (size_t i = 0; i < kNumCommands; ++i) {
    const Command& c = kCommands[i];
    char left[48];
    StrView l = format_to(left, sizeof(left), "{} {}", c.name, c.usage);
    say("  {:<26} {}\n", l, c.help);
  }
  say("Keys: Left/Right move, Up/Down history, Backspace, Ctrl-U clear, Ctrl-C cancel. See `man shell`.\n");
}

void cmd_caps(const Args&) {
  say("{:<12} {:<12} {}\n", "NAME", "CAPID", "INTERFACE");
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    if (!e) continue;
    const char* n = iface_name(e->interface_id);
    char id[24];
    StrView iface = n ? StrView(n) : format_to(id, sizeof(id), "{:#018x}", e->interface_id);
    say("{:<12} {:#010x}   {}\n", rt::capset_name(*e), e->cap_id, iface);
  }
}

void cmd_echo(const Args& a) {
  char buf[300];
  size_t n = 0;
  for (uint32_t i = 1; i < a.n; ++i) {
    if (i > 1) buf[n++] = ' ';
    memcpy(buf + n, a.v[i].ptr, a.v[i].size());
    n += a.v[i].size();
  }
  buf[n++] = '\n';
  out(StrView(buf, n));
}

void cmd_motd(const Args& a) {
  auto cap = need<wire::SystemInfo>(a.v[0], "sysinfo");
  if (!cap) return;
  wire::SystemInfo::Client si(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[64], rbuf[4096 + 256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::SystemInfo::Client::motdParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = si.motd(p, r);
  if (!res) return report_error(a.v[0], res.error());
  auto text = res->getText();
  if (!text) return report_error(a.v[0], text.error());
  out(*text);
  if (text->empty() || (*text)[text->size() - 1] != '\n') out("\n");
}

void cmd_hostname(const Args& a) {
  auto cap = need<wire::SystemInfo>(a.v[0], "sysinfo");
  if (!cap) return;
  wire::SystemInfo::Client si(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::SystemInfo::Client::hostnameParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = si.hostname(p, r);
  if (!res) return report_error(a.v[0], res.error());
  auto name = res->getName();
  if (!name) return report_error(a.v[0], name.error());
  say("{}\n", *name);
}

void cmd_dmesg(const Args& a) {
  auto cap = need<wire::LogReader>(a.v[0], "logs");
  if (!cap) return;
  if (Status st = dmesg(cap, out); !st) report_error(a.v[0], st.error());
}

void cmd_uptime(const Args& a) {
  auto cap = need<wire::Timer>(a.v[0], "timer");
  if (!cap) return;
  wire::Timer::Client t(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::Timer::Client::nowParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = t.now(p, r);
  if (!res) return report_error(a.v[0], res.error());
  uint64_t ns = res->getMonotonicNs();
  uint64_t s = ns / 1'000'000'000;
  say("up {}.{:03} s ({}h {}m {}s)\n", s, (ns / 1'000'000) % 1000, s / 3600, (s / 60) % 60, s % 60);
}

void cmd_random(const Args& a) {
  uint64_t n = 16;
  if (a.n > 1 && (!parse_u64(a.v[1], &n) || n == 0 || n > wire::MAX_ENTROPY_BYTES)) {
    say("random: count must be 1 to {}\n", wire::MAX_ENTROPY_BYTES);
    return;
  }
  auto cap = need<wire::EntropySource>(a.v[0], "random");
  if (!cap) return;
  wire::EntropySource::Client e(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[64], rbuf[512];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = wire::EntropySource::Client::getBytesParams(p);
  if (!pp) return;
  pp->setCount(static_cast<uint32_t>(n));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = e.getBytes(p, r);
  if (!res) return report_error(a.v[0], res.error());
  auto data = res->getData();
  if (!data) return report_error(a.v[0], data.error());
  char hex[2 * 256 + 2];
  size_t k = 0;
  for (size_t i = 0; i < data->size(); ++i) {
    const char* d = "0123456789abcdef";
    hex[k++] = d[data->data()[i] >> 4];
    hex[k++] = d[data->data()[i] & 15];
  }
  hex[k++] = '\n';
  out(StrView(hex, k));
}

void print_ledger(StrView who, wire::SystemStatus::LedgerUsage::Reader u) {
  say("{:<10} cap slots {}/{}  frames {}/{}  virtual pages {}/{}  calls {}/{}\n", who, u.getCapSlotsUsed(),
      u.getCapSlotsMax(), u.getFramePagesUsed(), u.getFramePagesMax(), u.getVirtualPagesUsed(),
      u.getVirtualPagesMax(), u.getOutstandingCallsUsed(), u.getOutstandingCallsMax());
  say("{:<10} page tables {}/{}  kernel bytes {}/{}\n", "", u.getPageTablesUsed(), u.getPageTablesMax(),
      u.getKernelBytesUsed(), u.getKernelBytesMax());
}

void cmd_mem(const Args& a) {
  auto cap = need<wire::SystemStatus>(a.v[0], "status");
  if (!cap) return;
  wire::SystemStatus::Client st(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[64], rbuf[512];
  {
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    (void)wire::SystemStatus::Client::memoryParams(p);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = st.memory(p, r);
    if (!res) return report_error(a.v[0], res.error());
    uint64_t total = res->getTotalFrames(), free = res->getFreeFrames(), ps = res->getPageSize();
    say("frames: {} total, {} free, {} used ({} KiB free of {} KiB, page {} bytes)\n", total, free, total - free,
        free * ps / 1024, total * ps / 1024, ps);
  }
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::SystemStatus::Client::selfLedgerParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = st.selfLedger(p, r);
  if (!res) return report_error(a.v[0], res.error());
  auto u = res->getUsage();
  if (!u) return report_error(a.v[0], u.error());
  print_ledger("shell", *u);
}

void cmd_ps(const Args& a) {
  auto cap = need<wire::SystemStatus>(a.v[0], "status");
  if (!cap) return;
  wire::SystemStatus::Client st(&rt::transport(), cap);
  say("{:>5} {:<16} {:<16} {:>7} {:>7} {:>6}\n", "PID", "NAME", "BINARY", "THREADS", "FRAMES", "CAPS");
  uint32_t off = 0;
  for (;;) {
    alignas(8) uint8_t pbuf[64];
    alignas(8) static uint8_t rbuf[12288];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = wire::SystemStatus::Client::processesParams(p);
    if (!pp) return;
    pp->setOffset(off);
    pp->setMaxEntries(32);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = st.processes(p, r);
    if (!res) return report_error(a.v[0], res.error());
    auto list = res->getEntries();
    if (!list) return report_error(a.v[0], list.error());
    for (uint32_t i = 0; i < list->size(); ++i) {
      auto e = (*list)[i];
      auto u = e.getUsage();
      say("{:>5} {:<16} {:<16} {:>7} {:>7} {:>6}\n", e.getPid(), e.getName().value_or("?"),
          e.getBinary().value_or("?"), e.getThreads(), u ? u->getFramePagesUsed() : 0,
          u ? u->getCapSlotsUsed() : 0);
    }
    off += list->size();
    if (list->size() == 0 || off >= res->getTotal()) break;
  }
}

using wire_enums::fault_name;

void print_status(uint32_t pid, wire::ExitStatus::Reader s) {
  switch (s.which()) {
    case wire::ExitStatus::Which::EXITED: say("process {} exited with code {}\n", pid, s.getExited()); return;
    case wire::ExitStatus::Which::FAULTED: {
      auto f = s.getFaulted();
      if (!f) break;
      say("process {} crashed: {} (vector {}) at address {:#x}, ip {:#x}\n", pid, fault_name(f->getKind()),
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

// spawn <binary> [grant...]: each grant is `name` (pass my cap `name` as
// `name`), `child=mine` (pass my cap `mine` under the name `child`) or
// `child=new:<kind>` (a per-process kernel cap made for the child:
// threadSpawner, threadControl, virtualMemory, logSink).
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
bool do_spawn(const Args& a, uint32_t* pid_out) {
  auto launcher = need<wire::ProcessLauncher>(a.v[0], "launcher");
  if (!launcher) return false;
  alignas(8) uint8_t pbuf[4096];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  auto req = wire::ProcessLauncher::Client::launchParams(params);
  if (!req || !req->setName(a.v[1]) || !req->setBinaryName(a.v[1])) {
    say("{}: bad binary name\n", a.v[0]);
    return false;
  }
  uint32_t n = a.n - 2;
  if (n > abi::XFER_MAX) {
    say("{}: at most {} grants\n", a.v[0], abi::XFER_MAX);
    return false;
  }
  auto grants = req->initGrants(n);
  if (!grants) return false;
  abi::CapTransferDesc xfer[abi::XFER_MAX];
  uint32_t nx = 0;
  for (uint32_t i = 0; i < n; ++i) {
    StrView g = a.v[2 + i], child = g, mine = g;
    for (size_t k = 0; k < g.size(); ++k)
      if (g.ptr[k] == '=') child = g.substr(0, k), mine = g.substr(k + 1);
    auto gb = (*grants)[i];
    if (mine.size() > 4 && mine.substr(0, 4) == StrView("new:")) {
      const LocalKind* lk = nullptr;
      for (const LocalKind& k : kLocalKinds)
        if (mine.substr(4) == StrView(k.name)) lk = &k;
      if (!lk || child == mine || !gb.setName(child)) {
        say("{}: `{}`: write child=new:<kind>, kind one of threadSpawner, threadControl, virtualMemory, logSink\n",
            a.v[0], g);
        return false;
      }
      gb.setInterfaceId(lk->iface);
      gb.getSource().initChildLocal().setKind(lk->kind);
      continue;
    }
    const abi::CapSetEntry* found = nullptr;
    for (uint32_t j = 0; j < rt::capset_count(); ++j) {
      const abi::CapSetEntry* e = rt::capset_entry(j);
      if (e && rt::capset_name(*e) == mine) found = e;
    }
    if (!found) {
      say("{}: I hold no capability named `{}` (see `caps`)\n", a.v[0], mine);
      return false;
    }
    if (child.empty() || !gb.setName(child)) {
      say("{}: bad grant name `{}`\n", a.v[0], child);
      return false;
    }
    gb.setInterfaceId(found->interface_id);
    gb.getSource().getTransfer().set_capability(nx);
    xfer[nx++] = abi::CapTransferDesc{found->cap_id, abi::XFER_COPY, {0, 0, 0}};
  }
  alignas(8) uint8_t rbuf[1024];
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  abi::CapTransferRecord rec[4];
  uint32_t n_rec = 0;
  Status st = rt::call_with_caps(launcher, 0, params, resp,
                                 Span<const abi::CapTransferDesc>(xfer, nx), Span<abi::CapTransferRecord>(rec), &n_rec);
  for (uint32_t i = 0; i < n_rec; ++i) rt::release_cap(rec[i].cap_id);  // the launcher returns none
  if (!st) {
    StrView ex = rt::call_exception();
    say("{}: failed: {}{}{}\n", a.v[0], err_name(st.error()), ex.empty() ? "" : ": ", ex);
    return false;
  }
  auto root = resp.root();
  if (!root) return false;
  wire::SpawnResult::Reader r(*root);
  if (r.isBinaryNotFound()) {
    say("{}: no binary `{}` in the boot package\n", a.v[0], a.v[1]);
    return false;
  }
  if (r.isNotPermitted()) {
    say("{}: the launcher may not start `{}` (try `spawn` with no arguments for the list)\n", a.v[0], a.v[1]);
    return false;
  }
  if (!r.isSpawned()) return false;
  uint32_t pid = r.getSpawned().getPid();
  if (g_n_children < kMaxChildren) g_children[g_n_children++] = pid;
  *pid_out = pid;
  return true;
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
  say("usage: {} <binary> [grant...]; the launcher may start:", cmd);
  for (uint32_t i = 0; i < names->size(); ++i) say(" {}", (*names)[i].value_or("?"));
  say("\n");
}

bool do_wait(StrView cmd, uint32_t pid) {
  auto launcher = need<wire::ProcessLauncher>(cmd, "launcher");
  if (!launcher) return false;
  wire::ProcessLauncher::Client l(&rt::transport(), launcher);
  alignas(8) uint8_t pbuf[64], rbuf[512];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = wire::ProcessLauncher::Client::waitParams(p);
  if (!pp) return false;
  pp->setPid(pid);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = l.wait(p, r);
  if (!res) {
    report_error(cmd, res.error());
    return false;
  }
  auto s = res->getStatus();
  if (!s) return report_error(cmd, s.error()), false;
  print_status(pid, *s);
  for (uint32_t i = 0; i < g_n_children; ++i)
    if (g_children[i] == pid) g_children[i] = g_children[--g_n_children];
  return true;
}

void cmd_spawn(const Args& a) {
  if (a.n < 2) return list_binaries(a.v[0]);
  uint32_t pid;
  if (do_spawn(a, &pid)) say("started {} as pid {}\n", a.v[1], pid);
}

void cmd_run(const Args& a) {
  if (a.n < 2) return list_binaries(a.v[0]);
  uint32_t pid;
  if (do_spawn(a, &pid)) (void)do_wait(a.v[0], pid);
}

void cmd_wait(const Args& a) {
  uint64_t pid = 0;
  if (!parse_u64(a.v[1], &pid) || pid > 0xffffffffu) return say("wait: `{}` is not a pid\n", a.v[1]);
  bool mine = false;
  for (uint32_t i = 0; i < g_n_children; ++i) mine |= g_children[i] == pid;
  if (!mine) return say("wait: pid {} is not a child of this shell\n", pid);
  (void)do_wait(a.v[0], static_cast<uint32_t>(pid));
}

void cmd_man(const Args& a) {
  auto cap = need<wire::Manual>(a.v[0], "manual");
  if (!cap) return;
  uint64_t section = 0;
  StrView topic = a.v[1];
  if (a.n == 3) {
    if (!parse_u64(a.v[1], &section) || section > 9) return say("man: `{}` is not a section number\n", a.v[1]);
    topic = a.v[2];
  } else if (parse_u64(a.v[1], &section)) {
    return say("man: which page in section {}? (`man {} <topic>`)\n", section, section);
  }
  wire::Manual::Client m(&rt::transport(), cap);
  uint32_t off = 0;
  for (;;) {
    alignas(8) uint8_t pbuf[256];
    alignas(8) static uint8_t rbuf[4096 + 512];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = wire::Manual::Client::pageParams(p);
    if (!pp || !pp->setTopic(topic)) return say("man: bad topic\n");
    pp->setSection(static_cast<uint8_t>(section));
    pp->setOffset(off);
    pp->setMaxBytes(4096);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = m.page(p, r);
    if (!res) return report_error(a.v[0], res.error());
    if (!res->isChunk()) {
      return say("man: no manual page for `{}`{} (try `apropos {}`)\n", topic, section ? " in that section" : "",
                 topic);
    }
    auto text = res->getChunk().getText();
    if (!text) return report_error(a.v[0], text.error());
    if (text->empty()) break;
    out(*text);
    off += static_cast<uint32_t>(text->size());
    if (off >= res->getChunk().getTotalBytes()) break;
  }
}

void cmd_apropos(const Args& a) {
  auto cap = need<wire::Manual>(a.v[0], "manual");
  if (!cap) return;
  wire::Manual::Client m(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[256];
  alignas(8) static uint8_t rbuf[12288];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = wire::Manual::Client::aproposParams(p);
  if (!pp || !pp->setKeyword(a.v[1])) return say("apropos: bad keyword\n");
  pp->setMaxEntries(wire::MAX_MANUAL_ENTRIES);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = m.apropos(p, r);
  if (!res) return report_error(a.v[0], res.error());
  auto list = res->getEntries();
  if (!list) return report_error(a.v[0], list.error());
  if (list->size() == 0) return say("apropos: nothing appropriate for `{}`\n", a.v[1]);
  for (uint32_t i = 0; i < list->size(); ++i) {
    auto e = (*list)[i];
    char left[48];
    StrView l = format_to(left, sizeof(left), "{}({})", e.getName().value_or("?"), e.getSection());
    StrView sum = e.getSummary().value_or("");
    say("{:<20} - {}\n", l, sum.substr(0, 56));
  }
  if (res->getMore()) say("(more matches left out)\n");
}

void cmd_exit(const Args&) {
  say("bye\n");
  g_exit = true;
}

// SystemControl.shutdown(mode, 0); a reply at all means the machine is
// still running, so any answer is reported.
void system_control(const Args& a, wire::SystemControl::ShutdownMode mode, const char* what) {
  auto cap = need<wire::SystemControl>(a.v[0], "control");
  if (!cap) return;
  say(what);
  wire::SystemControl::Client c(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = wire::SystemControl::Client::shutdownParams(p);
  if (!pp) return;
  pp->setMode(mode);
  pp->setStatus(0);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = c.shutdown(p, r);
  if (!res) report_error(a.v[0], res.error());
}

void cmd_shutdown(const Args& a) { system_control(a, wire::SystemControl::ShutdownMode::POWER_OFF, "shutting down\n"); }
void cmd_reboot(const Args& a) { system_control(a, wire::SystemControl::ShutdownMode::REBOOT, "rebooting\n"); }

const Command kCommands[] = {
    {"help", "", "list the commands", cmd_help, 0, 0},
    {"caps", "", "list this shell's capabilities", cmd_caps, 0, 0},
    {"echo", "[words...]", "print the words", cmd_echo, 0, kMaxArgs - 1},
    {"motd", "", "message of the day (SystemInfo)", cmd_motd, 0, 0},
    {"hostname", "", "machine name (SystemInfo)", cmd_hostname, 0, 0},
    {"uptime", "", "time since boot (Timer)", cmd_uptime, 0, 0},
    {"dmesg", "", "the kernel log (LogReader)", cmd_dmesg, 0, 0},
    {"random", "[n]", "n random bytes in hex (EntropySource)", cmd_random, 0, 1},
    {"mem", "", "memory and own ledger (SystemStatus)", cmd_mem, 0, 0},
    {"ps", "", "list processes (SystemStatus)", cmd_ps, 0, 0},
    {"spawn", "<binary> [grant...]", "start a program (ProcessLauncher)", cmd_spawn, 0, kMaxArgs - 1},
    {"run", "<binary> [grant...]", "spawn, then wait for it", cmd_run, 0, kMaxArgs - 1},
    {"wait", "<pid>", "wait for a spawned program", cmd_wait, 1, 1},
    {"man", "[section] <topic>", "show a manual page (Manual)", cmd_man, 1, 2},
    {"apropos", "<word>", "search the manual (Manual)", cmd_apropos, 1, 1},
    {"exit", "", "leave the shell", cmd_exit, 0, 0},
    {"shutdown", "", "power off (SystemControl)", cmd_shutdown, 0, 0},
    {"reboot", "", "reset the machine (SystemControl)", cmd_reboot, 0, 0},
};
const size_t kNumCommands = sizeof(kCommands) / sizeof(kCommands[0]);

void run_line(StrView line) {
  Args a;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line.ptr[i] == ' ') ++i;
    if (i == line.size()) break;
    size_t start = i;
    while (i < line.size() && line.ptr[i] != ' ') ++i;
    if (a.n == kMaxArgs) return say("too many words (at most {})\n", kMaxArgs);
    a.v[a.n++] = line.substr(start, i - start);
  }
  if (a.n == 0) return;
  for (size_t k = 0; k < kNumCommands; ++k) {
    const Command& c = kCommands[k];
    if (!(a.v[0] == c.name)) continue;
    uint32_t ops = a.n - 1;
    if (ops < c.min_args || ops > c.max_args) return say("usage: {} {}\n", c.name, c.usage);
    return c.fn(a);
  }
  say("{}: unknown command (type `help`)\n", a.v[0].substr(0, 40));
}

void greet() {
  if (rt::capset_find<wire::SystemInfo>("sysinfo")) {
    Args a;
    a.v[0] = "motd";
    a.n = 1;
    cmd_motd(a);
  }
  say("capOS shell. Type `help` for commands, `man shell` for more.\n");
}

}  // namespace

int main() {
  auto console = rt::capset_find<wire::Console>("console");
  if (!console) return 2;  // nowhere to talk to
  g_console = *console;
  greet();
  g_ed.start();
  flush();
  wire::Console::Client con(&rt::transport(), g_console);
  while (!g_exit) {
    alignas(8) uint8_t pbuf[64], rbuf[512];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = wire::Console::Client::readParams(p);
    if (!pp) return 3;
    pp->setMaxBytes(256);
    pp->setBlock(true);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = con.read(p, r);
    if (!res) {
      say("shell: console read failed: {}\n", err_name(res.error()));
      return 4;
    }
    if (!res->isData()) continue;
    auto data = res->getData();
    if (!data) continue;
    for (size_t i = 0; i < data->size() && !g_exit; ++i) {
      LineEditor::Event ev = g_ed.feed(data->data()[i]);
      if (ev == LineEditor::Event::None) continue;
      flush();
      if (ev == LineEditor::Event::Line) run_line(g_ed.line());
      if (!g_exit) g_ed.start();
    }
    flush();
  }
  return 0;
}
