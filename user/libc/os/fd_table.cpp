#include "user/libc/os/fd_table.h"

#include "lib/core/cstring.h"

namespace capos::libc {

FdTable::FdTable() {
  for (auto& s : slot_) s = -1;
  for (auto& r : refs_) r = 0;
}

uint32_t FdTable::open_files() const {
  uint32_t n = 0;
  for (uint32_t r : refs_) n += r ? 1 : 0;
  return n;
}

Result<int, Errno> FdTable::free_fd(int min_fd) const {
  if (min_fd < 0 || min_fd >= kFds) return fail(CAPOS_EINVAL);
  for (int fd = min_fd; fd < kFds; ++fd)
    if (slot_[fd] < 0) return fd;
  return fail(CAPOS_EMFILE);
}

Result<int, Errno> FdTable::open(const OpenFile& f, int min_fd) {
  int fd = CAPOS_TRY(free_fd(min_fd));
  for (uint32_t i = 0; i < kFiles; ++i) {
    if (refs_[i] != 0) continue;
    files_[i] = f;
    refs_[i] = 1;
    slot_[fd] = static_cast<int16_t>(i);
    return fd;
  }
  return fail(CAPOS_ENFILE);
}

Result<OpenFile*, Errno> FdTable::get(int fd) {
  if (!is_open(fd)) return fail(CAPOS_EBADF);
  return &files_[slot_[fd]];
}

Result<int, Errno> FdTable::dup(int fd, int min_fd) {
  if (!is_open(fd)) return fail(CAPOS_EBADF);
  int to = CAPOS_TRY(free_fd(min_fd));
  slot_[to] = slot_[fd];
  ++refs_[slot_[fd]];
  return to;
}

Dropped FdTable::drop(int fd) {
  int16_t s = slot_[fd];
  slot_[fd] = -1;
  Dropped d{--refs_[s] == 0, files_[s]};
  return d;
}

Result<Dropped, Errno> FdTable::dup2(int from, int to) {
  if (!is_open(from) || to < 0 || to >= kFds) return fail(CAPOS_EBADF);
  if (from == to || slot_[to] == slot_[from]) return Dropped{false, files_[slot_[from]]};
  Dropped d{false, {}};
  if (slot_[to] >= 0) d = drop(to);
  slot_[to] = slot_[from];
  ++refs_[slot_[from]];
  return d;
}

Result<Dropped, Errno> FdTable::close(int fd) {
  if (!is_open(fd)) return fail(CAPOS_EBADF);
  return drop(fd);
}

size_t PipeBuffer::write(const uint8_t* p, size_t n) {
  size_t done = 0;
  while (done < n && size_ < kCapacity) {
    size_t tail = (head_ + size_) % kCapacity;
    size_t run = min(n - done, min(kCapacity - size_, kCapacity - tail));
    memcpy(buf_ + tail, p + done, run);
    size_ += run;
    done += run;
  }
  return done;
}

size_t PipeBuffer::read(uint8_t* p, size_t n) {
  size_t done = 0;
  while (done < n && size_ > 0) {
    size_t run = min(n - done, min(size_, kCapacity - head_));
    memcpy(p + done, buf_ + head_, run);
    head_ = (head_ + run) % kCapacity;
    size_ -= run;
    done += run;
  }
  if (size_ == 0) head_ = 0;
  return done;
}

}  // namespace capos::libc
