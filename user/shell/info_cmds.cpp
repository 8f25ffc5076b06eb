// Shell commands that ask one system service and print the answer: motd,
// hostname, uptime, random, mem, ps, man, apropos, shutdown, reboot. Each
// takes the parsed line (command_args.h) and names the cap it needs; a
// missing cap is one line (need<>, shell_io.h).
#include "user/shell/info_cmds.h"

#include "lib/core/format.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/identity.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "user/rt/transport.h"
#include "user/shell/shell_io.h"

namespace capos::shell {

namespace wire = schema::wire;

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


void cmd_motd(const Args& a) {
  auto cap = need<wire::SystemInfo>(a.v[0], "sysinfo");
  if (!cap) return;
  wire::SystemInfo::Client si(&rt::transport(), cap);
  alignas(8) uint8_t rbuf[4096 + 256];
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = si.motd(r);  // no params message: sysinfo reads the default struct (docs/abi.md "Empty params")
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
  alignas(8) uint8_t rbuf[256];
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = si.hostname(r);  // no params message
  if (!res) return report_error(a.v[0], res.error());
  auto name = res->getName();
  if (!name) return report_error(a.v[0], name.error());
  say("{}\n", *name);
}

void cmd_uptime(const Args& a) {
  auto cap = need<wire::Timer>(a.v[0], "timer");
  if (!cap) return;
  wire::Timer::Client t(&rt::transport(), cap);
  alignas(8) uint8_t rbuf[128];
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = t.now(r);  // no params message
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

static void print_ledger(StrView who, wire::SystemStatus::LedgerUsage::Reader u) {
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
    say("frames: {} total, {} free, {} used ({} KiB free of {} KiB, page {} bytes); {} of the used hold shared program "
        "pages\n", total, free, total - free, free * ps / 1024, total * ps / 1024, ps, res->getSharedProgramFrames());
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

namespace {

// Lifecycle (the operator bundle's narrowed shutdown cap); a reply at all
// means the machine is still running, so any answer is reported.
void lifecycle(const Args& a, bool reboot) {
  auto cap = need<wire::Lifecycle>(a.v[0], "lifecycle");
  if (!cap) return;
  say(reboot ? "rebooting\n" : "shutting down\n");
  wire::Lifecycle::Client c(&rt::transport(), cap);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  if (reboot) {
    (void)wire::Lifecycle::Client::rebootParams(p);
    if (auto res = c.reboot(p, r); !res) report_error(a.v[0], res.error());
  } else {
    (void)wire::Lifecycle::Client::powerOffParams(p);
    if (auto res = c.powerOff(p, r); !res) report_error(a.v[0], res.error());
  }
}


}  // namespace

void cmd_shutdown(const Args& a) { lifecycle(a, false); }
void cmd_reboot(const Args& a) { lifecycle(a, true); }

}  // namespace capos::shell
