// Intel VT-d DMA remapping (ACPI DMAR). When firmware reports a unit the
// kernel turns translation on at boot with an empty root table, so every
// device's DMA is blocked until a driver gets a DmaPool: then that one
// function gets its own domain (a context entry and second-level page
// tables) holding exactly the pool's pages at the pool's IOVAs. A DMA
// anywhere else faults in the unit; the fault interrupt only records and
// raises deferred::IOMMU_FAULT, and the deferred work logs each fault
// and hands it to the domain's owner (which stops the driver).
// docs/devices.md.
#pragma once

#include <stdint.h>

#include "kernel/sched/kernel_lock.h"
#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::iommu {

struct Domain;
// Called from deferred work for each fault a domain's device caused.
using FaultFn = void (*)(void* owner, uint64_t iova, uint8_t reason, bool write);

// Finds DMAR and enables translation (all DMA blocked). NotFound without
// a DMAR; other errors leave translation off.
Status init(uint64_t rsdp_hint);
bool active();

// A fresh, empty domain for function (bus, devfn): its DMA now faults
// everywhere until map(). At most one domain per function.
Result<Domain*> create_domain(uint8_t bus, uint8_t devfn, FaultFn on_fault, void* owner);
// Maps one page read-write for the device at `iova` (page-aligned,
// below 2^39). OutOfMemory if a table frame cannot be allocated.
Status map(Domain* d, uint64_t iova, uint64_t phys);
// Removes one page mapped by map() (nothing if it is not mapped).
void unmap(Domain* d, uint64_t iova);
// Creates every table the range [iova, iova + pages * 4096) needs, so
// map_range there allocates nothing. Returns how many table frames were
// new (the caller charges them; they go with destroy_domain).
Result<uint32_t> prepare_range(Domain* d, uint64_t iova, uint64_t pages);
// Maps phys[i] at iova + i * 4096 (a prepare_range'd range), read-only
// for the device unless `writable`, then invalidates the domain's IOTLB
// once. InvalidArgument (nothing mapped) outside a prepared range.
Status map_range(Domain* d, uint64_t iova, Span<const uint64_t> phys, bool writable);
// Clears `pages` entries from `iova` and invalidates the domain's IOTLB
// (reads and writes drained) before it returns: the device cannot reach
// those pages afterwards.
void unmap_range(Domain* d, uint64_t iova, uint64_t pages);
// Blocks the function's DMA again and frees the domain's tables.
void destroy_domain(Domain* d);

// Deferred work: drains the fault recording registers.
void handle_faults() CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::iommu
