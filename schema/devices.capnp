@0xa1dabf3ec68d35d8;
# Device authority and block storage. The kernel enumerates PCI(e) and
# hands out authority over one device at a time; drivers are userspace
# services. DeviceManager (kernel kind deviceManager) claims a function and
# returns a DeviceMmio for it; from that come the function's Interrupt
# vectors and its DmaPool. Nothing here ever reveals a physical address
# except the IOVAs a DmaPool hands out for its own buffers (without an
# IOMMU those are physical addresses, which is why DMA then needs the
# manifest's explicit opt-in). BlockDevice is served by storage drivers
# (virtio-blk, NVMe). docs/devices.md.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

using Memory = import "memory.capnp";

const maxMmioMapBytes :UInt64 = 1048576;
# Largest range one DeviceMmio.map call maps.

const maxDmaPoolPages :UInt32 = 1024;
# Most pages one DmaPool may hold in all (each also counts against the
# holder's frame-page quota).

const maxDmaAllocatePages :UInt32 = 64;
# Most pages one DmaPool.allocate call returns.

const maxDmaPinPages :UInt32 = 256;
# Most pages one DmaPool.pin call makes device-visible (1 MiB).

const maxDmaPins :UInt32 = 32;
# Most pins one DmaPool holds at once.

const maxBlockTransferBytes :UInt32 = 8192;
# Largest `data` of one BlockDevice.write and largest read of one
# BlockDevice.read: the data travels inside the message.

const maxBulkTransferBytes :UInt32 = 1048576;
# Largest transfer of one BlockDevice.readBulk or writeBulk: the data
# travels in a MemoryObject the caller attaches, not in the message.

struct PciAddress @0x9bde58c40ef93b2d {
  # Where a PCI function sits on segment 0.

  bus @0 :UInt8;
  # Bus number.

  device @1 :UInt8;
  # Device number, 0 to 31.

  function @2 :UInt8;
  # Function number, 0 to 7.
}

enum BarKind @0xc34ca0ac936be6e0 {
  # What a base address register decodes.

  none @0;
  # Not implemented (or the upper half of a 64-bit BAR).

  memory @1;
  # A memory window (32- or 64-bit); mappable with DeviceMmio.map.

  io @2;
  # An I/O port window. Not mappable; no capability grants port access yet.
}

struct BarInfo @0xd7b9fa8644def176 {
  # One BAR of a function, without its address.

  kind @0 :BarKind;
  # What the BAR decodes.

  size @1 :UInt64;
  # Size in bytes (a power of two), 0 when `kind` is none.

  prefetchable @2 :Bool;
  # Memory BAR marked prefetchable.
}

struct DeviceInfo @0xe20a6ed1ceb24d95 {
  # What the kernel learned about one PCI function at boot.

  address @0 :PciAddress;
  # Location of the function.

  vendorId @1 :UInt16;
  # PCI vendor id.

  deviceId @2 :UInt16;
  # PCI device id.

  classCode @3 :UInt8;
  # Base class (0x01 mass storage, 0x02 network, ...).

  subclass @4 :UInt8;
  # Subclass within the base class.

  progIf @5 :UInt8;
  # Programming interface.

  bars @6 :List(BarInfo);
  # The BARs by index: 6 for a device, 2 for a bridge.

  msixVectors @7 :UInt16;
  # MSI-X table entries, 0 without MSI-X.

  claimed @8 :Bool;
  # True while a DeviceMmio for the function exists.
}

struct DeviceMatch @0xea1d18b45415b02c {
  # Which functions a narrowed DeviceManager covers: one PCI identity.

  vendorId @0 :UInt16;
  # PCI vendor id the function must have.

  deviceId @1 :UInt16;
  # PCI device id the function must have.
}

const maxDeviceMatches :UInt32 = 8;
# Most DeviceMatch entries one narrowed DeviceManager holds.

interface DeviceManager @0xfb8a2930944ea952 {
  # Every PCI function the kernel enumerated. Held by init (manifest kernel
  # kind deviceManager) and by the drivers it grants it to. A function has
  # at most one owner at a time: its DeviceMmio.

  list @0 () -> (devices :List(DeviceInfo));
  # Describe every enumerated function, in bus order.
  #
  # Results: `devices`, at most 64 entries.

  claim @1 (address :PciAddress) -> (device :DeviceMmio);
  # Take ownership of one function. Its memory decoding is switched on;
  # bus mastering (DMA) stays off until a DmaPool is created.
  #
  # Params: `address` of an enumerated function that is not a bridge.
  # Results: `device`, a result capability. The claim ends when the last
  # reference to it (the capability, its mappings, Interrupts and DmaPool)
  # is gone; the function's decoding, bus mastering and MSI-X are then
  # switched off.
  # Errors: invalidArgument for an address with no function or a bridge;
  # overloaded if the function is already claimed; invalidArgument with
  # the message `permission-denied` for a function this (narrowed)
  # DeviceManager does not cover.

  narrow @2 (matches :List(DeviceMatch)) -> (manager :DeviceManager);
  # A DeviceManager that lists and claims only the functions matching one
  # of `matches`: what init grants a driver (the manifest's `devices` on a
  # deviceManager cap), so the driver can take its own device and no
  # other.
  #
  # Params: `matches`, 1 to maxDeviceMatches entries; on an already narrowed
  # DeviceManager each must be one of its own matches (authority only
  # shrinks).
  # Results: `manager`, a result capability.
  # Errors: invalidArgument for an empty or too long list, and with the
  # message `permission-denied` for a match this DeviceManager does not
  # cover.
}

interface DeviceMmio @0x844bc89b86da27ad {
  # Authority over one claimed PCI function: its memory BARs, read access
  # to its config space, its MSI-X vectors and its DMA pool. Never another
  # function's.

  info @0 () -> (info :DeviceInfo);
  # Describe the function (as DeviceManager.list does).

  readConfig @1 (offset :UInt16) -> (value :UInt32);
  # Read one dword of the function's config space (capabilities such as
  # virtio's vendor capabilities live there). Writes are the kernel's.
  #
  # Params: `offset` is 4-byte aligned and below 4096.
  # Errors: invalidArgument otherwise.

  map @2 (bar :UInt8, offset :UInt64, size :UInt64) -> (addr :UInt64);
  # Map [offset, offset+size) of memory BAR `bar` into the CALLER's address
  # space, uncached, read-write, never executable. The mapping keeps the
  # claim alive; remove it with unmap.
  #
  # Params: `offset` and `size` are page multiples, 0 < size <=
  # maxMmioMapBytes, inside the BAR.
  # Results: `addr`, where the range is mapped.
  # Errors: invalidArgument for a BAR that is not a memory BAR of this
  # function, a range outside it, unaligned values, or a range that
  # overlaps the pages of the MSI-X table or pending-bit array (only the
  # kernel programs interrupt messages); overloaded if no address range
  # is free.

  unmap @3 (addr :UInt64) -> ();
  # Remove a mapping made by map that starts at `addr`.
  #
  # Errors: invalidArgument if no mapping of this device starts there.

  interrupt @4 (entry :UInt16) -> (irq :Interrupt);
  # Route MSI-X table entry `entry` to a kernel vector and return it as an
  # Interrupt. Enables MSI-X on the function (legacy INTx is disabled).
  #
  # Params: `entry` below DeviceInfo.msixVectors.
  # Results: `irq`, a result capability. Releasing it masks the entry.
  # Errors: unimplemented without MSI-X; invalidArgument for an entry out
  # of range or already routed; overloaded when no kernel vector is free.

  dmaPool @5 (maxPages :UInt32) -> (pool :DmaPool);
  # Create the function's DMA pool and switch its bus mastering on.
  # With an IOMMU each pool is the device's whole DMA domain. Without one
  # the device can reach all memory, so the kernel refuses unless the boot
  # manifest sets kernelParams.dmaWithoutIommu (and then logs a warning
  # for every pool).
  #
  # Params: `maxPages`, 1 to maxDmaPoolPages: the most pages the pool will
  # ever hold.
  # Results: `pool`, a result capability; one pool per claim.
  # Errors: invalidArgument for a bad `maxPages` or if the claim already
  # has a pool; unimplemented when DMA is refused for want of an IOMMU.
}

interface Interrupt @0xab23a91be7c8ab48 {
  # One MSI-X vector of a claimed device. The interrupt handler only
  # acknowledges and counts; a pending wait completes at the kernel's next
  # deferred-work point.

  wait @0 () -> (count :UInt64);
  # Wait until the vector has fired since the last wait returned. The call
  # stays pending (the ring keeps running) until then.
  #
  # Results: `count`, how many times it fired since the last wait (at
  # least 1; several interrupts may be folded into one completion).
  # Errors: overloaded if a wait is already pending on this Interrupt.
}

interface DmaPool @0x85df932ef85f937a {
  # Memory the claimed device may reach, charged to the frame-page quota
  # of the process that allocates it. Buffers stay allocated (and
  # device-visible) until the pool itself goes; the device's bus mastering
  # is switched off before the pool's frames are freed.

  allocate @0 (pageCount :UInt32) -> (buffer :Memory.MemoryObject, iovas :List(UInt64));
  # Allocate `pageCount` zeroed pages the device may read and write.
  #
  # Params: `pageCount`, 1 to maxDmaAllocatePages.
  # Results: `buffer`, a MemoryObject to map into the driver (result
  # capability); `iovas`, one device-visible address per page, in order
  # (pages are not necessarily contiguous for the device).
  # Errors: invalidArgument for a bad `pageCount`; overloaded past the
  # pool's maxPages or the caller's frame-page quota.

  info @1 () -> (maxPages :UInt32, usedPages :UInt32, isolated :Bool);
  # Size of the pool and whether an IOMMU confines the device to it.

  pin @2 (buffer :Memory.MemoryObject, offset :UInt64, pageCount :UInt32, deviceWrites :Bool)
      -> (pin :UInt32, iovas :List(UInt64));
  # Make pages of a MemoryObject someone gave the driver (e.g. a
  # BlockDevice.readBulk caller's buffer) reachable by the device until
  # unpin: the device then reads or writes the caller's memory directly,
  # with no copy through the pool. With an IOMMU the pages are mapped
  # into this device's domain only, in a window of the pool's IOVA space
  # that no other pin shares, read-only unless `deviceWrites`; without
  # one (the manifest's dmaWithoutIommu opt-in) the device addresses
  # them physically. The pin keeps the object's frames alive (a caller
  # that exits or releases its capability meanwhile frees nothing the
  # device may still touch); the IOMMU tables of the pin window are
  # charged to the pinning process's frame-page quota at the first pin.
  #
  # Params: `buffer` (capability: a MemoryObject, or a not yet revoked
  # wrapper of one); `offset`, page-aligned, and `pageCount`, 1 to
  # maxDmaPinPages, within the object; `deviceWrites`: the device may
  # write the pages (a read from disk), else it may only read them.
  # Results: `pin`, the handle for unpin; `iovas`, one device address
  # per page, in order.
  # Errors: invalidArgument for a missing or non-MemoryObject buffer or a
  # range outside it; disconnected for a revoked wrapper or a pool whose
  # device faulted; overloaded when maxDmaPins pins are out or the
  # caller's quota cannot pay for the window's tables.

  unpin @3 (pin :UInt32) -> ();
  # End a pin: the pages leave the device's domain and the IOMMU's
  # translation caches are invalidated before this returns, so the device
  # can no longer reach them; then the pin's hold on the object goes.
  #
  # Params: `pin`, a handle pin returned that is still pinned.
  # Errors: invalidArgument for any other handle.
}

struct BlockInfo @0xae657ecdb607eb19 {
  # Geometry of a block device.

  blockSize @0 :UInt32;
  # Bytes per block (512 for virtio-blk; the namespace's LBA size for NVMe).

  blockCount @1 :UInt64;
  # Number of blocks.

  readOnly @2 :Bool;
  # Writes are refused.

  maxInFlight @3 :UInt32;
  # Most device requests the driver keeps in flight at once.

  model @4 :Text;
  # Driver and device, e.g. "virtio-blk" or "nvme".
}

interface BlockDevice @0xfe28b9ee642e5fd1 {
  # A disk served by a userspace driver. Addresses are in blocks of
  # BlockInfo.blockSize; every request is checked against the device size
  # before it reaches the device. A driver that dies leaves its callers'
  # pending calls failing with disconnected.

  info @0 () -> (info :BlockInfo);
  # Geometry and limits.

  read @1 (lba :UInt64, blocks :UInt32) -> (data :Data);
  # Read `blocks` blocks starting at `lba`.
  #
  # Params: 1 <= blocks, blocks * blockSize <= maxBlockTransferBytes,
  # lba + blocks <= blockCount.
  # Results: `data`, exactly blocks * blockSize bytes.
  # Errors: invalidArgument for a range outside the device or a bad
  # length; failed when the device reports an error.

  write @2 (lba :UInt64, data :Data) -> ();
  # Write `data` (a whole number of blocks, at most maxBlockTransferBytes)
  # starting at `lba`. Durable only after flush.
  #
  # Errors: invalidArgument for a range outside the device or a length
  # that is zero or not a block multiple; failed on a device error or a
  # read-only device.

  flush @3 () -> ();
  # Make every completed write durable.
  #
  # Errors: failed on a device error.

  discard @4 (lba :UInt64, blocks :UInt32) -> ();
  # Tell the device the range's contents are no longer needed; reads of it
  # afterwards return zeroes or the old data.
  #
  # Errors: invalidArgument for a range outside the device; unimplemented
  # when the device has no discard.

  readBulk @5 (lba :UInt64, blocks :UInt32, buffer :Memory.MemoryObject, offset :UInt64) -> ();
  # Read `blocks` blocks starting at `lba` into the caller's `buffer`
  # (attached to the call; the driver maps it only while the request is
  # out and keeps no reference afterwards) at byte `offset`. Large
  # transfers without the per-message limit: the driver splits them into
  # device commands of at most 256 KiB and answers when all are done.
  #
  # Params: 1 <= blocks, blocks * blockSize <= maxBulkTransferBytes,
  # lba + blocks <= blockCount, offset + blocks * blockSize <= the
  # buffer's size.
  # Errors: invalidArgument for a range outside the device, a bad length,
  # a missing buffer or one too small for `offset` plus the data;
  # unimplemented when the driver cannot do bulk transfers; failed when
  # the device reports an error (the buffer may then hold partial data).

  writeBulk @6 (lba :UInt64, blocks :UInt32, buffer :Memory.MemoryObject, offset :UInt64) -> ();
  # Write `blocks` blocks starting at `lba` from the caller's `buffer` at
  # byte `offset` (as readBulk; the driver maps the buffer read-only).
  # Durable only after flush.
  #
  # Errors: as readBulk; failed also on a read-only device.
}
