// Typed helpers for Directory and File calls (tests and the shell): one
// call at a time through static message buffers. Calls that return a
// capability use rt::call_for_cap; an application error's message is
// kept in last_error().
#pragma once

#include "lib/core/cstring.h"
#include "schema/memory.capnp.capos.h"
#include "schema/storage.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::fsc {

using Dir = rt::Cap<schema::wire::Directory>;
using File = rt::Cap<schema::wire::File>;

// The message of the last failed call (empty if it carried none).
StrView last_error();

Result<File> open(Dir d, StrView name, bool writable);
Result<File> create(Dir d, StrView name);
Result<Dir> sub(Dir d, StrView name, bool writable);
Result<Dir> read_only(Dir d);
// A new Directory reached from `d` by sub through the names of `path`
// ('/'-separated, each a single name), writable only if `writable`; for an
// empty path, d's read-only facet. The intermediate directories are
// closed again. A failure names the step: the name whose sub failed, or
// empty for the readOnly call (the message is in last_error()).
struct NarrowError {
  Err code;
  StrView step;
};
Result<Dir, NarrowError> narrow(Dir d, StrView path, bool writable);
Result<File> read_only(File f);
Status mkdir(Dir d, StrView name);
Status remove(Dir d, StrView name);
// `to_dir`: sub-directory names below `d` (count of them in `depth`).
Status rename(Dir d, StrView from, const StrView* to_dir, uint32_t depth, StrView to);
Status sync(Dir d);
Status close(Dir d);
Status close(File f);

struct Stat {
  bool dir;
  uint64_t size, blocks, modified;
  bool writable;
};
Result<Stat> stat(Dir d, StrView name);
Result<Stat> stat(File f);

struct FsInfo {
  uint32_t block_size;
  uint64_t total, free, nodes, generation;
  bool read_only;
  char format[32];
  size_t format_len;
};
Result<FsInfo> fs_stat(Dir d);

// One list page: calls `each(name, is_dir, size)` per entry; returns the
// cursor for the next page and whether entries remain.
struct ListPage {
  uint64_t next;
  bool more;
};
template <class F> Result<ListPage> list(Dir d, uint64_t cursor, uint32_t max, F each);

Status write(File f, uint64_t offset, Bytes data);
Result<size_t> read(File f, uint64_t offset, MutBytes out, uint32_t max_bytes);
// Bulk transfers through `buffer` (a MemoryObject of the caller's,
// attached as a copy) at `buffer_offset`, up to MAX_FILE_BULK_BYTES.
Result<uint32_t> read_bulk(File f, uint64_t offset, uint32_t max_bytes, rt::Cap<schema::wire::MemoryObject> buffer,
                           uint64_t buffer_offset);
Status write_bulk(File f, uint64_t offset, uint32_t bytes, rt::Cap<schema::wire::MemoryObject> buffer,
                  uint64_t buffer_offset);
Status truncate(File f, uint64_t size);
Status sync(File f);

// ---- implementation of the template

Result<schema::wire::Directory::ListResults::Reader> list_call(Dir d, uint64_t cursor, uint32_t max);

template <class F> Result<ListPage> list(Dir d, uint64_t cursor, uint32_t max, F each) {
  auto r = CAPOS_TRY(list_call(d, cursor, max));
  auto entries = CAPOS_TRY(r.getEntries());
  for (uint32_t i = 0; i < entries.size(); ++i) {
    auto e = entries[i];
    each(CAPOS_TRY(e.getName()), e.getKind() == schema::wire::EntryKind::DIRECTORY, e.getSize());
  }
  return ListPage{r.getNext(), r.getMore()};
}

}  // namespace capos::fsc
