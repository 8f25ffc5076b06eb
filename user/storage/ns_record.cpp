#include "user/storage/ns_record.h"

namespace capos::storage {

namespace wire = schema::wire;

fs::FsResult<NsBinding> check_binding(wire::Binding::Reader b) {
  NsBinding out;
  out.kind = b.getKind();
  out.writable = b.getWritable();
  if (out.kind != wire::BindingKind::DIRECTORY && out.kind != wire::BindingKind::FILE &&
      out.kind != wire::BindingKind::BLOB)
    return fs::fs_fail(Err::InvalidArgument, "unknown binding kind");
  auto path = b.getPath();
  if (!path) return fs::fs_fail(Err::InvalidArgument, "binding path is not a list of names");
  auto key = b.getKey();
  if (!key) return fs::fs_fail(Err::InvalidArgument, "binding key is not data");
  if (out.kind == wire::BindingKind::BLOB) {
    if (path->size() != 0) return fs::fs_fail(Err::InvalidArgument, "a blob binding has no path");
    if (key->size() != kNsKeyBytes) return fs::fs_fail(Err::InvalidArgument, "a key is 32 bytes (SHA-256)");
    memcpy(out.key, key->data(), kNsKeyBytes);
    return out;
  }
  if (key->size() != 0) return fs::fs_fail(Err::InvalidArgument, "only a blob binding has a key");
  if (path->size() > wire::MAX_PATH_DEPTH) return fs::fs_fail(Err::InvalidArgument, "path has more than 16 names");
  if (out.kind == wire::BindingKind::FILE && path->size() == 0)
    return fs::fs_fail(Err::InvalidArgument, "a file binding needs a path");
  out.depth = path->size();
  for (uint32_t i = 0; i < out.depth; ++i) {
    auto name = (*path)[i];
    if (!name) return fs::fs_fail(Err::InvalidArgument, "path holds something other than text");
    auto st = fs::check_name(name->ptr, name->size());
    if (!st) return fail(st.error());
    out.path[i] = *name;
  }
  return out;
}

Status fill_binding(const NsBinding& b, wire::Binding::Builder out) {
  out.setKind(b.kind);
  out.setWritable(b.writable);
  if (b.kind == wire::BindingKind::BLOB) return out.setKey(Bytes(b.key, kNsKeyBytes));
  auto path = CAPOS_TRY(out.initPath(b.depth));
  for (uint32_t i = 0; i < b.depth; ++i) CAPOS_TRY_STATUS(path.set(i, b.path[i]));
  return {};
}

fs::FsResult<size_t> encode_record(const NsBinding& b, MutBytes out) {
  constexpr size_t kMagic = sizeof(kNsRecordMagic);
  if (out.size() < kNsRecordMax) return fs::fs_fail(Err::Truncated, "record buffer too small");
  // FixedMessageBuilder keeps 8 bytes for the framing before the segment.
  capnp::FixedMessageBuilder mb(MutBytes(out.data() + kMagic, out.size() - kMagic));
  auto root = wire::Binding::initRoot(mb);
  if (!root || !fill_binding(b, *root)) return fs::fs_fail(Err::Truncated, "binding too large for a record");
  Bytes framed = mb.framed();
  memcpy(out.data(), kNsRecordMagic, kMagic);
  return kMagic + framed.size();
}

fs::FsResult<NsBinding> decode_record(Bytes bytes, capnp::StreamReader<1>& msg) {
  constexpr size_t kMagic = sizeof(kNsRecordMagic);
  if (bytes.size() < kMagic || memcmp(bytes.data(), kNsRecordMagic, kMagic) != 0)
    return fs::fs_fail(Err::Corrupt, "not a binding record");
  Bytes body(bytes.data() + kMagic, bytes.size() - kMagic);
  if (!msg.init(body) || msg.bytes_consumed() != body.size())
    return fs::fs_fail(Err::Corrupt, "binding record is not one Cap'n Proto message");
  auto root = wire::Binding::readRoot(msg);
  if (!root) return fs::fs_fail(Err::Corrupt, "binding record has no Binding");
  auto b = check_binding(*root);
  if (!b) return fs::fs_fail(Err::Corrupt, "binding record breaks the binding rules");
  return b;
}

}  // namespace capos::storage
