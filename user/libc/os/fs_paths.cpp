// The path-level calls of the POSIX layer (os/fd_api.h): openat, stat,
// mkdir, unlink, rename, readdir — over Directory and File caps only.
// A path starts at a directory fd, or for the working directory and every
// absolute path at a granted Directory ("cwd", else "root" for relative
// paths; "root", else "cwd" for absolute ones). It is confined first
// (os/path.cpp: ".." above the start is EACCES, never clamped), then
// walked one component at a time with Directory.sub, each step a
// narrower capability that is closed once the next one is held. Without
// any Directory grant there is no filesystem: ENOENT. docs/posix.md.
#include "user/libc/os/fd_state.h"
#include "user/libc/os/path.h"
#include "user/rt/capset.h"
#include "user/storage/fs_client.h"

namespace capos::libc {

namespace {

namespace wire = schema::wire;

fsc::Dir dir_cap(const OpenFile& f) { return fsc::Dir::unchecked(f.cap); }

// A directory reached by a walk: closed when it goes out of scope unless
// it is borrowed (a granted directory or a directory fd's) or handed on.
class WalkedDir {
 public:
  WalkedDir(fsc::Dir d, bool owned) : dir_(d), owned_(owned) {}
  WalkedDir(WalkedDir&& o) : dir_(o.dir_), owned_(o.owned_) { o.owned_ = false; }
  WalkedDir(const WalkedDir&) = delete;
  WalkedDir& operator=(const WalkedDir&) = delete;
  ~WalkedDir() { reset(); }
  void reset() {
    if (owned_) (void)fsc::close(dir_);  // best effort: fsd reclaims it when we exit anyway
    owned_ = false;
  }
  void replace(fsc::Dir d) {
    reset();
    dir_ = d;
    owned_ = true;
  }
  fsc::Dir dir() const { return dir_; }
  bool owned() const { return owned_; }
  // Ownership moves to the caller (an fd now holds it).
  bool release() {
    bool o = owned_;
    owned_ = false;
    return o;
  }

 private:
  fsc::Dir dir_;
  bool owned_;
};

// Where a path ends: its directory and the last component (empty when the
// path names the directory itself).
struct Target {
  WalkedDir parent;
  char leaf[kNameMax + 1];
  size_t leaf_len;
  StrView name() const { return StrView(leaf, leaf_len); }
};

Result<WalkedDir, Errno> start_dir(int dirfd, bool absolute) CAPOS_REQUIRES(g_fd_lock) {
  if (absolute || dirfd == CAPOS_AT_CWD) {
    const char* order[2] = {"cwd", "root"};
    if (absolute) order[0] = "root", order[1] = "cwd";
    for (const char* name : order)
      if (auto d = rt::capset_find<wire::Directory>(name)) return WalkedDir(*d, false);
    return fail(CAPOS_ENOENT);  // no filesystem granted at all
  }
  OpenFile* f = CAPOS_TRY(fd_state().table.get(dirfd));
  if (f->kind != FdKind::Dir) return fail(CAPOS_ENOTDIR);
  return WalkedDir(dir_cap(*f), false);
}

// Why Directory.sub(name) failed, by looking at the entry (the name is
// valid: confine_path checked it).
Errno why_not_dir(fsc::Dir d, StrView name, Err sub_error, bool writable) CAPOS_REQUIRES(g_fd_lock) {
  if (sub_error == Err::Overloaded) return CAPOS_ENFILE;
  auto st = fsc::stat(d, name);
  if (!st) return st.error() == Err::InvalidArgument ? CAPOS_ENOENT : CAPOS_EIO;
  if (!st->dir) return CAPOS_ENOTDIR;
  return writable ? CAPOS_EROFS : CAPOS_EIO;
}

Result<Target, Errno> resolve(int dirfd, const char* path, bool writable) CAPOS_REQUIRES(g_fd_lock) {
  if (path == nullptr) return fail(CAPOS_EINVAL);
  char inside[kPathMax + 1];
  auto c = confine_path(StrView(path, strnlen(path, kPathMax + 1)), inside, kPathMax);
  if (!c) {
    if (c.error() == Err::PermissionDenied) return fail(CAPOS_EACCES);
    if (c.error() == Err::LimitExceeded) return fail(CAPOS_ENAMETOOLONG);
    return fail(CAPOS_ENOENT);  // "" (POSIX) or an embedded NUL
  }
  size_t len = *c;
  Target t{CAPOS_TRY(start_dir(dirfd, path[0] == '/')), {}, 0};
  size_t i = 0;
  for (;;) {
    size_t start = i;
    while (i < len && inside[i] != '/') ++i;
    StrView comp(inside + start, i - start);
    if (i >= len) {  // the last component
      memcpy(t.leaf, comp.ptr, comp.size());
      t.leaf_len = comp.size();
      return t;
    }
    auto next = fsc::sub(t.parent.dir(), comp, writable);
    if (!next) return fail(why_not_dir(t.parent.dir(), comp, next.error(), writable));
    t.parent.replace(*next);
    ++i;
  }
}

Result<int, Errno> install(const OpenFile& f) CAPOS_REQUIRES(g_fd_lock) {
  FdState& s = fd_state();
  auto fd = s.table.open(f);
  if (!fd) release_file(s, f);
  return fd;
}

Result<int, Errno> open_at(int dirfd, const char* path, unsigned flags) CAPOS_REQUIRES(g_fd_lock) {
  bool writing = flags & CAPOS_OPEN_WRITE;
  Target t = CAPOS_TRY(resolve(dirfd, path, writing || (flags & CAPOS_OPEN_CREATE)));
  OpenFile of;
  of.flags = flags & (CAPOS_OPEN_READ | CAPOS_OPEN_WRITE | CAPOS_OPEN_APPEND);
  if (t.leaf_len == 0) {  // the start directory itself ("/", ".", "a/..")
    if (writing) return fail(CAPOS_EISDIR);
    of.kind = FdKind::Dir;
    of.cap = t.parent.dir().id();
    of.owns_cap = t.parent.release();
    return install(of);
  }
  auto st = fsc::stat(t.parent.dir(), t.name());
  if (!st) {
    if (st.error() != Err::InvalidArgument) return fail(CAPOS_EIO);
    if (!(flags & CAPOS_OPEN_CREATE)) return fail(CAPOS_ENOENT);
    auto f = fsc::create(t.parent.dir(), t.name());
    if (!f) return fail(f.error() == Err::Overloaded ? CAPOS_ENOSPC : CAPOS_EROFS);
    of.kind = FdKind::File;
    of.cap = f->id();
    of.owns_cap = true;
    return install(of);
  }
  if ((flags & CAPOS_OPEN_CREATE) && (flags & CAPOS_OPEN_EXCL)) return fail(CAPOS_EEXIST);
  if (st->dir) {
    if (writing) return fail(CAPOS_EISDIR);
    auto d = fsc::sub(t.parent.dir(), t.name(), st->writable);
    if (!d) return fail(d.error() == Err::Overloaded ? CAPOS_ENFILE : CAPOS_EIO);
    of.kind = FdKind::Dir;
    of.cap = d->id();
    of.owns_cap = true;
    return install(of);
  }
  if (flags & CAPOS_OPEN_DIRECTORY) return fail(CAPOS_ENOTDIR);
  auto f = fsc::open(t.parent.dir(), t.name(), writing);
  if (!f) {
    if (f.error() == Err::Overloaded) return fail(CAPOS_ENFILE);
    return fail(writing ? CAPOS_EROFS : CAPOS_EIO);
  }
  of.kind = FdKind::File;
  of.cap = f->id();
  of.owns_cap = true;
  if (writing && (flags & CAPOS_OPEN_TRUNC)) {
    if (!fsc::truncate(*f, 0)) {
      release_file(fd_state(), of);
      return fail(CAPOS_EIO);
    }
  }
  return install(of);
}

Result<capos_fd_stat, Errno> stat_at(int dirfd, const char* path) CAPOS_REQUIRES(g_fd_lock) {
  Target t = CAPOS_TRY(resolve(dirfd, path, false));
  auto s = fsc::stat(t.parent.dir(), t.name());
  if (!s) return fail(s.error() == Err::InvalidArgument ? CAPOS_ENOENT : CAPOS_EIO);
  capos_fd_stat st{};
  st.type = s->dir ? CAPOS_FT_DIR : CAPOS_FT_FILE;
  st.writable = s->writable;
  st.size = s->size;
  st.blocks = s->blocks;
  st.modified = s->modified;
  return st;
}

// A change to an existing directory: its failures as errno, by looking.
Errno change_errno(fsc::Dir d, StrView name, Err e, bool must_exist) CAPOS_REQUIRES(g_fd_lock) {
  if (e == Err::Overloaded) return CAPOS_ENOSPC;
  if (e == Err::Failed) return CAPOS_ENOTEMPTY;  // the one `failed` of remove
  if (e != Err::InvalidArgument) return CAPOS_EIO;
  auto st = fsc::stat(d, name);
  if (must_exist && !st) return CAPOS_ENOENT;
  if (!must_exist && st) return CAPOS_EEXIST;
  return CAPOS_EROFS;
}

Result<int, Errno> mkdir_at(int dirfd, const char* path) CAPOS_REQUIRES(g_fd_lock) {
  Target t = CAPOS_TRY(resolve(dirfd, path, true));
  if (t.leaf_len == 0) return fail(CAPOS_EEXIST);
  auto r = fsc::mkdir(t.parent.dir(), t.name());
  if (!r) return fail(change_errno(t.parent.dir(), t.name(), r.error(), false));
  return 0;
}

Result<int, Errno> unlink_at(int dirfd, const char* path, bool dir) CAPOS_REQUIRES(g_fd_lock) {
  Target t = CAPOS_TRY(resolve(dirfd, path, true));
  if (t.leaf_len == 0) return fail(dir ? CAPOS_EINVAL : CAPOS_EISDIR);  // rmdir(".") is EINVAL
  auto st = fsc::stat(t.parent.dir(), t.name());
  if (!st) return fail(CAPOS_ENOENT);
  if (st->dir && !dir) return fail(CAPOS_EISDIR);
  if (!st->dir && dir) return fail(CAPOS_ENOTDIR);
  auto r = fsc::remove(t.parent.dir(), t.name());
  if (!r) return fail(change_errno(t.parent.dir(), t.name(), r.error(), true));
  return 0;
}

// Directory.rename moves an entry of one directory to a directory at or
// below it, so `to`'s directory must be `from`'s directory or inside it
// (both from the same start); anything else is EXDEV, as between devices.
Result<int, Errno> rename_at(int olddirfd, const char* from, int newdirfd, const char* to) CAPOS_REQUIRES(g_fd_lock) {
  if (from == nullptr || to == nullptr) return fail(CAPOS_EINVAL);
  bool abs_from = from[0] == '/', abs_to = to[0] == '/';
  bool same_start = abs_from == abs_to && (abs_from || olddirfd == newdirfd);
  if (!same_start) return fail(CAPOS_EXDEV);
  char in_to[kPathMax + 1];
  auto ct = confine_path(StrView(to, strnlen(to, kPathMax + 1)), in_to, kPathMax);
  if (!ct) return fail(ct.error() == Err::PermissionDenied ? CAPOS_EACCES : CAPOS_ENAMETOOLONG);
  Target t = CAPOS_TRY(resolve(olddirfd, from, true));
  if (t.leaf_len == 0 || *ct == 0) return fail(CAPOS_EINVAL);
  // `from`'s directory path, to compare with `to`'s.
  char in_from[kPathMax + 1];
  auto cf = confine_path(StrView(from, strnlen(from, kPathMax + 1)), in_from, kPathMax);
  if (!cf) return fail(CAPOS_EINVAL);  // resolve() accepted it, so this cannot happen
  size_t nf = *cf;
  size_t from_dir = nf - t.leaf_len;  // "a/b/" of "a/b/x", or 0
  if (from_dir > *ct || memcmp(in_from, in_to, from_dir) != 0) return fail(CAPOS_EXDEV);
  // The names below from's directory, then the new leaf.
  StrView steps[wire::MAX_PATH_DEPTH];
  uint32_t depth = 0;
  size_t i = from_dir;
  StrView leaf;
  for (;;) {
    size_t start = i;
    while (i < *ct && in_to[i] != '/') ++i;
    StrView comp(in_to + start, i - start);
    if (i >= *ct) {
      leaf = comp;
      break;
    }
    if (depth == wire::MAX_PATH_DEPTH) return fail(CAPOS_ENAMETOOLONG);
    steps[depth++] = comp;
    ++i;
  }
  auto r = fsc::rename(t.parent.dir(), t.name(), steps, depth, leaf);
  if (!r) return fail(change_errno(t.parent.dir(), t.name(), r.error(), true));
  return 0;
}

Result<int, Errno> read_dir(int fd, char* name, size_t cap, int* is_dir, int* end) CAPOS_REQUIRES(g_fd_lock) {
  OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
  if (f->kind != FdKind::Dir) return fail(CAPOS_ENOTDIR);
  *end = 1;
  if (f->dir_end) return 0;
  bool got = false;
  bool fits = true;
  auto page = fsc::list(dir_cap(*f), f->offset, 1, [&](StrView n, bool dir, uint64_t) {
    got = true;
    fits = n.size() < cap;
    if (!fits) return;
    memcpy(name, n.ptr, n.size());
    name[n.size()] = '\0';
    *is_dir = dir;
  });
  if (!page) return fail(CAPOS_EIO);
  if (!fits) return fail(CAPOS_ENAMETOOLONG);
  f->offset = page->next;
  f->dir_end = !page->more;
  if (got) *end = 0;
  return 0;
}

}  // namespace

}  // namespace capos::libc

using namespace capos;
using namespace capos::libc;

namespace {
int to_c(Result<int, Errno> r, int* out = nullptr) {
  if (!r) return r.error();
  if (out) *out = *r;
  return 0;
}
}  // namespace

extern "C" int capos_fd_openat(int dirfd, const char* path, unsigned flags, int* out) {
  FdGuard g(g_fd_lock);
  return to_c(open_at(dirfd, path, flags), out);
}

extern "C" int capos_fd_statat(int dirfd, const char* path, capos_fd_stat* st) {
  FdGuard g(g_fd_lock);
  auto r = stat_at(dirfd, path);
  if (!r) return r.error();
  *st = *r;
  return 0;
}

extern "C" int capos_fd_mkdirat(int dirfd, const char* path) {
  FdGuard g(g_fd_lock);
  return to_c(mkdir_at(dirfd, path));
}

extern "C" int capos_fd_unlinkat(int dirfd, const char* path, int dir) {
  FdGuard g(g_fd_lock);
  return to_c(unlink_at(dirfd, path, dir != 0));
}

extern "C" int capos_fd_renameat(int olddirfd, const char* from, int newdirfd, const char* to) {
  FdGuard g(g_fd_lock);
  return to_c(rename_at(olddirfd, from, newdirfd, to));
}

extern "C" int capos_fd_readdir(int fd, char* name, size_t cap, int* is_dir, int* end) {
  FdGuard g(g_fd_lock);
  return to_c(read_dir(fd, name, cap, is_dir, end));
}

extern "C" int capos_fd_rewinddir(int fd) {
  uint64_t pos;
  return capos_fd_seek(fd, 0, 0, &pos);
}
