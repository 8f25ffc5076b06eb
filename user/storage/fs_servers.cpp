#include "user/storage/fs_servers.h"

#include "user/storage/blk_bulk.h"
#include "user/storage/server_reply.h"

namespace capos::storage {

namespace wire = schema::wire;

namespace {

wire::EntryKind entry_kind(fs::Kind k) { return k == fs::Kind::Dir ? wire::EntryKind::DIRECTORY : wire::EntryKind::FILE; }

Status need_writable(const Object& o) {
  return storage::need_writable(o, o.kind == ObjKind::Dir ? "read-only directory" : "read-only file");
}

Status fill_stat(const Object& o, fs::NodeInfo info, wire::FileStat::Builder s) {
  s.setKind(entry_kind(info.kind));
  s.setSize(info.size);
  s.setBlocks(info.blocks);
  s.setModified(info.modified);
  s.setWritable(o.writable);
  return {};
}

// Data of the current read (the reply copies it).
alignas(8) uint8_t g_data[wire::MAX_FILE_TRANSFER_BYTES];

// The caller's buffer of a bulk call (attached cap `index`), checked to
// hold `bytes` at `offset` and mapped here until the call is answered;
// the runtime releases the cap after dispatch.
class CallerBuffer {
 public:
  CallerBuffer() = default;
  CallerBuffer(const CallerBuffer&) = delete;
  CallerBuffer& operator=(const CallerBuffer&) = delete;
  ~CallerBuffer() {
    if (va_) (void)blk::unmap_memory(mem_, va_);  // our own mapping: cannot fail
  }
  Status map(Result<uint32_t> index, uint64_t offset, uint32_t bytes, bool writable) {
    auto caps = rt::current_call_caps();
    if (!index || *index >= caps.size() || caps[*index].interface_id != wire::MemoryObject::kInterfaceId)
      return refuse(Err::InvalidArgument, "attach a MemoryObject as `buffer`");
    // An endpoint can claim any interface; only the kernel's MemoryObject
    // is mapped (its answers to info and map are the kernel's).
    if (caps[*index].flags & abi::XFER_REC_SERVED)
      return refuse(Err::InvalidArgument, "the buffer is an endpoint, not a kernel MemoryObject");
    mem_ = rt::Cap<wire::MemoryObject>::unchecked(caps[*index].cap_id);
    auto size = blk::memory_size(mem_);
    if (!size) return refuse(Err::InvalidArgument, "the buffer does not answer MemoryObject.info");
    if (offset > *size || bytes > *size - offset)
      return refuse(Err::InvalidArgument, "the buffer is too small for bufferOffset plus the bytes");
    auto va = blk::map_memory(mem_, writable);
    if (!va) return refuse(Err::InvalidArgument, "cannot map the buffer");
    va_ = *va;
    data_ = va_ + offset;
    return {};
  }
  uint8_t* data() const { return data_; }

 private:
  rt::Cap<wire::MemoryObject> mem_;
  uint8_t* va_ = nullptr;
  uint8_t* data_ = nullptr;
};

}  // namespace

// ---- Directory

Status DirServer::list(D::ListParams::Reader p, D::ListResults::Builder r) {
  const Object& o = cx_.objects->current();
  uint32_t max = p.getMaxEntries();
  if (max == 0 || max > wire::MAX_LIST_ENTRIES) return refuse(Err::InvalidArgument, "maxEntries must be 1 to 64");
  // Count first (the list is sized up front), then fill.
  uint32_t n = 0;
  uint64_t cursor = p.getCursor();
  bool more = false;
  for (;;) {
    auto e = cx_.fs->next_entry(o.node, cursor);
    if (!e) {
      if (e.error().code != Err::NotFound || !cx_.fs->stat(o.node)) return refuse(e.error());
      break;
    }
    if (n == max) {
      more = true;
      break;
    }
    ++n;
    cursor = e->cursor;
  }
  auto list = CAPOS_TRY(r.initEntries(n));
  cursor = p.getCursor();
  for (uint32_t i = 0; i < n; ++i) {
    fs::Entry e = STORAGE_TRY(cx_.fs->next_entry(o.node, cursor));
    auto b = list[i];
    CAPOS_TRY_STATUS(b.setName(e.name));
    b.setKind(entry_kind(e.kind));
    b.setSize(e.size);
    cursor = e.cursor;
  }
  r.setNext(cursor);
  r.setMore(more);
  return {};
}

Status DirServer::open(D::OpenParams::Reader p, D::OpenResults::Builder r) {
  const Object& o = cx_.objects->current();
  bool writable = p.getWritable();
  if (writable) CAPOS_TRY_STATUS(need_writable(o));
  fs::NodeRef n = STORAGE_TRY(cx_.fs->lookup(o.node, CAPOS_TRY(p.getName())));
  if (STORAGE_TRY(cx_.fs->stat(n)).kind != fs::Kind::File) return refuse(Err::Failed, "is a directory");
  return hand_out(*cx_.objects, ObjKind::File, writable, n, [&](uint32_t i) { r.setFile(i); });
}

Status DirServer::create(D::CreateParams::Reader p, D::CreateResults::Builder r) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  StrView name = CAPOS_TRY(p.getName());
  fs::NodeRef n = STORAGE_TRY(cx_.fs->create(o.node, name, fs::Kind::File));
  Status st = hand_out(*cx_.objects, ObjKind::File, true, n, [&](uint32_t i) { r.setFile(i); });
  if (!st) (void)cx_.fs->remove(o.node, name);  // no capability, no file
  return st;
}

Status DirServer::mkdir(D::MkdirParams::Reader p, D::MkdirResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  (void)STORAGE_TRY(cx_.fs->create(o.node, CAPOS_TRY(p.getName()), fs::Kind::Dir));
  return {};
}

Status DirServer::remove(D::RemoveParams::Reader p, D::RemoveResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  STORAGE_TRY_STATUS(cx_.fs->remove(o.node, CAPOS_TRY(p.getName())));
  return {};
}

Status DirServer::rename(D::RenameParams::Reader p, D::RenameResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  auto path = CAPOS_TRY(p.getToDir());
  if (path.size() > wire::MAX_PATH_DEPTH) return refuse(Err::InvalidArgument, "toDir has more than 16 names");
  // The target is reached only downwards from this directory.
  fs::NodeRef to_dir = o.node;
  for (uint32_t i = 0; i < path.size(); ++i) {
    to_dir = STORAGE_TRY(cx_.fs->lookup(to_dir, CAPOS_TRY(path[i])));
    if (STORAGE_TRY(cx_.fs->stat(to_dir)).kind != fs::Kind::Dir) return refuse(Err::Failed, "toDir names a file");
  }
  STORAGE_TRY_STATUS(cx_.fs->rename(o.node, CAPOS_TRY(p.getFrom()), to_dir, CAPOS_TRY(p.getTo())));
  return {};
}

Status DirServer::sub(D::SubParams::Reader p, D::SubResults::Builder r) {
  const Object& o = cx_.objects->current();
  bool writable = p.getWritable();
  if (writable) CAPOS_TRY_STATUS(need_writable(o));
  fs::NodeRef n = STORAGE_TRY(cx_.fs->lookup(o.node, CAPOS_TRY(p.getName())));
  if (STORAGE_TRY(cx_.fs->stat(n)).kind != fs::Kind::Dir) return refuse(Err::Failed, "not a directory");
  return hand_out(*cx_.objects, ObjKind::Dir, writable, n, [&](uint32_t i) { r.setDir(i); });
}

Status DirServer::stat(D::StatParams::Reader p, D::StatResults::Builder r) {
  const Object& o = cx_.objects->current();
  StrView name = CAPOS_TRY(p.getName());
  fs::NodeRef n = name.empty() ? o.node : STORAGE_TRY(cx_.fs->lookup(o.node, name));
  return fill_stat(o, STORAGE_TRY(cx_.fs->stat(n)), CAPOS_TRY(r.initStat()));
}

Status DirServer::fsStat(D::FsStatParams::Reader, D::FsStatResults::Builder r) {
  (void)STORAGE_TRY(cx_.fs->stat(cx_.objects->current().node));
  fs::FsInfo info = cx_.fs->info();
  auto s = CAPOS_TRY(r.initStat());
  s.setBlockSize(fs::kBlockSize);
  s.setTotalBlocks(info.total_blocks);
  s.setFreeBlocks(info.free_blocks);
  s.setNodes(info.nodes);
  s.setGeneration(info.generation);
  s.setReadOnly(cx_.device_read_only || cx_.fs->read_only());
  return s.setFormat(cx_.fs->format_name());
}

Status DirServer::sync(D::SyncParams::Reader, D::SyncResults::Builder) {
  CAPOS_TRY_STATUS(need_writable(cx_.objects->current()));
  STORAGE_TRY_STATUS(cx_.fs->sync());
  return {};
}

Status DirServer::readOnly(D::ReadOnlyParams::Reader, D::ReadOnlyResults::Builder r) {
  const Object& o = cx_.objects->current();
  return hand_out(*cx_.objects, ObjKind::Dir, false, o.node, [&](uint32_t i) { r.setDir(i); });
}

Status DirServer::close(D::CloseParams::Reader, D::CloseResults::Builder) {
  Object& o = cx_.objects->current();
  if (o.granted) return refuse(Err::PermissionDenied, "a granted directory stays open");
  o.closing = true;
  return {};
}

// ---- File

Status FileServer::read(F::ReadParams::Reader p, F::ReadResults::Builder r) {
  const Object& o = cx_.objects->current();
  uint32_t max = p.getMaxBytes();
  if (max == 0 || max > wire::MAX_FILE_TRANSFER_BYTES) return refuse(Err::InvalidArgument, "maxBytes must be 1 to 8192");
  size_t n = STORAGE_TRY(cx_.fs->read(o.node, p.getOffset(), MutBytes(g_data, max)));
  return r.setData(Bytes(g_data, n));
}

Status FileServer::write(F::WriteParams::Reader p, F::WriteResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  Bytes data = CAPOS_TRY(p.getData());
  if (data.size() == 0 || data.size() > wire::MAX_FILE_TRANSFER_BYTES)
    return refuse(Err::InvalidArgument, "data must be 1 to 8192 bytes");
  STORAGE_TRY_STATUS(cx_.fs->write(o.node, p.getOffset(), data));
  return {};
}

Status FileServer::truncate(F::TruncateParams::Reader p, F::TruncateResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  STORAGE_TRY_STATUS(cx_.fs->truncate(o.node, p.getSize()));
  return {};
}

Status FileServer::sync(F::SyncParams::Reader, F::SyncResults::Builder) {
  CAPOS_TRY_STATUS(need_writable(cx_.objects->current()));
  STORAGE_TRY_STATUS(cx_.fs->sync());
  return {};
}

Status FileServer::stat(F::StatParams::Reader, F::StatResults::Builder r) {
  const Object& o = cx_.objects->current();
  return fill_stat(o, STORAGE_TRY(cx_.fs->stat(o.node)), CAPOS_TRY(r.initStat()));
}

Status FileServer::readOnly(F::ReadOnlyParams::Reader, F::ReadOnlyResults::Builder r) {
  const Object& o = cx_.objects->current();
  return hand_out(*cx_.objects, ObjKind::File, false, o.node, [&](uint32_t i) { r.setFile(i); });
}

Status FileServer::readBulk(F::ReadBulkParams::Reader p, F::ReadBulkResults::Builder r) {
  const Object& o = cx_.objects->current();
  uint32_t max = p.getMaxBytes();
  if (max == 0 || max > wire::MAX_FILE_BULK_BYTES) return refuse(Err::InvalidArgument, "maxBytes must be 1 to 1 MiB");
  // The file first: a removed file is refused without touching the buffer.
  (void)STORAGE_TRY(cx_.fs->stat(o.node));
  CallerBuffer buf;
  CAPOS_TRY_STATUS(buf.map(p.getBuffer(), p.getBufferOffset(), max, true));
  size_t n = STORAGE_TRY(cx_.fs->read(o.node, p.getOffset(), MutBytes(buf.data(), max)));
  r.setBytes(static_cast<uint32_t>(n));
  return {};
}

Status FileServer::writeBulk(F::WriteBulkParams::Reader p, F::WriteBulkResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  uint32_t bytes = p.getBytes();
  if (bytes == 0 || bytes > wire::MAX_FILE_BULK_BYTES) return refuse(Err::InvalidArgument, "bytes must be 1 to 1 MiB");
  (void)STORAGE_TRY(cx_.fs->stat(o.node));
  CallerBuffer buf;
  CAPOS_TRY_STATUS(buf.map(p.getBuffer(), p.getBufferOffset(), bytes, false));
  STORAGE_TRY_STATUS(cx_.fs->write(o.node, p.getOffset(), Bytes(buf.data(), bytes)));
  return {};
}

Status FileServer::close(F::CloseParams::Reader, F::CloseResults::Builder) {
  cx_.objects->current().closing = true;
  return {};
}

}  // namespace capos::storage
