// fsd: the filesystem service. Mounts the capOS filesystem on its "disk"
// (BlockDevice) — or, if there is none, a FAT32 volume, read-only — and
// serves Directory objects on the Endpoint caps it was granted, each
// naming what it serves:
//   "root"        the root directory, writable
//   "ro"          the root directory, read-only
//   "dir.<name>"  directory <name> of the root (made if missing), writable
//   "ro.<name>"   directory <name> of the root, read-only
//   "store.<name>", "rostore.<name>"  a Store (SHA-256-keyed blobs) kept
//                 in directory <name> of the root, writable or read-only
//   "ns.<name>", "rons.<name>"  a Namespace whose bindings name entries
//                 below directory <name> of the root and are kept in
//                 directory ".ns.<name>" of the root (outside that scope),
//                 writable or read-only
// so a manifest grants a service one directory of the filesystem by
// exporting one of these endpoints. Every Directory or File obtained from
// them is a further object of fsd ("eps", an EndpointFactory, makes their
// endpoints). With `frames` (a FrameAllocator, optional) its device I/O
// goes through bulk windows: read-ahead and gathered writes
// (lib/fs/batch_store.h, user/storage/device_store.h).
#include "lib/alloc/arena_pages.h"
#include "lib/alloc/slab_heap.h"
#include "lib/fat/fat32.h"
#include "lib/fs/batch_store.h"
#include "lib/fs/fs.h"
#include "schema/devices.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/storage/device_store.h"
#include "user/storage/fs_servers.h"
#include "user/storage/ns_server.h"
#include "user/storage/objects.h"
#include "user/storage/store_server.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

// The filesystem's memory: its own arena, so the tree can grow past the
// runtime's small default heap.
constexpr size_t kArenaPages = 2048;  // 8 MiB, demand-paged
alignas(4096) uint8_t g_arena[kArenaPages * 4096];


class HeapAllocator final : public fs::Allocator {
 public:
  void* alloc(size_t bytes) override { return heap_.alloc(bytes); }
  void release(void* p) override {
    if (!heap_.free(p)) rt::panic("fsd: free of a foreign pointer");
  }

 private:
  ArenaPages<kArenaPages> pages_{g_arena};
  SlabHeap heap_{pages_};
};

HeapAllocator g_mem;
storage::DeviceStore g_dev;

// Directory `name` of the root; made (and synced) if missing when
// `make` is set.
fs::FsResult<fs::NodeRef> grant_dir(fs::Volume& fsys, StrView name, bool make) {
  auto found = fsys.lookup(fsys.root(), name);
  if (!found && found.error().code == Err::NotFound && make && !fsys.read_only()) {
    found = fsys.create(fsys.root(), name, fs::Kind::Dir);
    if (found && !fsys.sync()) found = fs::fs_fail(Err::Failed, "cannot sync the new directory");
  }
  if (found && CAPOS_TRY(fsys.stat(*found)).kind != fs::Kind::Dir)
    return fs::fs_fail(Err::InvalidArgument, "not a directory");
  return found;
}

// Serves every granted endpoint named as above. Returns how many.
Result<uint32_t> add_grants(fs::Volume& fsys, storage::ObjectTable& objects) {
  uint32_t served = 0;
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    if (!e || e->interface_id != wire::Endpoint::kInterfaceId) continue;
    StrView name = rt::capset_name(*e);
    bool writable;
    StrView dir;
    storage::ObjKind kind = storage::ObjKind::Dir;
    if (name.starts_with("store.") || name.starts_with("rostore.")) {
      kind = storage::ObjKind::Store;
      writable = name.starts_with("store.");
      dir = name.substr(writable ? 6 : 8);
    } else if (name.starts_with("ns.") || name.starts_with("rons.")) {
      kind = storage::ObjKind::Namespace;
      writable = name.starts_with("ns.");
      dir = name.substr(writable ? 3 : 5);
    } else if (name == "root" || name == "ro") {
      writable = name == "root";
    } else if (name.starts_with("dir.")) {
      writable = true;
      dir = name.substr(4);
    } else if (name.starts_with("ro.")) {
      writable = false;
      dir = name.substr(3);
    } else {
      continue;
    }
    fs::NodeRef node = fsys.root();
    fs::NodeRef records;
    if (!dir.empty()) {
      auto found = grant_dir(fsys, dir, writable);
      if (found && kind == storage::ObjKind::Namespace) {
        // Cap names are at most 32 bytes, so the record directory's name fits.
        char rec_name[64];
        size_t len = min(dir.size(), sizeof(rec_name) - 4);
        memcpy(rec_name, ".ns.", 4);
        memcpy(rec_name + 4, dir.ptr, len);
        auto rec = grant_dir(fsys, StrView(rec_name, len + 4), writable);
        if (rec) records = *rec;
        else found = fail(rec.error());
      }
      if (!found) {
        rt::printf("fsd: cannot serve {}: {}\n", name, found.error().detail);
        continue;
      }
      node = *found;
    } else if (kind == storage::ObjKind::Namespace) {
      rt::printf("fsd: cannot serve {}: a namespace needs a directory name\n", name);
      continue;
    }
    writable = writable && !fsys.read_only();  // a read-only volume serves read-only objects
    auto ep = rt::capset_typed<wire::Endpoint>(e->cap_id);
    if (!ep) continue;
    CAPOS_TRY_STATUS(objects.add_granted(*ep, kind, writable, node));
    objects.last_made().records = records;
    ++served;
  }
  return served;
}

}  // namespace

int main() {
  auto disk = rt::capset_find<wire::BlockDevice>("disk");
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  if (!disk || !eps) {
    rt::printf("fsd: needs `disk` (BlockDevice) and `eps` (EndpointFactory)\n");
    return 2;
  }
  auto frames = rt::capset_find<wire::FrameAllocator>("frames");
  if (auto st = g_dev.open(*disk, frames ? *frames : rt::Cap<wire::FrameAllocator>()); !st) {
    rt::printf("fsd: cannot use the disk: {}\n", st.error().detail);
    return 3;
  }
  // The capOS filesystem, else a FAT32 volume (served read-only). Both
  // live as long as main (no global destructors).
  if (g_dev.bulk()) rt::printf("fsd: device I/O by bulk calls, {} KiB windows\n", storage::kBulkBlocks * 4);
  fs::BatchStore batch(g_dev, g_dev.read_window(), g_dev.write_window());
  fs::Filesystem native(batch, g_mem);
  fat::Fat32 fat32(batch);
  fs::Volume* vol = nullptr;
  auto st = native.mount();
  if (st) {
    vol = &native;
    fs::FsInfo info = native.info();
    rt::printf("fsd: mounted capos-fs v2 on {}: generation {}, {} nodes, {} of {} blocks free\n", g_dev.model(),
               info.generation, info.nodes, info.free_blocks, info.total_blocks);
  } else if (st.error().code == Err::NotFound) {
    auto fst = fat32.mount();
    if (!fst) {
      rt::printf("fsd: cannot mount: {}; not FAT32 either: {}\n", st.error().detail, fst.error().detail);
      return 4;
    }
    vol = &fat32;
    rt::printf("fsd: mounted fat32 (read-only) on {}: {} KiB of clusters\n", g_dev.model(),
               fat32.info().total_blocks * 4);
  } else {
    rt::printf("fsd: cannot mount: {} ({})\n", st.error().detail, err_name(st.error().code));
    return 4;
  }
  storage::ObjectTable objects(*eps);
  auto served = add_grants(*vol, objects);
  if (!served || *served == 0) {
    rt::printf("fsd: no directory endpoint to serve\n");
    return 5;
  }
  storage::FsContext cx{vol, &objects, g_dev.read_only()};
  storage::DirServer dirs(cx);
  storage::FileServer files(cx);
  storage::StoreServer stores(cx);
  storage::NsServer names(cx);
  Status served_st = objects.serve(dirs, files, stores, names);
  rt::printf("fsd: serving stopped: {}\n", err_name(served_st.error()));
  return 6;
}
