#include "lib/manifest/validate.h"

#include "lib/abi/sched.h"

#include "lib/core/format.h"
#include "lib/manifest/cap_matrix.h"
#include "lib/manifest/schema_ids.h"

namespace capos::manifest {
namespace {

// A small inline text buffer, so messages can quote several values in one
// format call without an allocator.
struct Text {
  char buf[112];
  StrView view() const { return StrView(buf, strlen(buf)); }
};

// `name`, with non-printable bytes escaped and long input cut, so a hostile
// name can never break the one-line message.
Text q(StrView s) {
  Text t{};
  BufferSink out(t.buf, sizeof t.buf);
  out.write("`", 1);
  size_t shown = s.len < 40 ? s.len : 40;
  for (size_t i = 0; i < shown; ++i) {
    char c = s.ptr[i];
    if (c >= 0x20 && c < 0x7f && c != '`' && c != '\\') {
      out.write(&c, 1);
    } else {
      format(out, "\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    }
  }
  if (shown < s.len) out.write("...", 3);
  out.write("`", 1);
  return t;
}

Text iface(const Options& opt, uint64_t id) {
  Text t{};
  const char* name = opt.interface_name ? opt.interface_name(id) : nullptr;
  if (name) {
    format_to(t.buf, sizeof t.buf, "{:#018x} ({})", id, name);
  } else {
    format_to(t.buf, sizeof t.buf, "{:#018x}", id);
  }
  return t;
}

template <class... A> Failure<Error> err(ErrorCode code, StrView fmt, const A&... args) {
  Error e;
  e.code = code;
  format_to(e.message, sizeof e.message, fmt, args...);
  return fail(e);
}

// Prefix naming the process a cap belongs to: "init" or "service `x`".
Text owner(const ServiceDecl* svc) {
  Text t{};
  if (svc) {
    format_to(t.buf, sizeof t.buf, "service {}", q(svc->name).view());
  } else {
    format_to(t.buf, sizeof t.buf, "init");
  }
  return t;
}

constexpr const char* kNameRule = "1 to 32 bytes of ASCII letters, digits, '-', '_', '.'";

const BinaryDecl* find_binary(const Manifest& m, StrView name) {
  for (const BinaryDecl& b : m.binaries)
    if (b.name == name) return &b;
  return nullptr;
}

const CapDecl* find_cap(Span<const CapDecl> caps, StrView name) {
  for (const CapDecl& c : caps)
    if (c.name == name) return &c;
  return nullptr;
}

bool init_holds_kernel(const Manifest& m, uint16_t kind) {
  for (const CapDecl& c : m.init.caps)
    if (c.source == SourceKind::Kernel && c.kernel_kind == kind) return true;
  return false;
}

Check check_binary_ref(const Manifest& m, const ServiceDecl* svc, StrView binary) {
  if (const BinaryDecl* b = find_binary(m, binary)) {
    if (!b->data) return {};
    return err(ErrorCode::DataBinary, "{}: binary {} is declared as data (kind: \"data\"), not a program",
               owner(svc).view(), q(binary).view());
  }
  return err(ErrorCode::MissingBinary, "{}: binary {} is not in the package",
             owner(svc).view(), q(binary).view());
}

// The field path of a process's cap list: "initConfig.init" or
// "initConfig.services[3]".
Text cap_path(const Manifest& m, const ServiceDecl* svc) {
  Text t{};
  if (svc) {
    format_to(t.buf, sizeof t.buf, "initConfig.services[{}]", static_cast<size_t>(svc - m.services.data()));
  } else {
    format_to(t.buf, sizeof t.buf, "initConfig.init");
  }
  return t;
}

// The capability matrix (cap_matrix.h): a source this kernel cannot give
// to this holder is refused here, by field path, so it never reaches the
// kernel. Unknown kernel kinds are check_caps's (BadKernelKind).
Check check_matrix(const Manifest& m, const ServiceDecl* svc, size_t i, const CapDecl& c) {
  if (c.source == SourceKind::Kernel && c.kernel_kind >= kKernelCapKindCount) return {};
  Holder h = svc ? Holder::Service : Holder::Init;
  Cell cell = cell_for(h, c.source, c.kernel_kind);
  if (cell.how != Delivery::No) return {};
  Text src{};
  switch (c.source) {
    case SourceKind::Kernel: format_to(src.buf, sizeof src.buf, "kernel.{}", kKernelCaps[c.kernel_kind].name); break;
    case SourceKind::Endpoint: format_to(src.buf, sizeof src.buf, "endpoint"); break;
    case SourceKind::Service: format_to(src.buf, sizeof src.buf, "service"); break;
    case SourceKind::Directory: format_to(src.buf, sizeof src.buf, "directory"); break;
  }
  return err(ErrorCode::NotHonoured, "{}.caps[{}].source.{} (cap {}): not available to {}: {}",
             cap_path(m, svc).view(), i, src.view(), q(c.name).view(), owner(svc).view(), cell.why);
}

// A directory source's path: names for Directory.sub, so the grant can
// only descend (no `.`, `..`, empty names or leading '/').
Check check_grant_path(const Manifest& m, const ServiceDecl* svc, const CapDecl& c) {
  if (c.dir_path >= m.dir_paths.size() || m.dir_paths.size() > kMaxDirectoryGrants) {
    return err(ErrorCode::TooMany, "{} cap {}: more than {} directory sources in the manifest", owner(svc).view(),
               q(c.name).view(), kMaxDirectoryGrants);
  }
  StrView p = m.dir_paths[c.dir_path];
  if (p.empty()) return {};  // the export itself
  size_t names = 0;
  for (size_t i = 0;;) {
    size_t j = i;
    while (j < p.size() && p[j] != '/') ++j;
    StrView name = p.substr(i, j - i);
    const char* bad = name.empty()                  ? "an empty name (a leading, trailing or doubled '/')"
                      : name == "." || name == ".." ? "`.` or `..` (a grant only descends)"
                      : name.size() > 255           ? "a name longer than 255 bytes"
                      : ++names > kMaxGrantPathNames ? "more than maxGrantPathNames (8) names"
                                                    : nullptr;
    for (size_t k = 0; !bad && k < name.size(); ++k)
      if (name[k] == '\0') bad = "a NUL byte";
    if (bad) {
      return err(ErrorCode::BadPath, "{} cap {}: directory path {} has {}", owner(svc).view(), q(c.name).view(),
                 q(p).view(), bad);
    }
    if (j == p.size()) return {};
    i = j + 1;
  }
}

// Per-cap checks that need only the cap and its process (not other services).
Check check_caps(const Manifest& m, const ServiceDecl* svc, Span<const CapDecl> caps,
                 const Options& opt) {
  if (caps.size() > kMaxCapsPerProcess) {
    return err(ErrorCode::TooMany, "{}: {} caps (at most {})", owner(svc).view(), caps.size(),
               kMaxCapsPerProcess);
  }
  for (size_t i = 0; i < caps.size(); ++i) {
    const CapDecl& c = caps[i];
    if (!valid_name(c.name)) {
      return err(ErrorCode::BadName, "{}: caps[{}] has invalid name {} ({})", owner(svc).view(), i,
                 q(c.name).view(), kNameRule);
    }
    for (size_t j = 0; j < i; ++j) {
      if (caps[j].name == c.name) {
        return err(ErrorCode::DuplicateCap, "{}: duplicate cap name {} (caps[{}] and caps[{}])",
                   owner(svc).view(), q(c.name).view(), j, i);
      }
    }
    CAPOS_TRY_STATUS(check_matrix(m, svc, i, c));
    if (c.device_count) {
      // A narrowed DeviceManager is made by init from its own whole one.
      if (!svc || c.source != SourceKind::Kernel ||
          c.kernel_kind != static_cast<uint16_t>(KernelCapKind::DeviceManager)) {
        return err(ErrorCode::BadDevices, "{} cap {}: `devices` applies only to a service's deviceManager cap",
                   owner(svc).view(), q(c.name).view());
      }
      if (c.device_count > kMaxDeviceMatchesPerCap || c.device_first > m.device_matches.size() ||
          c.device_count > m.device_matches.size() - c.device_first) {
        return err(ErrorCode::BadDevices, "{} cap {}: {} devices (at most {})", owner(svc).view(),
                   q(c.name).view(), c.device_count, kMaxDeviceMatchesPerCap);
      }
    }
    if (c.has_schedule) {
      // Init mints it from its root context: what mint refuses is refused here.
      if (!svc || c.source != SourceKind::Kernel ||
          c.kernel_kind != static_cast<uint16_t>(KernelCapKind::SchedulingContext)) {
        return err(ErrorCode::BadSchedule, "{} cap {}: `schedule` applies only to a service's schedulingContext cap",
                   owner(svc).view(), q(c.name).view());
      }
      if (const char* why = abi::mint_refusal(abi::SCHED_WEIGHT_ROOT, 0, 0, 0, c.sched_weight, c.sched_budget_us,
                                              c.sched_period_us)) {
        return err(ErrorCode::BadSchedule, "{} cap {}: schedule: {}", owner(svc).view(), q(c.name).view(), why);
      }
    }
    if (!c.secret.empty()) {
      // Init grants a service BootPackage.narrow(secret) of its own.
      if (!svc || c.source != SourceKind::Kernel ||
          c.kernel_kind != static_cast<uint16_t>(KernelCapKind::BootPackage)) {
        return err(ErrorCode::BadSecret, "{} cap {}: `secret` applies only to a service's bootPackage cap",
                   owner(svc).view(), q(c.name).view());
      }
      bool found = false;
      for (const BinaryDecl& b : m.binaries) found = found || (b.name == c.secret && b.secret);
      if (!found) {
        return err(ErrorCode::BadSecret, "{} cap {}: secret {} is not a binary of kind secret", owner(svc).view(),
                   q(c.name).view(), q(c.secret).view());
      }
    }
    switch (c.source) {
      case SourceKind::Kernel: {
        if (c.kernel_kind >= kKernelCapKindCount) {
          return err(ErrorCode::BadKernelKind, "{} cap {}: unknown kernel cap kind {}",
                     owner(svc).view(), q(c.name).view(), c.kernel_kind);
        }
        const KernelCapInfo& k = kKernelCaps[c.kernel_kind];
        if (c.interface_id != k.interface_id) {
          return err(ErrorCode::InterfaceMismatch,
                     "{} cap {}: kernel cap `{}` provides {}, but the cap declares {}",
                     owner(svc).view(), q(c.name).view(), k.name,
                     iface(opt, k.interface_id).view(), iface(opt, c.interface_id).view());
        }
        if (svc && !k.per_process && !init_holds_kernel(m, c.kernel_kind)) {
          return err(ErrorCode::KernelCapNotHeld,
                     "{} cap {}: kernel cap `{}` is copied from init, but init has no `{}` cap",
                     owner(svc).view(), q(c.name).view(), k.name, k.name);
        }
        break;
      }
      case SourceKind::Endpoint:
        if (c.interface_id != iface::Endpoint) {
          return err(ErrorCode::InterfaceMismatch,
                     "{} cap {}: an endpoint source provides {}, but the cap declares {}",
                     owner(svc).view(), q(c.name).view(), iface(opt, iface::Endpoint).view(),
                     iface(opt, c.interface_id).view());
        }
        break;
      case SourceKind::Service:
        break;  // check_matrix refused it for init; check_import does the rest
      case SourceKind::Directory:
        if (c.interface_id != iface::Directory) {
          return err(ErrorCode::InterfaceMismatch,
                     "{} cap {}: a directory source provides {}, but the cap declares {}",
                     owner(svc).view(), q(c.name).view(), iface(opt, iface::Directory).view(),
                     iface(opt, c.interface_id).view());
        }
        CAPOS_TRY_STATUS(check_grant_path(m, svc, c));
        break;  // check_import does the rest
    }
  }
  return {};
}

// Service.env: "NAME=value", NAME = [A-Za-z_][A-Za-z0-9_]*, the value
// printable ASCII, each name once, within the schema's bounds.
size_t env_name_len(StrView e) {
  size_t i = 0;
  while (i < e.size() && e[i] != '=') ++i;
  return i;
}

Check check_env(const ServiceDecl& s) {
  if (s.env.size() > kMaxEnvPerService) {
    return err(ErrorCode::BadEnv, "{}: {} env entries (at most {})", owner(&s).view(), s.env.size(),
               kMaxEnvPerService);
  }
  size_t bytes = 0;
  for (size_t i = 0; i < s.env.size(); ++i) {
    StrView e = s.env[i];
    bytes += e.size();
    size_t n = env_name_len(e);
    bool ok = n > 0 && n < e.size() && !(e[0] >= '0' && e[0] <= '9');
    for (size_t k = 0; ok && k < n; ++k) {
      char c = e[k];
      ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    for (size_t k = n + 1; ok && k < e.size(); ++k) ok = e[k] >= 0x20 && e[k] < 0x7f;
    if (!ok) {
      return err(ErrorCode::BadEnv,
                 "{}: env[{}] is not NAME=value (NAME of letters, digits and '_', not starting with a digit; a printable value)",
                 owner(&s).view(), i);
    }
    for (size_t j = 0; j < i; ++j) {
      if (env_name_len(s.env[j]) == n && s.env[j].substr(0, n) == e.substr(0, n)) {
        return err(ErrorCode::BadEnv, "{}: env[{}] and env[{}] set the same name", owner(&s).view(), j, i);
      }
    }
  }
  if (!s.env.empty() && find_cap(s.caps, "args")) {
    return err(ErrorCode::BadEnv, "{}: a cap named `args` and an env: the environment travels as `args`",
               owner(&s).view());
  }
  if (bytes > kMaxEnvBytesPerService) {
    return err(ErrorCode::BadEnv, "{}: env has {} bytes (at most {})", owner(&s).view(), bytes, kMaxEnvBytesPerService);
  }
  return {};
}

// Service.runOn: empty, or one of the service's own caps that is a
// SchedulingContext from the kernel (root copy or minted by `schedule`).
Check check_run_on(const ServiceDecl& s) {
  if (s.run_on.empty()) return {};
  const CapDecl* c = find_cap(s.caps, s.run_on);
  if (!c || c->source != SourceKind::Kernel ||
      c->kernel_kind != static_cast<uint16_t>(KernelCapKind::SchedulingContext)) {
    return err(ErrorCode::BadRunOn, "{}: runOn {} is not one of its schedulingContext caps", owner(&s).view(),
               q(s.run_on).view());
  }
  return {};
}

Check check_exports(const ServiceDecl& s) {
  if (s.exports.size() > kMaxExportsPerService) {
    return err(ErrorCode::TooMany, "{}: {} exports (at most {})", owner(&s).view(),
               s.exports.size(), kMaxExportsPerService);
  }
  for (size_t i = 0; i < s.exports.size(); ++i) {
    const ExportDecl& e = s.exports[i];
    if (!valid_name(e.name)) {
      return err(ErrorCode::BadName, "{}: exports[{}] has invalid name {} ({})", owner(&s).view(),
                 i, q(e.name).view(), kNameRule);
    }
    for (size_t j = 0; j < i; ++j) {
      if (s.exports[j].name == e.name) {
        return err(ErrorCode::DuplicateExport,
                   "{}: duplicate export name {} (exports[{}] and exports[{}])", owner(&s).view(),
                   q(e.name).view(), j, i);
      }
    }
    const CapDecl* c = find_cap(s.caps, e.cap);
    if (!c) {
      return err(ErrorCode::ExportUnknownCap, "{} export {}: the service has no cap {}",
                 owner(&s).view(), q(e.name).view(), q(e.cap).view());
    }
    if (c->source != SourceKind::Endpoint) {
      return err(ErrorCode::ExportNotEndpoint,
                 "{} export {}: cap {} has a {} source; only `endpoint` caps can be exported",
                 owner(&s).view(), q(e.name).view(), q(e.cap).view(),
                 c->source == SourceKind::Kernel ? "`kernel`" : c->source == SourceKind::Service ? "`service`" : "`directory`");
    }
  }
  return {};
}

// An import: the exporting service must be listed earlier (so the graph is
// acyclic by construction) and its export's interface must match.
Check check_import(const Manifest& m, size_t index, const CapDecl& c, const Options& opt) {
  const ServiceDecl& s = m.services[index];
  if (c.service == s.name) {
    return err(ErrorCode::SelfImport,
               "{} cap {}: imports export {} from itself; a service may import only from "
               "services listed before it",
               owner(&s).view(), q(c.name).view(), q(c.export_name).view());
  }
  const ServiceDecl* from = nullptr;
  for (size_t j = 0; j < index && !from; ++j)
    if (m.services[j].name == c.service) from = &m.services[j];
  if (!from) {
    for (size_t j = index + 1; j < m.services.size(); ++j) {
      if (m.services[j].name == c.service) {
        return err(ErrorCode::LaterService,
                   "{} cap {}: imports from service {}, which is listed after it; a service "
                   "may import only from services listed before it",
                   owner(&s).view(), q(c.name).view(), q(c.service).view());
      }
    }
    return err(ErrorCode::UnknownService, "{} cap {}: imports from unknown service {}",
               owner(&s).view(), q(c.name).view(), q(c.service).view());
  }
  const ExportDecl* ex = nullptr;
  for (const ExportDecl& e : from->exports)
    if (e.name == c.export_name) ex = &e;
  if (!ex) {
    return err(ErrorCode::UnknownExport, "{} cap {}: service {} has no export {}",
               owner(&s).view(), q(c.name).view(), q(c.service).view(),
               q(c.export_name).view());
  }
  // check_exports already proved the exported cap exists and is an endpoint.
  const CapDecl* served = find_cap(from->caps, ex->cap);
  if (served->served_interface_id != c.interface_id) {
    return err(ErrorCode::InterfaceMismatch,
               "{} cap {}: export {} of service {} provides {}, but the cap declares {}",
               owner(&s).view(), q(c.name).view(), q(c.export_name).view(),
               q(c.service).view(), iface(opt, served->served_interface_id).view(),
               iface(opt, c.interface_id).view());
  }
  return {};
}

Check check_service(const Manifest& m, size_t index, const Options& opt) {
  const ServiceDecl& s = m.services[index];
  if (!valid_name(s.name)) {
    return err(ErrorCode::BadName, "services[{}] has invalid name {} ({})", index,
               q(s.name).view(), kNameRule);
  }
  for (size_t j = 0; j < index; ++j) {
    if (m.services[j].name == s.name) {
      return err(ErrorCode::DuplicateService,
                 "duplicate service name {} (services[{}] and services[{}])", q(s.name).view(), j,
                 index);
    }
  }
  CAPOS_TRY_STATUS(check_binary_ref(m, &s, s.binary));
  CAPOS_TRY_STATUS(check_caps(m, &s, s.caps, opt));
  for (const CapDecl& c : s.caps) {
    if (c.source == SourceKind::Service || c.source == SourceKind::Directory)
      CAPOS_TRY_STATUS(check_import(m, index, c, opt));
  }
  CAPOS_TRY_STATUS(check_exports(s));
  CAPOS_TRY_STATUS(check_env(s));
  CAPOS_TRY_STATUS(check_run_on(s));
  if (s.restart.kind == RestartKind::OnFailure &&
      (s.restart.max_restarts > kMaxRestarts || s.restart.backoff_ms > kMaxBackoffMs)) {
    return err(ErrorCode::BadRestart,
               "{}: restart onFailure maxRestarts {} backoffMs {} (at most {} and {})",
               owner(&s).view(), s.restart.max_restarts, s.restart.backoff_ms, kMaxRestarts,
               kMaxBackoffMs);
  }
  return {};
}

Check check_binaries(const Manifest& m, const Options& opt) {
  if (m.binaries.size() > kMaxBinaries) {
    return err(ErrorCode::TooMany, "{} binaries (at most {})", m.binaries.size(), kMaxBinaries);
  }
  uint64_t total = 0;
  for (size_t i = 0; i < m.binaries.size(); ++i) {
    const BinaryDecl& b = m.binaries[i];
    if (!valid_name(b.name)) {
      return err(ErrorCode::BadName, "binaries[{}] has invalid name {} ({})", i,
                 q(b.name).view(), kNameRule);
    }
    for (size_t j = 0; j < i; ++j) {
      if (m.binaries[j].name == b.name) {
        return err(ErrorCode::DuplicateBinary,
                   "duplicate binary name {} (binaries[{}] and binaries[{}])", q(b.name).view(),
                   j, i);
      }
    }
    if (!opt.require_binary_data) continue;
    if (b.size == 0) {
      return err(ErrorCode::EmptyBinary, "binary {} is empty", q(b.name).view());
    }
    if (b.size > kMaxBinaryBytes) {
      return err(ErrorCode::Oversize, "binary {} is {} bytes (at most {})", q(b.name).view(),
                 b.size, kMaxBinaryBytes);
    }
    total += b.size;  // cannot overflow: at most 64 * 16 MiB
    if (total > kMaxPackageBytes) {
      return err(ErrorCode::Oversize, "binaries total more than {} bytes (at {})",
                 kMaxPackageBytes, q(b.name).view());
    }
  }
  return {};
}

bool hostname_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

Check check_params(const KernelParamsDecl& p) {
  if (p.motd.len > kMaxMotdBytes) {
    return err(ErrorCode::BadKernelParams, "kernelParams.motd is {} bytes (at most {})",
               p.motd.len, kMaxMotdBytes);
  }
  for (size_t i = 0; i < p.motd.len; ++i) {
    unsigned char c = static_cast<unsigned char>(p.motd.ptr[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      return err(ErrorCode::BadKernelParams,
                 "kernelParams.motd has control byte {:#04x} at offset {} (only line breaks and "
                 "tabs are allowed)",
                 static_cast<unsigned>(c), i);
    }
  }
  bool ok = p.hostname.len >= 1 && p.hostname.len <= kMaxHostnameBytes &&
            p.hostname[0] != '-' && p.hostname[p.hostname.len - 1] != '-';
  for (size_t i = 0; ok && i < p.hostname.len; ++i) ok = hostname_char(p.hostname.ptr[i]);
  if (!ok) {
    return err(ErrorCode::BadKernelParams,
               "kernelParams.hostname {} is invalid (1 to 63 ASCII letters, digits and '-', "
               "not starting or ending with '-')",
               q(p.hostname).view());
  }
  if (p.log_level >= kLogLevelCount) {
    return err(ErrorCode::BadKernelParams, "kernelParams.logLevel {} is unknown (0 to {})",
               p.log_level, kLogLevelCount - 1);
  }
  return {};
}

}  // namespace

bool valid_name(StrView s) {
  if (s.len == 0 || s.len > kMaxNameBytes) return false;
  for (size_t i = 0; i < s.len; ++i) {
    char c = s.ptr[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Check validate_boot(const Manifest& m, const Options& opt) {
  if (m.schema_version != kManifestSchemaVersion) {
    return err(ErrorCode::SchemaVersion, "schemaVersion is {}, but this build reads only {}",
               m.schema_version, kManifestSchemaVersion);
  }
  CAPOS_TRY_STATUS(check_binaries(m, opt));
  CAPOS_TRY_STATUS(check_params(m.params));
  if (m.device_matches.size() > kMaxDeviceMatches) {
    return err(ErrorCode::TooMany, "{} `devices` entries in all (at most {})", m.device_matches.size(),
               kMaxDeviceMatches);
  }
  CAPOS_TRY_STATUS(check_binary_ref(m, nullptr, m.init.binary));
  CAPOS_TRY_STATUS(check_caps(m, nullptr, m.init.caps, opt));
  return {};
}

Check validate(const Manifest& m, const Options& opt) {
  CAPOS_TRY_STATUS(validate_boot(m, opt));
  if (m.services.size() > kMaxServices) {
    return err(ErrorCode::TooMany, "{} services (at most {})", m.services.size(), kMaxServices);
  }
  for (size_t i = 0; i < m.services.size(); ++i) CAPOS_TRY_STATUS(check_service(m, i, opt));
  return {};
}

const char* error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::SchemaVersion: return "schema-version";
    case ErrorCode::TooMany: return "too-many";
    case ErrorCode::Oversize: return "oversize";
    case ErrorCode::BadName: return "bad-name";
    case ErrorCode::DuplicateBinary: return "duplicate-binary";
    case ErrorCode::DuplicateService: return "duplicate-service";
    case ErrorCode::DuplicateCap: return "duplicate-cap";
    case ErrorCode::DuplicateExport: return "duplicate-export";
    case ErrorCode::MissingBinary: return "missing-binary";
    case ErrorCode::EmptyBinary: return "empty-binary";
    case ErrorCode::DataBinary: return "data-binary";
    case ErrorCode::BadKernelParams: return "bad-kernel-params";
    case ErrorCode::BadKernelKind: return "bad-kernel-kind";
    case ErrorCode::NotHonoured: return "not-honoured";
    case ErrorCode::SelfImport: return "self-import";
    case ErrorCode::LaterService: return "later-service";
    case ErrorCode::UnknownService: return "unknown-service";
    case ErrorCode::UnknownExport: return "unknown-export";
    case ErrorCode::InterfaceMismatch: return "interface-mismatch";
    case ErrorCode::KernelCapNotHeld: return "kernel-cap-not-held";
    case ErrorCode::ExportUnknownCap: return "export-unknown-cap";
    case ErrorCode::ExportNotEndpoint: return "export-not-endpoint";
    case ErrorCode::BadRestart: return "bad-restart";
    case ErrorCode::BadDevices: return "bad-devices";
    case ErrorCode::BadSecret: return "bad-secret";
    case ErrorCode::BadPath: return "bad-path";
    case ErrorCode::BadEnv: return "bad-env";
    case ErrorCode::BadSchedule: return "bad-schedule";
    case ErrorCode::BadRunOn: return "bad-run-on";
  }
  return "unknown";
}

}  // namespace capos::manifest
