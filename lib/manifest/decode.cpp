#include "lib/manifest/decode.h"

#include "lib/capnp/message.h"
#include "lib/core/format.h"
#include "schema/manifest.capnp.capos.h"

namespace capos::manifest {
namespace {

namespace wire = schema::wire;
using Fail = Failure<DecodeError>;

// "manifest: <where>: <what>", one line.
template <class... A> Fail derr(Err e, StrView what, StrView where_fmt, const A&... args) {
  DecodeError d;
  d.err = e;
  char where[96];
  StrView w = format_to(where, sizeof where, where_fmt, args...);
  format_to(d.message, sizeof d.message, "manifest: {}: {}", w, what);
  return Fail{d};
}

// Unwraps a reader Result or returns the error with its location.
#define DTRY(expr, ...)                                                       \
  ({                                                                          \
    auto _r = (expr);                                                         \
    if (!_r.ok()) return derr(_r.error(), err_name(_r.error()), __VA_ARGS__); \
    ::capos::move(_r).value();                                                \
  })

// A list longer than its storage; the validator's bound is the same, so
// this only fires for a manifest validate() would reject anyway.
Fail too_long(size_t n, size_t max, StrView where) {
  char what[48];
  return derr(Err::LimitExceeded, format_to(what, sizeof what, "{} entries (at most {})", n, max),
              "{}", where);
}

Result<CapDecl, DecodeError> cap_decl(wire::CapEntry::Reader c, StrView owner, size_t i, DecodeStorage& st) {
  CapDecl d;
  d.name = DTRY(c.getName(), "{}.caps[{}].name", owner, i);
  d.interface_id = c.getInterfaceId();
  if (c.hasSecret()) d.secret = DTRY(c.getSecret(), "{}.caps[{}].secret", owner, i);
  if (c.hasDevices()) {
    auto devs = DTRY(c.getDevices(), "{}.caps[{}].devices", owner, i);
    char where[64];
    if (devs.size() > kMaxDeviceMatchesPerCap)
      return too_long(devs.size(), kMaxDeviceMatchesPerCap, format_to(where, sizeof where, "{}.caps[{}].devices", owner, i));
    if (devs.size() > kMaxDeviceMatches - st.device_match_count)
      return too_long(st.device_match_count + devs.size(), kMaxDeviceMatches, "all caps' devices");
    d.device_first = static_cast<uint16_t>(st.device_match_count);
    d.device_count = static_cast<uint8_t>(devs.size());
    for (uint32_t k = 0; k < devs.size(); ++k)
      st.device_matches[st.device_match_count++] = DeviceMatchDecl{devs[k].getVendorId(), devs[k].getDeviceId()};
  }
  if (c.hasSchedule()) {
    auto s = DTRY(c.getSchedule(), "{}.caps[{}].schedule", owner, i);
    d.has_schedule = true;
    d.sched_weight = s.getWeight();
    d.sched_budget_us = s.getBudgetUs();
    d.sched_period_us = s.getPeriodUs();
  }
  auto src = c.getSource();
  switch (src.which()) {
    case wire::CapEntry::Source::Which::KERNEL:
      d.source = SourceKind::Kernel;
      d.kernel_kind = static_cast<uint16_t>(src.getKernel());  // unknown kinds: validate()
      break;
    case wire::CapEntry::Source::Which::ENDPOINT:
      d.source = SourceKind::Endpoint;
      d.served_interface_id = src.getEndpoint().getServedInterfaceId();
      break;
    case wire::CapEntry::Source::Which::SERVICE: {
      d.source = SourceKind::Service;
      auto s = src.getService();
      d.service = DTRY(s.getService(), "{}.caps[{}].source.service.service", owner, i);
      d.export_name = DTRY(s.getExport(), "{}.caps[{}].source.service.export", owner, i);
      break;
    }
    case wire::CapEntry::Source::Which::DIRECTORY: {
      d.source = SourceKind::Directory;
      auto s = src.getDirectory();
      d.service = DTRY(s.getService(), "{}.caps[{}].source.directory.service", owner, i);
      d.export_name = DTRY(s.getExport(), "{}.caps[{}].source.directory.export", owner, i);
      if (st.dir_path_count == kMaxDirectoryGrants)
        return too_long(kMaxDirectoryGrants + 1, kMaxDirectoryGrants, "all directory sources");
      d.dir_path = static_cast<uint8_t>(st.dir_path_count);
      st.dir_paths[st.dir_path_count++] = DTRY(s.getPath(), "{}.caps[{}].source.directory.path", owner, i);
      d.dir_writable = s.getWritable();
      break;
    }
    default: {
      char what[48];
      return derr(Err::Unsupported,
                  format_to(what, sizeof what, "unknown source kind {}",
                            static_cast<unsigned>(src.which())),
                  "{}.caps[{}].source", owner, i);
    }
  }
  return d;
}

// Decodes `list` into out[0..n).
Result<size_t, DecodeError> caps(Result<capnp::List<wire::CapEntry>::Reader> list, CapDecl* out,
                                 size_t max, StrView owner, DecodeStorage& st) {
  auto l = DTRY(list, "{}.caps", owner);
  if (l.size() > max) {
    char where[64];
    return too_long(l.size(), max, format_to(where, sizeof where, "{}.caps", owner));
  }
  for (uint32_t i = 0; i < l.size(); ++i) out[i] = CAPOS_TRY(cap_decl(l[i], owner, i, st));
  return size_t{l.size()};
}

template <class R> Result<LimitsDecl, DecodeError> limits(R owner, StrView where) {
  LimitsDecl d;
  if (!owner.hasLimits()) return d;
  auto l = DTRY(owner.getLimits(), "{}.limits", where);
  d.present = true;
  d.cap_slots = l.getCapSlots();
  d.frame_pages = l.getFramePages();
  d.virtual_pages = l.getVirtualPages();
  d.threads = l.getThreads();
  d.outstanding_calls = l.getOutstandingCalls();
  return d;
}

}  // namespace

Result<Manifest, DecodeError> decode(Bytes bytes, DecodeStorage& st, const DecodeOptions& opt) {
  auto info = DTRY(capnp::parse_stream(bytes, Span<capnp::Segment>(st.segments)), "framing");
  capnp::ReaderOptions ro;
  // Each object is read once; a little slack covers the fixed overhead.
  ro.traversal_limit_words =
      opt.traversal_limit_words ? opt.traversal_limit_words : bytes.size() / 8 + 64;
  ro.nesting_limit = opt.nesting_limit;
  capnp::MessageReader msg(Span<const capnp::Segment>(st.segments, info.segment_count), ro);
  auto root = wire::SystemManifest::Reader(DTRY(msg.root(), "root"));

  Manifest m;
  m.schema_version = root.getSchemaVersion();
  st.device_match_count = 0;

  auto bins = DTRY(root.getBinaries(), "binaries");
  if (bins.size() > kMaxBinaries) return too_long(bins.size(), kMaxBinaries, "binaries");
  for (uint32_t i = 0; i < bins.size(); ++i) {
    auto b = bins[i];
    st.binaries[i].name = DTRY(b.getName(), "binaries[{}].name", i);
    st.binaries[i].size = DTRY(b.getData(), "binaries[{}].data", i).size();
    auto kind = b.getKind();
    if (kind != wire::BinaryKind::PROGRAM && kind != wire::BinaryKind::DATA && kind != wire::BinaryKind::SECRET)
      return derr(Err::Unsupported, "unknown binary kind", "binaries[{}].kind", i);
    st.binaries[i].data = kind != wire::BinaryKind::PROGRAM;
    st.binaries[i].secret = kind == wire::BinaryKind::SECRET;
  }
  m.binaries = Span<const BinaryDecl>(st.binaries, bins.size());

  auto ic = DTRY(root.getInitConfig(), "initConfig");
  auto init = DTRY(ic.getInit(), "initConfig.init");
  m.init.binary = DTRY(init.getBinary(), "initConfig.init.binary");
  size_t n = CAPOS_TRY(caps(init.getCaps(), st.init_caps, kMaxCapsPerProcess, "initConfig.init", st));
  m.init.caps = Span<const CapDecl>(st.init_caps, n);
  m.init.limits = CAPOS_TRY(limits(init, "initConfig.init"));

  auto svcs = DTRY(ic.getServices(), "initConfig.services");
  if (svcs.size() > kMaxServices) return too_long(svcs.size(), kMaxServices, "initConfig.services");
  for (uint32_t i = 0; i < svcs.size(); ++i) {
    auto s = svcs[i];
    ServiceDecl& d = st.services[i];
    d = ServiceDecl{};
    char owner[40];
    StrView where = format_to(owner, sizeof owner, "initConfig.services[{}]", i);
    d.name = DTRY(s.getName(), "{}.name", where);
    d.binary = DTRY(s.getBinary(), "{}.binary", where);
    d.run_on = DTRY(s.getRunOn(), "{}.runOn", where);
    CapDecl* c = st.service_caps + i * kMaxCapsPerProcess;
    n = CAPOS_TRY(caps(s.getCaps(), c, kMaxCapsPerProcess, where, st));
    d.caps = Span<const CapDecl>(c, n);

    auto ex = DTRY(s.getExports(), "{}.exports", where);
    if (ex.size() > kMaxExportsPerService) {
      char w2[56];
      return too_long(ex.size(), kMaxExportsPerService, format_to(w2, sizeof w2, "{}.exports", where));
    }
    ExportDecl* e = st.exports + i * kMaxExportsPerService;
    for (uint32_t k = 0; k < ex.size(); ++k) {
      e[k].name = DTRY(ex[k].getName(), "{}.exports[{}].name", where, k);
      e[k].cap = DTRY(ex[k].getCap(), "{}.exports[{}].cap", where, k);
    }
    d.exports = Span<const ExportDecl>(e, ex.size());
    d.limits = CAPOS_TRY(limits(s, where));

    auto env = DTRY(s.getEnv(), "{}.env", where);
    if (env.size() > kMaxEnvPerService) {
      char w2[56];
      return too_long(env.size(), kMaxEnvPerService, format_to(w2, sizeof w2, "{}.env", where));
    }
    StrView* ev = st.env + i * kMaxEnvPerService;
    for (uint32_t k = 0; k < env.size(); ++k) ev[k] = DTRY(env[k], "{}.env[{}]", where, k);
    d.env = Span<const StrView>(ev, env.size());

    auto rp = DTRY(s.getRestart(), "{}.restart", where);
    if (rp.isOnFailure()) {
      d.restart.kind = RestartKind::OnFailure;
      d.restart.max_restarts = rp.getOnFailure().getMaxRestarts();
      d.restart.backoff_ms = rp.getOnFailure().getBackoffMs();
    } else if (!rp.isNever()) {
      return derr(Err::Unsupported, "unknown restart policy", "{}.restart", where);
    }
  }
  m.services = Span<const ServiceDecl>(st.services, svcs.size());

  auto kp = DTRY(root.getKernelParams(), "kernelParams");
  m.params.motd = DTRY(kp.getMotd(), "kernelParams.motd");
  m.params.hostname = DTRY(kp.getHostname(), "kernelParams.hostname");
  m.params.log_level = static_cast<uint16_t>(kp.getLogLevel());
  m.device_matches = Span<const DeviceMatchDecl>(st.device_matches, st.device_match_count);
  m.dir_paths = Span<const StrView>(st.dir_paths, st.dir_path_count);
  return m;
}

}  // namespace capos::manifest
