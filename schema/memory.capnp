@0x8fb350bb8e17ee29;
# Memory authority: VirtualMemory (anonymous memory in the caller's own
# address space), FrameAllocator (physical frames, only ever handed out as
# MemoryObject capabilities) and MemoryObject (a shareable set of frames).
# No interface here ever reveals a physical address. Every page is charged
# to the holder's resource ledger before it is handed out.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

const pageSize :UInt32 = 4096;
# Size in bytes of a page. Every address and size in this file must be a
# multiple of it.

struct Protection @0x9d8b127fedbad474 {
  # Access rights of a user mapping, as a set of flags. All false means
  # "no access" (a guard or reserved range). Writable and executable at the
  # same time is refused everywhere (W^X) with invalidArgument. Chosen as a
  # struct of Bools rather than an integer bit mask so every flag is named
  # in the schema and new flags can be appended compatibly.

  read @0 :Bool;
  # Pages may be read. Implied by write or execute on x86_64; a mapping
  # with write or execute but not read is accepted and treated as readable.

  write @1 :Bool;
  # Pages may be written. Not allowed together with execute.

  execute @2 :Bool;
  # Instructions may be fetched from the pages. Not allowed together with
  # write.
}

interface VirtualMemory @0xb93e05d3799c7711 {
  # Anonymous memory in the CALLER's own address space (the process that
  # invokes the capability, whoever granted it). Each process normally gets
  # its own child-local VirtualMemory at spawn. Ranges are checked against
  # the user half and the ring, CapSet, TLS and stack regions; a call that
  # fails changes nothing (partial work is rolled back). New pages are
  # always zero-filled.
  #
  # Two ways to get memory: `map` reserves and commits in one step;
  # `reserve` takes address space only, and `commit`/`decommit` then add or
  # drop the frames behind parts of it (the Go-runtime model). `unmap`
  # releases both kinds of range.
  #
  # Common errors: invalidArgument for zero or unaligned sizes and
  # addresses, overflowing ranges, ranges outside the user half or over
  # kernel-managed regions, ranges not owned through this capability, and
  # writable+executable protection; overloaded when the process's
  # frame-page or virtual-page quota, or free memory, is exhausted.

  map @0 (hint :UInt64, size :UInt64, prot :Protection) -> (addr :UInt64);
  # Reserve and commit `size` bytes of zeroed memory with protection `prot`.
  #
  # Params: `hint` is a preferred page-aligned start address, or 0 to let
  # the kernel choose; when the hinted range is not free the kernel chooses
  # another one (the hint is never an error unless it is unaligned or
  # outside the user half). `size` is a non-zero multiple of pageSize.
  # Results: `addr` is the start of the new range.

  unmap @1 (addr :UInt64, size :UInt64) -> ();
  # Remove pages in [addr, addr+size) that were created by `map` or
  # `reserve` through this capability, freeing their frames and
  # reservations. May cut a hole in a larger range.
  #
  # Errors: invalidArgument if any page in the range was not created
  # through this capability (including MemoryObject mappings, which use
  # MemoryObject.unmap).

  protect @2 (addr :UInt64, size :UInt64, prot :Protection) -> ();
  # Change the protection of committed pages in [addr, addr+size).
  #
  # Errors: invalidArgument if any page is not committed anonymous memory
  # of this capability, or `prot` is writable+executable.

  reserve @3 (hint :UInt64, size :UInt64) -> (addr :UInt64);
  # Reserve `size` bytes of address space without committing frames. The
  # range is inaccessible until committed and is charged to the process's
  # virtual-page quota.
  #
  # Params: `hint` and `size` as for `map`.
  # Results: `addr` is the start of the reservation.

  commit @4 (addr :UInt64, size :UInt64, prot :Protection) -> ();
  # Back [addr, addr+size) inside a reservation with zeroed frames, mapped
  # with `prot`. Pages that are already committed are left unchanged.
  #
  # Errors: invalidArgument if the range is not entirely inside
  # reservations made through this capability.

  decommit @5 (addr :UInt64, size :UInt64) -> ();
  # Free the frames behind committed pages in [addr, addr+size) but keep
  # the address range reserved (inaccessible). A later `commit` yields
  # zeroed pages again.
  #
  # Errors: invalidArgument if the range is not entirely inside
  # reservations made through this capability.
}

interface FrameAllocator @0xa41da258c70bbd66 {
  # Source of physical frames, handed out only as MemoryObject
  # capabilities (never as physical addresses). Not DMA authority: a
  # MemoryObject cannot be given to a device.

  allocate @0 (pageCount :UInt32) -> (memory :MemoryObject);
  # Allocate `pageCount` zeroed frames as a new MemoryObject.
  #
  # The frames are charged to the frame-page quota of whoever holds the
  # MemoryObject and are freed when the last capability to it is released
  # and no mapping of it remains.
  # Params: `pageCount` is at least 1.
  # Results: `memory` is the new object (a result capability; see
  # schema/README.md for how result capabilities travel).
  # Errors: invalidArgument if `pageCount` is 0; overloaded if the quota or
  # free memory is exhausted.
}

interface MemoryObject @0xde7d468ec488717b {
  # A fixed set of physical frames that can be mapped into one or more
  # address spaces and passed to other processes (copy or move) to share
  # memory. Holding it charges its pages to the holder. A mapping keeps the
  # frames alive: the frames are freed only when the last capability is
  # released AND the last mapping is gone (unmapped or its process exited),
  # so releasing the capability while mapped never leaves a dangling
  # mapping.

  info @0 () -> (pageCount :UInt32, sizeBytes :UInt64);
  # Size of the object.
  #
  # Results: `pageCount` frames; `sizeBytes` = pageCount * pageSize.

  map @1 (hint :UInt64, prot :Protection) -> (addr :UInt64);
  # Map the whole object into the CALLER's address space.
  #
  # Params: `hint` is a preferred page-aligned address or 0 (as for
  # VirtualMemory.map); `prot` the protection of the mapping.
  # Results: `addr` is where the object is mapped. Mapping the same object
  # twice gives two independent mappings of the same frames.
  # Errors: invalidArgument for an unaligned hint or writable+executable
  # `prot`; overloaded if no address range is free.

  unmap @2 (addr :UInt64) -> ();
  # Remove the mapping of this object that starts at `addr` from the
  # caller's address space.
  #
  # Errors: invalidArgument if no mapping of this object starts at `addr`.
}
