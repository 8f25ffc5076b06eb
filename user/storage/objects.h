// fsd's object table: every Directory or File capability fsd hands out is
// a client facet of its own endpoint, so a capability names exactly one
// object with exactly its rights (a forged number cannot reach another).
// One loop keeps a RECV posted on every object's endpoint and serves
// whichever call arrives, one at a time. Objects end by `close` (the
// endpoint goes, every copy of the capability fails disconnected); the
// table is bounded, and a full table answers overloaded.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/capnp/rpc.h"
#include "lib/fs/fs.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::storage {

constexpr uint32_t kMaxObjects = 16;

enum class ObjKind : uint8_t { Dir, File, Store, Namespace };

// Longest prefix of a narrowed Namespace (Namespace.sub).
constexpr uint32_t kMaxNsPrefix = 64;

struct Object {
  bool used = false;
  ObjKind kind = ObjKind::Dir;
  bool writable = false;
  bool granted = false;  // served on a manifest endpoint: close is refused
  bool closing = false;  // answered close: the endpoint goes after the RETURN
  bool armed = false;    // a RECV is posted
  fs::NodeRef node;      // Dir/File: the node; Store: its directory; Namespace: the scope
  uint32_t ep = 0;       // owner facet in our cap table
  uint64_t recv_ud = 0;
  // Namespace only: the directory holding its binding records, and the
  // prefix every name it sees is under.
  fs::NodeRef records;
  uint8_t prefix_len = 0;
  char prefix[kMaxNsPrefix];
};

class ObjectTable {
 public:
  explicit ObjectTable(rt::Cap<schema::wire::EndpointFactory> eps) : eps_(eps) {}
  // Serves an object on an owner endpoint we were granted.
  Status add_granted(rt::Cap<schema::wire::Endpoint> ep, ObjKind kind, bool writable, fs::NodeRef node);
  // Makes a new object on a fresh endpoint; returns the client facet's cap
  // id (ours, to be moved to the caller). Overloaded when the table is full.
  Result<uint32_t> create(ObjKind kind, bool writable, fs::NodeRef node);
  // The object made last (by create or add_granted), to fill in the
  // Namespace fields.
  Object& last_made() { return objects_[last_]; }
  // The object whose call is being served.
  Object& current() { return objects_[current_]; }
  // Serves forever; returns only if the ring breaks.
  Status serve(capnp::Server& dir_server, capnp::Server& file_server, capnp::Server& store_server,
               capnp::Server& ns_server);

 private:
  int32_t free_slot() const;
  void drop(uint32_t i);

  rt::Cap<schema::wire::EndpointFactory> eps_;
  Object objects_[kMaxObjects];
  uint32_t current_ = 0;
  uint32_t last_ = 0;
  // Objects made during the current call, with the client facets moved to
  // the caller: undone if the RETURN cannot deliver them.
  uint32_t made_[kMaxObjects];
  uint32_t made_clients_[kMaxObjects];
  uint32_t n_made_ = 0;
};

}  // namespace capos::storage
