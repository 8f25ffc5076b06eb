#include "user/storage/fs_client.h"

#include "user/storage/client_call.h"

namespace capos::fsc {

namespace wire = schema::wire;
using DC = wire::Directory::Client;
using FC = wire::File::Client;

namespace {

storage::CallBuffers<wire::MAX_FILE_TRANSFER_BYTES + 12 * 1024, wire::MAX_FILE_TRANSFER_BYTES + 1024> g_bufs;
storage::FailureNote g_note;

struct Call : storage::ClientCall {
  Call() : ClientCall(g_bufs) {}
};
using storage::method;
template <class T> T mark(T r, bool caps) { return g_note.keep(move(r), caps); }

}  // namespace

StrView last_error() { return g_note.message(); }

Result<File> open(Dir d, StrView name, bool writable) {
  Call c;
  auto p = CAPOS_TRY(DC::openParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  p.setWritable(writable);
  return mark(rt::call_for_cap<wire::File>(d, method(wire::Directory::Method::OPEN), c.params, c.resp), true);
}

Result<File> create(Dir d, StrView name) {
  Call c;
  auto p = CAPOS_TRY(DC::createParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  return mark(rt::call_for_cap<wire::File>(d, method(wire::Directory::Method::CREATE), c.params, c.resp), true);
}

Result<Dir> sub(Dir d, StrView name, bool writable) {
  Call c;
  auto p = CAPOS_TRY(DC::subParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  p.setWritable(writable);
  return mark(rt::call_for_cap<wire::Directory>(d, method(wire::Directory::Method::SUB), c.params, c.resp), true);
}

Result<Dir> read_only(Dir d) {
  Call c;
  (void)CAPOS_TRY(DC::readOnlyParams(c.params));
  return mark(rt::call_for_cap<wire::Directory>(d, method(wire::Directory::Method::READ_ONLY), c.params, c.resp), true);
}

Result<File> read_only(File f) {
  Call c;
  (void)CAPOS_TRY(FC::readOnlyParams(c.params));
  return mark(rt::call_for_cap<wire::File>(f, method(wire::File::Method::READ_ONLY), c.params, c.resp), true);
}

Result<Dir, NarrowError> narrow(Dir d, StrView path, bool writable) {
  Dir cur = d;
  bool owned = false;  // `cur` is a directory made here
  for (size_t i = 0; i < path.size();) {
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    StrView name = path.substr(i, j - i);
    auto next = sub(cur, name, writable);
    if (owned) {
      storage::FailureNote keep = g_note;  // the failed call's message, not close's
      (void)close(cur);
      g_note = keep;
    }
    if (!next) return fail(NarrowError{next.error(), name});
    cur = *next;
    owned = true;
    i = j + 1;
  }
  if (owned) return cur;
  auto ro = read_only(cur);
  if (!ro) return fail(NarrowError{ro.error(), StrView()});
  return *ro;
}

Status mkdir(Dir d, StrView name) {
  Call c;
  auto p = CAPOS_TRY(DC::mkdirParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  (void)CAPOS_TRY(mark(DC(&rt::transport(), d).mkdir(c.params, c.resp), false));
  return {};
}

Status remove(Dir d, StrView name) {
  Call c;
  auto p = CAPOS_TRY(DC::removeParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  (void)CAPOS_TRY(mark(DC(&rt::transport(), d).remove(c.params, c.resp), false));
  return {};
}

Status rename(Dir d, StrView from, const StrView* to_dir, uint32_t depth, StrView to) {
  Call c;
  auto p = CAPOS_TRY(DC::renameParams(c.params));
  CAPOS_TRY_STATUS(p.setFrom(from));
  CAPOS_TRY_STATUS(p.setTo(to));
  auto path = CAPOS_TRY(p.initToDir(depth));
  for (uint32_t i = 0; i < depth; ++i) CAPOS_TRY_STATUS(path.set(i, to_dir[i]));
  (void)CAPOS_TRY(mark(DC(&rt::transport(), d).rename(c.params, c.resp), false));
  return {};
}

Status sync(Dir d) {
  Call c;
  (void)CAPOS_TRY(DC::syncParams(c.params));
  (void)CAPOS_TRY(mark(DC(&rt::transport(), d).sync(c.params, c.resp), false));
  return {};
}

Status close(Dir d) {
  Call c;
  (void)CAPOS_TRY(DC::closeParams(c.params));
  (void)CAPOS_TRY(mark(DC(&rt::transport(), d).close(c.params, c.resp), false));
  rt::release_cap(d);
  return {};
}

Status close(File f) {
  Call c;
  (void)CAPOS_TRY(FC::closeParams(c.params));
  (void)CAPOS_TRY(mark(FC(&rt::transport(), f).close(c.params, c.resp), false));
  rt::release_cap(f);
  return {};
}

namespace {
Stat to_stat(wire::FileStat::Reader s) {
  return Stat{s.getKind() == wire::EntryKind::DIRECTORY, s.getSize(), s.getBlocks(), s.getModified(), s.getWritable()};
}
}  // namespace

Result<Stat> stat(Dir d, StrView name) {
  Call c;
  auto p = CAPOS_TRY(DC::statParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  auto r = CAPOS_TRY(mark(DC(&rt::transport(), d).stat(c.params, c.resp), false));
  return to_stat(CAPOS_TRY(r.getStat()));
}

Result<Stat> stat(File f) {
  Call c;
  (void)CAPOS_TRY(FC::statParams(c.params));
  auto r = CAPOS_TRY(mark(FC(&rt::transport(), f).stat(c.params, c.resp), false));
  return to_stat(CAPOS_TRY(r.getStat()));
}

Result<FsInfo> fs_stat(Dir d) {
  Call c;
  (void)CAPOS_TRY(DC::fsStatParams(c.params));
  auto r = CAPOS_TRY(mark(DC(&rt::transport(), d).fsStat(c.params, c.resp), false));
  auto s = CAPOS_TRY(r.getStat());
  FsInfo info{s.getBlockSize(), s.getTotalBlocks(), s.getFreeBlocks(), s.getNodes(), s.getGeneration(),
              s.getReadOnly(), {}, 0};
  StrView format = CAPOS_TRY(s.getFormat());
  info.format_len = min(format.size(), sizeof(info.format));
  memcpy(info.format, format.ptr, info.format_len);
  return info;
}

Result<wire::Directory::ListResults::Reader> list_call(Dir d, uint64_t cursor, uint32_t max) {
  // The reply is read after we return: the call state must outlive us.
  alignas(Call) static uint8_t call_mem[sizeof(Call)];
  Call* c = new (call_mem) Call;
  auto p = CAPOS_TRY(DC::listParams(c->params));
  p.setCursor(cursor);
  p.setMaxEntries(max);
  return mark(DC(&rt::transport(), d).list(c->params, c->resp), false);
}

Status write(File f, uint64_t offset, Bytes data) {
  Call c;
  auto p = CAPOS_TRY(FC::writeParams(c.params));
  p.setOffset(offset);
  CAPOS_TRY_STATUS(p.setData(data));
  (void)CAPOS_TRY(mark(FC(&rt::transport(), f).write(c.params, c.resp), false));
  return {};
}

Result<size_t> read(File f, uint64_t offset, MutBytes out, uint32_t max_bytes) {
  Call c;
  auto p = CAPOS_TRY(FC::readParams(c.params));
  p.setOffset(offset);
  p.setMaxBytes(max_bytes);
  auto r = CAPOS_TRY(mark(FC(&rt::transport(), f).read(c.params, c.resp), false));
  Bytes d = CAPOS_TRY(r.getData());
  if (d.size() > out.size()) return fail(Err::Truncated);
  memcpy(out.data(), d.data(), d.size());
  return d.size();
}

namespace {
Status bulk_call(File f, wire::File::Method m, const capnp::MessageBuilder& params, capnp::Response& resp,
                 rt::Cap<wire::MemoryObject> buffer) {
  abi::CapTransferDesc xfer[1] = {{buffer.id(), abi::XFER_COPY, {0, 0, 0}}};
  uint32_t n = 0;
  return mark(rt::call_with_caps(f, method(m), params, resp, Span<const abi::CapTransferDesc>(xfer, 1),
                                 Span<abi::CapTransferRecord>(), &n),
              true);
}
}  // namespace

Result<uint32_t> read_bulk(File f, uint64_t offset, uint32_t max_bytes, rt::Cap<wire::MemoryObject> buffer,
                           uint64_t buffer_offset) {
  Call c;
  auto p = CAPOS_TRY(FC::readBulkParams(c.params));
  p.setOffset(offset);
  p.setMaxBytes(max_bytes);
  p.setBuffer(0);
  p.setBufferOffset(buffer_offset);
  CAPOS_TRY_STATUS(bulk_call(f, wire::File::Method::READ_BULK, c.params, c.resp, buffer));
  return wire::File::ReadBulkResults::Reader(CAPOS_TRY(c.resp.root())).getBytes();
}

Status write_bulk(File f, uint64_t offset, uint32_t bytes, rt::Cap<wire::MemoryObject> buffer,
                  uint64_t buffer_offset) {
  Call c;
  auto p = CAPOS_TRY(FC::writeBulkParams(c.params));
  p.setOffset(offset);
  p.setBytes(bytes);
  p.setBuffer(0);
  p.setBufferOffset(buffer_offset);
  return bulk_call(f, wire::File::Method::WRITE_BULK, c.params, c.resp, buffer);
}

Status truncate(File f, uint64_t size) {
  Call c;
  auto p = CAPOS_TRY(FC::truncateParams(c.params));
  p.setSize(size);
  (void)CAPOS_TRY(mark(FC(&rt::transport(), f).truncate(c.params, c.resp), false));
  return {};
}

Status sync(File f) {
  Call c;
  (void)CAPOS_TRY(FC::syncParams(c.params));
  (void)CAPOS_TRY(mark(FC(&rt::transport(), f).sync(c.params, c.resp), false));
  return {};
}

}  // namespace capos::fsc
