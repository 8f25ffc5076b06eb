// Directory and File over lib/fs, for the object fsd is serving
// (ObjectTable::current()). Attenuation lives here: a read-only object
// refuses every change and hands out only read-only objects; a directory
// object reaches only its own subtree (names are single components, and
// rename's target path only descends).
#pragma once

#include "lib/fs/volume.h"
#include "schema/storage.capnp.capos.h"
#include "user/storage/objects.h"

namespace capos::storage {

struct FsContext {
  fs::Volume* fs;
  ObjectTable* objects;
  bool device_read_only;
};

class DirServer final : public schema::wire::Directory::Server {
 public:
  explicit DirServer(FsContext& cx) : cx_(cx) {}
  using D = schema::wire::Directory;
  Status list(D::ListParams::Reader p, D::ListResults::Builder r) override;
  Status open(D::OpenParams::Reader p, D::OpenResults::Builder r) override;
  Status create(D::CreateParams::Reader p, D::CreateResults::Builder r) override;
  Status mkdir(D::MkdirParams::Reader p, D::MkdirResults::Builder r) override;
  Status remove(D::RemoveParams::Reader p, D::RemoveResults::Builder r) override;
  Status rename(D::RenameParams::Reader p, D::RenameResults::Builder r) override;
  Status sub(D::SubParams::Reader p, D::SubResults::Builder r) override;
  Status stat(D::StatParams::Reader p, D::StatResults::Builder r) override;
  Status fsStat(D::FsStatParams::Reader p, D::FsStatResults::Builder r) override;
  Status sync(D::SyncParams::Reader p, D::SyncResults::Builder r) override;
  Status readOnly(D::ReadOnlyParams::Reader p, D::ReadOnlyResults::Builder r) override;
  Status close(D::CloseParams::Reader p, D::CloseResults::Builder r) override;

 private:
  FsContext& cx_;
};

class FileServer final : public schema::wire::File::Server {
 public:
  explicit FileServer(FsContext& cx) : cx_(cx) {}
  using F = schema::wire::File;
  Status read(F::ReadParams::Reader p, F::ReadResults::Builder r) override;
  Status write(F::WriteParams::Reader p, F::WriteResults::Builder r) override;
  Status truncate(F::TruncateParams::Reader p, F::TruncateResults::Builder r) override;
  Status sync(F::SyncParams::Reader p, F::SyncResults::Builder r) override;
  Status stat(F::StatParams::Reader p, F::StatResults::Builder r) override;
  Status readOnly(F::ReadOnlyParams::Reader p, F::ReadOnlyResults::Builder r) override;
  Status close(F::CloseParams::Reader p, F::CloseResults::Builder r) override;
  Status readBulk(F::ReadBulkParams::Reader p, F::ReadBulkResults::Builder r) override;
  Status writeBulk(F::WriteBulkParams::Reader p, F::WriteBulkResults::Builder r) override;

 private:
  FsContext& cx_;
};

}  // namespace capos::storage
