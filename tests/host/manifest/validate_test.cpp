// lib/manifest validator: the default graph passes; each rejection class
// yields its code and its exact one-line message.
#include "lib/manifest/validate.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "lib/manifest/cap_matrix.h"
#include "tests/host/manifest/model_fixture.h"

using namespace capos::manifest;
using namespace capos::manifest::testing;

namespace {

const char* names(uint64_t id) {
  if (id == iface::LogSink) return "LogSink";
  if (id == iface::Console) return "Console";
  if (id == iface::Endpoint) return "Endpoint";
  return nullptr;
}

// Expects a rejection with `code`; returns its message.
std::string reject(TestManifest& t, ErrorCode code, bool with_names = false) {
  Options opt;
  if (with_names) opt.interface_name = names;
  auto r = validate(t.model(), opt);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, code) << error_code_name(r.error().code) << ": " << r.error().message;
  EXPECT_EQ(std::strchr(r.error().message, '\n'), nullptr);
  return r.error().message;
}

TEST(manifest_validate, DefaultGraphIsValid) {
  TestManifest t;
  auto r = validate(t.model());
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(manifest_validate, SchemaVersion) {
  TestManifest t;
  t.schema_version = 2;
  EXPECT_EQ(reject(t, ErrorCode::SchemaVersion), "schemaVersion is 2, but this build reads only 1");
}

TEST(manifest_validate, DuplicateService) {
  TestManifest t;
  t.services[2].name = "hello";
  EXPECT_EQ(reject(t, ErrorCode::DuplicateService),
            "duplicate service name `hello` (services[1] and services[2])");
}

TEST(manifest_validate, DanglingImportUnknownService) {
  TestManifest t;
  t.services[1].caps[0].service = "logx";
  EXPECT_EQ(reject(t, ErrorCode::UnknownService),
            "service `hello` cap `log`: imports from unknown service `logx`");
}

TEST(manifest_validate, DanglingImportUnknownExport) {
  TestManifest t;
  t.services[1].caps[0].export_name = "logs";
  EXPECT_EQ(reject(t, ErrorCode::UnknownExport),
            "service `hello` cap `log`: service `logd` has no export `logs`");
}

TEST(manifest_validate, InterfaceMismatchOnImport) {
  TestManifest t;
  t.services[1].caps[0].iface = iface::Console;
  EXPECT_EQ(reject(t, ErrorCode::InterfaceMismatch, true),
            "service `hello` cap `log`: export `log` of service `logd` provides "
            "0xf756aa2c12c6e11e (LogSink), but the cap declares 0x8f19088a909c9924 (Console)");
}

TEST(manifest_validate, InterfaceMismatchWithoutNames) {
  TestManifest t;
  t.services[1].caps[0].iface = 0x1234;
  EXPECT_EQ(reject(t, ErrorCode::InterfaceMismatch),
            "service `hello` cap `log`: export `log` of service `logd` provides "
            "0xf756aa2c12c6e11e, but the cap declares 0x0000000000001234");
}

TEST(manifest_validate, InterfaceMismatchOnKernelCap) {
  TestManifest t;
  t.init_caps[0].iface = iface::LogSink;
  EXPECT_EQ(reject(t, ErrorCode::InterfaceMismatch, true),
            "init cap `console`: kernel cap `console` provides 0x8f19088a909c9924 (Console), but "
            "the cap declares 0xf756aa2c12c6e11e (LogSink)");
}

TEST(manifest_validate, InterfaceMismatchOnEndpoint) {
  TestManifest t;
  t.services[0].caps[1].iface = iface::LogSink;
  EXPECT_EQ(reject(t, ErrorCode::InterfaceMismatch, true),
            "service `logd` cap `log`: an endpoint source provides 0x989a955cf40fdd7d "
            "(Endpoint), but the cap declares 0xf756aa2c12c6e11e (LogSink)");
}

TEST(manifest_validate, SelfImport) {
  TestManifest t;
  t.services[0].caps.push_back(import("again", iface::LogSink, "logd", "log"));
  EXPECT_EQ(reject(t, ErrorCode::SelfImport),
            "service `logd` cap `again`: imports export `log` from itself; a service may import "
            "only from services listed before it");
}

TEST(manifest_validate, ImportFromLaterServiceIsACycle) {
  TestManifest t;
  // logd <- hello and hello <- logd would be a cycle; order forbids it.
  t.services[1].exports = {{"h", "ep"}};
  t.services[1].caps.push_back(endpoint("ep", iface::Console));
  t.services[0].caps.push_back(import("back", iface::Console, "hello", "h"));
  EXPECT_EQ(reject(t, ErrorCode::LaterService),
            "service `logd` cap `back`: imports from service `hello`, which is listed after it; "
            "a service may import only from services listed before it");
}

TEST(manifest_validate, ServiceEnvironment) {
  TestManifest ok;
  ok.services[1].env = {"GREETING=hello from the manifest", "_X1=", "LANG=C"};
  EXPECT_TRUE(validate(ok.model(), Options{}).ok());

  struct Case {
    std::vector<std::string> env;
    const char* message;
  } bad[] = {
      {{"NOEQUALS"}, "service `hello`: env[0] is not NAME=value (NAME of letters, digits and '_', not starting with a digit; a printable value)"},
      {{"A=1", "=x"}, "service `hello`: env[1] is not NAME=value (NAME of letters, digits and '_', not starting with a digit; a printable value)"},
      {{"1A=x"}, "service `hello`: env[0] is not NAME=value (NAME of letters, digits and '_', not starting with a digit; a printable value)"},
      {{"A-B=x"}, "service `hello`: env[0] is not NAME=value (NAME of letters, digits and '_', not starting with a digit; a printable value)"},
      {{"A=tab\there"}, "service `hello`: env[0] is not NAME=value (NAME of letters, digits and '_', not starting with a digit; a printable value)"},
      {{"A=1", "B=2", "A=3"}, "service `hello`: env[0] and env[2] set the same name"},
      {{"A=1", "B=2", "C=3", "D=4", "E=5", "F=6", "G=7", "H=8", "I=9"}, "service `hello`: 9 env entries (at most 8)"},
      {{"A=" + std::string(199, 'x')}, "service `hello`: env has 201 bytes (at most 200)"},
  };
  for (auto& c : bad) {
    TestManifest t;
    t.services[1].env = c.env;
    EXPECT_EQ(reject(t, ErrorCode::BadEnv), c.message);
  }
  TestManifest clash;
  clash.services[1].env = {"A=1"};
  clash.services[1].caps[0].name = "args";
  EXPECT_EQ(reject(clash, ErrorCode::BadEnv),
            "service `hello`: a cap named `args` and an env: the environment travels as `args`");
}

TEST(manifest_validate, ServiceRunOn) {
  auto with_context = [] {
    TestManifest t;
    t.init_caps.push_back(kernel("sched", KernelCapKind::SchedulingContext));
    t.services[1].caps.push_back(kernel("cpu", KernelCapKind::SchedulingContext));
    return t;
  };
  TestManifest ok = with_context();
  ok.services[1].run_on = "cpu";
  EXPECT_TRUE(validate(ok.model(), Options{}).ok());
  // Not a cap of the service, an import, and a kernel cap of another kind.
  for (const char* name : {"nothere", "log"}) {
    TestManifest t = with_context();
    t.services[1].run_on = name;
    EXPECT_EQ(reject(t, ErrorCode::BadRunOn),
              std::string("service `hello`: runOn `") + name + "` is not one of its schedulingContext caps");
  }
  TestManifest timer = with_context();
  timer.services[2].run_on = "timer";
  EXPECT_EQ(reject(timer, ErrorCode::BadRunOn), "service `ticker`: runOn `timer` is not one of its schedulingContext caps");
}

TEST(manifest_validate, DuplicateCapAndExport) {
  TestManifest t;
  t.services[2].caps[1].name = "log";
  EXPECT_EQ(reject(t, ErrorCode::DuplicateCap),
            "service `ticker`: duplicate cap name `log` (caps[0] and caps[1])");
  TestManifest u;
  u.services[0].exports.push_back({"log", "log"});
  EXPECT_EQ(reject(u, ErrorCode::DuplicateExport),
            "service `logd`: duplicate export name `log` (exports[0] and exports[1])");
}

TEST(manifest_validate, DuplicateBinary) {
  TestManifest t;
  t.binaries.push_back({"logd", 5});
  EXPECT_EQ(reject(t, ErrorCode::DuplicateBinary),
            "duplicate binary name `logd` (binaries[1] and binaries[4])");
}

TEST(manifest_validate, MissingBinary) {
  TestManifest t;
  t.services[1].binary = "helo";
  EXPECT_EQ(reject(t, ErrorCode::MissingBinary),
            "service `hello`: binary `helo` is not in the package");
  TestManifest u;
  u.init_binary = "init2";
  EXPECT_EQ(reject(u, ErrorCode::MissingBinary), "init: binary `init2` is not in the package");
}

TEST(manifest_validate, NamesAreBoundedAndPrintable) {
  TestManifest t;
  t.services[1].name = std::string(33, 'a');
  EXPECT_EQ(reject(t, ErrorCode::BadName),
            "services[1] has invalid name `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` (1 to 32 bytes of "
            "ASCII letters, digits, '-', '_', '.')");
  TestManifest u;
  u.services[1].caps[0].name = std::string("lo\ng\x01", 5);
  EXPECT_EQ(reject(u, ErrorCode::BadName),
            "service `hello`: caps[0] has invalid name `lo\\x0ag\\x01` (1 to 32 bytes of ASCII "
            "letters, digits, '-', '_', '.')");
  TestManifest v;
  v.binaries[0].first = "";
  EXPECT_EQ(reject(v, ErrorCode::BadName),
            "binaries[0] has invalid name `` (1 to 32 bytes of ASCII letters, digits, '-', '_', "
            "'.')");
  EXPECT_TRUE(valid_name(capos::StrView(std::string(32, 'z').c_str())));
  EXPECT_FALSE(valid_name(capos::StrView("../x")));
}

TEST(manifest_validate, HostileNameIsQuotedAndCut) {
  TestManifest t;
  std::string longname(300, 'q');
  t.services[1].caps[0].service = longname;
  std::string msg = reject(t, ErrorCode::UnknownService);
  EXPECT_EQ(msg, "service `hello` cap `log`: imports from unknown service `" + std::string(40, 'q') +
                     "...`");
}

TEST(manifest_validate, CountsAreBounded) {
  TestManifest t;
  for (size_t i = 0; i < kMaxCapsPerProcess; ++i) {
    t.services[1].caps.push_back(kernel("c" + std::to_string(i), KernelCapKind::LogSink));
  }
  EXPECT_EQ(reject(t, ErrorCode::TooMany), "service `hello`: 65 caps (at most 64)");
  TestManifest u;
  for (size_t i = 0; i < kMaxServices; ++i) u.services.push_back({"s" + std::to_string(i), "hello", {}, {}, {}, {}, {}});
  EXPECT_EQ(reject(u, ErrorCode::TooMany), "67 services (at most 64)");
  TestManifest v;
  for (size_t i = 0; i <= kMaxExportsPerService; ++i) v.services[0].exports.push_back({"e" + std::to_string(i), "log"});
  EXPECT_EQ(reject(v, ErrorCode::TooMany), "service `logd`: 18 exports (at most 16)");
}

TEST(manifest_validate, Oversize) {
  TestManifest t;
  t.binaries[2].second = kMaxBinaryBytes + 1;
  EXPECT_EQ(reject(t, ErrorCode::Oversize), "binary `hello` is 16777217 bytes (at most 16777216)");
  TestManifest u;
  for (auto& b : u.binaries) b.second = kMaxBinaryBytes;
  u.binaries.push_back({"extra", 1});
  EXPECT_EQ(reject(u, ErrorCode::Oversize),
            "binaries total more than 67108864 bytes (at `extra`)");
}

TEST(manifest_validate, EmptyBinaryOnlyWhenDataRequired) {
  TestManifest t;
  for (auto& b : t.binaries) b.second = 0;
  EXPECT_EQ(reject(t, ErrorCode::EmptyBinary), "binary `init` is empty");
  Options metadata;
  metadata.require_binary_data = false;
  EXPECT_TRUE(validate(t.model(), metadata).ok());
}

TEST(manifest_validate, InitCannotImport) {
  TestManifest t;
  t.init_caps.push_back(import("log", iface::LogSink, "logd", "log"));
  EXPECT_EQ(reject(t, ErrorCode::NotHonoured),
            "initConfig.init.caps[4].source.service (cap `log`): not available to init: no service "
            "runs before init");
}

// Every kernel kind, for init and for a service, is accepted exactly when
// the capability matrix says the kernel honours it (and the refusal names
// the field path and the matrix's reason).
TEST(manifest_validate, KernelKindsFollowTheCapabilityMatrix) {
  for (uint16_t k = 0; k < kKernelCapKindCount; ++k) {
    auto kind = static_cast<KernelCapKind>(k);
    for (Holder h : {Holder::Init, Holder::Service}) {
      TestManifest t;
      Cap c = kernel("probe", kind);
      // A service's copy of a shared kind needs init to hold one; give init
      // one whenever init may hold it, so only the matrix decides.
      if (h == Holder::Service) {
        if (honoured(Holder::Init, SourceKind::Kernel, k)) t.init_caps.push_back(kernel("initprobe", kind));
        t.services[1].caps.push_back(c);
      } else {
        t.init_caps.push_back(c);
      }
      auto r = validate(t.model());
      Cell cell = cell_for(h, SourceKind::Kernel, k);
      SCOPED_TRACE(std::string(kKernelCaps[k].name) + " for " + holder_name(h));
      EXPECT_EQ(r.ok(), cell.how != Delivery::No) << (r.ok() ? "" : r.error().message);
      if (!r.ok()) {
        EXPECT_EQ(r.error().code, ErrorCode::NotHonoured);
        std::string want = std::string(h == Holder::Init ? "initConfig.init.caps[4]" : "initConfig.services[1].caps[1]") +
                           ".source.kernel." + kKernelCaps[k].name;
        EXPECT_EQ(std::string(r.error().message).rfind(want, 0), 0u) << r.error().message;
        EXPECT_NE(std::strstr(r.error().message, cell.why), nullptr) << r.error().message;
      }
    }
  }
}

TEST(manifest_validate, InitCannotHoldAnEndpoint) {
  TestManifest t;
  t.init_caps.push_back(endpoint("ep", iface::LogSink));
  EXPECT_EQ(reject(t, ErrorCode::NotHonoured),
            "initConfig.init.caps[4].source.endpoint (cap `ep`): not available to init: init serves "
            "nothing: no service runs before it, so nobody could import the endpoint");
}

TEST(manifest_validate, CapabilityMatrixIsConsistent) {
  EXPECT_TRUE(matrix_consistent());
  // Services import and serve; init does neither.
  EXPECT_TRUE(honoured(Holder::Service, SourceKind::Endpoint, 0));
  EXPECT_TRUE(honoured(Holder::Service, SourceKind::Service, 0));
  EXPECT_FALSE(honoured(Holder::Init, SourceKind::Endpoint, 0));
  EXPECT_FALSE(honoured(Holder::Init, SourceKind::Service, 0));
  EXPECT_FALSE(honoured(Holder::Child, SourceKind::Service, 0));
  // Unknown kinds are never honoured.
  EXPECT_FALSE(honoured(Holder::Init, SourceKind::Kernel, kKernelCapKindCount));
}

TEST(manifest_validate, KernelCapCopiedFromInitMustBeHeld) {
  TestManifest t;
  t.services[2].caps.push_back(kernel("rng", KernelCapKind::EntropySource));
  EXPECT_EQ(reject(t, ErrorCode::KernelCapNotHeld),
            "service `ticker` cap `rng`: kernel cap `entropySource` is copied from init, but "
            "init has no `entropySource` cap");
  // Per-process kinds are created for the child; init need not hold them.
  TestManifest u;
  u.services[2].caps.push_back(kernel("vm", KernelCapKind::VirtualMemory));
  EXPECT_TRUE(validate(u.model()).ok());
}

TEST(manifest_validate, DevicesOnlyOnAServicesDeviceManager) {
  auto with_dm = [] {
    TestManifest t;
    t.init_caps.push_back(kernel("devices", KernelCapKind::DeviceManager));
    Cap dm = kernel("devices", KernelCapKind::DeviceManager);
    dm.devices = {{0x1af4, 0x1042}, {0x1af4, 0x1001}};
    t.services[2].caps.push_back(dm);
    return t;
  };
  TestManifest ok = with_dm();
  EXPECT_TRUE(validate(ok.model()).ok());

  TestManifest on_console = with_dm();
  on_console.services[2].caps[1].devices = {{0x1af4, 0x1042}};  // the `timer` cap
  EXPECT_EQ(reject(on_console, ErrorCode::BadDevices),
            "service `ticker` cap `timer`: `devices` applies only to a service's deviceManager cap");

  TestManifest on_init = with_dm();
  on_init.init_caps.back().devices = {{0x1af4, 0x1042}};  // init holds the whole manager
  EXPECT_EQ(reject(on_init, ErrorCode::BadDevices),
            "init cap `devices`: `devices` applies only to a service's deviceManager cap");

  TestManifest nine = with_dm();
  nine.services[2].caps.back().devices.assign(9, DeviceMatchDecl{0x1af4, 0x1042});
  EXPECT_EQ(reject(nine, ErrorCode::BadDevices), "service `ticker` cap `devices`: 9 devices (at most 8)");
}

// CapEntry.secret: only on a service's bootPackage cap, and only naming a
// binary of kind secret (init narrows its BootPackage to it).
TEST(manifest_validate, SecretOnlyOnAServicesBootPackageAndOnlyASecret) {
  auto with_key = [] {
    TestManifest t;
    t.binaries.push_back({"credkey", 32});
    t.binaries.push_back({"manual.pages", 64});
    t.secrets = {"credkey"};
    Cap boot = kernel("boot", KernelCapKind::BootPackage);
    boot.secret = "credkey";
    t.services[2].caps.push_back(boot);
    return t;
  };
  TestManifest ok = with_key();
  EXPECT_TRUE(validate(ok.model()).ok());

  TestManifest on_timer = with_key();
  on_timer.services[2].caps[1].secret = "credkey";  // the `timer` cap
  EXPECT_EQ(reject(on_timer, ErrorCode::BadSecret),
            "service `ticker` cap `timer`: `secret` applies only to a service's bootPackage cap");

  TestManifest on_init = with_key();
  on_init.init_caps.back().secret = "credkey";  // init's BootPackage already reads everything
  EXPECT_EQ(reject(on_init, ErrorCode::BadSecret),
            "init cap `boot`: `secret` applies only to a service's bootPackage cap");

  TestManifest not_secret = with_key();
  not_secret.services[2].caps.back().secret = "manual.pages";
  EXPECT_EQ(reject(not_secret, ErrorCode::BadSecret),
            "service `ticker` cap `boot`: secret `manual.pages` is not a binary of kind secret");

  TestManifest missing = with_key();
  missing.services[2].caps.back().secret = "auditkey";
  EXPECT_EQ(reject(missing, ErrorCode::BadSecret),
            "service `ticker` cap `boot`: secret `auditkey` is not a binary of kind secret");
}

TEST(manifest_validate, UnknownKernelKind) {
  TestManifest t;
  t.services[1].caps.push_back(kernel("k", KernelCapKind::Console));
  t.services[1].caps.back().raw_kind = 16;
  EXPECT_EQ(reject(t, ErrorCode::BadKernelKind),
            "service `hello` cap `k`: unknown kernel cap kind 16");
}

TEST(manifest_validate, ExportsMustNameEndpointCaps) {
  TestManifest t;
  t.services[0].exports = {{"log", "nope"}};
  EXPECT_EQ(reject(t, ErrorCode::ExportUnknownCap),
            "service `logd` export `log`: the service has no cap `nope`");
  TestManifest u;
  u.services[0].exports = {{"log", "console"}};
  EXPECT_EQ(reject(u, ErrorCode::ExportNotEndpoint),
            "service `logd` export `log`: cap `console` has a `kernel` source; only `endpoint` "
            "caps can be exported");
}

TEST(manifest_validate, RestartBudgetIsBounded) {
  TestManifest t;
  t.services[0].restart = {RestartKind::OnFailure, 101, 10};
  EXPECT_EQ(reject(t, ErrorCode::BadRestart),
            "service `logd`: restart onFailure maxRestarts 101 backoffMs 10 (at most 100 and "
            "60000)");
  t.services[0].restart = {RestartKind::OnFailure, 3, 100};
  EXPECT_TRUE(validate(t.model()).ok());
}

TEST(manifest_validate, KernelParams) {
  TestManifest t;
  t.hostname = "-bad";
  EXPECT_EQ(reject(t, ErrorCode::BadKernelParams),
            "kernelParams.hostname `-bad` is invalid (1 to 63 ASCII letters, digits and '-', not "
            "starting or ending with '-')");
  TestManifest u;
  u.motd = std::string(kMaxMotdBytes + 1, 'm');
  EXPECT_EQ(reject(u, ErrorCode::BadKernelParams), "kernelParams.motd is 4097 bytes (at most 4096)");
  TestManifest v;
  v.motd = "line one\nline\ttwo\x07";
  EXPECT_EQ(reject(v, ErrorCode::BadKernelParams),
            "kernelParams.motd has control byte 0x07 at offset 17 (only line breaks and tabs are "
            "allowed)");
  TestManifest w;
  w.log_level = 5;
  EXPECT_EQ(reject(w, ErrorCode::BadKernelParams), "kernelParams.logLevel 5 is unknown (0 to 4)");
}

TEST(manifest_validate, BootBoundaryIgnoresServiceGraph) {
  // The kernel checks only what it needs to start init.
  TestManifest t;
  t.services[1].caps[0].service = "logx";
  EXPECT_TRUE(validate_boot(t.model()).ok());
  EXPECT_FALSE(validate(t.model()).ok());
}

}  // namespace

// A filesystem service exporting its root Directory, and `hello` granted a
// directory of it through a `directory` source.
TestManifest with_dir_grant(std::string path, bool writable = true) {
  TestManifest t;
  t.binaries.push_back({"fsd", 500});
  t.services.insert(t.services.begin() + 1, Svc{"fsd", "fsd", {endpoint("root", iface::Directory)}, {{"root", "root"}}, {}, {}, {}});
  t.services[2].caps.push_back(directory("home", "fsd", "root", std::move(path), writable));
  return t;
}

TEST(manifest_validate, DirectorySourceDescendsOnly) {
  for (const char* ok : {"", "users", "users/alice", "a/b/c/d/e/f/g/h", "x..y", ".hidden"}) {
    TestManifest t = with_dir_grant(ok);
    auto r = validate(t.model());
    EXPECT_TRUE(r.ok()) << ok << ": " << r.error().message;
  }
  struct Bad {
    const char* path;
    const char* why;
  } bad[] = {
      {"..", "`.` or `..` (a grant only descends)"},
      {"users/..", "`.` or `..` (a grant only descends)"},
      {"./users", "`.` or `..` (a grant only descends)"},
      {"/users", "an empty name (a leading, trailing or doubled '/')"},
      {"users/", "an empty name (a leading, trailing or doubled '/')"},
      {"users//alice", "an empty name (a leading, trailing or doubled '/')"},
      {"a/b/c/d/e/f/g/h/i", "more than maxGrantPathNames (8) names"},
  };
  for (const Bad& b : bad) {
    TestManifest t = with_dir_grant(b.path);
    EXPECT_EQ(reject(t, ErrorCode::BadPath),
              std::string("service `hello` cap `home`: directory path `") + b.path + "` has " + b.why);
  }
  TestManifest nul = with_dir_grant(std::string("a\0b", 3));
  (void)reject(nul, ErrorCode::BadPath);
  TestManifest longname = with_dir_grant(std::string(256, 'n'));
  (void)reject(longname, ErrorCode::BadPath);
}

TEST(manifest_validate, DirectorySourceGrantsADirectoryFromAnEarlierService) {
  TestManifest t = with_dir_grant("users");
  t.services[2].caps.back().iface = iface::LogSink;
  EXPECT_EQ(reject(t, ErrorCode::InterfaceMismatch),
            "service `hello` cap `home`: a directory source provides 0x8bf9257ac020ae90, but the cap declares "
            "0xf756aa2c12c6e11e");
  TestManifest unknown = with_dir_grant("users");
  unknown.services[2].caps.back().service = "nfs";
  EXPECT_EQ(reject(unknown, ErrorCode::UnknownService), "service `hello` cap `home`: imports from unknown service `nfs`");
  TestManifest wrong_export = with_dir_grant("users");
  wrong_export.services[2].caps.back().export_name = "log";
  (void)reject(wrong_export, ErrorCode::UnknownExport);
  TestManifest init_grant = with_dir_grant("users");
  init_grant.init_caps.push_back(directory("home", "fsd", "root", "users", false));
  EXPECT_EQ(reject(init_grant, ErrorCode::NotHonoured),
            "initConfig.init.caps[4].source.directory (cap `home`): not available to init: no service "
            "runs before init");
}
