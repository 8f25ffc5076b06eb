// init: reads the manifest through "boot", decodes and validates the whole
// service graph (defence in depth: mkmanifest and the kernel checked parts
// of it already), starts every service in manifest order through
// "spawner" with exactly the caps the manifest lists, then supervises:
// one asynchronous ProcessHandle.wait per child, exit statuses logged,
// restart policy applied with Timer-driven backoff. Exits 0 when no child
// remains (the kernel then shuts down). Every failure is one clear line.
#include "lib/manifest/decode.h"
#include "lib/manifest/schema_ids.h"
#include "lib/manifest/validate.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/manifest.capnp.capos.h"
#include "user/init/init.h"
#include "user/rt/console.h"
#include "user/rt/boot_package.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
using namespace capos::init;
namespace wire = capos::schema::wire;

namespace {

// Outstanding async calls (waits + backoff sleeps). The CQ has 32 slots and
// the kernel consumes an SQE only when its completion has a slot, so init
// keeps at most this many pending and leaves room for its own sync calls;
// children beyond it are waited for as slots free up.
constexpr uint32_t kMaxInFlight = 24;
constexpr uint64_t kMaxManifestBytes = 256 * 1024;  // the stripped view (no binaries)
Registry g_reg;
Child* g_children = nullptr;
size_t g_n_children = 0;
bool g_stopping = false;  // idle servers are being stopped: no restarts

// Init's own caps by kind, as recorded in init's manifest entry.
void map_kernel_caps(const manifest::Manifest& m) {
  for (uint32_t& c : g_reg.kernel_caps) c = abi::CAPID_INVALID;
  g_reg.device_matches = m.device_matches;
  g_reg.dir_paths = m.dir_paths;
  for (const manifest::CapDecl& c : m.init.caps) {
    if (c.source != manifest::SourceKind::Kernel || c.kernel_kind >= manifest::kKernelCapKindCount) continue;
    auto id = rt::capset_find_id(c.name, c.interface_id);
    if (!id) {
      rt::printf("init: my cap `{}` from the manifest is missing from my CapSet ({})\n", c.name,
                 err_name(id.error()));
      continue;
    }
    if (g_reg.kernel_caps[c.kernel_kind] == abi::CAPID_INVALID) g_reg.kernel_caps[c.kernel_kind] = *id;
  }
  // Typed only if the CapSet agrees on the interface (absent otherwise).
  g_reg.spawner = rt::capset_typed<wire::ProcessSpawner>(
                      g_reg.kernel_caps[static_cast<uint16_t>(manifest::KernelCapKind::ProcessSpawner)])
                      .value_or(rt::Cap<wire::ProcessSpawner>());
  g_reg.timer = rt::capset_typed<wire::Timer>(g_reg.kernel_caps[static_cast<uint16_t>(manifest::KernelCapKind::Timer)])
                    .value_or(rt::Cap<wire::Timer>());
}

uint32_t in_flight() {
  uint32_t n = 0;
  for (size_t i = 0; i < g_n_children; ++i) n += g_children[i].call.pending ? 1 : 0;
  return n;
}

void finish_env(Child& c);

void start(Child& c) {
  if (c.args && c.env_call.pending) {
    // A restart before the last run's environment was answered: that
    // child has ended, so the answer (a failure) is on its way.
    rt::AsyncCall* one[1] = {&c.env_call};
    if (auto w = rt::wait_any(Span<rt::AsyncCall* const>(one, 1)); w) finish_env(c);
  }
  if (auto spawned = spawn(g_reg, c); !spawned) {
    const SpawnError e = spawned.error();
    rt::printf("init: cannot start {}: {}\n", c.decl->name, StrView(e.line, strnlen(e.line, sizeof(e.line))));
    c.state = State::Stopped;
    return;
  }
  c.state = State::Running;
  c.waiting = false;
  rt::printf("init: started {} (pid {})\n", c.decl->name, c.pid);
}

// Submits waits for running children without one, within kMaxInFlight.
void submit_waits() {
  for (size_t i = 0; i < g_n_children; ++i) {
    Child& c = g_children[i];
    if (c.state != State::Running || c.waiting || c.call.pending) continue;
    if (in_flight() >= kMaxInFlight) return;
    alignas(8) uint8_t pbuf[64];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    (void)wire::ProcessHandle::Client::waitParams(p);
    Status st = rt::submit_call(c.call, c.handle, 0, p,
                                MutBytes(c.result, sizeof(c.result)));
    if (!st) {
      rt::printf("init: cannot wait for {}: {}\n", c.decl->name, err_name(st.error()));
      c.state = State::Stopped;  // unsupervised from now on
      continue;
    }
    c.waiting = true;
  }
}

void schedule_restart(Child& c) {
  const manifest::RestartPolicy& rp = c.decl->restart;
  if (rp.kind != manifest::RestartKind::OnFailure || g_stopping) {
    c.state = State::Stopped;
    return;
  }
  if (c.restarts >= rp.max_restarts) {
    rt::printf("init: {} failed too often; giving up\n", c.decl->name);
    c.state = State::Stopped;
    return;
  }
  ++c.restarts;
  rt::printf("init: restarting {} (attempt {}/{})\n", c.decl->name, c.restarts, rp.max_restarts);
  if (rp.backoff_ms == 0 || !g_reg.timer) {
    if (rp.backoff_ms) rt::printf("init: no timer cap; restarting {} without backoff\n", c.decl->name);
    start(c);
    return;
  }
  // Asynchronous backoff: other children stay supervised meanwhile.
  alignas(8) uint8_t pbuf[64];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto sp = wire::Timer::Client::sleepParams(p);
  if (sp) sp->setDurationNs(uint64_t{rp.backoff_ms} * 1'000'000);
  if (!sp || !rt::submit_call(c.call, g_reg.timer, static_cast<uint16_t>(wire::Timer::Method::SLEEP), p,
                              MutBytes(c.result, sizeof(c.result)))) {
    start(c);  // no backoff possible; restart now rather than never
    return;
  }
  c.state = State::Backoff;
}

// The answer to the environment queued for `c`: the child's `args`
// client is released; a child that ended without taking it is named.
void finish_env(Child& c) {
  capnp::Response r(MutBytes(c.env_result, sizeof(c.env_result)));
  if (Status st = rt::finish_call(c.env_call, r, Span<abi::CapTransferRecord>(), nullptr); !st)
    rt::printf("init: {} did not take its environment ({}); only a C program does\n", c.decl->name,
               err_name(st.error()));
  rt::release_cap(c.args);
  c.args = 0;
}

// One completion of `c.call`: a child ended, or its backoff elapsed.
void on_completion(Child& c) {
  if (c.state == State::Backoff) {
    start(c);
    return;
  }
  c.waiting = false;
  capnp::Response resp(MutBytes(c.result, sizeof(c.result)));
  auto ok = rt::finish_call(c.call, resp, Span<abi::CapTransferRecord>(), nullptr);
  rt::release_cap(c.handle);  // its job is done; a restart gets a new one
  c.handle = rt::Cap<wire::ProcessHandle>();
  if (!ok) {
    StrView ex = rt::call_exception();
    rt::printf("init: lost {}: wait failed: {}{}{}\n", c.decl->name, err_name(ok.error()), ex.empty() ? "" : ": ", ex);
    c.state = State::Stopped;
    return;
  }
  auto root = resp.root();
  if (!root) {
    rt::printf("init: lost {}: unreadable wait result\n", c.decl->name);
    c.state = State::Stopped;
    return;
  }
  auto res = wire::ProcessHandle::WaitResults::Reader(*root);
  auto status = res.getStatus();
  if (!status) {
    rt::printf("init: lost {}: unreadable exit status\n", c.decl->name);
    c.state = State::Stopped;
    return;
  }
  char text[160];
  describe_status(*status, text, sizeof(text));
  rt::printf("init: {} exited: {}\n", c.decl->name, StrView(text, strnlen(text, sizeof(text))));
  if (is_failure(*status)) {
    schedule_restart(c);
  } else {
    c.state = State::Stopped;
  }
}

bool imports_from(const manifest::ServiceDecl& s, StrView from) {
  for (const manifest::CapDecl& c : s.caps)
    if ((c.source == manifest::SourceKind::Service || c.source == manifest::SourceKind::Directory) &&
        c.service == from)
      return true;
  return false;
}

// A server (a service with exports) is idle when it has importers in the
// manifest and every one of them has ended for good or is an idle server
// itself: nothing can call it any more. When every running child is an
// idle server, init stops them, so a finished system shuts down instead of
// idling forever. A server nobody in the manifest imports is never idle
// (it may serve something outside the graph).
bool all_running_are_idle_servers() {
  bool idle[manifest::kMaxServices] = {};
  bool any_running = false;
  for (size_t i = g_n_children; i-- > 0;) {
    const Child& c = g_children[i];
    if (c.state == State::Backoff) return false;
    if (c.state != State::Running) continue;
    any_running = true;
    if (c.decl->exports.empty()) return false;
    bool importers = false, busy = false;
    for (size_t j = i + 1; j < g_n_children; ++j) {
      if (!imports_from(*g_children[j].decl, c.decl->name)) continue;
      importers = true;
      busy |= g_children[j].state != State::Stopped && !idle[j];
    }
    if (!importers || busy) return false;
    idle[i] = true;
  }
  return any_running;
}

void stop_idle_servers() {
  g_stopping = true;
  rt::printf("init: every client has ended; stopping the services they used\n");
  for (size_t i = g_n_children; i-- > 0;) {
    Child& c = g_children[i];
    if (c.state != State::Running) continue;
    alignas(8) uint8_t pbuf[64], rbuf[128];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    (void)wire::ProcessHandle::Client::killParams(p);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto k = wire::ProcessHandle::Client(&rt::transport(), c.handle).kill(p, r);
    if (!k) rt::printf("init: cannot stop {}: {}\n", c.decl->name, err_name(k.error()));
    // The pending wait completes with killed(byHandle) and is logged.
  }
}

int supervise() {
  // Each child has at most two calls in flight: its wait (or backoff) and
  // its environment.
  Child** pending = static_cast<Child**>(rt::malloc(sizeof(Child*) * (2 * g_n_children + 1)));
  rt::AsyncCall** calls = static_cast<rt::AsyncCall**>(rt::malloc(sizeof(rt::AsyncCall*) * (2 * g_n_children + 1)));
  if (!pending || !calls) return rt::printf("init: out of memory\n"), 1;
  for (;;) {
    submit_waits();
    size_t n = 0;
    for (size_t i = 0; i < g_n_children; ++i) {
      if (g_children[i].args && g_children[i].env_call.pending) {
        pending[n] = &g_children[i];
        calls[n++] = &g_children[i].env_call;
      }
      if (!g_children[i].call.pending) continue;
      pending[n] = &g_children[i];
      calls[n++] = &g_children[i].call;
    }
    if (n == 0) {
      bool unsupervised = false;
      for (size_t i = 0; i < g_n_children; ++i) unsupervised |= g_children[i].state == State::Running;
      if (unsupervised) rt::printf("init: some services run unsupervised\n");
      return 0;
    }
    if (!g_stopping && all_running_are_idle_servers()) {
      stop_idle_servers();
      continue;
    }
    auto k = rt::wait_any(Span<rt::AsyncCall* const>(calls, n));
    if (!k) return rt::printf("init: ring failure while supervising ({})\n", err_name(k.error())), 1;
    if (calls[*k] == &pending[*k]->env_call) {
      finish_env(*pending[*k]);
      continue;
    }
    on_completion(*pending[*k]);
  }
}

}  // namespace

int main() {
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  if (!boot) return rt::printf("init: no `boot` cap ({})\n", err_name(boot.error())), 1;
  auto bytes = rt::boot_read_manifest(*boot, kMaxManifestBytes);
  if (!bytes) {
    StrView ex = rt::transport().last_exception();
    return rt::printf("init: cannot read the manifest: {}{}{}\n", err_name(bytes.error()), ex.empty() ? "" : ": ", ex), 1;
  }
  auto* storage = static_cast<manifest::DecodeStorage*>(rt::malloc(sizeof(manifest::DecodeStorage)));
  if (!storage) return rt::printf("init: out of memory for the manifest\n"), 1;
  auto m = manifest::decode(*bytes, *storage);
  if (!m) return rt::printf("init: {}\n", StrView(m.error().message, strnlen(m.error().message, sizeof(m.error().message)))), 1;
  manifest::Options opt;
  opt.require_binary_data = false;  // the metadata view has every Binary.data stripped
  auto v = manifest::validate(*m, opt);
  if (!v) return rt::printf("init: invalid manifest: {}\n", StrView(v.error().message, strnlen(v.error().message, sizeof(v.error().message)))), 1;
  rt::printf("init: manifest ok: {} services\n", m->services.size());

  map_kernel_caps(*m);
  if (!g_reg.spawner) return rt::printf("init: no ProcessSpawner cap; cannot start services\n"), 1;
  size_t max_providers = manifest::kMaxServices * manifest::kMaxExportsPerService;
  g_reg.providers = static_cast<Provider*>(rt::malloc(sizeof(Provider) * max_providers));
  g_n_children = m->services.size();
  g_children = g_n_children ? static_cast<Child*>(rt::malloc(sizeof(Child) * g_n_children)) : nullptr;
  if (!g_reg.providers || (g_n_children && !g_children)) return rt::printf("init: out of memory\n"), 1;
  for (size_t i = 0; i < max_providers; ++i) new (&g_reg.providers[i]) Provider();
  for (size_t i = 0; i < g_n_children; ++i) {
    new (&g_children[i]) Child();
    g_children[i].decl = &m->services[i];
  }
  for (size_t i = 0; i < g_n_children; ++i) start(g_children[i]);
  int rc = supervise();
  if (rc == 0) rt::printf("init: all services ended\n");
  return rc;
}
