// shell: the native capOS shell on the serial console. It holds only what
// the manifest grants it (see docs/shell.md): "terminal" (TerminalSession),
// "sessions" (SessionManager), and optional "sysinfo", "log", "eps",
// "netmgr", "dns", "connect", "home" (a Directory, docs/storage.md); it starts anonymous and everything else
// ("timer", "manual", "launcher", "status", "random", "logs", "lifecycle")
// comes in the session bundle that `login`, `setup` or `guest` obtains
// (docs/identity.md). A command whose cap is missing answers with one line
// and the shell goes on. No BootPackage, ProcessSpawner or SystemControl.
#include "lib/abi/capid.h"
#include "lib/core/format.h"
#include "lib/wire/schema_enums.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "schema/identity.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/shell/dmesg.h"
#include "user/shell/fs_commands.h"
#include "user/shell/iface_names.h"
#include "user/shell/info_cmds.h"
#include "user/shell/launch.h"
#include "user/shell/audit_cmd.h"
#include "user/shell/session_cmds.h"
#include "user/shell/shell_io.h"
#include "user/shell/line_editor.h"
#include "user/shell/net_cmds.h"

using namespace capos;
using namespace capos::shell;
namespace wire = capos::schema::wire;

namespace {

rt::Cap<wire::TerminalSession> g_term;
// "user@capos> " once logged in, "capos> " when anonymous.
char g_prompt[48] = "capos> ";
LineEditor g_ed(StrView(g_prompt, 7));

void update_prompt() {
  g_ed.set_prompt(format_to(g_prompt, sizeof(g_prompt), "{}capos> ", session_user()));
}

void flush() {
  write_raw(g_ed.output());
  g_ed.clear_output();
}

// ---- commands (the service queries are in info_cmds.cpp)

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
  say("{:<12} {:<12} {:<16} {}\n", "NAME", "CAPID", "INTERFACE", "FROM");
  for (size_t i = 0; i < names::count(); ++i) {
    const names::Entry& e = names::at(i);
    const char* n = iface_name(e.interface_id);
    char id[24];
    StrView iface = n ? StrView(n) : format_to(id, sizeof(id), "{:#018x}", e.interface_id);
    say("{:<12} {:#010x}   {:<16} {}\n", e.view(), e.cap, iface, e.session ? "session" : "manifest");
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


void cmd_dmesg(const Args& a) {
  auto cap = need<wire::LogReader>(a.v[0], "logs");
  if (!cap) return;
  if (Status st = dmesg(cap, out); !st) report_error(a.v[0], st.error());
}


void cmd_spawn(const Args&) {}  // handled by run_line (launch_line needs the raw line)
void cmd_wait(const Args& a) { shell::cmd_wait(a.v[1]); }
void cmd_login(const Args& a) { shell::cmd_login(a.v[1]), update_prompt(); }
void cmd_setup(const Args& a) { shell::cmd_setup(a.v[1]), update_prompt(); }
void cmd_guest(const Args&) { shell::cmd_guest(), update_prompt(); }
void cmd_logout(const Args&) { shell::cmd_logout(), update_prompt(); }
void cmd_passwd(const Args&) { shell::cmd_passwd(); }
void cmd_adduser(const Args& a) { shell::cmd_adduser(a.v[1], a.n > 2 ? a.v[2] : StrView()); }
void cmd_whoami(const Args&) { shell::cmd_whoami(); }
void cmd_audit(const Args& a) {
  uint64_t n = 10;
  if (a.n > 1 && (!parse_u64(a.v[1], &n) || n == 0 || n > 20)) return say("audit: count must be 1 to 20\n");
  shell::cmd_audit(static_cast<uint32_t>(n));
}


void cmd_exit(const Args&) {
  say("bye\n");
  g_exit = true;
}

// File commands over the granted "home" Directory (fs_commands.cpp).
void cmd_fs(const Args& a) { run_fs_command(a.v, a.n, out); }


// Network commands live in net_cmds.cpp; they print through out().
void net_out(StrView s) { out(s); }
void cmd_ifconfig(const Args& a) { shell::cmd_ifconfig(net_out, a.v, a.n); }
void cmd_ping(const Args& a) { shell::cmd_ping(net_out, a.v, a.n); }
void cmd_resolve(const Args& a) { shell::cmd_resolve(net_out, a.v, a.n); }
void cmd_fetch(const Args& a) { shell::cmd_fetch(net_out, a.v, a.n); }

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
    {"spawn", "\"<binary>\" with {...}", "start a program (ProcessLauncher)", cmd_spawn, 0, kMaxArgs - 1},
    {"run", "\"<binary>\" with {...}", "start it, serve its stdio, wait", cmd_spawn, 0, kMaxArgs - 1},
    {"wait", "<pid>", "wait for a spawned program", cmd_wait, 1, 1},
    {"man", "[section] <topic>", "show a manual page (Manual)", cmd_man, 1, 2},
    {"apropos", "<word>", "search the manual (Manual)", cmd_apropos, 1, 1},
    {"login", "<user>", "log in (password asked, hidden)", cmd_login, 1, 1},
    {"setup", "<user>", "first operator account (no accounts yet)", cmd_setup, 1, 1},
    {"guest", "", "guest session, if the manifest allows", cmd_guest, 0, 0},
    {"logout", "", "end the session, revoke its caps", cmd_logout, 0, 0},
    {"passwd", "", "change this account's password", cmd_passwd, 0, 0},
    {"adduser", "<user> [operator|guest]", "add an account (operator only)", cmd_adduser, 1, 2},
    {"whoami", "", "the current session", cmd_whoami, 0, 0},
    {"audit", "[n]", "verify the audit chain, show n records (AuditLog)", cmd_audit, 0, 1},
    {"ifconfig", "", "network interfaces and counters (NetworkManager)", cmd_ifconfig, 0, 0},
    {"net", "", "same as ifconfig", cmd_ifconfig, 0, 0},
    {"ping", "<host> [count]", "ICMP echo (NetworkManager, Resolver)", cmd_ping, 1, 2},
    {"resolve", "<name>", "look up an IPv4 address (Resolver)", cmd_resolve, 1, 1},
    {"fetch", "<http://host[:port]/path>", "HTTP/1.1 GET (TcpConnector)", cmd_fetch, 1, 1},
    {"ls", "[dir]", "list a directory of home (Directory)", cmd_fs, 0, 1},
    {"cat", "<file>", "print a file of home", cmd_fs, 1, 1},
    {"write", "<file> [words...]", "make a file of the words, synced", cmd_fs, 1, kMaxArgs - 1},
    {"mkdir", "<dir>", "make a directory in home", cmd_fs, 1, 1},
    {"rm", "<path>", "remove a file or an empty directory", cmd_fs, 1, 1},
    {"mv", "<from> <to>", "rename, within from's directory or below", cmd_fs, 2, 2},
    {"stat", "[path]", "describe a file or directory", cmd_fs, 0, 1},
    {"df", "", "filesystem space", cmd_fs, 0, 0},
    {"exit", "", "leave the shell", cmd_exit, 0, 0},
    {"shutdown", "", "power off (Lifecycle, operator)", cmd_shutdown, 0, 0},
    {"reboot", "", "reset the machine (Lifecycle, operator)", cmd_reboot, 0, 0},
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
    if (c.fn == cmd_spawn) return launch_line(line);
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
  auto term = rt::capset_find<wire::TerminalSession>("terminal");
  if (!term) return 2;  // nowhere to talk to
  g_term = *term;
  set_terminal(*term);
  names::init_from_capset();
  greet();
  if (!begin_anonymous()) say("shell: no session manager; running with the manifest's caps only\n");
  g_ed.start();
  flush();
  wire::TerminalSession::Client t(&rt::transport(), g_term);
  while (!g_exit) {
    alignas(8) uint8_t pbuf[64], rbuf[512];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = wire::TerminalSession::Client::readParams(p);
    if (!pp) return 3;
    pp->setMaxBytes(256);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = t.read(p, r);
    if (!res) {
      say("shell: terminal read failed: {}\n", err_name(res.error()));
      return 4;
    }
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
