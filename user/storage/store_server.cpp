#include "user/storage/store_server.h"

#include "lib/crypto/sha256.h"
#include "user/storage/server_reply.h"

namespace capos::storage {

namespace wire = schema::wire;

namespace {

constexpr size_t kKeyBytes = crypto::Sha256::kDigestBytes;
const char kHex[] = "0123456789abcdef";

// The file name of a key: 64 lower-case hex digits.
StrView key_name(const uint8_t* key, char* out) {
  for (size_t i = 0; i < kKeyBytes; ++i) out[2 * i] = kHex[key[i] >> 4], out[2 * i + 1] = kHex[key[i] & 15];
  return StrView(out, 2 * kKeyBytes);
}

// A key from a file name; false for names that are not keys.
bool name_key(StrView name, uint8_t* key) {
  if (name.size() != 2 * kKeyBytes) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    key[i / 2] = static_cast<uint8_t>(i % 2 ? (key[i / 2] | v) : v << 4);
  }
  return true;
}

Result<Bytes> get_key(Result<Bytes> k) {
  Bytes key = CAPOS_TRY(k);
  if (key.size() != kKeyBytes) return refuse(Err::InvalidArgument, "a key is 32 bytes (SHA-256)");
  return key;
}

alignas(8) uint8_t g_data[wire::MAX_BLOB_BYTES];

}  // namespace

Status StoreServer::put(S::PutParams::Reader p, S::PutResults::Builder r) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o, "read-only store"));
  Bytes data = CAPOS_TRY(p.getData());
  if (data.size() > wire::MAX_BLOB_BYTES) return refuse(Err::InvalidArgument, "a blob is at most 8192 bytes");
  uint8_t key[kKeyBytes];
  crypto::Sha256::digest(data, key);
  char name[2 * kKeyBytes];
  StrView n = key_name(key, name);
  if (!cx_.fs->lookup(o.node, n)) {
    auto f = cx_.fs->create(o.node, n, fs::Kind::File);
    if (!f) return refuse(f.error());
    auto st = data.size() ? cx_.fs->write(*f, 0, data) : fs::FsStatus{};
    if (st) st = cx_.fs->sync();
    if (!st) {
      (void)cx_.fs->remove(o.node, n);  // never a key naming other bytes
      return refuse(st.error());
    }
  }
  return r.setKey(Bytes(key, kKeyBytes));
}

Status StoreServer::get(S::GetParams::Reader p, S::GetResults::Builder r) {
  const Object& o = cx_.objects->current();
  Bytes key = CAPOS_TRY(get_key(p.getKey()));
  uint32_t max = p.getMaxBytes();
  if (max == 0 || max > wire::MAX_BLOB_BYTES) return refuse(Err::InvalidArgument, "maxBytes must be 1 to 8192");
  char name[2 * kKeyBytes];
  auto f = cx_.fs->lookup(o.node, key_name(key.data(), name));
  if (!f) return refuse(Err::InvalidArgument, "no such blob");
  auto info = cx_.fs->stat(*f);
  if (!info) return refuse(info.error());
  auto n = cx_.fs->read(*f, p.getOffset(), MutBytes(g_data, max));
  if (!n) return refuse(n.error());
  r.setSize(info->size);
  return r.setData(Bytes(g_data, *n));
}

Status StoreServer::has(S::HasParams::Reader p, S::HasResults::Builder r) {
  const Object& o = cx_.objects->current();
  Bytes key = CAPOS_TRY(get_key(p.getKey()));
  char name[2 * kKeyBytes];
  auto f = cx_.fs->lookup(o.node, key_name(key.data(), name));
  r.setPresent(f.ok());
  if (f) {
    auto info = cx_.fs->stat(*f);
    if (!info) return refuse(info.error());
    r.setSize(info->size);
  }
  return {};
}

Status StoreServer::remove(S::RemoveParams::Reader p, S::RemoveResults::Builder) {
  const Object& o = cx_.objects->current();
  CAPOS_TRY_STATUS(need_writable(o, "read-only store"));
  Bytes key = CAPOS_TRY(get_key(p.getKey()));
  char name[2 * kKeyBytes];
  auto st = cx_.fs->remove(o.node, key_name(key.data(), name));
  if (!st) return refuse(st.error().code == Err::NotFound ? fs::FsError{Err::InvalidArgument, "no such blob"} : st.error());
  st = cx_.fs->sync();
  if (!st) return refuse(st.error());
  return {};
}

Status StoreServer::list(S::ListParams::Reader p, S::ListResults::Builder r) {
  const Object& o = cx_.objects->current();
  uint32_t max = p.getMaxEntries();
  if (max == 0 || max > wire::MAX_LIST_ENTRIES) return refuse(Err::InvalidArgument, "maxEntries must be 1 to 64");
  uint8_t keys[wire::MAX_LIST_ENTRIES][kKeyBytes];
  uint32_t n = 0;
  uint64_t cursor = p.getCursor();
  bool more = false;
  for (;;) {
    auto e = cx_.fs->next_entry(o.node, cursor);
    if (!e) break;
    uint8_t key[kKeyBytes];
    if (e->kind != fs::Kind::File || !name_key(e->name, key)) {
      cursor = e->cursor;
      continue;  // not a blob
    }
    if (n == max) {
      more = true;
      break;
    }
    memcpy(keys[n++], key, kKeyBytes);
    cursor = e->cursor;
  }
  auto out = CAPOS_TRY(r.initKeys(n));
  for (uint32_t i = 0; i < n; ++i) CAPOS_TRY_STATUS(out.set(i, Bytes(keys[i], kKeyBytes)));
  r.setNext(cursor);
  r.setMore(more);
  return {};
}

}  // namespace capos::storage
