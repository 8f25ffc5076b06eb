@0xda37e64aff097dcd;
# Userspace system services used by the shell: SystemInfo (MOTD, hostname,
# build facts), Manual (the in-OS manual behind `man` and `apropos`) and
# ProcessLauncher (an attenuated spawner for interactive program
# launching). Each is served over an endpoint by an init-started process;
# none of them is kernel authority.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

using Process = import "process.capnp";

const maxManualChunk :UInt32 = 16384;
# Largest `maxBytes` accepted by one Manual.page call.

const maxManualEntries :UInt32 = 64;
# Largest `maxEntries` accepted by Manual.apropos and Manual.topics.

interface SystemInfo @0xe80becdde048dceb {
  # Read-only facts about this system for display, taken from the boot
  # manifest's kernelParams and the build. Every shell prints the MOTD
  # itself by calling `motd`. Holds no authority beyond revealing these
  # strings.

  motd @0 () -> (text :Text);
  # The message of the day (kernelParams.motd); may be empty or span
  # several lines.

  hostname @1 () -> (name :Text);
  # The machine name (kernelParams.hostname).

  buildInfo @2 () -> (version :Text, commit :Text, schemaAbiVersion :UInt32);
  # What is running.
  #
  # Results: `version` is the capOS release string; `commit` the source
  # revision it was built from (or empty); `schemaAbiVersion` the value of
  # capos.capnp's schemaAbiVersion the system was built with.
}

interface Manual @0xdf15f843e926c017 {
  # The system manual: pages generated at build time from the doc comments
  # of these schema files (one page per interface, section 2) plus
  # hand-written pages, packaged in the boot package. Serves the shell's
  # `man` and `apropos`. Topics are case-sensitive page names such as
  # "Console" or "shell".
  #
  # Sections: 1 commands, 2 capability interfaces, 5 file and manifest
  # formats, 7 overviews and conventions.

  page @0 (topic :Text, section :UInt8, offset :UInt32, maxBytes :UInt32) -> PageResult;
  # Read a chunk of the page for `topic`.
  #
  # Params: `topic` is the page name; `section` restricts the lookup to
  # one section (0 = the first match in section order); `offset` is a byte
  # offset into the rendered page; `maxBytes` is 1 to maxManualChunk.
  # Results: see PageResult.
  # Errors: invalidArgument if `maxBytes` is 0 or too large or `offset` is
  # past the end of the page.

  apropos @1 (keyword :Text, maxEntries :UInt32) -> (entries :List(ManualEntry), more :Bool);
  # Find pages whose name or one-line summary contains `keyword`
  # (ASCII case-insensitive).
  #
  # Params: `keyword` is non-empty; `maxEntries` is 1 to maxManualEntries.
  # Results: `entries` ordered by section then name; `more` is true if
  # further matches were left out.
  # Errors: invalidArgument for an empty keyword or a bad `maxEntries`.

  topics @2 (section :UInt8, offset :UInt32, maxEntries :UInt32) -> (entries :List(ManualEntry), total :UInt32);
  # List pages, ordered by section then name.
  #
  # Params: `section` to list (0 = all); `offset` skips that many entries;
  # `maxEntries` is 1 to maxManualEntries.
  # Results: `entries` is the page of results; `total` the number of
  # matching pages.
  # Errors: invalidArgument for a bad `maxEntries`.

  struct ManualEntry {
    # One page in a listing.

    name @0 :Text;
    # Page name, usable as Manual.page's `topic`.

    section @1 :UInt8;
    # Section number (1, 2, 5 or 7).

    summary @2 :Text;
    # One-line summary (the first sentence of the page).
  }

  struct PageResult {
    # Result of Manual.page.

    union {
      chunk :group {
        # The page exists.

        name @0 :Text;
        # Page name as stored (the topic that matched).

        section @1 :UInt8;
        # Section the page is in.

        totalBytes @2 :UInt32;
        # Size of the whole rendered page in bytes.

        text @3 :Text;
        # The requested part of the page: plain UTF-8, lines of at most 80
        # columns. The service cuts only at character boundaries, so a chunk
        # may be a few bytes shorter than `maxBytes`; continue at `offset`
        # plus this chunk's byte length. Empty at the end of the page.
      }

      notFound @4 :Void;
      # No page with that name (in that section).
    }
  }
}

interface ProcessLauncher @0xf7ebc3d5d509effa {
  # An attenuated ProcessSpawner for interactive use (the shell's `spawn`
  # and `run`). It starts only binaries on its own allow-list, fixed when
  # the launcher was minted (by the manifest or a broker), and the child
  # gets only grants the caller passes, which the caller must already
  # hold. The shell never sees BootPackage or a broad ProcessSpawner.

  launch @0 Process.SpawnRequest -> Process.SpawnResult;
  # Start `binaryName` with the given grants, like ProcessSpawner.spawn.
  #
  # Results: as for ProcessSpawner.spawn, plus `notPermitted` when the
  # binary is not on this launcher's allow-list. A ProcessHandle cannot
  # leave the process that spawned the child, so the launcher keeps it:
  # `spawned.handle` is null and the caller waits with `wait` by pid.
  # The client facet of each child-local `endpoint` grant is moved on to
  # the caller in `spawned.clients` (the launcher keeps none).
  # Errors: as for ProcessSpawner.spawn; overloaded when the launcher
  # already tracks its maximum of unwaited children.

  binaries @1 () -> (names :List(Text));
  # The binaries this launcher may start, in allow-list order.

  wait @2 (pid :UInt32) -> (status :Process.ExitStatus);
  # Complete when the child `pid`, started by this launcher for the same
  # caller session, has ended (at once if it already has).
  #
  # Params: `pid` as returned by `launch`.
  # Results: `status` is how the child ended. The launcher then forgets
  # the child: a second wait for it fails.
  # Errors: invalidArgument if `pid` is not a child this caller launched
  # (or was already waited for).
}
