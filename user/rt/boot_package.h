// Boot-package reads shared by init and the services that hold a "boot"
// BootPackage cap (sysinfo, manual, launcher): the stripped manifest and
// packaged binaries, into heap buffers.
#pragma once

#include "lib/core/cstring.h"
#include "lib/core/result.h"
#include "lib/manifest/decode.h"
#include "schema/manifest.capnp.capos.h"
#include "user/rt/rt.h"
#include "user/rt/cap.h"
#include "user/rt/transport.h"

namespace capos::rt {

// A reply carries a chunk plus its message framing; keep the reply buffer
// (and the kernel's result scratch, 16 KiB + 1 KiB) larger than a chunk.
constexpr uint32_t kBootReplyBytes = 16384;
constexpr uint32_t kBootChunkBytes = kBootReplyBytes - 256;

// The whole metadata manifest (at most `max` bytes), heap-allocated.
inline Result<Bytes> boot_read_manifest(Cap<schema::wire::BootPackage> boot, uint64_t max) {
  namespace wire = schema::wire;
  wire::BootPackage::Client bp(&rt::transport(), boot);
  alignas(8) uint8_t pbuf[128];
  alignas(8) static uint8_t rbuf[kBootReplyBytes];
  capnp::FixedMessageBuilder sp(MutBytes(pbuf, sizeof(pbuf)));
  (void)CAPOS_TRY(wire::BootPackage::Client::manifestSizeParams(sp));
  capnp::Response sr(MutBytes(rbuf, sizeof(rbuf)));
  uint64_t size = CAPOS_TRY(bp.manifestSize(sp, sr)).getSize();
  if (size == 0 || size > max) return fail(Err::LimitExceeded);
  auto* buf = static_cast<uint8_t*>(rt::malloc(size));
  if (!buf) return fail(Err::OutOfMemory);
  for (uint64_t off = 0; off < size;) {
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto rp = CAPOS_TRY(wire::BootPackage::Client::readManifestParams(p));
    rp.setOffset(off);
    rp.setMaxBytes(kBootChunkBytes);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    Bytes chunk = CAPOS_TRY(CAPOS_TRY(bp.readManifest(p, r)).getData());
    if (chunk.empty() || chunk.size() > size - off) return fail(Err::Truncated);
    memcpy(buf + off, chunk.data(), chunk.size());
    off += chunk.size();
  }
  return Bytes(buf, size);
}

// Size of a packaged binary, or NotFound.
inline Result<uint64_t> boot_binary_size(Cap<schema::wire::BootPackage> boot, StrView name) {
  namespace wire = schema::wire;
  wire::BootPackage::Client bp(&rt::transport(), boot);
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto fp = CAPOS_TRY(wire::BootPackage::Client::findBinaryParams(p));
  CAPOS_TRY_STATUS(fp.setName(name));
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = CAPOS_TRY(bp.findBinary(p, r));
  if (!res.isFound()) return fail(Err::NotFound);
  return res.getFound().getSize();
}

// Reads [offset, offset + out.size()) of a packaged binary into `out`.
inline Status boot_read_binary(Cap<schema::wire::BootPackage> boot, StrView name, uint64_t offset, MutBytes out) {
  namespace wire = schema::wire;
  wire::BootPackage::Client bp(&rt::transport(), boot);
  alignas(8) uint8_t pbuf[128];
  alignas(8) static uint8_t rbuf[kBootReplyBytes];
  size_t done = 0;
  while (done < out.size()) {
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto rp = CAPOS_TRY(wire::BootPackage::Client::readBinaryParams(p));
    CAPOS_TRY_STATUS(rp.setName(name));
    rp.setOffset(offset + done);
    size_t want = out.size() - done;
    rp.setMaxBytes(static_cast<uint32_t>(want < kBootChunkBytes ? want : kBootChunkBytes));
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = CAPOS_TRY(bp.readBinary(p, r));
    if (!res.isData()) return fail(Err::NotFound);
    Bytes chunk = CAPOS_TRY(res.getData());
    if (chunk.empty() || chunk.size() > want) return fail(Err::Truncated);
    memcpy(out.data() + done, chunk.data(), chunk.size());
    done += chunk.size();
  }
  return {};
}

// Decodes (and validates the shape of) the manifest; storage is heap.
inline Result<manifest::Manifest> boot_decode_manifest(Cap<schema::wire::BootPackage> boot) {
  Bytes bytes = CAPOS_TRY(boot_read_manifest(boot, 256 * 1024));
  auto* storage = static_cast<manifest::DecodeStorage*>(rt::malloc(sizeof(manifest::DecodeStorage)));
  if (!storage) return fail(Err::OutOfMemory);
  auto m = manifest::decode(bytes, *storage);
  if (!m) return fail(m.error().err);
  return *m;
}

}  // namespace capos::rt
