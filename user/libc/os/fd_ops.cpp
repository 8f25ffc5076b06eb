// The fd-level calls of the POSIX layer (os/fd_api.h): read, write,
// lseek, fstat, close, dup, pipe, poll's readiness, over the fd table
// (os/fd_table.h). Each description is one kind of object: the Console
// (fds 0-2 at start), a File cap from a granted Directory (os/fs_paths.cpp
// opens them), a Directory cap (opendir, openat's dirfd), one end of a
// pipe inside this process, or a TCP socket (os/sockets.cpp). docs/posix.md.
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "user/libc/os/fd_state.h"
#include "user/libc/os/sockets.h"
#include "user/libc/os/streams.h"
#include "user/rt/capset.h"
#include "user/storage/fs_client.h"

extern "C" long capos_libc_console_write(const char* p, size_t n);
extern "C" long capos_libc_console_read(char* p, size_t n);
extern "C" int capos_libc_console_ready(void);

namespace capos::libc {

namespace wire = schema::wire;

FdLock g_fd_lock;

namespace {

FdState g_state CAPOS_GUARDED_BY(g_fd_lock);

fsc::File file_cap(const OpenFile& f) { return fsc::File::unchecked(f.cap); }
fsc::Dir dir_cap(const OpenFile& f) { return fsc::Dir::unchecked(f.cap); }

// A File call's failure as errno: the arguments are ours and valid, so
// invalidArgument here means a read-only File; overloaded a full disk.
Errno file_errno(Err e, bool writing) {
  switch (e) {
    case Err::InvalidArgument: return writing ? CAPOS_EBADF : CAPOS_EINVAL;
    case Err::Overloaded: return writing ? CAPOS_ENOSPC : CAPOS_EAGAIN;
    default: return CAPOS_EIO;
  }
}

Result<OpenFile, Errno> lookup(int fd) CAPOS_EXCLUDES(g_fd_lock) {
  FdGuard g(g_fd_lock);
  return *CAPOS_TRY(fd_state().table.get(fd));
}

Result<size_t, Errno> file_read(int fd, uint8_t* buf, size_t n) CAPOS_REQUIRES(g_fd_lock) {
  OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
  if (!(f->flags & CAPOS_OPEN_READ)) return fail(CAPOS_EBADF);
  uint32_t want = static_cast<uint32_t>(min<size_t>(n, wire::MAX_FILE_TRANSFER_BYTES));
  auto r = fsc::read(file_cap(*f), f->offset, MutBytes(buf, n), want);
  if (!r) return fail(file_errno(r.error(), false));
  f->offset += *r;
  return *r;
}

Result<size_t, Errno> file_write(int fd, const uint8_t* buf, size_t n) CAPOS_REQUIRES(g_fd_lock) {
  OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
  if (!(f->flags & CAPOS_OPEN_WRITE)) return fail(CAPOS_EBADF);
  if (f->flags & CAPOS_OPEN_APPEND) {
    auto st = fsc::stat(file_cap(*f));
    if (!st) return fail(CAPOS_EIO);
    f->offset = st->size;
  }
  size_t done = 0;
  while (done < n) {
    size_t chunk = min<size_t>(n - done, wire::MAX_FILE_TRANSFER_BYTES);
    auto w = fsc::write(file_cap(*f), f->offset, Bytes(buf + done, chunk));
    if (!w) {
      if (done > 0) break;  // a short write; the next one reports the error
      return fail(file_errno(w.error(), true));
    }
    f->offset += chunk;
    done += chunk;
  }
  return done;
}

// Blocks while the pipe is empty and a writer remains; 0 at end of file.
Result<size_t, Errno> pipe_read(int fd, uint8_t* buf, size_t n) CAPOS_REQUIRES(g_fd_lock) {
  for (;;) {
    OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
    PipeBuffer& p = fd_state().pipes[f->pipe];
    if (p.size() > 0) {
      size_t got = p.read(buf, n);
      g_fd_lock.wake_all();
      return got;
    }
    if (p.writers == 0) return size_t{0};
    g_fd_lock.wait();
  }
}

// Blocks until every byte is in the pipe; EPIPE once no reader remains
// (there is no SIGPIPE: signals fail closed).
Result<size_t, Errno> pipe_write(int fd, const uint8_t* buf, size_t n) CAPOS_REQUIRES(g_fd_lock) {
  size_t done = 0;
  while (done < n) {
    OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
    PipeBuffer& p = fd_state().pipes[f->pipe];
    if (p.readers == 0) {
      if (done > 0) return done;
      return fail(CAPOS_EPIPE);
    }
    size_t put = p.write(buf + done, n - done);
    done += put;
    if (put > 0) g_fd_lock.wake_all();
    if (done < n) g_fd_lock.wait();
  }
  return done;
}

}  // namespace

FdState& fd_state() {
  if (!g_state.stdio_ready) {
    g_state.stdio_ready = true;
    // fds 0-2: a pipe end the parent granted as `fd<N>`, else the shell's
    // terminal ("stdio"), else the console.
    auto term = rt::capset_find<wire::StdIO>("stdio");
    for (int n = 0; n < 3; ++n) {
      char name[4] = {'f', 'd', static_cast<char>('0' + n), '\0'};
      OpenFile f;
      f.kind = n == 0 ? FdKind::ConsoleIn : FdKind::ConsoleOut;
      f.flags = n == 0 ? CAPOS_OPEN_READ : CAPOS_OPEN_WRITE;
      if (term) {
        f.kind = n == 0 ? FdKind::TermIn : FdKind::TermOut;
        f.cap = term->id();
      }
      if (auto ep = rt::capset_find<wire::Endpoint>(StrView(name, 3))) {
        if (auto slot = stream_attach(ep->id())) {
          f.kind = FdKind::StreamServed;
          f.pipe = *slot;
          f.flags = n == 0 ? CAPOS_OPEN_READ : CAPOS_OPEN_WRITE;
        }
      }
      (void)g_state.table.open(f, n);  // the table is empty: this lands on fd n
    }
  }
  return g_state;
}

void release_file(FdState& s, const OpenFile& f) {
  switch (f.kind) {
    case FdKind::File:
      (void)fsc::close(file_cap(f));  // a dead server is no reason to fail close()
      break;
    case FdKind::Dir:
      if (f.owns_cap) (void)fsc::close(dir_cap(f));
      break;
    case FdKind::PipeRead:
    case FdKind::PipeWrite: {
      bool reads = f.kind == FdKind::PipeRead;
      uint32_t& ends = reads ? s.pipes[f.pipe].readers : s.pipes[f.pipe].writers;
      --ends;
      RemoteEnd& r = s.remote[f.pipe];
      if (ends == 0 && r.set && r.parent_reads == reads) {
        remote_close(r.cap);  // the child's next read sees end of file / its write EPIPE
        r = RemoteEnd();
      }
      g_fd_lock.wake_all();
      break;
    }
    case FdKind::StreamServed:
      stream_close(f.pipe);
      break;
    case FdKind::Socket:
      socket_release(f);
      break;
    case FdKind::TermIn:   // the shell owns the StdIO: it stays for the other fds
    case FdKind::TermOut:
    case FdKind::ConsoleIn:
    case FdKind::ConsoleOut:
      break;
  }
}

}  // namespace capos::libc

using namespace capos;
using namespace capos::libc;

namespace {

// The C boundary: 0 with the value stored, or the errno.
template <class T> int to_c(Result<T, Errno> r, T* out) {
  if (!r) return r.error();
  if (out) *out = *r;
  return 0;
}

Result<size_t, Errno> do_read(int fd, uint8_t* buf, size_t n) CAPOS_EXCLUDES(g_fd_lock) {
  OpenFile f = CAPOS_TRY(lookup(fd));
  if (n == 0) return size_t{0};
  switch (f.kind) {
    case FdKind::ConsoleIn: {
      long r = capos_libc_console_read(reinterpret_cast<char*>(buf), n);
      if (r < 0) return fail(CAPOS_EIO);
      return static_cast<size_t>(r);
    }
    case FdKind::File: {
      FdGuard g(g_fd_lock);
      return file_read(fd, buf, n);
    }
    case FdKind::PipeRead: {
      RemoteEnd r;
      {
        FdGuard g(g_fd_lock);
        r = fd_state().remote[f.pipe];
        if (!r.set) return pipe_read(fd, buf, n);
      }
      return remote_read(r.cap, buf, n);  // the child writes this pipe
    }
    case FdKind::StreamServed:
      if (!(f.flags & CAPOS_OPEN_READ)) break;
      return stream_read(f.pipe, buf, n);
    case FdKind::TermIn: return terminal_read(f.cap, buf, n);
    case FdKind::Socket: return socket_read(f, buf, n);
    case FdKind::TermOut: break;
    case FdKind::Dir: return fail(CAPOS_EISDIR);
    case FdKind::ConsoleOut:
    case FdKind::PipeWrite: break;
  }
  return fail(CAPOS_EBADF);
}

Result<size_t, Errno> do_write(int fd, const uint8_t* buf, size_t n) CAPOS_EXCLUDES(g_fd_lock) {
  OpenFile f = CAPOS_TRY(lookup(fd));
  switch (f.kind) {
    case FdKind::ConsoleOut: {
      if (n == 0) return size_t{0};
      long r = capos_libc_console_write(reinterpret_cast<const char*>(buf), n);
      if (r < 0) return fail(CAPOS_EIO);
      return static_cast<size_t>(r);
    }
    case FdKind::File: {
      if (n == 0) return size_t{0};
      FdGuard g(g_fd_lock);
      return file_write(fd, buf, n);
    }
    case FdKind::PipeWrite: {
      RemoteEnd r;
      {
        FdGuard g(g_fd_lock);
        r = fd_state().remote[f.pipe];
        if (!r.set) return pipe_write(fd, buf, n);
      }
      if (n == 0) return size_t{0};
      return remote_write(r.cap, buf, n);  // the child reads this pipe
    }
    case FdKind::StreamServed:
      if (!(f.flags & CAPOS_OPEN_WRITE)) break;
      if (n == 0) return size_t{0};
      return stream_write(f.pipe, buf, n);
    case FdKind::TermOut:
      if (n == 0) return size_t{0};
      return terminal_write(f.cap, buf, n);
    case FdKind::Socket:
      if (n == 0) return size_t{0};
      return socket_write(f, buf, n);
    case FdKind::TermIn: break;
    case FdKind::Dir: return fail(CAPOS_EISDIR);
    case FdKind::ConsoleIn:
    case FdKind::PipeRead: break;
  }
  return fail(CAPOS_EBADF);
}

Result<uint64_t, Errno> do_seek(int fd, int64_t off, int whence) CAPOS_REQUIRES(g_fd_lock) {
  OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
  if (f->kind == FdKind::Dir) {
    if (off != 0 || whence != 0) return fail(CAPOS_EINVAL);  // only a rewind
    f->offset = 0;
    f->dir_end = false;
    return uint64_t{0};
  }
  if (f->kind != FdKind::File) return fail(CAPOS_ESPIPE);
  int64_t base = 0;
  if (whence == 1) {
    base = static_cast<int64_t>(f->offset);
  } else if (whence == 2) {
    auto st = fsc::stat(file_cap(*f));
    if (!st) return fail(CAPOS_EIO);
    base = static_cast<int64_t>(st->size);
  } else if (whence != 0) {
    return fail(CAPOS_EINVAL);
  }
  if (__builtin_add_overflow(base, off, &base) || base < 0) return fail(CAPOS_EINVAL);
  f->offset = static_cast<uint64_t>(base);
  return f->offset;
}

Result<capos_fd_stat, Errno> do_stat(int fd) CAPOS_REQUIRES(g_fd_lock) {
  OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
  capos_fd_stat st{};
  switch (f->kind) {
    case FdKind::File:
    case FdKind::Dir: {
      auto s = f->kind == FdKind::File ? fsc::stat(file_cap(*f)) : fsc::stat(dir_cap(*f), StrView());
      if (!s) return fail(CAPOS_EIO);
      st.type = s->dir ? CAPOS_FT_DIR : CAPOS_FT_FILE;
      st.writable = s->writable;
      st.size = s->size;
      st.blocks = s->blocks;
      st.modified = s->modified;
      return st;
    }
    case FdKind::PipeRead:
    case FdKind::PipeWrite:
    case FdKind::StreamServed:
      st.type = CAPOS_FT_FIFO;
      if (f->kind != FdKind::StreamServed) st.size = fd_state().pipes[f->pipe].size();
      return st;
    case FdKind::Socket:
      st.type = CAPOS_FT_SOCK;
      st.writable = 1;
      return st;
    case FdKind::ConsoleIn:
    case FdKind::ConsoleOut:
    case FdKind::TermIn:
    case FdKind::TermOut: break;
  }
  st.type = CAPOS_FT_CHAR;
  st.writable = f->kind == FdKind::ConsoleOut || f->kind == FdKind::TermOut;
  return st;
}

Result<int, Errno> do_close(int fd) CAPOS_REQUIRES(g_fd_lock) {
  FdState& s = fd_state();
  Dropped d = CAPOS_TRY(s.table.close(fd));
  if (d.last) release_file(s, d.file);
  return 0;
}

Result<int, Errno> do_pipe(int fds[2]) CAPOS_REQUIRES(g_fd_lock) {
  FdState& s = fd_state();
  uint32_t slot = 0;
  while (slot < kPipes && (s.pipes[slot].readers || s.pipes[slot].writers)) ++slot;
  if (slot == kPipes) return fail(CAPOS_ENFILE);
  OpenFile r;
  r.kind = FdKind::PipeRead;
  r.flags = CAPOS_OPEN_READ;
  r.pipe = slot;
  OpenFile w = r;
  w.kind = FdKind::PipeWrite;
  w.flags = CAPOS_OPEN_WRITE;
  int rfd = CAPOS_TRY(s.table.open(r));
  auto wfd = s.table.open(w);
  if (!wfd) {
    (void)s.table.close(rfd);
    return fail(wfd.error());
  }
  s.pipes[slot] = PipeBuffer();
  s.remote[slot] = RemoteEnd();
  s.pipes[slot].readers = 1;
  s.pipes[slot].writers = 1;
  fds[0] = rfd;
  fds[1] = *wfd;
  return 0;
}

Result<unsigned, Errno> do_poll_state(int fd) CAPOS_EXCLUDES(g_fd_lock) {
  OpenFile f = CAPOS_TRY(lookup(fd));
  switch (f.kind) {
    case FdKind::ConsoleIn: {
      int r = capos_libc_console_ready();
      if (r < 0) return fail(CAPOS_EIO);
      return r ? 1u : 0u;
    }
    case FdKind::ConsoleOut:
    case FdKind::TermOut: return 2u;
    case FdKind::TermIn: return 1u;  // StdIO has no readiness query: reported ready
    case FdKind::File: return 3u;  // regular files never block
    case FdKind::Dir: return 0u;
    case FdKind::StreamServed: return 3u;  // readiness is the parent's: reported ready
    case FdKind::Socket: return 3u;        // netd has no readiness query: reported ready
    case FdKind::PipeRead: {
      FdGuard g(g_fd_lock);
      const PipeBuffer& p = fd_state().pipes[f.pipe];
      if (fd_state().remote[f.pipe].set) return 1u;  // a child's stream: reported ready
      return (p.size() > 0 || p.writers == 0 ? 1u : 0u) | (p.writers == 0 ? 4u : 0u);
    }
    case FdKind::PipeWrite: {
      FdGuard g(g_fd_lock);
      const PipeBuffer& p = fd_state().pipes[f.pipe];
      if (fd_state().remote[f.pipe].set) return 2u;
      return (p.space() > 0 || p.readers == 0 ? 2u : 0u) | (p.readers == 0 ? 4u : 0u);
    }
  }
  return fail(CAPOS_EBADF);
}

}  // namespace

extern "C" int capos_fd_read(int fd, void* buf, size_t n, size_t* done) {
  return to_c(do_read(fd, static_cast<uint8_t*>(buf), n), done);
}

extern "C" int capos_fd_write(int fd, const void* buf, size_t n, size_t* done) {
  return to_c(do_write(fd, static_cast<const uint8_t*>(buf), n), done);
}

extern "C" int capos_fd_close(int fd) {
  FdGuard g(g_fd_lock);
  return to_c<int>(do_close(fd), nullptr);
}

extern "C" int capos_fd_dup(int fd, int min_fd, int* out) {
  FdGuard g(g_fd_lock);
  return to_c(fd_state().table.dup(fd, min_fd), out);
}

extern "C" int capos_fd_dup2(int from, int to) {
  FdGuard g(g_fd_lock);
  FdState& s = fd_state();
  auto d = s.table.dup2(from, to);
  if (!d) return d.error();
  if (d->last) release_file(s, d->file);
  return 0;
}

extern "C" int capos_fd_seek(int fd, int64_t off, int whence, uint64_t* pos) {
  FdGuard g(g_fd_lock);
  return to_c(do_seek(fd, off, whence), pos);
}

extern "C" int capos_fd_fstat(int fd, capos_fd_stat* st) {
  FdGuard g(g_fd_lock);
  return to_c(do_stat(fd), st);
}

extern "C" int capos_fd_sync(int fd) {
  FdGuard g(g_fd_lock);
  auto f = fd_state().table.get(fd);
  if (!f) return f.error();
  if ((*f)->kind == FdKind::File) return fsc::sync(file_cap(**f)) ? 0 : CAPOS_EIO;
  if ((*f)->kind == FdKind::Dir) return fsc::sync(dir_cap(**f)) ? 0 : CAPOS_EIO;
  return CAPOS_EINVAL;  // POSIX: fsync on a pipe or terminal
}

extern "C" int capos_fd_truncate(int fd, uint64_t size) {
  FdGuard g(g_fd_lock);
  auto f = fd_state().table.get(fd);
  if (!f) return f.error();
  if ((*f)->kind != FdKind::File || !((*f)->flags & CAPOS_OPEN_WRITE)) return CAPOS_EINVAL;
  auto r = fsc::truncate(file_cap(**f), size);
  return r ? 0 : file_errno(r.error(), true);
}

extern "C" int capos_fd_pipe(int fds[2]) {
  FdGuard g(g_fd_lock);
  return to_c<int>(do_pipe(fds), nullptr);
}

extern "C" int capos_fd_isatty(int fd) {
  auto f = lookup(fd);
  if (!f) return f.error();
  bool tty = f->kind == FdKind::ConsoleIn || f->kind == FdKind::ConsoleOut || f->kind == FdKind::TermIn ||
             f->kind == FdKind::TermOut;
  return tty ? 0 : CAPOS_ENOTTY;
}

// Whether fd 0 is a shell's terminal, whose lines come echoed and edited
// (the Lua REPL then reads lines instead of echoing keys itself).
extern "C" int capos_libc_stdin_cooked(void) {
  auto f = lookup(0);
  return f && f->kind == FdKind::TermIn;
}

extern "C" int capos_fd_flags(int fd, unsigned* flags) {
  auto f = lookup(fd);
  if (!f) return f.error();
  *flags = f->flags;
  return 0;
}

extern "C" int capos_fd_poll_state(int fd, unsigned* state) { return to_c(do_poll_state(fd), state); }
