// The POSIX layer's fd table and pipe ring (user/libc/os/fd_table.cpp):
// examples, and a model-based random test — open/dup/dup2/close in random
// order against a model of fds pointing at shared descriptions; every
// description is handed back exactly once, when its last fd goes.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "user/libc/os/fd_table.h"

namespace {

using capos::libc::FdKind;
using capos::libc::FdTable;
using capos::libc::OpenFile;
using capos::libc::PipeBuffer;

OpenFile file_with_cap(uint32_t cap) {
  OpenFile f;
  f.kind = FdKind::File;
  f.cap = cap;
  return f;
}

TEST(FdTable, OpenTakesTheLowestFreeFd) {
  FdTable t;
  EXPECT_EQ(*t.open(file_with_cap(1)), 0);
  EXPECT_EQ(*t.open(file_with_cap(2)), 1);
  EXPECT_EQ(*t.open(file_with_cap(3), 10), 10);
  ASSERT_TRUE(t.close(0));
  EXPECT_EQ(*t.open(file_with_cap(4)), 0);
  EXPECT_EQ((*t.get(10))->cap, 3u);
}

TEST(FdTable, BadFdsAreEbadf) {
  FdTable t;
  EXPECT_EQ(t.get(0).error(), CAPOS_EBADF);
  EXPECT_EQ(t.get(-1).error(), CAPOS_EBADF);
  EXPECT_EQ(t.get(FdTable::kFds).error(), CAPOS_EBADF);
  EXPECT_EQ(t.close(3).error(), CAPOS_EBADF);
  EXPECT_EQ(t.dup(3, 0).error(), CAPOS_EBADF);
  ASSERT_TRUE(t.open(file_with_cap(1)));
  EXPECT_EQ(t.dup2(0, -1).error(), CAPOS_EBADF);
  EXPECT_EQ(t.dup2(0, FdTable::kFds).error(), CAPOS_EBADF);
  EXPECT_EQ(t.open(file_with_cap(1), FdTable::kFds).error(), CAPOS_EINVAL);
}

TEST(FdTable, DupSharesTheDescriptionAndItsOffset) {
  FdTable t;
  int a = *t.open(file_with_cap(7));
  int b = *t.dup(a, 0);
  EXPECT_NE(a, b);
  (*t.get(a))->offset = 42;
  EXPECT_EQ((*t.get(b))->offset, 42u);
  EXPECT_EQ(t.refs_of(a), 2u);
  auto d = t.close(a);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->last);
  d = t.close(b);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->last);
  EXPECT_EQ(d->file.cap, 7u);
  EXPECT_EQ(t.open_files(), 0u);
}

TEST(FdTable, Dup2ClosesTheTargetFirst) {
  FdTable t;
  int a = *t.open(file_with_cap(1));
  int b = *t.open(file_with_cap(2));
  auto d = t.dup2(a, b);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->last);
  EXPECT_EQ(d->file.cap, 2u);
  EXPECT_EQ((*t.get(b))->cap, 1u);
  // Onto itself: nothing happens.
  d = t.dup2(a, a);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->last);
  EXPECT_EQ(t.refs_of(a), 2u);
  // Onto an fd that already shares the description: nothing either.
  d = t.dup2(a, b);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->last);
  EXPECT_EQ(t.refs_of(a), 2u);
}

TEST(FdTable, FullTablesFailWithoutChangingAnything) {
  FdTable t;
  for (int i = 0; i < FdTable::kFds; ++i) ASSERT_TRUE(t.open(file_with_cap(i)));
  EXPECT_EQ(t.open(file_with_cap(99)).error(), CAPOS_EMFILE);
  EXPECT_EQ(t.dup(0, 0).error(), CAPOS_EMFILE);
  EXPECT_EQ(t.open_files(), static_cast<uint32_t>(FdTable::kFds));
  for (int i = 0; i < FdTable::kFds; ++i) EXPECT_EQ((*t.get(i))->cap, static_cast<uint32_t>(i));
}

// fds refer to descriptions; each description is released exactly once,
// when its last fd is closed or replaced by dup2.
TEST(FdTable, RandomOperationsMatchTheModel) {
  std::mt19937 rng(20);
  for (int round = 0; round < 50; ++round) {
    FdTable t;
    std::map<int, uint32_t> model;  // fd -> description id (the cap)
    std::set<uint32_t> released;
    uint32_t next_id = 1;
    auto refs = [&](uint32_t id) {
      uint32_t n = 0;
      for (auto& [fd, d] : model) n += d == id;
      return n;
    };
    auto on_drop = [&](const capos::libc::Dropped& d, uint32_t id) {
      EXPECT_EQ(d.last, refs(id) == 0);
      if (d.last) {
        EXPECT_EQ(d.file.cap, id);
        EXPECT_TRUE(released.insert(id).second) << "released twice";
      }
    };
    for (int step = 0; step < 400; ++step) {
      int fd = static_cast<int>(rng() % (FdTable::kFds + 2)) - 1;
      int to = static_cast<int>(rng() % (FdTable::kFds + 2)) - 1;
      bool open = model.count(fd) != 0;
      switch (rng() % 4) {
        case 0: {
          int min_fd = static_cast<int>(rng() % 8);
          auto r = t.open(file_with_cap(next_id), min_fd);
          int expect = -1;
          for (int i = min_fd; i < FdTable::kFds && expect < 0; ++i)
            if (!model.count(i)) expect = i;
          if (expect < 0) {
            EXPECT_FALSE(r);
          } else {
            ASSERT_TRUE(r);
            EXPECT_EQ(*r, expect);
            model[*r] = next_id++;
          }
          break;
        }
        case 1: {
          auto r = t.dup(fd, 0);
          if (!open) {
            EXPECT_EQ(r.error(), CAPOS_EBADF);
          } else if (model.size() == FdTable::kFds) {
            EXPECT_EQ(r.error(), CAPOS_EMFILE);
          } else {
            ASSERT_TRUE(r);
            EXPECT_EQ(model.count(*r), 0u);
            model[*r] = model[fd];
          }
          break;
        }
        case 2: {
          auto r = t.dup2(fd, to);
          if (!open || to < 0 || to >= FdTable::kFds) {
            EXPECT_EQ(r.error(), CAPOS_EBADF);
            break;
          }
          ASSERT_TRUE(r);
          if (model.count(to) && model[to] != model[fd]) {
            uint32_t old = model[to];
            model[to] = model[fd];
            on_drop(*r, old);
          } else {
            EXPECT_FALSE(r->last);
            model[to] = model[fd];
          }
          break;
        }
        case 3: {
          auto r = t.close(fd);
          if (!open) {
            EXPECT_EQ(r.error(), CAPOS_EBADF);
            break;
          }
          ASSERT_TRUE(r);
          uint32_t id = model[fd];
          model.erase(fd);
          on_drop(*r, id);
          break;
        }
      }
      for (int i = 0; i < FdTable::kFds; ++i) {
        ASSERT_EQ(t.is_open(i), model.count(i) != 0);
        if (t.is_open(i)) {
          ASSERT_EQ((*t.get(i))->cap, model[i]);
          ASSERT_EQ(t.refs_of(i), refs(model[i]));
        }
      }
    }
  }
}

TEST(PipeBuffer, FifoAcrossTheWrapPoint) {
  PipeBuffer p;
  std::vector<uint8_t> in(PipeBuffer::kCapacity + 100), out(PipeBuffer::kCapacity + 100);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7);
  EXPECT_EQ(p.write(in.data(), in.size()), PipeBuffer::kCapacity);  // fills up
  EXPECT_EQ(p.space(), 0u);
  EXPECT_EQ(p.write(in.data(), 1), 0u);
  EXPECT_EQ(p.read(out.data(), 1000), 1000u);
  EXPECT_EQ(p.write(in.data() + PipeBuffer::kCapacity, 100), 100u);  // wraps around
  EXPECT_EQ(p.read(out.data() + 1000, out.size()), PipeBuffer::kCapacity - 1000 + 100);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.read(out.data(), 1), 0u);
  for (size_t i = 0; i < PipeBuffer::kCapacity; ++i) ASSERT_EQ(out[i], in[i]) << i;
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(out[PipeBuffer::kCapacity + i], in[PipeBuffer::kCapacity + i]);
}

TEST(PipeBuffer, RandomChunksKeepTheByteOrder) {
  std::mt19937 rng(7);
  PipeBuffer p;
  uint8_t next_in = 0, next_out = 0;
  uint8_t buf[3000];
  for (int i = 0; i < 5000; ++i) {
    size_t n = rng() % sizeof buf;
    if (rng() % 2) {
      for (size_t k = 0; k < n; ++k) buf[k] = static_cast<uint8_t>(next_in + k);
      size_t put = p.write(buf, n);
      EXPECT_EQ(put, std::min(n, PipeBuffer::kCapacity - (p.size() - put)));
      next_in = static_cast<uint8_t>(next_in + put);
    } else {
      size_t got = p.read(buf, n);
      for (size_t k = 0; k < got; ++k) ASSERT_EQ(buf[k], static_cast<uint8_t>(next_out + k));
      next_out = static_cast<uint8_t>(next_out + got);
    }
    ASSERT_LE(p.size(), PipeBuffer::kCapacity);
  }
}

}  // namespace
