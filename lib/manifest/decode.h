// Decodes a framed SystemManifest message (schema/manifest.capnp) into the
// plain model of lib/manifest/model.h with the freestanding generated
// readers, so the kernel (boot boundary) and init (whole graph) can run
// the shared validator without an allocator.
//
// The model borrows: names point into the message bytes, lists into the
// caller's DecodeStorage. Both must outlive the returned Manifest.
// Decoding checks only the wire (pointers, limits, list lengths, union
// tags); the graph rules are validate()'s job.
#pragma once

#include "lib/capnp/segments.h"
#include "lib/core/result.h"
#include "lib/manifest/limits.h"
#include "lib/manifest/model.h"

namespace capos::manifest {

// Every list the validator accepts fits, so decoding never rejects a valid
// manifest for size. About 482 KiB on x86_64 (static_assert below keeps
// the figure honest): allocate it on the heap, never on a kernel stack.
struct DecodeStorage {
  // Framing allows up to 512 segments; the table lives here, not on the stack.
  static constexpr uint32_t kMaxSegments = 512;
  capnp::Segment segments[kMaxSegments];
  BinaryDecl binaries[kMaxBinaries];
  CapDecl init_caps[kMaxCapsPerProcess];
  ServiceDecl services[kMaxServices];
  CapDecl service_caps[kMaxServices * kMaxCapsPerProcess];
  ExportDecl exports[kMaxServices * kMaxExportsPerService];
  DeviceMatchDecl device_matches[kMaxDeviceMatches];
  size_t device_match_count = 0;
  StrView dir_paths[kMaxDirectoryGrants];
  size_t dir_path_count = 0;
  StrView env[kMaxServices * kMaxEnvPerService];
};
static_assert(sizeof(DecodeStorage) <= 496 * 1024, "DecodeStorage grew; update the size note");

struct DecodeError {
  Err err = Err::Corrupt;
  char message[160] = {};  // one line: "manifest: <where>: <what>"
};

struct DecodeOptions {
  // Traversal budget in words; 0 = the message size in words (each object
  // is read once, so that always suffices for a well-formed message).
  uint64_t traversal_limit_words = 0;
  int32_t nesting_limit = 16;  // the manifest is 6 levels deep
};

// `bytes` is one framed message (the standard stream framing).
Result<Manifest, DecodeError> decode(Bytes bytes, DecodeStorage& storage,
                                     const DecodeOptions& opt = {});

}  // namespace capos::manifest
