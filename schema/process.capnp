@0xcb1836ea722b5378;
# Processes and threads: ProcessSpawner (start a packaged binary with
# exactly the capabilities the caller chooses), ProcessHandle (wait for or
# kill one child), ThreadControl, ThreadSpawner and ThreadHandle (threads
# inside one process). A new process starts with zero authority: its whole
# authority is the list of named grants given to spawn.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

using Capos = import "capos.capnp";

const maxSpawnGrants :UInt32 = 64;
# Most grants one spawn request may carry.

const maxGrantNameBytes :UInt32 = 32;
# Longest grant (CapSet entry) name, in bytes. Names are non-empty ASCII
# letters, digits, '-', '_' and '.', unique within one request.

# ---------------------------------------------------------------------------
# Spawning
# ---------------------------------------------------------------------------

enum ChildLocalKind @0xa8c36157d6415b71 {
  # A capability the kernel creates fresh for the new process (instead of
  # passing on one the caller holds). Each names a kernel object kind that
  # only makes sense per process.

  virtualMemory @0;
  # A VirtualMemory for the child's own address space.

  threadControl @1;
  # A ThreadControl for the child's threads.

  threadSpawner @2;
  # A ThreadSpawner for creating threads in the child.

  endpoint @3;
  # A new endpoint served by the child: the child receives its owner
  # facet (Endpoint) and the caller receives a CALL-only client facet in
  # SpawnResult.spawned.clients, so a supervisor can wire importers without
  # ever holding owner authority.

  logSink @4;
  # A LogSink whose source name is the child's SpawnRequest.name.
}

struct CapGrant @0xbe0bf363bdbc0493 {
  # One named capability for the child's CapSet. The child sees its grants
  # in request order, by name, each with its interface id.

  name @0 :Text;
  # CapSet entry name in the child (see maxGrantNameBytes for the rules).

  interfaceId @1 :UInt64;
  # Interface id the child will see for this entry. For `transfer` it must
  # equal the interface id of the transferred capability; for a
  # child-local kind it must equal that kind's interface id (Endpoint's id
  # for `endpoint`). A mismatch is invalidArgument: the child can rely on
  # the id it sees.

  source :union {
    # Where the capability comes from.

    transfer @2 :Capability;
    # A capability the caller holds, passed by a sideband transfer
    # descriptor of the CALL (copy keeps the caller's slot, move empties
    # it). A caller can never grant more than it holds.

    childLocal :group {
      # A fresh kernel object created for the child.

      kind @3 :ChildLocalKind;
      # Which kind of object.

      servedInterfaceId @4 :UInt64;
      # For kind `endpoint`: the interface id the endpoint serves (the
      # interface id of the client facet returned to the caller). Must be
      # 0 for every other kind.
    }
  }
}

struct SpawnRequest @0xa6a62bc1fae50e64 {
  # Parameters of ProcessSpawner.spawn and ProcessLauncher.launch.

  name @0 :Text;
  # Diagnostic process name (shown by `ps` and in logs), 1 to 32 bytes.
  # Not an identity and not authority.

  binaryName @1 :Text;
  # Name of a binary packaged in the boot package. Nothing else can be run.

  grants @2 :List(CapGrant);
  # The child's entire initial authority, at most maxSpawnGrants entries.

  limits @3 :Capos.ResourceLimits;
  # Quota request for the child, or null for the kernel defaults. See
  # ResourceLimits. Each value is also clamped to what the caller itself
  # has left of that resource.

  shareSession @4 :Bool;
  # False (the default): the child gets a fresh session, so servers see it
  # as a different caller. True: the child joins the caller's session
  # (servers see the same caller reference); when the process that created
  # that session ends, calls from the child are delivered as not live.

  runOn @5 :Text;
  # Name of one of `grants`, a transferred SchedulingContext: every thread
  # of the child is bound to it before the child's first instruction.
  # Empty (the default): the child runs on the caller's process context,
  # or unbound when the caller has none. Either way a child can never run
  # outside a context its spawner holds or runs on, so a budget cannot be
  # escaped by spawning. Errors: invalidArgument when the name is not a
  # transferred grant of a SchedulingContext.
}

struct GrantedClient @0xcb3404286bfd295c {
  # A client facet returned to the spawner for a child-local endpoint
  # grant.

  name @0 :Text;
  # The grant name in the child that the endpoint belongs to.

  client @1 :Capability;
  # CALL-only client facet of that endpoint; its interface id is the
  # grant's servedInterfaceId.
}

struct SpawnResult @0xf3bac2953b55b74b {
  # Outcome of ProcessSpawner.spawn and ProcessLauncher.launch.

  union {
    spawned :group {
      # The child exists and is runnable.

      handle @0 :ProcessHandle;
      # Handle for waiting on / killing the child. Non-transferable: it
      # cannot be copied or moved to another process.

      pid @1 :UInt32;
      # Process id of the child (diagnostic).

      clients @2 :List(GrantedClient);
      # One client facet per child-local `endpoint` grant, in grant order.
    }

    binaryNotFound @3 :Void;
    # No packaged binary has that name. Nothing was created.

    notPermitted @4 :Void;
    # The binary exists but this capability may not launch it (returned
    # only by attenuated launchers such as ProcessLauncher). Nothing was
    # created.
  }
}

interface ProcessSpawner @0x8b9e8c8315bc4591 {
  # Starts processes from packaged boot binaries. Held by init (and
  # launcher services built on it). Spawning is one transaction: every
  # resource (address space, cap slots, ledger quota, result caps) is
  # reserved before any side effect, and any failure rolls everything back.
  # The child gets exactly one immutable session: a fresh one, or the
  # caller's when SpawnRequest.shareSession is set.

  spawn @0 SpawnRequest -> SpawnResult;
  # Load `binaryName` into a fresh address space, give it the listed
  # grants, and make it runnable.
  #
  # Params: see SpawnRequest. Results: see SpawnResult.
  # Errors: invalidArgument for a malformed request (bad or duplicate
  # names, too many grants, interface id mismatch, a `transfer` without a
  # matching transfer descriptor, a non-transferable capability, an ELF
  # that fails validation); overloaded if a quota or memory is exhausted.
}

# ---------------------------------------------------------------------------
# Process lifetime
# ---------------------------------------------------------------------------

enum FaultKind @0xfe54e70f7745d779 {
  # CPU exception that killed a process.

  unknown @0;
  # Another exception vector; see Fault.vector.

  pageFault @1;
  # #PF: access to an unmapped page or in violation of its protection.

  generalProtection @2;
  # #GP: privileged instruction, non-canonical address, and similar.

  invalidOpcode @3;
  # #UD: undefined instruction.

  divideError @4;
  # #DE: integer division by zero or overflow.

  breakpoint @5;
  # #BP: int3 executed without a debugger.

  floatingPoint @6;
  # #MF or #XM: unmasked x87 or SIMD floating-point exception.

  alignmentCheck @7;
  # #AC: misaligned access with alignment checking enabled.

  stackSegment @8;
  # #SS: stack segment fault.
}

struct Fault @0x88ba2a1c37ffb4f2 {
  # Details of the CPU exception that killed a process. Only about the
  # child's own execution: no kernel addresses or other processes' data.

  kind @0 :FaultKind;
  # Which exception.

  vector @1 :UInt8;
  # Raw exception vector number.

  address @2 :UInt64;
  # Faulting address (CR2) for pageFault, else 0.

  instructionPointer @3 :UInt64;
  # User RIP at the fault.

  errorCode @4 :UInt64;
  # Raw CPU error code (for pageFault: present/write/user/reserved/fetch
  # bits), or 0 if the exception has none.

  threadId @5 :UInt32;
  # Thread that faulted.
}

enum KillReason @0xa2542a7583b04c50 {
  # Why a process was killed.

  byHandle @0;
  # A ProcessHandle holder called kill.

  systemShutdown @1;
  # The system is shutting down.
}

struct ExitStatus @0xc764f7c5bb101449 {
  # How a process ended.

  union {
    exited @0 :Int64;
    # Normal exit with this code (the exit syscall, the last thread's
    # ThreadControl.exitThread, or the runtime after main returns; a
    # runtime panic exits with the fixed panic code from docs/abi.md).

    faulted @1 :Fault;
    # Killed by a CPU exception.

    killed @2 :KillReason;
    # Killed from outside.
  }
}

interface ProcessHandle @0xd2ccd00c7f7a746a {
  # The spawner's handle on one child process. Non-transferable (only the
  # process that spawned the child holds it). Releasing it does not kill
  # the child. After the child ends only a small completion record remains,
  # reachable only through this handle.

  wait @0 () -> (status :ExitStatus);
  # Complete when the child has ended (at once if it already has).
  #
  # Results: `status` is how it ended. Can be called again after it
  # completed and returns the same status.
  # Errors: failed if another wait on this process is already pending
  # (single waiter).

  kill @1 () -> (outcome :KillOutcome);
  # End the child now. Its authority is released and the capabilities it
  # served become disconnected; a pending wait completes with
  # `killed(byHandle)`.
  #
  # Results: `outcome` says whether it was killed or had already ended.

  info @2 () -> (pid :UInt32, name :Text, binaryName :Text, running :Bool);
  # Diagnostic facts about the child.
  #
  # Results: `pid`, the spawn `name` and `binaryName`, and `running`
  # (false once it has ended).

  enum KillOutcome {
    # Result of ProcessHandle.kill.

    killed @0;
    # The child was running and has been killed.

    alreadyExited @1;
    # The child had already ended; nothing changed.
  }
}

# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------

interface ThreadControl @0xe16dfdf1c287fb41 {
  # Per-process control of the CALLING thread (the thread whose cap_enter
  # processes the call). Granted child-local at spawn to runtimes that
  # manage TLS or threads.

  setFsBase @0 (base :UInt64) -> ();
  # Set the calling thread's FS base (its thread-local storage pointer).
  #
  # Errors: invalidArgument if `base` is not a canonical user address.

  exitThread @1 (code :Int64) -> ();
  # End the calling thread; the call never completes. A pending
  # ThreadHandle.join gets `code`. If this is the process's last thread,
  # the process exits with `code`.

  currentThread @2 () -> (threadId :UInt32);
  # Id of the calling thread (unique within the process).
}

interface SchedulingContext @0xf818165167e6428a {
  # A share of CPU time (docs/scheduling.md). Threads bound to a context
  # are scheduled by its weight (1..1024: a weight-4 thread gets four times
  # the CPU of a weight-1 one when both are busy). A context may also carry
  # a budget per period that the kernel enforces: once the threads bound
  # to it have used `budgetUs` of CPU in the current period, none of them
  # runs until the period renews. A context minted from another charges
  # its parent too, so it can never use more than any ancestor allows.
  # Init gets the root context (weight 1024, no budget); everything else
  # is minted from it. Holding a context is the authority to run on it.

  info @0 () -> (weight :UInt32, budgetUs :UInt32, periodUs :UInt32, usedUs :UInt64, throttled :UInt64);
  # Describe the context.
  #
  # Results: `weight`; `budgetUs` per `periodUs` (both 0 when the context
  # has no budget of its own); `usedUs`, the CPU its threads (and those of
  # contexts minted from it) have used in total; `throttled`, how often a
  # thread bound to it was held back because a budget was used up.

  mint @1 (weight :UInt32, budgetUs :UInt32, periodUs :UInt32) -> (context :SchedulingContext);
  # Create a narrower context: at most this context's weight, and, when
  # this context has a budget, a budget whose share (budgetUs / periodUs)
  # is no larger than this context's. Its CPU time is charged to this
  # context as well.
  #
  # Params: `weight` 1..1024; `budgetUs` 0 for none (then `periodUs` must
  # be 0), else 1000..`periodUs`; `periodUs` 10000..1000000 (the tick is
  # 10 ms, so shorter periods could not be enforced).
  # Errors: invalidArgument for a value out of range, a higher weight or
  # a larger share than this context's, or a chain more than 8 contexts
  # deep; overloaded when kernel memory is exhausted. Nothing is created
  # on an error.

  bindThread @2 () -> ();
  # Bind the calling thread to this context (from its next scheduling
  # decision on).

  bindProcess @3 () -> ();
  # Bind every thread of the calling process, and every thread it starts
  # later, to this context.
}

interface ThreadSpawner @0xeea703d53cf64345 {
  # Creates additional threads inside the holder's own process. All
  # threads share the address space and capability table (identical
  # authority). Granted child-local at spawn.

  spawn @0 (entry :UInt64, stackTop :UInt64, arg :UInt64, fsBase :UInt64) -> (thread :ThreadHandle, threadId :UInt32);
  # Start a thread at `entry`.
  #
  # Params: `entry` is a user code address; `stackTop` the initial stack
  # pointer (16-byte aligned, inside memory the caller mapped); `arg` is
  # passed in the first argument register; `fsBase` the new thread's FS
  # base (0 for none). The full register convention, including the new
  # thread's own completion ring, is in docs/abi.md.
  # Results: `thread` is a process-local handle; `threadId` its id.
  # Errors: invalidArgument for non-canonical or kernel addresses or a
  # misaligned stack; overloaded if the thread or kernel-stack quota is
  # exhausted.
}

interface ThreadHandle @0x95eafb89219a065c {
  # Handle on one thread of the holder's process. Releasing the handle
  # detaches the thread (it keeps running; its exit code is discarded).

  join @0 () -> (exitCode :Int64);
  # Complete when the thread has exited (at once if it already has).
  #
  # Results: `exitCode` as passed to ThreadControl.exitThread.
  # Errors: failed if another join on this thread is already pending.

  info @1 () -> (threadId :UInt32, running :Bool);
  # The thread's id and whether it is still running.
}
