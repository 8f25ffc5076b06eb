#include "kernel/objects/vm_cap.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"

namespace capos {

namespace wire = schema::wire;

uint8_t decode_prot(wire::Protection::Reader p) {
  uint8_t v = 0;
  if (p.getWrite()) v |= mm::kProtWrite | mm::kProtRead;
  if (p.getExecute()) v |= mm::kProtExec | mm::kProtRead;
  if (p.getRead()) v |= mm::kProtRead;
  return v;
}


void VmCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Result<AddressSpace*> VmCap::space() {
  Process& caller = current_call().caller;
  if (caller.pid() != pid_) return fail(Err::PermissionDenied);  // -> invalidArgument
  return &caller.address_space();
}

Status VmCap::map(VM::MapParams::Reader p, VM::MapResults::Builder r) {
  AddressSpace* as = CAPOS_TRY(space());
  r.setAddr(CAPOS_TRY(as->vm_map(UserAddr(p.getHint()), p.getSize(), CAPOS_TRY(prot_of(p)))).raw());
  return {};
}

Status VmCap::unmap(VM::UnmapParams::Reader p, VM::UnmapResults::Builder) {
  AddressSpace* as = CAPOS_TRY(space());
  UserAddr addr(p.getAddr());
  CAPOS_TRY_STATUS(preflight_address_change(addr, p.getSize()));
  CAPOS_TRY_STATUS(as->vm_unmap(addr, p.getSize()));
  current_call().caller.parks().address_removed(addr, p.getSize());  // parked words there: cancelled
  return {};
}

Status VmCap::protect(VM::ProtectParams::Reader p, VM::ProtectResults::Builder) {
  AddressSpace* as = CAPOS_TRY(space());
  UserAddr addr(p.getAddr());
  CAPOS_TRY_STATUS(preflight_address_change(addr, p.getSize()));
  return as->vm_protect(addr, p.getSize(), CAPOS_TRY(prot_of(p)));
}

Status VmCap::reserve(VM::ReserveParams::Reader p, VM::ReserveResults::Builder r) {
  AddressSpace* as = CAPOS_TRY(space());
  r.setAddr(CAPOS_TRY(as->vm_reserve(UserAddr(p.getHint()), p.getSize())).raw());
  return {};
}

Status VmCap::commit(VM::CommitParams::Reader p, VM::CommitResults::Builder) {
  AddressSpace* as = CAPOS_TRY(space());
  return as->vm_commit(UserAddr(p.getAddr()), p.getSize(), CAPOS_TRY(prot_of(p)));
}

Status VmCap::decommit(VM::DecommitParams::Reader p, VM::DecommitResults::Builder) {
  AddressSpace* as = CAPOS_TRY(space());
  UserAddr addr(p.getAddr());
  CAPOS_TRY_STATUS(preflight_address_change(addr, p.getSize()));
  CAPOS_TRY_STATUS(as->vm_decommit(addr, p.getSize()));
  current_call().caller.parks().address_removed(addr, p.getSize());
  return {};
}

}  // namespace capos
