@0xe776f1949136556e;
# The boot manifest and the capability that exposes it. The boot loader
# hands the kernel exactly one module: a Cap'n Proto SystemManifest
# message (written by tools/mkmanifest from system.cue) that embeds every
# service binary. The kernel validates only its own boundary, loads
# initConfig.init with initConfig.init.caps and starts nothing else. Init
# reads the manifest through BootPackage, validates the service graph and
# spawns each service through ProcessSpawner with exactly the listed caps.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

using Capos = import "capos.capnp";
using Devices = import "devices.capnp";

const manifestSchemaVersion :UInt32 = 1;
# The only SystemManifest.schemaVersion this schema describes. A manifest
# with any other value is rejected at boot.

const maxBootPackageChunk :UInt32 = 16384;
# Largest `maxBytes` accepted by one BootPackage read call.

const maxGrantPathNames :UInt32 = 8;
# Most names in the `path` of a `directory` cap source.

const maxServiceEnv :UInt32 = 8;
# Most entries in a Service's `env`.

const maxServiceEnvBytes :UInt32 = 200;
# Most bytes of one Service's `env` entries together (they travel to the
# child in one queued SpawnArguments.deliver call).

# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------

struct SystemManifest @0x8bb9c0df64c9cf34 {
  # Root of manifest.bin. Exactly these four fields exist; mkmanifest
  # rejects any other top-level field in the configuration by name.

  schemaVersion @0 :UInt32;
  # Must equal manifestSchemaVersion.

  binaries @1 :List(Binary);
  # Every program the system can run, embedded. Names are unique.

  initConfig @2 :InitConfig;
  # The init process and the service graph init executes.

  kernelParams @3 :KernelParams;
  # Boot parameters for the kernel and system services.
}

struct Binary @0xeba96e6ee48ef1dd {
  # One packaged program.

  name @0 :Text;
  # Name used by InitProcess.binary, Service.binary and spawn requests;
  # 1 to 32 bytes of ASCII letters, digits, '-', '_' and '.'.

  data @1 :Data;
  # The contents: for a `program`, the static x86_64 ELF image. Empty in
  # the metadata view returned by BootPackage.readManifest (read it with
  # BootPackage.readBinary).

  kind @2 :BinaryKind;
  # What the contents are. mkmanifest validates every `program` with the
  # kernel's ELF loader rules (lib/elf) and rejects one that would not load.
}

enum BinaryKind @0xc9a3b7d6e1f20415 {
  # What a packaged Binary holds.

  program @0;
  # A static ELF program: init, a service, or something spawned later.

  data @1;
  # Bytes read through BootPackage.readBinary (for example manual.pages).
  # Never run: init, services and ProcessSpawner refuse it as a program.

  secret @2;
  # Data only a BootPackage narrowed to it can read (a key, for example
  # the credential store's `credkey`): BootPackage.findBinary and
  # readBinary answer notFound for it on every other BootPackage, the
  # kernel-made one init holds included. Init grants it to the one service
  # whose `bootPackage` cap names it in CapEntry.secret. Never run.
}

struct InitConfig @0xe13cbfe08aacc8a9 {
  # The single kernel-started process and the services it starts.

  init @0 :InitProcess;
  # The process the kernel starts. Required.

  services @1 :List(Service);
  # Services init starts, in this order. A service may import only exports
  # of services listed before it, so the graph has no cycles by
  # construction.
}

struct InitProcess @0xea23f631fbc280d9 {
  # How the kernel starts init.

  binary @0 :Text;
  # Name of the binary to run as init.

  caps @1 :List(CapEntry);
  # Init's bootstrap capabilities, in CapSet order. Sources may be
  # `kernel` or `endpoint`; `service` sources are invalid here.

  limits @2 :Capos.ResourceLimits;
  # Quota request for init, or null for the kernel defaults.
}

struct Service @0xfb71e28fde21bcad {
  # One service in the init-owned graph.

  name @0 :Text;
  # Unique service name (1 to 32 bytes, same rules as binary names). Used
  # as the process name and as the scope of its log sink.

  binary @1 :Text;
  # Name of the binary to run.

  caps @2 :List(CapEntry);
  # The service's entire initial authority, in CapSet order.

  exports @3 :List(Export);
  # Capabilities this service offers to services listed after it.

  restart @4 :RestartPolicy;
  # What init does when the service ends. Default: never restart.

  limits @5 :Capos.ResourceLimits;
  # Quota request, or null for the kernel defaults.

  env @6 :List(Text);
  # The environment a C program sees (environ, getenv): "NAME=value"
  # entries, NAME made of letters, digits and '_' and not starting with a
  # digit, each name once, value printable ASCII; at most maxServiceEnv
  # entries and maxServiceEnvBytes bytes. When it is not empty, init grants
  # the child a SpawnArguments endpoint `args` (schema/posix.capnp) and
  # queues `deliver` on it; the C library answers it before main
  # (docs/posix.md). A program that does not take it is reported when it
  # ends.

  runOn @7 :Text;
  # Name of one of this service's caps, a `schedulingContext` kernel cap:
  # init spawns the service bound to that context (SpawnRequest.runOn), so
  # every thread of it is scheduled and charged on it from the first
  # instruction, whether or not the program ever binds itself. Empty: the
  # service runs on init's own context. Holding another context still
  # lets a service move threads to it (SchedulingContext.bindThread).
}

enum KernelCapKind @0xe41115f13828e89d {
  # A kind of kernel-provided capability a manifest entry can name. For
  # init the kernel creates each one directly. For services, init supplies
  # them: the per-process kinds (virtualMemory, threadControl,
  # threadSpawner, logSink) are created fresh for the child through
  # ProcessSpawner child-local grants; every other kind is a copy of init's
  # own capability of that kind, so init must itself hold one (mkmanifest
  # checks this).

  console @0;
  # Console.

  timer @1;
  # Timer.

  entropySource @2;
  # EntropySource.

  virtualMemory @3;
  # The process's own VirtualMemory (per process).

  frameAllocator @4;
  # FrameAllocator.

  processSpawner @5;
  # ProcessSpawner.

  bootPackage @6;
  # BootPackage (normally init only).

  threadControl @7;
  # The process's own ThreadControl (per process).

  threadSpawner @8;
  # The process's own ThreadSpawner (per process).

  logSink @9;
  # A LogSink scoped to the process's name (per process).

  logReader @10;
  # LogReader.

  endpointFactory @11;
  # EndpointFactory.

  systemStatus @12;
  # SystemStatus.

  systemControl @13;
  # SystemControl.

  deviceManager @14;
  # DeviceManager: every enumerated PCI function (init, and the drivers
  # init grants it to; see devices.capnp).

  schedulingContext @15;
  # SchedulingContext: init gets the root context (weight 1024, no
  # budget); a service gets a copy of init's and mints the narrower
  # context it binds itself to (SchedulingContext.mint, bindProcess).
}

struct CapEntry @0x9516a560fd06b23b {
  # One named capability in a process's initial CapSet.

  name @0 :Text;
  # CapSet entry name (1 to 32 bytes; ASCII letters, digits, '-', '_',
  # '.'), unique within the process.

  interfaceId @1 :UInt64;
  # Interface id the process expects for this entry. Checked against the
  # source at build time (mkmanifest), by init, and by the kernel; the
  # process can rely on it. For an `endpoint` source it is Endpoint's id.

  source :union {
    # Where the capability comes from.

    kernel @2 :KernelCapKind;
    # A kernel-provided capability of this kind.

    endpoint :group {
      # A new endpoint served by this process; the process receives the
      # owner facet (Endpoint).

      servedInterfaceId @3 :UInt64;
      # Interface the process will serve on it (0 for untyped). Exporting
      # the entry publishes client facets with this interface id.
    }

    service :group {
      # A client facet exported by a service listed earlier.

      service @4 :Text;
      # Name of the exporting service.

      export @5 :Text;
      # Name of the export in that service. Its interface id must equal
      # this entry's interfaceId.
    }

    directory :group {
      # A directory of a filesystem service: init takes the Directory
      # that service `service` (listed earlier) exports as `export`,
      # descends through the names of `path` with Directory.sub and,
      # unless `writable`, takes its read-only facet. The process gets
      # exactly that directory and what lies below it, never its parent.
      # The entry's interfaceId must be Directory's.

      service @7 :Text;
      # Name of the exporting service (e.g. fsd).

      export @8 :Text;
      # Name of its Directory export (e.g. `root`).

      path @9 :Text;
      # Sub-directory names separated by '/': at most maxGrantPathNames
      # names of 1 to 255 bytes, none `.` or `..`, no empty name (so no
      # leading, trailing or doubled '/'). Empty: the export itself.

      writable @10 :Bool;
      # Grant a writable Directory (default: read-only).
    }
  }

  secret @11 :Text;
  # Only on a service's `bootPackage` kernel cap: the name of one binary
  # of kind `secret` this service may read. Init never copies its own
  # BootPackage to a service: it grants BootPackage.narrow(secret) (empty:
  # no secret), so a service can read programs, data and at most its own
  # secret, and cannot narrow further. mkmanifest checks that the name is
  # a secret binary.

  devices @6 :List(Devices.DeviceMatch);
  # Only on a service's `deviceManager` kernel cap: the service gets a
  # DeviceManager narrowed (DeviceManager.narrow) to the functions with
  # one of these identities, so a driver can claim its own device and no
  # other. Empty: the whole DeviceManager. At most maxDeviceMatches
  # entries.

  schedule @12 :SchedulingParams;
  # Only on a service's `schedulingContext` kernel cap: init mints a
  # context with these values from its root context (SchedulingContext.mint)
  # and grants that instead of a copy of the root. Null: a copy of the root.
}

struct SchedulingParams @0xc3a1f0e2b7d45a19 {
  # A SchedulingContext a manifest asks for (see SchedulingContext.mint
  # for the ranges).

  weight @0 :UInt32;
  # 1..1024.

  budgetUs @1 :UInt32;
  # CPU per period in microseconds; 0 for no budget.

  periodUs @2 :UInt32;
  # Period in microseconds; 0 when there is no budget.
}

struct Export @0xe2838403f320cb93 {
  # A capability a service offers to later services.

  name @0 :Text;
  # Export name, unique within the service.

  cap @1 :Text;
  # Name of one of this service's CapEntries whose source is `endpoint`.
  # Importers receive CALL-only client facets of that endpoint, never the
  # owner facet.
}

struct RestartPolicy @0xdc58381b67658084 {
  # What init does when a service ends. A failure is any end other than
  # ExitStatus.exited(0).

  union {
    never @0 :Void;
    # Never restart; init logs the exit status. The default.

    onFailure :group {
      # Restart after a failure, within a budget. A clean exit is not
      # restarted.

      maxRestarts @1 :UInt32;
      # Restarts allowed over the life of the system; when exhausted init
      # logs that it gave up and leaves the service stopped.

      backoffMs @2 :UInt32;
      # Delay before each restart, in milliseconds.
    }
  }
}

struct KernelParams @0xefff5e1618185b9d {
  # Boot parameters. Read by the kernel (logLevel) and served to the rest
  # of the system by init-started services (SystemInfo serves motd and
  # hostname).

  motd @0 :Text;
  # Message of the day printed by every shell at start. May contain line
  # breaks.

  hostname @1 :Text;
  # Name of this machine, shown in the shell prompt (1 to 63 bytes; DNS
  # label characters).

  logLevel @2 :Capos.LogLevel = info;
  # Least severe level the kernel log keeps (see LogLevel).

  dmaWithoutIommu @3 :Bool = false;
  # Allow DeviceMmio.dmaPool on a machine without an IOMMU. The device can
  # then reach all of memory, so a faulty or hostile driver can corrupt
  # anything; the kernel says so in the boot log for every pool. Without
  # this flag such machines get no DMA at all.
}

# ---------------------------------------------------------------------------
# BootPackage
# ---------------------------------------------------------------------------

interface BootPackage @0x83c0a3eb5c9cf710 {
  # Read-only view of the boot package: the manifest and the embedded
  # binaries. Held by init; services the manifest grants one get a narrowed
  # copy (narrow). It grants no power to run anything (that is
  # ProcessSpawner). Secrets (BinaryKind.secret) are readable only through
  # a BootPackage narrowed to them.

  manifestSize @0 () -> (size :UInt64);
  # Size in bytes of the metadata manifest returned by readManifest.

  readManifest @1 (offset :UInt64, maxBytes :UInt32) -> (data :Data);
  # Read a chunk of the metadata manifest: a standalone Cap'n Proto
  # SystemManifest message equal to the boot manifest except that every
  # Binary.data is empty. Read it in chunks from offset 0 to manifestSize.
  #
  # Params: `offset` is the byte offset (at most manifestSize);
  # `maxBytes` is 1 to maxBootPackageChunk.
  # Results: `data` holds min(maxBytes, manifestSize - offset) bytes; empty
  # at the end.
  # Errors: invalidArgument if `offset` is past the end or `maxBytes` is 0
  # or too large.

  findBinary @2 (name :Text) -> BinaryLookup;
  # Look up a packaged binary by name.
  #
  # Results: see BinaryLookup.

  readBinary @3 (name :Text, offset :UInt64, maxBytes :UInt32) -> BinaryChunk;
  # Read a chunk of a packaged binary's ELF image.
  #
  # Params: `name` of the binary; `offset` (at most its size); `maxBytes`
  # 1 to maxBootPackageChunk.
  # Results: see BinaryChunk.
  # Errors: invalidArgument if `offset` is past the end or `maxBytes` is 0
  # or too large.

  listBinaries @4 (offset :UInt32, maxEntries :UInt32) -> (names :List(Text), total :UInt32);
  # List packaged binary names in manifest order.
  #
  # Params: `offset` skips that many names; `maxEntries` is 1 to 64.
  # Results: `names` is the page; `total` the number of binaries.
  # Errors: invalidArgument if `maxEntries` is 0 or above 64.

  narrow @5 (secret :Text) -> (package :BootPackage);
  # A BootPackage for a service: it reads the manifest, every program and
  # data binary and, if `secret` is not empty, that one binary of kind
  # `secret`; it cannot narrow again. Only the kernel-made BootPackage
  # (init's) narrows, so a service holding a narrowed one can never reach
  # another service's secret.
  #
  # Params: `secret`, a binary of kind secret, or empty.
  # Results: `package`, a result capability.
  # Errors: invalidArgument with the message `permission-denied` on a
  # narrowed BootPackage; invalidArgument if `secret` names no binary of
  # kind secret.

  struct BinaryLookup {
    # Result of BootPackage.findBinary.

    union {
      found :group {
        # The binary exists.

        size @0 :UInt64;
        # Size of its ELF image in bytes.

        index @1 :UInt32;
        # Its position in SystemManifest.binaries.
      }

      notFound @2 :Void;
      # No binary has that name.
    }
  }

  struct BinaryChunk {
    # Result of BootPackage.readBinary.

    union {
      data @0 :Data;
      # min(maxBytes, size - offset) bytes of the image; empty at the end.

      notFound @1 :Void;
      # No binary has that name.
    }
  }
}
