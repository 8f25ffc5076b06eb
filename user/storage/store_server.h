// Store over a directory of a Volume: each blob is a file whose name is
// the 64-hex-digit SHA-256 of its bytes, in the directory the Store
// object was granted on (fsd endpoint "store.<name>" or "rostore.<name>").
// The key is computed here, never taken from the client, so a name
// always says what its file holds. A read-only Store refuses put/remove.
#pragma once

#include "schema/storage.capnp.capos.h"
#include "user/storage/fs_servers.h"

namespace capos::storage {

class StoreServer final : public schema::wire::Store::Server {
 public:
  explicit StoreServer(FsContext& cx) : cx_(cx) {}
  using S = schema::wire::Store;
  Status put(S::PutParams::Reader p, S::PutResults::Builder r) override;
  Status get(S::GetParams::Reader p, S::GetResults::Builder r) override;
  Status has(S::HasParams::Reader p, S::HasResults::Builder r) override;
  Status remove(S::RemoveParams::Reader p, S::RemoveResults::Builder r) override;
  Status list(S::ListParams::Reader p, S::ListResults::Builder r) override;

 private:
  FsContext& cx_;
};

}  // namespace capos::storage
