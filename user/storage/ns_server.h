// Namespace over a Volume: persistent names bound to directories, files
// and blobs. A Namespace object has a scope (the directory every binding
// path starts from; nothing above it can be named), a record directory
// (one file per bound name, user/storage/ns_record.h) and a prefix (a
// narrower Namespace sees only the names under it). Bindings are synced
// before bind and unbind answer, so they survive a reboot. A read-only
// Namespace refuses bind/unbind and hands out only read-only objects.
#pragma once

#include "schema/storage.capnp.capos.h"
#include "user/storage/fs_servers.h"

namespace capos::storage {

class NsServer final : public schema::wire::Namespace::Server {
 public:
  explicit NsServer(FsContext& cx) : cx_(cx) {}
  using N = schema::wire::Namespace;
  Status bind(N::BindParams::Reader p, N::BindResults::Builder r) override;
  Status resolve(N::ResolveParams::Reader p, N::ResolveResults::Builder r) override;
  Status unbind(N::UnbindParams::Reader p, N::UnbindResults::Builder r) override;
  Status list(N::ListParams::Reader p, N::ListResults::Builder r) override;
  Status sub(N::SubParams::Reader p, N::SubResults::Builder r) override;
  Status close(N::CloseParams::Reader p, N::CloseResults::Builder r) override;

 private:
  FsContext& cx_;
};

}  // namespace capos::storage
