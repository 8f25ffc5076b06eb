// fuzz.ns_record: Namespace binding records as fsd reads them back from
// disk (user/storage/ns_record.cpp). A record that decodes must pass every
// binding rule and encode again to a record that decodes to the same
// binding.
#include <stddef.h>
#include <stdint.h>

#include "user/storage/ns_record.h"

using namespace capos;
using namespace capos::storage;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  capnp::StreamReader<1> msg;
  auto b = decode_record(Bytes(data, size), msg);
  if (!b) return 0;
  for (uint32_t i = 0; i < b->depth; ++i)
    if (!fs::check_name(b->path[i].ptr, b->path[i].size())) __builtin_trap();
  static uint8_t rec[kNsRecordMax];
  auto len = encode_record(*b, MutBytes(rec, sizeof(rec)));
  if (!len) __builtin_trap();
  capnp::StreamReader<1> msg2;
  auto again = decode_record(Bytes(rec, *len), msg2);
  if (!again || again->kind != b->kind || again->depth != b->depth || again->writable != b->writable) __builtin_trap();
  for (uint32_t i = 0; i < b->depth; ++i)
    if (!(again->path[i] == b->path[i])) __builtin_trap();
  if (memcmp(again->key, b->key, sizeof(b->key)) != 0) __builtin_trap();
  return 0;
}
