// A mutable, owning manifest for validator tests: the default graph (init,
// a log service exporting a LogSink, two clients importing it) that a test
// edits before calling model().
#pragma once

#include <string>
#include <vector>

#include "lib/manifest/model.h"
#include "lib/manifest/schema_ids.h"

namespace capos::manifest::testing {

struct Cap {
  std::string name;
  uint64_t iface = 0;
  SourceKind source = SourceKind::Kernel;
  KernelCapKind kind = KernelCapKind::Console;
  uint16_t raw_kind = 0xffff;  // overrides kind when != 0xffff
  uint64_t served = 0;
  std::string service, export_name;
  std::vector<DeviceMatchDecl> devices;  // CapEntry.devices
  std::string dir_path;                  // source == Directory
  bool dir_writable = false;
  std::string secret;                    // CapEntry.secret
};

inline Cap kernel(std::string name, KernelCapKind k) {
  Cap c;
  c.name = std::move(name);
  c.kind = k;
  c.iface = kKernelCaps[static_cast<uint16_t>(k)].interface_id;
  return c;
}
inline Cap endpoint(std::string name, uint64_t served) {
  Cap c;
  c.name = std::move(name);
  c.source = SourceKind::Endpoint;
  c.iface = iface::Endpoint;
  c.served = served;
  return c;
}
inline Cap import(std::string name, uint64_t iface_id, std::string service, std::string ex) {
  Cap c;
  c.name = std::move(name);
  c.source = SourceKind::Service;
  c.iface = iface_id;
  c.service = std::move(service);
  c.export_name = std::move(ex);
  return c;
}

inline Cap directory(std::string name, std::string service, std::string ex, std::string path, bool writable) {
  Cap c = import(std::move(name), iface::Directory, std::move(service), std::move(ex));
  c.source = SourceKind::Directory;
  c.dir_path = std::move(path);
  c.dir_writable = writable;
  return c;
}

struct Svc {
  std::string name, binary;
  std::vector<Cap> caps;
  std::vector<std::pair<std::string, std::string>> exports;  // name, cap
  RestartPolicy restart;
  std::vector<std::string> env;  // Service.env
  std::string run_on;            // Service.runOn
};

class TestManifest {
 public:
  uint32_t schema_version = kManifestSchemaVersion;
  std::vector<std::pair<std::string, uint64_t>> binaries = {
      {"init", 100}, {"logd", 200}, {"hello", 300}, {"ticker", 400}};
  std::vector<std::string> secrets;  // names in `binaries` of kind secret
  std::string init_binary = "init";
  std::vector<Cap> init_caps = {kernel("console", KernelCapKind::Console),
                                kernel("timer", KernelCapKind::Timer),
                                kernel("spawner", KernelCapKind::ProcessSpawner),
                                kernel("boot", KernelCapKind::BootPackage)};
  std::vector<Svc> services = {
      {"logd", "logd",
       {kernel("console", KernelCapKind::Console), endpoint("log", iface::LogSink)},
       {{"log", "log"}}, {}, {}, {}},
      {"hello", "hello", {import("log", iface::LogSink, "logd", "log")}, {}, {}, {}, {}},
      {"ticker", "ticker",
       {import("log", iface::LogSink, "logd", "log"), kernel("timer", KernelCapKind::Timer)},
       {}, {}, {}, {}},
  };
  std::string motd = "Welcome to capOS.";
  std::string hostname = "capos";
  uint16_t log_level = 2;

  // Valid until the next call or until this object changes.
  const Manifest& model() {
    bins_.clear();
    for (auto& [n, size] : binaries) {
      bool secret = false;
      for (const std::string& s : secrets) secret = secret || s == n;
      bins_.push_back({sv(n), size, secret, secret});
    }
    devices_.clear();
    dirs_.clear();
    init_caps_ = convert(init_caps, devices_, dirs_);
    svc_caps_.clear();
    svc_exports_.clear();
    svc_env_.clear();
    svcs_.clear();
    for (auto& s : services) {
      svc_caps_.push_back(convert(s.caps, devices_, dirs_));
      std::vector<ExportDecl> ex;
      for (auto& [n, c] : s.exports) ex.push_back({sv(n), sv(c)});
      svc_exports_.push_back(std::move(ex));
      std::vector<StrView> env;
      for (auto& e : s.env) env.push_back(sv(e));
      svc_env_.push_back(std::move(env));
    }
    for (size_t i = 0; i < services.size(); ++i) {
      ServiceDecl d;
      d.name = sv(services[i].name);
      d.binary = sv(services[i].binary);
      d.caps = Span<const CapDecl>(svc_caps_[i].data(), svc_caps_[i].size());
      d.exports = Span<const ExportDecl>(svc_exports_[i].data(), svc_exports_[i].size());
      d.restart = services[i].restart;
      d.env = Span<const StrView>(svc_env_[i].data(), svc_env_[i].size());
      d.run_on = sv(services[i].run_on);
      svcs_.push_back(d);
    }
    m_ = Manifest{};
    m_.schema_version = schema_version;
    m_.binaries = Span<const BinaryDecl>(bins_.data(), bins_.size());
    m_.init.binary = sv(init_binary);
    m_.init.caps = Span<const CapDecl>(init_caps_.data(), init_caps_.size());
    m_.services = Span<const ServiceDecl>(svcs_.data(), svcs_.size());
    m_.params = {sv(motd), sv(hostname), log_level};
    m_.device_matches = Span<const DeviceMatchDecl>(devices_.data(), devices_.size());
    m_.dir_paths = Span<const StrView>(dirs_.data(), dirs_.size());
    return m_;
  }

 private:
  static StrView sv(const std::string& s) { return StrView(s.data(), s.size()); }
  static std::vector<CapDecl> convert(const std::vector<Cap>& caps, std::vector<DeviceMatchDecl>& devices,
                                      std::vector<StrView>& dirs) {
    std::vector<CapDecl> out;
    for (const Cap& c : caps) {
      CapDecl d;
      d.name = sv(c.name);
      d.interface_id = c.iface;
      d.source = c.source;
      d.kernel_kind = c.raw_kind != 0xffff ? c.raw_kind : static_cast<uint16_t>(c.kind);
      d.served_interface_id = c.served;
      d.service = sv(c.service);
      d.export_name = sv(c.export_name);
      d.secret = sv(c.secret);
      d.device_first = static_cast<uint16_t>(devices.size());
      d.device_count = static_cast<uint8_t>(c.devices.size());
      devices.insert(devices.end(), c.devices.begin(), c.devices.end());
      if (c.source == SourceKind::Directory) {
        d.dir_path = static_cast<uint8_t>(dirs.size());
        d.dir_writable = c.dir_writable;
        dirs.push_back(sv(c.dir_path));
      }
      out.push_back(d);
    }
    return out;
  }
  std::vector<BinaryDecl> bins_;
  std::vector<CapDecl> init_caps_;
  std::vector<std::vector<CapDecl>> svc_caps_;
  std::vector<std::vector<ExportDecl>> svc_exports_;
  std::vector<std::vector<StrView>> svc_env_;
  std::vector<ServiceDecl> svcs_;
  std::vector<DeviceMatchDecl> devices_;
  std::vector<StrView> dirs_;
  Manifest m_;
};

}  // namespace capos::manifest::testing
