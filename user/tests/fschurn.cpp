// fschurn: a write workload for the power-cut test (tests/qemu/fs_crash.py).
// Each boot first checks what the disk holds: files f<lo>..f<hi>, every
// one present and exactly its pattern, nothing else. Then it churns until
// QEMU is killed: create f<i> with its pattern, rewrite part of f<i-1>
// with the same bytes (copy on write), remove f<i-40>, sync, and print
// "fschurn: synced f<i>". The harness kills QEMU at random moments and
// checks that the next boot finds every synced file (hi >= the last
// synced, and at most the one whose sync was under way beyond it).
#include "lib/core/cstring.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/storage/fs_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

constexpr uint64_t kKeep = 40;
uint8_t g_buf[wire::MAX_FILE_TRANSFER_BYTES];
uint8_t g_want[wire::MAX_FILE_TRANSFER_BYTES];

uint64_t size_of(uint64_t i) { return 1 + (i * 7919) % 24000; }
uint8_t byte_of(uint64_t i, uint64_t off) { return static_cast<uint8_t>(i * 131 + off * 7 + (off >> 8)); }

size_t name_of(uint64_t i, char* out) {
  char digits[24];
  size_t n = 0;
  do digits[n++] = static_cast<char>('0' + i % 10); while ((i /= 10) != 0);
  out[0] = 'f';
  for (size_t k = 0; k < n; ++k) out[1 + k] = digits[n - 1 - k];
  return n + 1;
}

bool parse(StrView name, uint64_t* i) {
  if (name.size() < 2 || name.size() > 20 || name[0] != 'f') return false;
  *i = 0;
  for (size_t k = 1; k < name.size(); ++k) {
    if (name[k] < '0' || name[k] > '9') return false;
    *i = *i * 10 + static_cast<uint64_t>(name[k] - '0');
  }
  return true;
}

Status write_range(fsc::File f, uint64_t i, uint64_t from, uint64_t to) {
  for (uint64_t off = from; off < to;) {
    size_t n = min<uint64_t>(sizeof(g_buf), to - off);
    for (size_t k = 0; k < n; ++k) g_buf[k] = byte_of(i, off + k);
    CAPOS_TRY_STATUS(fsc::write(f, off, Bytes(g_buf, n)));
    off += n;
  }
  return {};
}

// True if file f<i> holds exactly its pattern.
Result<bool> intact(fsc::Dir home, uint64_t i) {
  char name[24];
  fsc::File f = CAPOS_TRY(fsc::open(home, StrView(name, name_of(i, name)), false));
  uint64_t off = 0;
  bool ok = true;
  for (;;) {
    size_t n = CAPOS_TRY(fsc::read(f, off, MutBytes(g_buf, sizeof(g_buf)), sizeof(g_buf)));
    if (n == 0) break;
    for (size_t k = 0; k < n; ++k) g_want[k] = byte_of(i, off + k);
    ok = ok && memcmp(g_buf, g_want, n) == 0;
    off += n;
  }
  CAPOS_TRY_STATUS(fsc::close(f));
  return ok && off == size_of(i);
}

// The range of files on disk [*lo_out, result], each checked; Corrupt if
// anything is off. *count_out is 0 for an empty directory.
Result<uint64_t> check(fsc::Dir home, uint64_t* lo_out, uint64_t* count_out) {
  uint64_t lo = ~uint64_t{0}, hi = 0, count = 0, cursor = 0;
  bool strange = false;
  for (;;) {
    auto page = CAPOS_TRY(fsc::list(home, cursor, wire::MAX_LIST_ENTRIES, [&](StrView name, bool dir, uint64_t) {
      uint64_t i;
      if (dir || !parse(name, &i)) return (void)(strange = true);
      ++count;
      lo = min(lo, i);
      hi = i > hi ? i : hi;
    }));
    cursor = page.next;
    if (!page.more) break;
  }
  *count_out = count;
  if (count == 0) {
    *lo_out = 0;
    return uint64_t{0};
  }
  if (strange || count != hi - lo + 1) {
    rt::printf("fschurn: FAILED: {} files, range f{}..f{}, unexpected names: {}\n", count, lo, hi, strange);
    return fail(Err::Corrupt);
  }
  for (uint64_t i = lo; i <= hi; ++i) {
    if (!CAPOS_TRY(intact(home, i))) {
      rt::printf("fschurn: FAILED: f{} is not its pattern\n", i);
      return fail(Err::Corrupt);
    }
  }
  *lo_out = lo;
  return hi;
}

Status step(fsc::Dir home, uint64_t i) {
  char name[24];
  fsc::File f = CAPOS_TRY(fsc::create(home, StrView(name, name_of(i, name))));
  CAPOS_TRY_STATUS(write_range(f, i, 0, size_of(i)));
  CAPOS_TRY_STATUS(fsc::close(f));
  if (i > 0) {
    // The same bytes again over the middle of the previous file: its
    // blocks are the last commit's, so this goes to fresh blocks.
    fsc::File p = CAPOS_TRY(fsc::open(home, StrView(name, name_of(i - 1, name)), true));
    uint64_t s = size_of(i - 1);
    CAPOS_TRY_STATUS(write_range(p, i - 1, s / 4, s / 4 + s / 2));
    CAPOS_TRY_STATUS(fsc::close(p));
  }
  if (i >= kKeep) CAPOS_TRY_STATUS(fsc::remove(home, StrView(name, name_of(i - kKeep, name))));
  return fsc::sync(home);
}

}  // namespace

int main() {
  auto home = rt::capset_find<wire::Directory>("home");
  if (!home) {
    rt::print("fschurn: needs `home` (Directory)\n");
    return 2;
  }
  uint64_t lo = 0, count = 0;
  auto hi = check(*home, &lo, &count);
  if (!hi) {
    rt::printf("fschurn: FAILED: check: {} ({})\n", err_name(hi.error()), fsc::last_error());
    return 3;
  }
  if (count == 0) rt::print("fschurn: consistent: no files\n");
  else rt::printf("fschurn: consistent: files f{}..f{}\n", lo, *hi);
  for (uint64_t i = count == 0 ? 0 : *hi + 1;; ++i) {
    if (Status st = step(*home, i); !st) {
      rt::printf("fschurn: FAILED: step {}: {} ({})\n", i, err_name(st.error()), fsc::last_error());
      return 4;
    }
    rt::printf("fschurn: synced f{}\n", i);
  }
}
