#include "user/shell/fs_commands.h"

#include "lib/core/format.h"
#include "user/shell/names.h"
#include "user/storage/fs_client.h"

namespace capos::shell {

namespace wire = schema::wire;

namespace {

constexpr uint32_t kMaxDepth = wire::MAX_PATH_DEPTH;

OutFn g_out;
StrView g_cmd;

template <class... A> void say(StrView fmt, const A&... args) {
  char buf[600];
  g_out(format_to(buf, sizeof(buf), fmt, args...));
}

void report(Err e) {
  StrView why = fsc::last_error();
  if (why.empty()) say("{}: {}\n", g_cmd, err_name(e));
  else say("{}: {} ({})\n", g_cmd, err_name(e), why);
}

struct Path {
  StrView part[kMaxDepth];
  uint32_t n = 0;
};

// Components of `p` ("a/b/c"); empty components (doubled or edge
// slashes) are skipped. False if deeper than kMaxDepth.
bool split(StrView p, Path* out) {
  size_t i = 0;
  while (i < p.size()) {
    size_t start = i;
    while (i < p.size() && p.ptr[i] != '/') ++i;
    if (i > start) {
      if (out->n == kMaxDepth) return false;
      out->part[out->n++] = p.substr(start, i - start);
    }
    ++i;
  }
  return true;
}

// The directory home/parts[0..n): home itself for n == 0 (not to be
// closed), otherwise a sub-directory object the caller closes.
Result<fsc::Dir> walk(fsc::Dir home, const Path& p, uint32_t n, bool writable) {
  fsc::Dir d = home;
  for (uint32_t i = 0; i < n; ++i) {
    auto next = fsc::sub(d, p.part[i], writable);
    if (d.id() != home.id()) (void)fsc::close(d);
    if (!next) return fail(next.error());
    d = *next;
  }
  return d;
}

void done_with(fsc::Dir home, fsc::Dir d) {
  if (d.id() != home.id()) (void)fsc::close(d);
}

// Parses `arg` and opens its parent; `leaf` is the last component.
Result<fsc::Dir> parent_of(fsc::Dir home, StrView arg, bool writable, StrView* leaf) {
  Path p;
  if (!split(arg, &p) || p.n == 0) {
    say("{}: bad path `{}`\n", g_cmd, arg.substr(0, 80));
    return fail(Err::InvalidArgument);
  }
  *leaf = p.part[p.n - 1];
  auto d = walk(home, p, p.n - 1, writable);
  if (!d) report(d.error());
  return d;
}

void ls(fsc::Dir home, StrView arg) {
  Path p;
  if (!split(arg, &p)) return say("{}: path too deep\n", g_cmd);
  auto d = walk(home, p, p.n, false);
  if (!d) return report(d.error());
  uint64_t cursor = 0, count = 0;
  for (;;) {
    auto page = fsc::list(*d, cursor, wire::MAX_LIST_ENTRIES, [&](StrView name, bool dir, uint64_t size) {
      ++count;
      if (dir) say("{}/\n", name);
      else say("{}  {}\n", name, size);
    });
    if (!page) {
      report(page.error());
      break;
    }
    cursor = page->next;
    if (!page->more) break;
  }
  if (count == 0) say("(empty)\n");
  done_with(home, *d);
}

void cat(fsc::Dir home, StrView arg) {
  StrView leaf;
  auto d = parent_of(home, arg, false, &leaf);
  if (!d) return;
  auto f = fsc::open(*d, leaf, false);
  done_with(home, *d);
  if (!f) return report(f.error());
  static uint8_t buf[wire::MAX_FILE_TRANSFER_BYTES];
  for (uint64_t off = 0;;) {
    auto n = fsc::read(*f, off, MutBytes(buf, sizeof(buf)), sizeof(buf));
    if (!n) {
      report(n.error());
      break;
    }
    if (*n == 0) break;
    g_out(StrView(reinterpret_cast<const char*>(buf), *n));
    off += *n;
  }
  (void)fsc::close(*f);
}

// write <file> <words...>: the file becomes the words and a newline, synced.
void write(fsc::Dir home, const StrView* words, uint32_t n) {
  StrView leaf;
  auto d = parent_of(home, words[0], true, &leaf);
  if (!d) return;
  auto f = fsc::open(*d, leaf, true);
  if (!f && f.error() == Err::InvalidArgument && fsc::last_error() == "no such entry") f = fsc::create(*d, leaf);
  done_with(home, *d);
  if (!f) return report(f.error());
  static char text[wire::MAX_FILE_TRANSFER_BYTES];
  size_t len = 0;
  for (uint32_t i = 1; i < n; ++i) {
    if (len + words[i].size() + 1 > sizeof(text)) break;
    memcpy(text + len, words[i].ptr, words[i].size());
    len += words[i].size();
    text[len++] = i + 1 < n ? ' ' : '\n';
  }
  Status st = fsc::truncate(*f, 0);
  if (st && len) st = fsc::write(*f, 0, Bytes(reinterpret_cast<const uint8_t*>(text), len));
  if (st) st = fsc::sync(*f);
  if (!st) report(st.error());
  else say("{}: {} bytes, synced\n", g_cmd, len);
  (void)fsc::close(*f);
}

void mkdir(fsc::Dir home, StrView arg) {
  StrView leaf;
  auto d = parent_of(home, arg, true, &leaf);
  if (!d) return;
  Status st = fsc::mkdir(*d, leaf);
  if (st) st = fsc::sync(*d);
  if (!st) report(st.error());
  done_with(home, *d);
}

void rm(fsc::Dir home, StrView arg) {
  StrView leaf;
  auto d = parent_of(home, arg, true, &leaf);
  if (!d) return;
  Status st = fsc::remove(*d, leaf);
  if (st) st = fsc::sync(*d);
  if (!st) report(st.error());
  done_with(home, *d);
}

// mv <from> <to>: the rename is made on the directory holding `from`, so
// `to` must lie in that directory or below it (a capability reaches down
// only).
void mv(fsc::Dir home, StrView from, StrView to) {
  Path a, b;
  if (!split(from, &a) || !split(to, &b) || a.n == 0 || b.n == 0) return say("{}: bad path\n", g_cmd);
  uint32_t base = a.n - 1;
  for (uint32_t i = 0; i < base; ++i)
    if (i >= b.n - 1 || !(a.part[i] == b.part[i]))
      return say("{}: `{}` must be in the directory of `{}` or below it\n", g_cmd, to.substr(0, 80), from.substr(0, 80));
  auto d = walk(home, a, base, true);
  if (!d) return report(d.error());
  Status st = fsc::rename(*d, a.part[base], b.part + base, b.n - 1 - base, b.part[b.n - 1]);
  if (st) st = fsc::sync(*d);
  if (!st) report(st.error());
  done_with(home, *d);
}

void stat(fsc::Dir home, StrView arg) {
  StrView leaf;
  Path p;
  if (!split(arg, &p)) return say("{}: path too deep\n", g_cmd);
  Result<fsc::Dir> d = p.n == 0 ? Result<fsc::Dir>(home) : parent_of(home, arg, false, &leaf);
  if (!d) return;
  auto s = fsc::stat(*d, p.n == 0 ? StrView() : leaf);
  done_with(home, *d);
  if (!s) return report(s.error());
  say("{}: {}, {} {}, {} blocks, changed in generation {}, {}\n", arg.empty() ? StrView(".") : arg,
      s->dir ? "directory" : "file", s->size, s->dir ? "entries" : "bytes", s->blocks, s->modified,
      s->writable ? "writable" : "read-only");
}

void df(fsc::Dir home) {
  auto i = fsc::fs_stat(home);
  if (!i) return report(i.error());
  say("{}: {} KiB free of {} KiB ({} of {} blocks of {} bytes), {} nodes, generation {}{}\n",
      StrView(i->format, i->format_len), i->free * i->block_size / 1024, i->total * i->block_size / 1024, i->free, i->total, i->block_size, i->nodes,
      i->generation, i->read_only ? ", read-only" : "");
}

}  // namespace

void run_fs_command(const StrView* argv, uint32_t argc, OutFn out) {
  g_out = out;
  g_cmd = argv[0];
  auto id = names::find("home", wire::Directory::kInterfaceId);
  if (!id) return say("{}: no `home` directory granted to this shell\n", g_cmd);
  auto home = Result<fsc::Dir>(fsc::Dir::unchecked(*id));
  StrView c = argv[0];
  StrView a1 = argc > 1 ? argv[1] : StrView();
  if (c == "ls") ls(*home, a1);
  else if (c == "cat") cat(*home, a1);
  else if (c == "write") write(*home, argv + 1, argc - 1);
  else if (c == "mkdir") mkdir(*home, a1);
  else if (c == "rm") rm(*home, a1);
  else if (c == "mv") mv(*home, a1, argv[2]);
  else if (c == "stat") stat(*home, a1);
  else if (c == "df") df(*home);
}

}  // namespace capos::shell
