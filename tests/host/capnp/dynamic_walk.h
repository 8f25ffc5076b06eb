// Schema-driven bridges between libcapnp's dynamic API and our untyped
// reader/builder. They let the interop tests cover *any* struct type of
// any schema (the test schema and every capOS schema type) without our
// code generator: offsets, sizes and defaults come from libcapnp's
// loaded schema.
#pragma once

#include <capnp/dynamic.h>
#include <capnp/message.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "lib/capnp/builder.h"

namespace capnp_test {

// Records the first mismatch (path + description); empty = equal.
struct Mismatch {
  std::string what;
  void note(const std::string& path, const std::string& msg) {
    if (what.empty()) what = path + ": " + msg;
  }
};

class DynamicBridge {
 public:
  // Compare everything libcapnp sees in `theirs` with what our reader sees.
  void compare(::capnp::DynamicStruct::Reader theirs, capos::capnp::StructReader ours, Mismatch& m,
               const std::string& path = "root");
  // Write `src` into `dst` (already sized for src's schema) with our builder.
  void build(::capnp::DynamicStruct::Reader src, capos::capnp::StructBuilder dst, Mismatch& m,
             const std::string& path = "root");

 private:
  void compare_field(::capnp::DynamicStruct::Reader theirs, capos::capnp::StructReader ours,
                     ::capnp::StructSchema::Field f, Mismatch& m, const std::string& path);
  void compare_pointer(::capnp::DynamicValue::Reader theirs, capos::capnp::PointerReader ours,
                       ::capnp::Type type, const capos::capnp::Segment* deflt, Mismatch& m,
                       const std::string& path);
  void compare_list(::capnp::DynamicList::Reader theirs, capos::capnp::ListReader ours, Mismatch& m,
                    const std::string& path);
  void build_field(::capnp::DynamicStruct::Reader src, capos::capnp::StructBuilder dst,
                   ::capnp::StructSchema::Field f, Mismatch& m, const std::string& path);
  void build_pointer(::capnp::DynamicValue::Reader src, capos::capnp::PointerBuilder dst,
                     ::capnp::Type type, Mismatch& m, const std::string& path);
  // A field's pointer default as a one-segment message (kept alive here).
  const capos::capnp::Segment* default_segment(::capnp::StructSchema::Field f);

  std::deque<capos::capnp::Segment> segs_;
  std::deque<::capnp::MallocMessageBuilder> msgs_;
};

// Fills a libcapnp builder with random content: every field type, random
// union members, lists of random length (some null), nested structs up to
// `depth`.
void random_fill(::capnp::DynamicStruct::Builder b, std::mt19937_64& rng, int depth);

capos::capnp::ElementSize element_size_of(::capnp::Type element_type);

std::vector<capos::capnp::Segment> segments_of(::capnp::MessageBuilder& mb);
std::vector<uint64_t> canonical(::capnp::DynamicStruct::Reader r);
// Random message of `schema` built by libcapnp (first segment of
// `first_segment_words`; < 64 means fixed-size segments, many far
// pointers), read by us: "" when we see exactly what libcapnp sees.
std::string check_theirs_to_ours(::capnp::StructSchema schema, uint64_t seed, uint32_t first_segment_words);
// The same content rebuilt by our builder (segment_words 0 = big
// segments); "" when libcapnp reads it back to the same canonical form.
std::string check_ours_to_theirs(::capnp::StructSchema schema, uint64_t seed, uint32_t segment_words);

}  // namespace capnp_test
