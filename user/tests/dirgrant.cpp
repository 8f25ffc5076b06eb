// dirgrant: a service started by init with `directory` cap sources
// (QEMU test qemu.dir_grant): "home" is users/alice of fsd's root,
// writable; "pub" is users/alice/public, read-only. It must be able to use
// exactly those directories and nothing above them: `..`, absolute and
// multi-component names, a rename target above home, writes through the
// read-only grant — each refused with its message, nothing changed. Exit
// status 0 only if every check passed.
#include "lib/core/cstring.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/storage/fs_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

int g_failures = 0;
uint8_t g_buf[256];

void check(bool ok, StrView what) {
  if (ok) return;
  ++g_failures;
  rt::printf("dirgrant: FAILED: {}\n", what);
}

template <class R> void refused(const R& r, StrView what) {
  if (!r) {
    rt::printf("dirgrant: refused {}: {} ({})\n", what, err_name(r.error()), fsc::last_error());
    return;
  }
  ++g_failures;
  rt::printf("dirgrant: FAILED: {} succeeded\n", what);
}

Result<bool> text_is(fsc::Dir d, StrView name, StrView want) {
  fsc::File f = CAPOS_TRY(fsc::open(d, name, false));
  size_t n = CAPOS_TRY(fsc::read(f, 0, MutBytes(g_buf, sizeof(g_buf)), sizeof(g_buf)));
  CAPOS_TRY_STATUS(fsc::close(f));
  return n == want.size() && memcmp(g_buf, want.ptr, n) == 0;
}

Status run(fsc::Dir home, fsc::Dir pub) {
  // Exactly alice's directory: its entries, nothing else.
  char names[128];
  size_t len = 0;
  (void)CAPOS_TRY(fsc::list(home, 0, 64, [&](StrView n, bool dir, uint64_t) {
    if (len + n.size() + 2 > sizeof(names)) return;
    if (len) names[len++] = ' ';
    memcpy(names + len, n.ptr, n.size());
    len += n.size();
    if (dir) names[len++] = '/';
  }));
  rt::printf("dirgrant: home holds: {}\n", StrView(names, len));
  check(CAPOS_TRY(text_is(home, "notes", "alice notes\n")), "home/notes reads back");
  check(CAPOS_TRY(text_is(pub, "readme", "public readme\n")), "pub/readme reads back");
  // The writable grant works.
  fsc::File f = CAPOS_TRY(fsc::create(home, "todo"));
  CAPOS_TRY_STATUS(fsc::write(f, 0, Bytes(reinterpret_cast<const uint8_t*>("x"), 1)));
  CAPOS_TRY_STATUS(fsc::close(f));
  CAPOS_TRY_STATUS(fsc::sync(home));
  // No way up.
  refused(fsc::stat(home, ".."), "stat of '..'");
  refused(fsc::sub(home, "..", false), "sub '..'");
  refused(fsc::open(home, "../secret", false), "open of '../secret'");
  refused(fsc::open(home, "/users/secret", false), "open of '/users/secret'");
  refused(fsc::open(home, "secret", false), "open of the parent's 'secret' by its bare name");
  refused(fsc::sub(home, ".", true), "sub '.'");
  const StrView up[] = {".."};
  refused(fsc::rename(home, "todo", up, 1, "todo"), "rename into '..'");
  const StrView abs[] = {"/users"};
  refused(fsc::rename(home, "todo", abs, 1, "todo"), "rename into '/users'");
  refused(fsc::rename(home, "todo", nullptr, 0, "../todo"), "rename to '../todo'");
  // The read-only grant refuses every change and hands out only read-only objects.
  refused(fsc::create(pub, "new"), "create in the read-only grant");
  refused(fsc::remove(pub, "readme"), "remove in the read-only grant");
  refused(fsc::open(pub, "readme", true), "writable open in the read-only grant");
  refused(fsc::sub(pub, "..", false), "sub '..' of the read-only grant");
  check(!CAPOS_TRY(fsc::stat(pub, "")).writable, "pub is read-only");
  // Only the granted caps are in the CapSet.
  check(!rt::capset_find<wire::Directory>("root"), "no root directory granted");
  check(CAPOS_TRY(fsc::stat(home, "todo")).size == 1, "home/todo written");
  // A grant is an object of fsd made for this service: closing it gives
  // fsd's slot back.
  return fsc::close(pub);
}

}  // namespace

int main() {
  auto home = rt::capset_find<wire::Directory>("home");
  auto pub = rt::capset_find<wire::Directory>("pub");
  if (!home || !pub) {
    rt::printf("dirgrant: FAILED: needs `home` and `pub` (Directory)\n");
    return 2;
  }
  if (Status st = run(*home, *pub); !st) {
    rt::printf("dirgrant: FAILED: {} ({})\n", err_name(st.error()), fsc::last_error());
    return 1;
  }
  if (g_failures) {
    rt::printf("dirgrant: FAILED: {} checks\n", g_failures);
    return 1;
  }
  rt::printf("dirgrant: all checks passed\n");
  return 0;
}
