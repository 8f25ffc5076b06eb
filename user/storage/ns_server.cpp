#include "user/storage/ns_server.h"

#include "user/storage/ns_record.h"
#include "user/storage/server_reply.h"

namespace capos::storage {

namespace wire = schema::wire;

namespace {

Status need_writable(const Object& o) { return storage::need_writable(o, "read-only namespace"); }

// The record name of `name` in `o`: its prefix, then the name. Both the
// name alone and the whole must follow the Directory name rules.
char g_full[fs::kNameMax + 1];
fs::FsResult<StrView> full_name(const Object& o, StrView name) {
  CAPOS_TRY_STATUS(fs::check_name(name.ptr, name.size()));
  if (o.prefix_len + name.size() > fs::kNameMax)
    return fs::fs_fail(Err::InvalidArgument, "name longer than 255 bytes");
  memcpy(g_full, o.prefix, o.prefix_len);
  memcpy(g_full + o.prefix_len, name.ptr, name.size());
  StrView full(g_full, o.prefix_len + name.size());
  CAPOS_TRY_STATUS(fs::check_name(full.ptr, full.size()));
  return full;
}

// The entry a directory or file binding names, reached only downwards
// from the scope, and of the binding's kind.
fs::FsResult<fs::NodeRef> walk(fs::Volume& v, fs::NodeRef scope, const NsBinding& b) {
  fs::NodeRef n = scope;
  for (uint32_t i = 0; i < b.depth; ++i) {
    n = CAPOS_TRY(v.lookup(n, b.path[i]));
    if (i + 1 < b.depth && CAPOS_TRY(v.stat(n)).kind != fs::Kind::Dir)
      return fs::fs_fail(Err::InvalidArgument, "a path step names a file");
  }
  fs::Kind want = b.kind == wire::BindingKind::FILE ? fs::Kind::File : fs::Kind::Dir;
  if (CAPOS_TRY(v.stat(n)).kind != want)
    return fs::fs_fail(Err::InvalidArgument, want == fs::Kind::File ? "the path names a directory, not a file"
                                                                     : "the path names a file, not a directory");
  return n;
}

alignas(8) uint8_t g_record[kNsRecordMax + 1];

}  // namespace

Status NsServer::bind(N::BindParams::Reader p, N::BindResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  StrView name = STORAGE_TRY(full_name(o, CAPOS_TRY(p.getName())));
  auto binding = p.getBinding();
  if (!binding) return refuse(Err::InvalidArgument, "binding is not a Binding");
  NsBinding b = STORAGE_TRY(check_binding(*binding));
  if (b.kind != wire::BindingKind::BLOB) (void)STORAGE_TRY(walk(*cx_.fs, o.node, b));
  size_t len = STORAGE_TRY(encode_record(b, MutBytes(g_record, sizeof(g_record))));
  auto found = cx_.fs->lookup(o.records, name);
  bool made = false;
  fs::NodeRef rec;
  if (found) {
    rec = *found;
    if (STORAGE_TRY(cx_.fs->stat(rec)).kind != fs::Kind::File) return refuse(Err::Corrupt, "binding record is a directory");
  } else {
    rec = STORAGE_TRY(cx_.fs->create(o.records, name, fs::Kind::File));
    made = true;
  }
  // Write over the old record, then cut it: a write that does not fit
  // changes nothing, so the old binding stays whole on failure.
  auto st = cx_.fs->write(rec, 0, Bytes(g_record, len));
  if (st) st = cx_.fs->truncate(rec, len);
  if (st) st = cx_.fs->sync();
  if (!st) {
    if (made) (void)cx_.fs->remove(o.records, name);
    return refuse(st.error());
  }
  return {};
}

Status NsServer::resolve(N::ResolveParams::Reader p, N::ResolveResults::Builder r) {
  const Object& o = cx_.objects->current();
  StrView name = STORAGE_TRY(full_name(o, CAPOS_TRY(p.getName())));
  auto rec = cx_.fs->lookup(o.records, name);
  if (!rec) {
    if (rec.error().code == Err::NotFound) return refuse(Err::InvalidArgument, "no such binding");
    return refuse(rec.error());
  }
  size_t n = STORAGE_TRY(cx_.fs->read(*rec, 0, MutBytes(g_record, sizeof(g_record))));
  if (n > kNsRecordMax) return refuse(Err::Corrupt, "binding record too large");
  capnp::StreamReader<1> msg;
  NsBinding b = STORAGE_TRY(decode_record(Bytes(g_record, n), msg));
  b.writable = b.writable && o.writable;  // a read-only Namespace hands out read-only objects
  CAPOS_TRY_STATUS(fill_binding(b, CAPOS_TRY(r.initBinding())));
  if (b.kind == wire::BindingKind::BLOB) return {};
  auto node = walk(*cx_.fs, o.node, b);
  if (!node) return refuse(Err::InvalidArgument, "the bound entry is gone");
  ObjKind kind = b.kind == wire::BindingKind::FILE ? ObjKind::File : ObjKind::Dir;
  return hand_out(*cx_.objects, kind, b.writable, *node, [&](uint32_t i) { r.getCap().set_capability(i); });
}

Status NsServer::unbind(N::UnbindParams::Reader p, N::UnbindResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o));
  StrView name = STORAGE_TRY(full_name(o, CAPOS_TRY(p.getName())));
  auto st = cx_.fs->remove(o.records, name);
  if (!st) {
    if (st.error().code == Err::NotFound) return refuse(Err::InvalidArgument, "no such binding");
    return refuse(st.error());
  }
  auto synced = cx_.fs->sync();
  if (!synced) return refuse(synced.error());
  return {};
}

Status NsServer::list(N::ListParams::Reader p, N::ListResults::Builder r) {
  const Object& o = cx_.objects->current();
  uint32_t max = p.getMaxEntries();
  if (max == 0 || max > wire::MAX_LIST_ENTRIES) return refuse(Err::InvalidArgument, "maxEntries must be 1 to 64");
  StrView prefix(o.prefix, o.prefix_len);
  StrView names[wire::MAX_LIST_ENTRIES];  // valid until the tree changes: not during this call
  uint32_t n = 0;
  uint64_t cursor = p.getCursor();
  bool more = false;
  for (;;) {
    auto e = cx_.fs->next_entry(o.records, cursor);
    if (!e) {
      if (e.error().code != Err::NotFound) return refuse(e.error());
      break;
    }
    if (e->kind != fs::Kind::File || e->name.size() <= prefix.size() || !e->name.starts_with(prefix)) {
      cursor = e->cursor;
      continue;  // not one of this Namespace's names
    }
    if (n == max) {
      more = true;
      break;
    }
    names[n++] = e->name.substr(prefix.size());
    cursor = e->cursor;
  }
  auto out = CAPOS_TRY(r.initNames(n));
  for (uint32_t i = 0; i < n; ++i) CAPOS_TRY_STATUS(out.set(i, names[i]));
  r.setNext(cursor);
  r.setMore(more);
  return {};
}

Status NsServer::sub(N::SubParams::Reader p, N::SubResults::Builder r) {
  const Object& o = cx_.objects->current();
  bool writable = p.getWritable();
  if (writable) CAPOS_TRY_STATUS(need_writable(o));
  StrView prefix = CAPOS_TRY(p.getPrefix());
  if (o.prefix_len + prefix.size() > kMaxNsPrefix) return refuse(Err::InvalidArgument, "prefix longer than 64 bytes");
  for (size_t i = 0; i < prefix.size(); ++i)
    if (prefix[i] == '/' || prefix[i] == '\0') return refuse(Err::InvalidArgument, "prefix contains '/' or NUL");
  // The new object copies this one's scope and records; read them before
  // the table changes.
  const fs::NodeRef scope = o.node, records = o.records;
  char whole[kMaxNsPrefix];
  uint8_t whole_len = static_cast<uint8_t>(o.prefix_len + prefix.size());
  memcpy(whole, o.prefix, o.prefix_len);
  memcpy(whole + o.prefix_len, prefix.ptr, prefix.size());
  uint32_t client = CAPOS_TRY(cx_.objects->create(ObjKind::Namespace, writable, scope));
  Object& made = cx_.objects->last_made();
  made.records = records;
  made.prefix_len = whole_len;
  memcpy(made.prefix, whole, whole_len);
  r.setNs(CAPOS_TRY(rt::add_result_cap(client, abi::XFER_MOVE)));
  return {};
}

Status NsServer::close(N::CloseParams::Reader, N::CloseResults::Builder) {
  Object& o = cx_.objects->current();
  if (o.granted) return refuse(Err::PermissionDenied, "a granted namespace stays open");
  o.closing = true;
  return {};
}

}  // namespace capos::storage
