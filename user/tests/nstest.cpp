// nstest: a Namespace client of fsd (QEMU tests qemu.ns_*). Boot 1 is
// granted "data" (a writable directory) and "ns" (a writable Namespace
// scoped to that directory): it makes a small tree, binds names to a
// file, a directory and a blob, and throws bad bindings at fsd (escaping
// paths, wrong kinds, bad keys, unbound names, narrower and read-only
// Namespaces). Boot 2 of the same disk is granted only "ns", a read-only
// Namespace: it must resolve exactly boot 1's bindings, get only
// read-only objects, and reach nothing that was not bound. Exit status 0
// only if every check passed.
#include "lib/core/cstring.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/storage/fs_client.h"
#include "user/storage/ns_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

int g_failures = 0;
uint8_t g_buf[256];
const char kText[] = "hello namespace\n";
const StrView kReadme[] = {"docs", "readme"};
const StrView kDocs[] = {"docs"};

void check(bool ok, StrView what) {
  if (ok) return;
  ++g_failures;
  rt::printf("nstest: FAILED: {}\n", what);
}

template <class R> void refused(const R& r, StrView what, bool fs_call = false) {
  if (!r) {
    rt::printf("nstest: refused {}: {} ({})\n", what, err_name(r.error()), fs_call ? fsc::last_error() : nsc::last_error());
    return;
  }
  ++g_failures;
  rt::printf("nstest: FAILED: {} succeeded\n", what);
}

void key_of(uint8_t* key, uint8_t seed) {
  for (uint8_t i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(seed + i * 7);
}

Result<bool> file_is_text(fsc::File f) {
  size_t n = CAPOS_TRY(fsc::read(f, 0, MutBytes(g_buf, sizeof(g_buf)), sizeof(g_buf)));
  return n == sizeof(kText) - 1 && memcmp(g_buf, kText, n) == 0;
}

// Resolves `name` to a File and checks its text and writability.
Status resolve_readme(nsc::Ns ns, StrView name, bool want_writable) {
  nsc::Resolved r = CAPOS_TRY(nsc::resolve(ns, name));
  check(r.kind == wire::BindingKind::FILE && r.has_cap && r.depth == 2, "resolve gives a file binding with a cap");
  fsc::File f = CAPOS_TRY(rt::record_cap<wire::File>(r.cap));
  check(CAPOS_TRY(file_is_text(f)), "the resolved file holds the text");
  check(CAPOS_TRY(fsc::stat(f)).writable == want_writable && r.writable == want_writable, "resolved writability");
  if (!want_writable)
    refused(fsc::write(f, 0, Bytes(g_buf, 1)), "write through a read-only binding", true);
  return fsc::close(f);
}

bool before(StrView a, StrView b) {
  size_t n = min(a.size(), b.size());
  int c = memcmp(a.ptr, b.ptr, n);
  return c < 0 || (c == 0 && a.size() < b.size());
}

// Every bound name, sorted (the list order is the filesystem's, which a
// remount may change), joined by spaces.
Result<size_t> names(nsc::Ns ns, char* out, size_t cap) {
  char raw[256];
  auto page = CAPOS_TRY(nsc::list(ns, 0, 64, MutBytes(reinterpret_cast<uint8_t*>(raw), sizeof(raw))));
  check(!page.more, "one list page holds every name");
  StrView words[16];
  uint32_t n = 0;
  for (size_t i = 0; i < page.len && n < 16;) {
    size_t j = i;
    while (j < page.len && raw[j] != ' ') ++j;
    words[n++] = StrView(raw + i, j - i);
    i = j + 1;
  }
  for (uint32_t i = 1; i < n; ++i)
    for (uint32_t k = i; k > 0 && before(words[k], words[k - 1]); --k) swap(words[k], words[k - 1]);
  size_t len = 0;
  for (uint32_t i = 0; i < n && len + words[i].size() + 1 <= cap; ++i) {
    if (i) out[len++] = ' ';
    memcpy(out + len, words[i].ptr, words[i].size());
    len += words[i].size();
  }
  return len;
}

Status first_boot(fsc::Dir data, nsc::Ns ns) {
  CAPOS_TRY_STATUS(fsc::mkdir(data, "docs"));
  fsc::Dir docs = CAPOS_TRY(fsc::sub(data, "docs", true));
  fsc::File f = CAPOS_TRY(fsc::create(docs, "readme"));
  CAPOS_TRY_STATUS(fsc::write(f, 0, Bytes(reinterpret_cast<const uint8_t*>(kText), sizeof(kText) - 1)));
  CAPOS_TRY_STATUS(fsc::close(f));
  CAPOS_TRY_STATUS(fsc::close(docs));
  CAPOS_TRY_STATUS(fsc::close(CAPOS_TRY(fsc::create(data, "secret"))));  // in scope, never bound
  CAPOS_TRY_STATUS(fsc::close(CAPOS_TRY(fsc::create(data, "gone"))));
  CAPOS_TRY_STATUS(fsc::sync(data));

  CAPOS_TRY_STATUS(nsc::bind_path(ns, "readme", wire::BindingKind::FILE, kReadme, 2, true));
  CAPOS_TRY_STATUS(resolve_readme(ns, "readme", true));
  // Rebinding replaces: now read-only.
  CAPOS_TRY_STATUS(nsc::bind_path(ns, "readme", wire::BindingKind::FILE, kReadme, 2, false));
  CAPOS_TRY_STATUS(resolve_readme(ns, "readme", false));
  CAPOS_TRY_STATUS(nsc::bind_path(ns, "docs", wire::BindingKind::DIRECTORY, kDocs, 1, true));
  uint8_t key[32];
  key_of(key, 5);
  CAPOS_TRY_STATUS(nsc::bind_blob(ns, "blob", Bytes(key, 32)));

  // Bad bindings: each refused, nothing bound.
  const StrView up[] = {"..", "secret"};
  const StrView missing[] = {"missing"};
  const StrView via_file[] = {"secret", "x"};
  StrView deep[17];
  for (auto& s : deep) s = "docs";
  refused(nsc::bind_path(ns, "a/b", wire::BindingKind::FILE, kReadme, 2, false), "name with '/'");
  refused(nsc::bind_path(ns, "..", wire::BindingKind::FILE, kReadme, 2, false), "name '..'");
  refused(nsc::bind_path(ns, "up", wire::BindingKind::FILE, up, 2, false), "a path through '..'");
  refused(nsc::bind_path(ns, "m", wire::BindingKind::DIRECTORY, missing, 1, false), "a missing path");
  refused(nsc::bind_path(ns, "vf", wire::BindingKind::FILE, via_file, 2, false), "a path through a file");
  refused(nsc::bind_path(ns, "k", wire::BindingKind::FILE, kDocs, 1, false), "a file binding of a directory");
  refused(nsc::bind_path(ns, "k", wire::BindingKind::DIRECTORY, kReadme, 2, false), "a directory binding of a file");
  refused(nsc::bind_path(ns, "k", wire::BindingKind::FILE, kDocs, 0, false), "a file binding without a path");
  refused(nsc::bind_path(ns, "k", wire::BindingKind::DIRECTORY, deep, 17, false), "a path of 17 names");
  refused(nsc::bind_blob(ns, "k", Bytes(key, 31)), "a 31-byte blob key");
  static char huge[10 * 1024];
  memset(huge, 'n', sizeof(huge));
  refused(nsc::bind_path(ns, StrView(huge, sizeof(huge)), wire::BindingKind::DIRECTORY, kDocs, 1, false),
          "a 10 KiB name");
  refused(nsc::resolve(ns, StrView("a\0b", 3)), "resolve of a name with NUL");
  char list_buf[8];
  refused(nsc::list(ns, 0, 65, MutBytes(reinterpret_cast<uint8_t*>(list_buf), sizeof(list_buf))), "a list of 65");
  refused(nsc::resolve(ns, "nothing"), "resolve of an unbound name");
  refused(nsc::unbind(ns, "nothing"), "unbind of an unbound name");
  const StrView gone[] = {"gone"};
  CAPOS_TRY_STATUS(nsc::bind_path(ns, "gone", wire::BindingKind::FILE, gone, 1, false));
  CAPOS_TRY_STATUS(fsc::remove(data, "gone"));
  refused(nsc::resolve(ns, "gone"), "resolve of a removed entry");
  CAPOS_TRY_STATUS(nsc::unbind(ns, "gone"));
  refused(nsc::resolve(ns, "gone"), "resolve after unbind");

  // A narrower Namespace sees only its prefix.
  nsc::Ns app = CAPOS_TRY(nsc::sub(ns, "app.", true));
  CAPOS_TRY_STATUS(nsc::bind_path(app, "cfg", wire::BindingKind::FILE, kReadme, 2, false));
  CAPOS_TRY_STATUS(resolve_readme(app, "cfg", false));
  refused(nsc::resolve(app, "readme"), "resolve outside the prefix");
  // The prefix counts against the 255-byte name limit.
  refused(nsc::bind_path(app, StrView(huge, 252), wire::BindingKind::DIRECTORY, kDocs, 1, false),
          "a name that fits alone but not after the prefix");
  char list[256];
  size_t n = CAPOS_TRY(names(app, list, sizeof(list)));
  rt::printf("nstest: app. names: {}\n", StrView(list, n));
  refused(nsc::sub(ns, "a/b", false), "prefix with '/'");
  // A read-only facet refuses changes and hands out read-only objects.
  nsc::Ns ro = CAPOS_TRY(nsc::sub(ns, "", false));
  refused(nsc::bind_path(ro, "x", wire::BindingKind::DIRECTORY, kDocs, 1, false), "bind on a read-only namespace");
  refused(nsc::unbind(ro, "readme"), "unbind on a read-only namespace");
  refused(nsc::sub(ro, "", true), "a writable sub of a read-only namespace");
  CAPOS_TRY_STATUS(nsc::close(app));
  CAPOS_TRY_STATUS(nsc::close(ro));
  refused(nsc::close(ns), "closing the granted namespace");

  n = CAPOS_TRY(names(ns, list, sizeof(list)));
  rt::printf("nstest: boot 1 names: {}\n", StrView(list, n));
  return {};
}

// Boot 2: only a read-only Namespace, over the disk boot 1 wrote.
Status second_boot(nsc::Ns ns) {
  char list[256];
  size_t n = CAPOS_TRY(names(ns, list, sizeof(list)));
  rt::printf("nstest: boot 2 names: {}\n", StrView(list, n));
  CAPOS_TRY_STATUS(resolve_readme(ns, "readme", false));
  CAPOS_TRY_STATUS(resolve_readme(ns, "app.cfg", false));
  nsc::Resolved r = CAPOS_TRY(nsc::resolve(ns, "docs"));
  // Bound writable, but a read-only Namespace hands out read-only objects.
  check(r.kind == wire::BindingKind::DIRECTORY && r.has_cap && !r.writable, "docs resolves read-only");
  fsc::Dir docs = CAPOS_TRY(rt::record_cap<wire::Directory>(r.cap));
  check(!CAPOS_TRY(fsc::stat(docs, "")).writable, "the resolved directory is read-only");
  check(fsc::stat(docs, "readme").ok(), "the resolved directory holds readme");
  refused(fsc::create(docs, "new"), "create in the resolved directory", true);
  refused(fsc::stat(docs, ".."), "stat of '..' in the resolved directory", true);
  refused(fsc::sub(docs, "..", false), "sub '..' of the resolved directory", true);
  CAPOS_TRY_STATUS(fsc::close(docs));
  r = CAPOS_TRY(nsc::resolve(ns, "blob"));
  uint8_t key[32];
  key_of(key, 5);
  check(r.kind == wire::BindingKind::BLOB && !r.has_cap && memcmp(r.key, key, 32) == 0, "blob binding and key");
  refused(nsc::resolve(ns, "secret"), "resolve of an entry that was never bound");
  refused(nsc::resolve(ns, "../secret"), "resolve of a path");
  refused(nsc::bind_path(ns, "x", wire::BindingKind::DIRECTORY, kDocs, 1, false), "bind on the granted read-only namespace");
  refused(nsc::unbind(ns, "readme"), "unbind on the granted read-only namespace");
  refused(nsc::sub(ns, "app.", true), "a writable sub of the granted read-only namespace");
  rt::printf("nstest: boot 2: resolved boot 1's readme, app.cfg, docs and blob read-only\n");
  return {};
}

}  // namespace

int main() {
  auto ns = rt::capset_find<wire::Namespace>("ns");
  if (!ns) {
    rt::printf("nstest: FAILED: no `ns` (Namespace) granted\n");
    return 2;
  }
  auto data = rt::capset_find<wire::Directory>("data");
  Status st = data ? first_boot(*data, *ns) : second_boot(*ns);
  if (!st) {
    rt::printf("nstest: FAILED: {} ({} / {})\n", err_name(st.error()), nsc::last_error(), fsc::last_error());
    return 1;
  }
  if (g_failures) {
    rt::printf("nstest: FAILED: {} checks\n", g_failures);
    return 1;
  }
  rt::printf("nstest: all checks passed\n");
  return 0;
}
