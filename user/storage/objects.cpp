#include "user/storage/objects.h"

#include "lib/abi/ring.h"
#include "schema/storage.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/recv_wait.h"
#include "user/rt/ring.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"

namespace capos::storage {

namespace wire = schema::wire;

namespace {

// One RECV buffer per object: a call may arrive on any of them.
alignas(16) uint8_t g_recv[kMaxObjects][abi::RECV_BUFFER_MAX];

void push(const abi::CapSqe& s) {
  while (!rt::ring().push(s)) (void)rt::ring().enter(0, abi::CAP_ENTER_NO_WAIT);
}

// RECV failures that concern one call only; the endpoint stays usable.
bool per_call_error(int32_t r) {
  return r == abi::CAP_ERR_INVALID_PARAMS_BUFFER || r == abi::CAP_ERR_QUOTA_EXCEEDED ||
         r == abi::CAP_ERR_OVERLOADED || r == abi::CAP_ERR_INVALID_TRANSFER;
}

}  // namespace

int32_t ObjectTable::free_slot() const {
  for (uint32_t i = 0; i < kMaxObjects; ++i)
    if (!objects_[i].used) return static_cast<int32_t>(i);
  return -1;
}

Status ObjectTable::add_granted(rt::Cap<wire::Endpoint> ep, ObjKind kind, bool writable, fs::NodeRef node) {
  int32_t i = free_slot();
  if (i < 0) return fail(Err::Overloaded);
  objects_[i] = Object{true, kind, writable, true, false, false, node, ep.id(), 0, {}, 0, {}};
  last_ = static_cast<uint32_t>(i);
  return {};
}

Result<uint32_t> ObjectTable::create(ObjKind kind, bool writable, fs::NodeRef node) {
  int32_t i = free_slot();
  if (i < 0) {
    rt::set_error_message("too many open files and directories: close some");
    return fail(Err::Overloaded);
  }
  alignas(8) uint8_t pbuf[128];
  alignas(8) uint8_t rbuf[256];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto p = CAPOS_TRY(wire::EndpointFactory::Client::createParams(params));
  p.setServedInterfaceId(kind == ObjKind::Dir         ? wire::Directory::kInterfaceId
                         : kind == ObjKind::Namespace ? wire::Namespace::kInterfaceId
                                                      : wire::File::kInterfaceId);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(eps_, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec, 2), &n));
  // Records in result order: the owner facet, then the client facet.
  if (n != 2 || !rt::record_cap<wire::Endpoint>(rec[0])) {
    for (uint32_t k = 0; k < n; ++k) rt::release_cap(rec[k].cap_id);
    return fail(Err::Corrupt);
  }
  const uint32_t owner = 0, client = 1;
  objects_[i] = Object{true, kind, writable, false, false, false, node, rec[owner].cap_id, 0, {}, 0, {}};
  last_ = static_cast<uint32_t>(i);
  made_[n_made_] = static_cast<uint32_t>(i);
  made_clients_[n_made_++] = rec[client].cap_id;
  return rec[client].cap_id;
}

void ObjectTable::drop(uint32_t i) {
  rt::release_cap(objects_[i].ep);
  objects_[i] = Object{};
}

Status ObjectTable::serve(capnp::Server& dir_server, capnp::Server& file_server, capnp::Server& store_server,
                          capnp::Server& ns_server) {
  for (;;) {
    for (uint32_t i = 0; i < kMaxObjects; ++i) {
      Object& o = objects_[i];
      if (!o.used || o.armed) continue;
      abi::CapSqe recv{};
      recv.opcode = abi::CAP_OP_RECV;
      recv.cap_id = o.ep;
      recv.result_addr = reinterpret_cast<uint64_t>(g_recv[i]);
      recv.result_len = sizeof(g_recv[i]);
      recv.user_data = o.recv_ud = rt::ring().next_user_data();
      push(recv);
      o.armed = true;
    }
    uint64_t posted[kMaxObjects] = {};
    for (uint32_t i = 0; i < kMaxObjects; ++i)
      if (objects_[i].armed) posted[i] = objects_[i].recv_ud;
    auto waited = rt::wait_any_recv(posted);
    if (!waited) return fail(waited.error());
    const uint32_t ready = waited.value().index;
    const abi::CapCqe c = waited.value().cqe;
    Object& o = objects_[ready];
    o.armed = false;
    if (c.result < 0) {
      if (!per_call_error(c.result)) drop(ready);  // the endpoint is gone
      continue;
    }
    if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) continue;
    current_ = static_cast<uint32_t>(ready);
    n_made_ = 0;
    const auto call = *reinterpret_cast<const abi::EndpointMessageHeader*>(g_recv[ready]);
    capnp::Server& server = o.kind == ObjKind::Dir         ? dir_server
                            : o.kind == ObjKind::File      ? file_server
                            : o.kind == ObjKind::Namespace ? ns_server
                                                           : store_server;
    abi::CapSqe ret = rt::handle_call(o.ep, g_recv[ready], c.result, server);
    ret.user_data = rt::ring().next_user_data();
    abi::CapCqe done = rt::ring().call(ret);
    (void)rt::finish_return(ret, call, done);  // a caller that vanished is no reason to stop
    if (done.result < 0 || ret.flags & abi::SQE_F_EXCEPTION) {
      // The caller never got the new objects (an exception carries no
      // caps, and a failed RETURN left the moved facets with us).
      for (uint32_t k = 0; k < n_made_; ++k) {
        rt::release_cap(made_clients_[k]);
        drop(made_[k]);
      }
    }
    if (objects_[ready].closing) drop(ready);
  }
}

}  // namespace capos::storage
