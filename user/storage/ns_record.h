// A Namespace binding as fsd checks it and keeps it on disk. Every
// binding is one file in the Namespace's record directory, named by the
// bound name and holding the magic `capOSns1` followed by one framed Cap'n
// Proto message whose root is a `Binding` (schema/storage.capnp). The same
// checks apply to a binding a client sends and to a record read back, so a
// damaged record is refused, never followed (docs/storage.md).
#pragma once

#include "lib/capnp/message.h"
#include "lib/fs/format.h"
#include "schema/storage.capnp.capos.h"

namespace capos::storage {

constexpr size_t kNsKeyBytes = 32;
constexpr uint8_t kNsRecordMagic[8] = {'c', 'a', 'p', 'O', 'S', 'n', 's', '1'};
// Largest record: the magic, the framing and a Binding with maxPathDepth
// names of maxNameBytes each, with room to spare.
constexpr size_t kNsRecordMax = 8 + 8 + 8 * 4 + schema::wire::MAX_PATH_DEPTH * (8 + 256) + 8 + kNsKeyBytes + 64;

// A checked binding. The names point into the message it came from.
struct NsBinding {
  schema::wire::BindingKind kind = schema::wire::BindingKind::DIRECTORY;
  bool writable = false;
  uint32_t depth = 0;
  StrView path[schema::wire::MAX_PATH_DEPTH];
  uint8_t key[kNsKeyBytes] = {};
};

// Checks a Binding: a known kind; for a directory, at most maxPathDepth
// valid names and no key; for a file, the same with at least one name;
// for a blob, no path and a 32-byte key.
fs::FsResult<NsBinding> check_binding(schema::wire::Binding::Reader b);

// Fills a Binding builder from a checked binding.
Status fill_binding(const NsBinding& b, schema::wire::Binding::Builder out);

// The record bytes of `b` in `out`; returns their length.
fs::FsResult<size_t> encode_record(const NsBinding& b, MutBytes out);

// Parses and checks a record. `msg` holds the parsed message, and the
// result's names point into `bytes`: both must outlive the result.
fs::FsResult<NsBinding> decode_record(Bytes bytes, capnp::StreamReader<1>& msg);

}  // namespace capos::storage
