#include "user/storage/ns_client.h"

#include "user/storage/client_call.h"

namespace capos::nsc {

namespace wire = schema::wire;
using NC = wire::Namespace::Client;

namespace {

storage::CallBuffers<16 * 1024, 8 * 1024> g_bufs;  // room for oversized names (hostile tests)
storage::FailureNote g_note;

struct Call : storage::ClientCall {
  Call() : ClientCall(g_bufs) {}
};
using storage::method;
template <class T> T mark(T r, bool caps) { return g_note.keep(move(r), caps); }

}  // namespace

StrView last_error() { return g_note.message(); }

Status bind_path(Ns ns, StrView name, wire::BindingKind kind, const StrView* path, uint32_t depth, bool writable) {
  Call c;
  auto p = CAPOS_TRY(NC::bindParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  auto b = CAPOS_TRY(p.initBinding());
  b.setKind(kind);
  b.setWritable(writable);
  auto list = CAPOS_TRY(b.initPath(depth));
  for (uint32_t i = 0; i < depth; ++i) CAPOS_TRY_STATUS(list.set(i, path[i]));
  (void)CAPOS_TRY(mark(NC(&rt::transport(), ns).bind(c.params, c.resp), false));
  return {};
}

Status bind_blob(Ns ns, StrView name, Bytes key) {
  Call c;
  auto p = CAPOS_TRY(NC::bindParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  auto b = CAPOS_TRY(p.initBinding());
  b.setKind(wire::BindingKind::BLOB);
  CAPOS_TRY_STATUS(b.setKey(key));
  (void)CAPOS_TRY(mark(NC(&rt::transport(), ns).bind(c.params, c.resp), false));
  return {};
}

Status unbind(Ns ns, StrView name) {
  Call c;
  auto p = CAPOS_TRY(NC::unbindParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  (void)CAPOS_TRY(mark(NC(&rt::transport(), ns).unbind(c.params, c.resp), false));
  return {};
}

Result<Ns> sub(Ns ns, StrView prefix, bool writable) {
  Call c;
  auto p = CAPOS_TRY(NC::subParams(c.params));
  CAPOS_TRY_STATUS(p.setPrefix(prefix));
  p.setWritable(writable);
  return mark(rt::call_for_cap<wire::Namespace>(ns, method(wire::Namespace::Method::SUB), c.params, c.resp), true);
}

Status close(Ns ns) {
  Call c;
  (void)CAPOS_TRY(NC::closeParams(c.params));
  (void)CAPOS_TRY(mark(NC(&rt::transport(), ns).close(c.params, c.resp), false));
  rt::release_cap(ns);
  return {};
}

Result<Resolved> resolve(Ns ns, StrView name) {
  Call c;
  auto p = CAPOS_TRY(NC::resolveParams(c.params));
  CAPOS_TRY_STATUS(p.setName(name));
  Resolved out{};
  uint32_t n = 0;
  CAPOS_TRY_STATUS(mark(rt::call_with_caps(ns, method(wire::Namespace::Method::RESOLVE), c.params, c.resp,
                                           Span<const abi::CapTransferDesc>(),
                                           Span<abi::CapTransferRecord>(&out.cap, 1), &n),
                        true));
  out.has_cap = n == 1;
  auto root = CAPOS_TRY(c.resp.root());
  auto b = CAPOS_TRY(wire::Namespace::ResolveResults::Reader(root).getBinding());
  out.kind = b.getKind();
  out.writable = b.getWritable();
  out.depth = CAPOS_TRY(b.getPath()).size();
  Bytes key = CAPOS_TRY(b.getKey());
  if (key.size() == sizeof(out.key)) memcpy(out.key, key.data(), key.size());
  return out;
}

Result<NamesPage> list(Ns ns, uint64_t cursor, uint32_t max, MutBytes out) {
  Call c;
  auto p = CAPOS_TRY(NC::listParams(c.params));
  p.setCursor(cursor);
  p.setMaxEntries(max);
  auto r = CAPOS_TRY(mark(NC(&rt::transport(), ns).list(c.params, c.resp), false));
  auto names = CAPOS_TRY(r.getNames());
  NamesPage page{0, names.size(), r.getNext(), r.getMore()};
  for (uint32_t i = 0; i < names.size(); ++i) {
    StrView nm = CAPOS_TRY(names[i]);
    size_t need = nm.size() + (i ? 1 : 0);
    if (page.len + need > out.size()) return fail(Err::Truncated);
    if (i) out.data()[page.len++] = ' ';
    memcpy(out.data() + page.len, nm.ptr, nm.size());
    page.len += nm.size();
  }
  return page;
}

}  // namespace capos::nsc
