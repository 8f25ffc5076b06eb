#include "tools/mkmanifest/to_model.h"
#include <algorithm>

namespace capos::mkmanifest {
namespace {

StrView view(capnp::Text::Reader t) { return StrView(t.cStr(), t.size()); }

template <class R> manifest::LimitsDecl limits(R owner) {
  manifest::LimitsDecl d;
  if (!owner.hasLimits()) return d;
  auto l = owner.getLimits();
  d.present = true;
  d.cap_slots = l.getCapSlots();
  d.frame_pages = l.getFramePages();
  d.virtual_pages = l.getVirtualPages();
  d.threads = l.getThreads();
  d.outstanding_calls = l.getOutstandingCalls();
  return d;
}

manifest::CapDecl cap_decl(schema::CapEntry::Reader c, ModelStorage& st) {
  manifest::CapDecl d;
  d.name = view(c.getName());
  d.interface_id = c.getInterfaceId();
  d.secret = view(c.getSecret());
  // Counts past the model's fields saturate; validate() refuses them.
  auto devs = c.getDevices();
  d.device_first = static_cast<uint16_t>(std::min<size_t>(st.device_matches.size(), 0xFFFF));
  d.device_count = static_cast<uint8_t>(std::min<size_t>(devs.size(), 0xFF));
  for (auto m : devs) st.device_matches.push_back({m.getVendorId(), m.getDeviceId()});
  if (c.hasSchedule()) {
    auto s = c.getSchedule();
    d.has_schedule = true;
    d.sched_weight = s.getWeight();
    d.sched_budget_us = s.getBudgetUs();
    d.sched_period_us = s.getPeriodUs();
  }
  auto src = c.getSource();
  switch (src.which()) {
    case schema::CapEntry::Source::KERNEL:
      d.source = manifest::SourceKind::Kernel;
      d.kernel_kind = static_cast<uint16_t>(src.getKernel());
      break;
    case schema::CapEntry::Source::ENDPOINT:
      d.source = manifest::SourceKind::Endpoint;
      d.served_interface_id = src.getEndpoint().getServedInterfaceId();
      break;
    case schema::CapEntry::Source::SERVICE:
      d.source = manifest::SourceKind::Service;
      d.service = view(src.getService().getService());
      d.export_name = view(src.getService().getExport());
      break;
    case schema::CapEntry::Source::DIRECTORY:
      d.source = manifest::SourceKind::Directory;
      d.service = view(src.getDirectory().getService());
      d.export_name = view(src.getDirectory().getExport());
      // Indices past the model's field saturate; validate() refuses them.
      d.dir_path = static_cast<uint8_t>(std::min<size_t>(st.dir_paths.size(), 0xFF));
      st.dir_paths.push_back(view(src.getDirectory().getPath()));
      d.dir_writable = src.getDirectory().getWritable();
      break;
  }
  return d;
}

}  // namespace

manifest::Manifest to_model(schema::SystemManifest::Reader r, ModelStorage& st) {
  manifest::Manifest m;
  m.schema_version = r.getSchemaVersion();
  for (auto b : r.getBinaries()) {
    st.binaries.push_back({view(b.getName()), b.getData().size(), b.getKind() != schema::BinaryKind::PROGRAM,
                           b.getKind() == schema::BinaryKind::SECRET});
  }
  auto init = r.getInitConfig().getInit();
  for (auto c : init.getCaps()) st.init_caps.push_back(cap_decl(c, st));
  m.init.binary = view(init.getBinary());
  m.init.limits = limits(init);

  auto services = r.getInitConfig().getServices();
  // Sized up front: ServiceDecl spans point into these inner vectors.
  st.service_caps.resize(services.size());
  st.service_exports.resize(services.size());
  st.service_env.resize(services.size());
  for (unsigned i = 0; i < services.size(); ++i) {
    auto s = services[i];
    for (auto c : s.getCaps()) st.service_caps[i].push_back(cap_decl(c, st));
    for (auto e : s.getExports()) {
      st.service_exports[i].push_back({view(e.getName()), view(e.getCap())});
    }
    manifest::ServiceDecl d;
    d.name = view(s.getName());
    d.binary = view(s.getBinary());
    d.caps = Span<const manifest::CapDecl>(st.service_caps[i].data(), st.service_caps[i].size());
    d.exports = Span<const manifest::ExportDecl>(st.service_exports[i].data(),
                                                 st.service_exports[i].size());
    d.limits = limits(s);
    for (auto e : s.getEnv()) st.service_env[i].push_back(view(e));
    d.env = Span<const StrView>(st.service_env[i].data(), st.service_env[i].size());
    d.run_on = view(s.getRunOn());
    auto rp = s.getRestart();
    if (rp.isOnFailure()) {
      d.restart.kind = manifest::RestartKind::OnFailure;
      d.restart.max_restarts = rp.getOnFailure().getMaxRestarts();
      d.restart.backoff_ms = rp.getOnFailure().getBackoffMs();
    }
    st.services.push_back(d);
  }
  m.binaries = Span<const manifest::BinaryDecl>(st.binaries.data(), st.binaries.size());
  m.init.caps = Span<const manifest::CapDecl>(st.init_caps.data(), st.init_caps.size());
  m.services = Span<const manifest::ServiceDecl>(st.services.data(), st.services.size());

  auto kp = r.getKernelParams();
  m.params.motd = view(kp.getMotd());
  m.params.hostname = view(kp.getHostname());
  m.params.log_level = static_cast<uint16_t>(kp.getLogLevel());
  m.device_matches = Span<const manifest::DeviceMatchDecl>(st.device_matches.data(), st.device_matches.size());
  m.dir_paths = Span<const StrView>(st.dir_paths.data(), st.dir_paths.size());
  return m;
}

}  // namespace capos::mkmanifest
