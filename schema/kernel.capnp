@0x858ac24d689430e5;
# Small kernel-served device and system capabilities: serial Console, Timer,
# EntropySource, kernel log (LogSink, LogReader), SystemStatus and
# SystemControl. Each is a kernel object; a process reaches one only if it
# was granted the capability at spawn or received it over IPC.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

using Capos = import "capos.capnp";

const maxConsoleWriteBytes :UInt32 = 4096;
# Largest `data` accepted by one Console.write or Console.writeLine call.

const maxConsoleReadBytes :UInt32 = 4096;
# Largest `maxBytes` accepted by one Console.read call.

const maxEntropyBytes :UInt32 = 256;
# Largest `count` accepted by one EntropySource.getBytes call.

const maxLogMessageBytes :UInt32 = 512;
# Longest LogSink.log message kept; longer messages are truncated.

const maxLogReadRecords :UInt32 = 64;
# Largest `maxRecords` accepted by one LogReader.read call.

# ---------------------------------------------------------------------------

interface Console @0x8f19088a909c9924 {
  # The serial console (COM1): bounded byte output and terminal input from
  # the serial receive interrupt. Held by init, by services that print, and
  # by the terminal service that hosts the shell. Output is written to the
  # wire in call order; input is buffered by the kernel in a bounded ring and
  # handed to readers in arrival order.

  write @0 (data :Data) -> (written :UInt32);
  # Write raw bytes to the console.
  #
  # Params: `data` is 0 to maxConsoleWriteBytes bytes, written as-is (no
  # newline translation).
  # Results: `written` is the number of bytes written, always all of them.
  # Errors: invalidArgument if `data` is longer than maxConsoleWriteBytes.

  writeLine @1 (text :Text) -> ();
  # Write `text` followed by a line ending ("\r\n" on the wire).
  #
  # Params: `text` is at most maxConsoleWriteBytes bytes of UTF-8.
  # Errors: invalidArgument if `text` is too long.

  read @2 (maxBytes :UInt32, block :Bool) -> ReadResult;
  # Take buffered terminal input.
  #
  # Params: `maxBytes` (1 to maxConsoleReadBytes) bounds how many bytes are
  # returned. `block` chooses the waiting mode: false returns at once
  # (`wouldBlock` if nothing is buffered); true leaves the call pending until
  # at least one byte arrives, then returns what is buffered up to
  # `maxBytes`.
  # Results: see ReadResult.
  # Errors: invalidArgument if `maxBytes` is 0 or too large; overloaded if
  # another blocking read is already pending on this console (one blocked
  # reader at a time).

  struct ReadResult {
    # Outcome of Console.read.

    union {
      data @0 :Data;
      # One or more input bytes, exactly as received (no echo, no line
      # editing: that is the terminal service's job).

      wouldBlock @1 :Void;
      # Non-blocking read and no input was buffered.
    }

    droppedBytes @2 :UInt32;
    # Input bytes discarded because the kernel's receive buffer was full
    # since the previous read. Normally 0.
  }
}

interface Timer @0xaac2d7d477ff51c2 {
  # The monotonic clock and sleeping. Time starts near 0 at boot and never
  # goes backwards; it is not wall-clock time. Held by most services.

  now @0 () -> (monotonicNs :UInt64, tick :UInt64);
  # Read the clock.
  #
  # Results: `monotonicNs` is nanoseconds since boot. `tick` is the number
  # of scheduler timer interrupts since boot (diagnostic; its period is a
  # kernel detail).

  sleep @1 (durationNs :UInt64) -> (monotonicNs :UInt64);
  # Complete after at least `durationNs` nanoseconds.
  #
  # The call is pending until then; the process keeps running and learns of
  # the wake-up through its completion queue. Wake-ups happen on the
  # kernel's timer tick, so the resolution is one tick (10 ms today). A
  # duration of 0 completes at once.
  # Results: `monotonicNs` is the clock value at wake-up.
  # Errors: invalidArgument if `durationNs` exceeds one hour; overloaded if
  # the process's outstanding-call quota is exhausted.

  sleepUntil @2 (deadlineNs :UInt64) -> (monotonicNs :UInt64);
  # Complete once the clock reaches `deadlineNs` (an absolute
  # `monotonicNs` value). A deadline in the past completes at once.
  #
  # Results: `monotonicNs` is the clock value at wake-up.
  # Errors: invalidArgument if the deadline is more than one hour away;
  # overloaded if the process's outstanding-call quota is exhausted.
}

interface EntropySource @0x9095a2f3e0f89f42 {
  # Cryptographically strong random bytes from the kernel's CSPRNG (seeded
  # from hardware RDSEED/RDRAND and reseeded periodically). The kernel's own
  # uses draw from the same generator. Fails closed: if no trustworthy seed
  # exists, calls fail instead of returning weak bytes.

  getBytes @0 (count :UInt32) -> (data :Data);
  # Return `count` random bytes.
  #
  # Params: `count` is 1 to maxEntropyBytes.
  # Results: `data` holds exactly `count` bytes.
  # Errors: invalidArgument if `count` is 0 or too large; failed if the
  # generator has no trustworthy seed.
}

# ---------------------------------------------------------------------------

interface LogSink @0xf756aa2c12c6e11e {
  # Write access to the kernel log: a bounded drop-oldest ring that also
  # forwards to the serial console. Each LogSink is scoped at spawn to one
  # source name (normally the service name) which the kernel stamps on every
  # record; the caller cannot choose or change it.

  log @0 (level :Capos.LogLevel, message :Text) -> (accepted :Bool);
  # Append one record.
  #
  # Params: `level` is the record severity; `message` is UTF-8 text, cut to
  # maxLogMessageBytes.
  # Results: `accepted` is false if the record was dropped because `level`
  # is less severe than the configured log level (kernelParams.logLevel).
  # Errors: overloaded if the process exceeded its log rate budget.
}

interface LogReader @0xb448a0f899244d11 {
  # Read access to the kernel log ring, for log viewers and collectors.
  # Records are numbered by a sequence that only grows; the oldest records
  # are overwritten when the ring is full.

  read @0 (fromSeq :UInt64, maxRecords :UInt32) -> (records :List(LogRecord), nextSeq :UInt64, lost :UInt64);
  # Read records with sequence number >= `fromSeq`.
  #
  # Params: `fromSeq` is the first sequence number wanted (0 = oldest
  # available); `maxRecords` is 1 to maxLogReadRecords.
  # Results: `records` in sequence order (possibly empty); `nextSeq` is the
  # value to pass next time; `lost` counts records between `fromSeq` and
  # the first returned one that were already overwritten.
  # Errors: invalidArgument if `maxRecords` is 0 or too large.

  struct LogRecord {
    # One kernel log record.

    seq @0 :UInt64;
    # Sequence number, unique and increasing since boot.

    monotonicNs @1 :UInt64;
    # Timer clock value when the record was written.

    level @2 :Capos.LogLevel;
    # Severity.

    source @3 :Text;
    # Source name stamped by the kernel from the writer's LogSink scope
    # ("kernel" for the kernel itself).

    message @4 :Text;
    # The message text.
  }
}

# ---------------------------------------------------------------------------

interface SystemStatus @0xa0b03850f93ad398 {
  # Read-only system figures for diagnostics (the shell's `mem` and `ps`
  # commands). Reveals process names and memory figures, nothing else: no
  # capability ids, addresses or buffer contents. Granted to operators and
  # monitoring services only.

  memory @0 () -> (totalFrames :UInt64, freeFrames :UInt64, pageSize :UInt32, sharedProgramFrames :UInt64);
  # Physical memory figures.
  #
  # Results: `totalFrames` usable frames managed by the kernel;
  # `freeFrames` frames not allocated; `pageSize` bytes per frame (4096);
  # `sharedProgramFrames` how many of the allocated frames hold programs'
  # read-only pages, each mapped by every process of its program and paid
  # for by the kernel, not by a process ledger (docs/memory.md "Shared
  # program pages").

  processes @1 (offset :UInt32, maxEntries :UInt32) -> (entries :List(ProcessInfo), total :UInt32);
  # List live processes, ordered by pid.
  #
  # Params: `offset` skips that many entries; `maxEntries` is 1 to 64.
  # Results: `entries` is the page; `total` the number of live processes.
  # Errors: invalidArgument if `maxEntries` is 0 or above 64.

  selfLedger @2 () -> (usage :LedgerUsage);
  # The calling process's own resource ledger: what it uses and may use.

  cpus @3 () -> (cpus :List(CpuInfo), kernelLockContentions :UInt64, tlbShootdowns :UInt64);
  # The CPUs the kernel runs on, in logical-id order (docs/smp.md).
  #
  # Results: `cpus` one entry per started CPU; `kernelLockContentions`
  # how often a CPU had to wait for the big kernel lock since boot;
  # `tlbShootdowns` cross-CPU TLB flush requests since boot.

  struct CpuInfo {
    # One row of SystemStatus.cpus.

    id @0 :UInt32;
    # Logical CPU id (0 = the boot CPU).

    apicId @1 :UInt32;
    # The CPU's local APIC id (from the ACPI MADT).

    scheduling @2 :Bool;
    # True once the CPU runs the scheduler.

    busyCycles @3 :UInt64;
    # TSC cycles it ran threads other than its idle thread.

    ipisReceived @4 :UInt64;
    # Reschedule IPIs it received from other CPUs.

    timerTicks @5 :UInt64;
    # Local timer interrupts it took. An idle AP stops its timer
    # (tickless idle), so this grows only while the CPU runs threads; the
    # boot CPU ticks always (it drives sleeps and deadlines).
  }

  struct ProcessInfo {
    # One row of SystemStatus.processes.

    pid @0 :UInt32;
    # Process id.

    name @1 :Text;
    # Diagnostic name given at spawn (the manifest service name or the
    # spawn request's name).

    binary @2 :Text;
    # Packaged binary the process runs.

    threads @3 :UInt32;
    # Number of live threads.

    usage @4 :LedgerUsage;
    # Resource ledger figures of the process.
  }

  struct LedgerUsage {
    # Used / maximum pairs of a process's ResourceLedger.

    capSlotsUsed @0 :UInt32;
    # Capability table slots in use.

    capSlotsMax @1 :UInt32;
    # Capability table slot quota.

    framePagesUsed @2 :UInt32;
    # Committed 4 KiB pages charged to the process.

    framePagesMax @3 :UInt32;
    # Committed page quota.

    virtualPagesUsed @4 :UInt32;
    # Reserved virtual pages charged to the process.

    virtualPagesMax @5 :UInt32;
    # Reserved virtual page quota.

    outstandingCallsUsed @6 :UInt32;
    # Calls currently in flight.

    outstandingCallsMax @7 :UInt32;
    # In-flight call quota.

    pageTablesUsed @8 :UInt32;
    # Page-table frames of the process's address space (4 KiB each).

    pageTablesMax @9 :UInt32;
    # Page-table frame quota.

    kernelBytesUsed @10 :UInt32;
    # Kernel heap bytes held on the process's behalf (process and thread
    # records, kernel stacks, scratch buffers, call and receive records,
    # queued call parameters).

    kernelBytesMax @11 :UInt32;
    # Kernel heap byte quota.
  }
}

interface SystemControl @0xfc533d5d816f4559 {
  # Authority to stop the whole machine. Held by init; the manifest may
  # grant it to an operator shell for its `shutdown` command. Nobody else
  # can stop the system.

  shutdown @0 (mode :ShutdownMode, status :UInt8) -> ();
  # Stop the system. On success the call never completes: the kernel stops
  # scheduling, flushes the console and halts or powers off.
  #
  # Params: `mode` is what to do; `status` is the outcome to report to the
  # host where a reporting device exists (QEMU isa-debug-exit): 0 means a
  # clean shutdown, other values a failure code (the kernel's mapping to
  # the device value is in docs/abi.md).
  # Errors: invalidArgument for an unknown mode; unimplemented if the
  # machine cannot perform `mode`.

  enum ShutdownMode {
    # What SystemControl.shutdown does.

    powerOff @0;
    # Power off (ACPI S5, or the hypervisor exit device under QEMU).

    halt @1;
    # Stop all CPUs but leave the machine on.

    reboot @2;
    # Reset the machine.
  }
}
