// fstest: a Directory/File client of fsd (QEMU tests qemu.fs_*). Granted
// "home" (a writable directory of the filesystem) and "ro" (the root,
// read-only). Boot 1 of a freshly made image writes a small tree, syncs
// and reads it back, then throws hostile requests at fsd: path-like and
// oversized names, huge offsets, bad lengths, writes through read-only
// facets, escapes from a sub-directory, too many open objects, a full
// disk. Each must be refused with its exact error and change nothing. A
// later boot of the same image finds the synced tree intact and the
// unsynced file gone. Exit status 0 only if every check passed.
#include "lib/core/cstring.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/storage/blk_bulk.h"
#include "user/storage/fs_client.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

int g_failures = 0;
uint8_t g_buf[wire::MAX_FILE_TRANSFER_BYTES];
constexpr uint64_t kBigSize = 20000;  // spans five filesystem blocks
const char kHello[] = "hello from capOS fstest\n";

void check(bool ok, StrView what) {
  if (ok) return;
  ++g_failures;
  rt::printf("fstest: FAILED: {}\n", what);
}

template <class R> void refused(const R& r, Err want, StrView what) {
  if (!r && r.error() == want) {
    rt::printf("fstest: refused {}: {} ({})\n", what, err_name(r.error()), fsc::last_error());
    return;
  }
  ++g_failures;
  rt::printf("fstest: FAILED: {} gave {}\n", what, r ? "success" : err_name(r.error()));
}

uint8_t pattern(uint64_t i) { return static_cast<uint8_t>(i * 13 + (i >> 9)); }

Status write_all(fsc::File f, uint64_t size) {
  for (uint64_t off = 0; off < size; off += sizeof(g_buf)) {
    size_t n = min<uint64_t>(sizeof(g_buf), size - off);
    for (size_t i = 0; i < n; ++i) g_buf[i] = pattern(off + i);
    CAPOS_TRY_STATUS(fsc::write(f, off, Bytes(g_buf, n)));
  }
  return {};
}

// Mismatching bytes of the whole pattern file (size checked too).
Result<uint64_t> verify_all(fsc::File f, uint64_t size) {
  uint64_t bad = 0, off = 0;
  for (;;) {
    size_t n = CAPOS_TRY(fsc::read(f, off, MutBytes(g_buf, sizeof(g_buf)), sizeof(g_buf)));
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) bad += g_buf[i] != pattern(off + i);
    off += n;
  }
  return bad + (off != size ? 1 : 0);
}

Result<bool> text_is(fsc::Dir d, StrView name, StrView want) {
  fsc::File f = CAPOS_TRY(fsc::open(d, name, false));
  size_t n = CAPOS_TRY(fsc::read(f, 0, MutBytes(g_buf, sizeof(g_buf)), sizeof(g_buf)));
  CAPOS_TRY_STATUS(fsc::close(f));
  return n == want.size() && memcmp(g_buf, want.ptr, n) == 0;
}

Status first_boot(fsc::Dir home) {
  fsc::File hello = CAPOS_TRY(fsc::create(home, "hello.txt"));
  CAPOS_TRY_STATUS(fsc::write(hello, 0, Bytes(reinterpret_cast<const uint8_t*>(kHello), sizeof(kHello) - 1)));
  CAPOS_TRY_STATUS(fsc::close(hello));
  fsc::File big = CAPOS_TRY(fsc::create(home, "big.bin"));
  CAPOS_TRY_STATUS(write_all(big, kBigSize));
  CAPOS_TRY_STATUS(fsc::mkdir(home, "sub"));
  fsc::Dir sub = CAPOS_TRY(fsc::sub(home, "sub", true));
  fsc::File inner = CAPOS_TRY(fsc::create(sub, "inner"));
  CAPOS_TRY_STATUS(fsc::write(inner, 0, Bytes(reinterpret_cast<const uint8_t*>("in"), 2)));
  CAPOS_TRY_STATUS(fsc::close(inner));
  CAPOS_TRY_STATUS(fsc::close(sub));
  CAPOS_TRY_STATUS(fsc::sync(big));
  uint64_t bad = CAPOS_TRY(verify_all(big, kBigSize));
  auto st = CAPOS_TRY(fsc::stat(big));
  CAPOS_TRY_STATUS(fsc::close(big));
  rt::printf("fstest: boot 1: wrote hello.txt, big.bin ({} bytes, {} blocks), sub/inner, synced, {} mismatches\n",
             st.size, st.blocks, bad);
  check(bad == 0 && st.size == kBigSize && st.blocks == 5, "boot 1 read-back");
  return {};
}

Status later_boot(fsc::Dir home) {
  fsc::File big = CAPOS_TRY(fsc::open(home, "big.bin", false));
  uint64_t bad = CAPOS_TRY(verify_all(big, kBigSize));
  CAPOS_TRY_STATUS(fsc::close(big));
  bool hello = CAPOS_TRY(text_is(home, "hello.txt", StrView(kHello, sizeof(kHello) - 1)));
  fsc::Dir sub = CAPOS_TRY(fsc::sub(home, "sub", false));
  bool inner = CAPOS_TRY(text_is(sub, "inner", "in"));
  CAPOS_TRY_STATUS(fsc::close(sub));
  bool gone = !fsc::stat(home, "unsynced");
  rt::printf("fstest: found boot 1's tree: big.bin {} mismatches, hello.txt {}, sub/inner {}, unsynced file {}\n",
             bad, hello ? "intact" : "WRONG", inner ? "intact" : "WRONG", gone ? "gone" : "STILL THERE");
  check(bad == 0 && hello && inner && gone, "the synced tree survives a reboot, the unsynced file does not");
  return {};
}

void hostile_names(fsc::Dir home) {
  char long_name[10 * 1024];
  memset(long_name, 'n', sizeof(long_name));
  refused(fsc::create(home, "a/b"), Err::InvalidArgument, "name with '/'");
  refused(fsc::create(home, ".."), Err::InvalidArgument, "name '..'");
  refused(fsc::create(home, "."), Err::InvalidArgument, "name '.'");
  refused(fsc::create(home, ""), Err::InvalidArgument, "empty name");
  refused(fsc::create(home, StrView("a\0b", 3)), Err::InvalidArgument, "name with NUL");
  refused(fsc::create(home, StrView(long_name, sizeof(long_name))), Err::InvalidArgument, "10 KiB name");
  refused(fsc::mkdir(home, StrView(long_name, 256)), Err::InvalidArgument, "256-byte directory name");
  refused(fsc::open(home, "missing", false), Err::InvalidArgument, "open of a missing file");
  refused(fsc::open(home, "sub", false), Err::Failed, "open of a directory");
  refused(fsc::create(home, "hello.txt"), Err::InvalidArgument, "create over an existing file");
  refused(fsc::remove(home, "sub"), Err::Failed, "remove of a non-empty directory");
}

void hostile_data(fsc::Dir home) {
  auto f = fsc::open(home, "hello.txt", true);
  check(f.ok(), "open hello.txt writable");
  if (!f) return;
  uint8_t b[16] = {};
  refused(fsc::write(*f, ~uint64_t{0} - 4, Bytes(b, 8)), Err::InvalidArgument, "write at offset 2^64-5");
  refused(fsc::truncate(*f, uint64_t{1} << 62), Err::InvalidArgument, "truncate to 2^62 bytes");
  refused(fsc::read(*f, 0, MutBytes(b, 16), 0), Err::InvalidArgument, "read of 0 bytes");
  refused(fsc::read(*f, 0, MutBytes(g_buf, sizeof(g_buf)), 9000), Err::InvalidArgument, "read of 9000 bytes");
  refused(fsc::write(*f, 0, Bytes(g_buf, 0)), Err::InvalidArgument, "write of 0 bytes");
  auto huge = fsc::read(*f, ~uint64_t{0}, MutBytes(b, 16), 16);
  check(huge && *huge == 0, "a read past the end returns nothing");
  (void)fsc::close(*f);
}

void attenuation(fsc::Dir home, fsc::Dir ro_root) {
  refused(fsc::create(ro_root, "x"), Err::InvalidArgument, "create in a read-only directory");
  refused(fsc::open(ro_root, "home", true), Err::InvalidArgument, "writable open through a read-only directory");
  refused(fsc::sub(ro_root, "home", true), Err::InvalidArgument, "writable sub-directory of a read-only one");
  auto ro_home = fsc::sub(ro_root, "home", false);
  check(ro_home.ok(), "read-only sub-directory");
  if (ro_home) {
    auto f = fsc::open(*ro_home, "hello.txt", false);
    check(f.ok(), "read-only open");
    if (f) {
      refused(fsc::write(*f, 0, Bytes(g_buf, 1)), Err::InvalidArgument, "write through a read-only file");
      refused(fsc::truncate(*f, 0), Err::InvalidArgument, "truncate through a read-only file");
      (void)fsc::close(*f);
    }
    refused(fsc::remove(*ro_home, "hello.txt"), Err::InvalidArgument, "remove in a read-only directory");
    (void)fsc::close(*ro_home);
  }
  auto w = fsc::open(home, "hello.txt", true);
  if (w) {
    auto ro = fsc::read_only(*w);
    check(ro.ok(), "File.readOnly");
    if (ro) {
      refused(fsc::write(*ro, 0, Bytes(g_buf, 1)), Err::InvalidArgument, "write through File.readOnly");
      (void)fsc::close(*ro);
    }
    (void)fsc::close(*w);
  }
  // A sub-directory cannot name its parent: ".." is no name, and a
  // rename's target path only descends.
  auto sub = fsc::sub(home, "sub", true);
  check(sub.ok(), "sub-directory");
  if (!sub) return;
  refused(fsc::stat(*sub, ".."), Err::InvalidArgument, "stat of '..' in a sub-directory");
  refused(fsc::sub(*sub, "..", false), Err::InvalidArgument, "sub-directory '..'");
  StrView up[] = {".."};
  refused(fsc::rename(*sub, "inner", up, 1, "escaped"), Err::InvalidArgument, "rename into '..'");
  refused(fsc::rename(*sub, "inner", nullptr, 0, "../escaped"), Err::InvalidArgument, "rename to '../escaped'");
  StrView self[] = {"sub"};
  refused(fsc::rename(home, "sub", self, 1, "loop"), Err::InvalidArgument, "moving a directory into itself");
  (void)fsc::close(*sub);
}

void exhaustion(fsc::Dir home) {
  // Too many open objects: the table is bounded, the answer is overloaded.
  fsc::File open[24];
  uint32_t n = 0;
  for (; n < 24; ++n) {
    auto f = fsc::open(home, "hello.txt", false);
    if (!f) {
      refused(f, Err::Overloaded, "one open file too many");
      break;
    }
    open[n] = *f;
  }
  check(n > 0 && n < 24, "the open-object table is bounded");
  for (uint32_t i = 0; i < n; ++i) (void)fsc::close(open[i]);
  // A full disk: writes are refused whole, and nothing else breaks.
  auto fill = fsc::create(home, "fill");
  check(fill.ok(), "create fill");
  if (!fill) return;
  memset(g_buf, 0xee, sizeof(g_buf));
  uint64_t off = 0;
  Status st;
  while ((st = fsc::write(*fill, off, Bytes(g_buf, sizeof(g_buf))))) off += sizeof(g_buf);
  refused(st, Err::Overloaded, "write to a full disk");
  auto s = fsc::stat(*fill);
  check(s && s->size == off, "a refused write changes nothing");
  (void)fsc::close(*fill);
  check(fsc::remove(home, "fill").ok() && fsc::sync(home).ok(), "remove fill and sync");
  rt::printf("fstest: filled the disk with {} KiB, freed it again\n", off / 1024);
}

// The Store: keys are SHA-256 of the bytes, computed by the service.
void store_checks(rt::Cap<wire::Store> store) {
  using SC = wire::Store::Client;
  alignas(8) static uint8_t pbuf[1024], rbuf[1024];
  static const uint8_t kHelloKey[32] = {0x2c, 0xf2, 0x4d, 0xba, 0x5f, 0xb0, 0xa3, 0x0e, 0x26, 0xe8, 0x3b,
                                        0x2a, 0xc5, 0xb9, 0xe2, 0x9e, 0x1b, 0x16, 0x1e, 0x5c, 0x1f, 0xa7,
                                        0x42, 0x5e, 0x73, 0x04, 0x33, 0x62, 0x93, 0x8b, 0x98, 0x24};
  auto call = [&](auto build, auto invoke) {
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    build(params);
    return invoke(SC(&rt::transport(), store), params, resp);
  };
  for (int round = 0; round < 2; ++round) {  // the second put of the same bytes changes nothing
    bool ok = call([](capnp::MessageBuilder& m) { (void)SC::putParams(m)->setData(Bytes(reinterpret_cast<const uint8_t*>("hello"), 5)); },
                   [](SC c, capnp::MessageBuilder& m, capnp::Response& r) {
                     auto res = c.put(m, r);
                     if (!res) return false;
                     auto k = res->getKey();
                     return k && k->size() == 32 && memcmp(k->data(), kHelloKey, 32) == 0;
                   });
    check(ok, "Store.put(\"hello\") gives its SHA-256");
  }
  bool got = call([](capnp::MessageBuilder& m) {
                    auto p = SC::getParams(m);
                    (void)p->setKey(Bytes(kHelloKey, 32));
                    p->setMaxBytes(100);
                  },
                  [](SC c, capnp::MessageBuilder& m, capnp::Response& r) {
                    auto res = c.get(m, r);
                    if (!res) return false;
                    auto d = res->getData();
                    return d && d->size() == 5 && memcmp(d->data(), "hello", 5) == 0 && res->getSize() == 5;
                  });
  check(got, "Store.get of the key returns the bytes");
  auto short_key = call([](capnp::MessageBuilder& m) { (void)SC::hasParams(m)->setKey(Bytes(kHelloKey, 31)); },
                        [](SC c, capnp::MessageBuilder& m, capnp::Response& r) { return c.has(m, r); });
  if (!short_key) rt::printf("fstest: refused a 31-byte store key: {} ({})\n", err_name(short_key.error()), rt::transport().last_exception());
  check(!short_key && short_key.error() == Err::InvalidArgument, "a 31-byte key is refused");
  bool listed = call([](capnp::MessageBuilder& m) { SC::listParams(m)->setMaxEntries(64); },
                     [](SC c, capnp::MessageBuilder& m, capnp::Response& r) {
                       auto res = c.list(m, r);
                       if (!res) return false;
                       auto keys = res->getKeys();
                       if (!keys || keys->size() != 1) return false;
                       auto k = (*keys)[0];
                       return k && memcmp(k->data(), kHelloKey, 32) == 0;
                     });
  check(listed, "Store.list shows the one key");
  bool removed = call([](capnp::MessageBuilder& m) { (void)SC::removeParams(m)->setKey(Bytes(kHelloKey, 32)); },
                      [](SC c, capnp::MessageBuilder& m, capnp::Response& r) { return c.remove(m, r).ok(); });
  bool gone = call([](capnp::MessageBuilder& m) { (void)SC::hasParams(m)->setKey(Bytes(kHelloKey, 32)); },
                   [](SC c, capnp::MessageBuilder& m, capnp::Response& r) {
                     auto res = c.has(m, r);
                     return res && !res->getPresent();
                   });
  check(removed && gone, "Store.remove forgets the blob");
  if (removed && gone) rt::print("fstest: store: put, get, list, remove by SHA-256 key ok\n");
}

// An endpoint of ours whose client facet claims the MemoryObject
// interface: a forged bulk buffer (calls on it would come to us).
Result<rt::Cap<wire::MemoryObject>> forged_buffer(rt::Cap<wire::EndpointFactory> eps) {
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto p = CAPOS_TRY(wire::EndpointFactory::Client::createParams(params));
  p.setServedInterfaceId(wire::MemoryObject::kInterfaceId);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(eps, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec, 2), &n));
  if (n != 2) return fail(Err::Corrupt);
  return rt::Cap<wire::MemoryObject>::unchecked(rec[1].cap_id);  // rec[0], the owner, stays unserved
}

// File.readBulk / writeBulk through a MemoryObject of ours (given
// `frames`): a 300,000-byte write at an unaligned file and buffer offset,
// read back by bulk and by message, the end of the file, and refusals.
void bulk_checks(fsc::Dir home, rt::Cap<wire::FrameAllocator> frames, Result<rt::Cap<wire::EndpointFactory>> eps) {
  constexpr uint32_t kBytes = 300000, kAt = 5000, kFrom = 100, kTo = 20000;
  auto buf = blk::alloc_buffer(frames, 80);
  auto f = fsc::create(home, "bulk.bin");
  check(buf && f, "bulk: a buffer and a file");
  if (!buf || !f) return;
  for (uint32_t i = 0; i < kBytes; ++i) buf->va[kFrom + i] = pattern(i);
  check(fsc::write_bulk(*f, kAt, kBytes, buf->memory, kFrom).ok(), "bulk write");
  memset(buf->va, 0, buf->bytes);
  auto n = fsc::read_bulk(*f, kAt, kBytes, buf->memory, kTo);
  check(n && *n == kBytes, "bulk read of the whole write");
  uint64_t bad = 0;
  for (uint32_t i = 0; i < kBytes; ++i) bad += buf->va[kTo + i] != pattern(i);
  for (uint32_t i = 0; i < kTo; ++i) bad += buf->va[i] != 0;  // nothing before bufferOffset
  auto m = fsc::read(*f, kAt + 12345, MutBytes(g_buf, sizeof(g_buf)), sizeof(g_buf));
  check(m && *m == sizeof(g_buf), "message read of bulk-written bytes");
  for (size_t i = 0; m && i < *m; ++i) bad += g_buf[i] != pattern(12345 + i);
  auto tail = fsc::read_bulk(*f, kAt + kBytes - 1000, 4096, buf->memory, 0);
  check(tail && *tail == 1000, "a bulk read at the end is short");
  auto past = fsc::read_bulk(*f, kAt + kBytes, 4096, buf->memory, 0);
  check(past && *past == 0, "a bulk read past the end returns nothing");
  refused(fsc::read_bulk(*f, 0, 2u << 20, buf->memory, 0), Err::InvalidArgument, "a bulk read of 2 MiB");
  refused(fsc::write_bulk(*f, 0, 100, rt::Cap<wire::MemoryObject>::unchecked(home.id()), 0), Err::InvalidArgument,
          "a bulk write without a MemoryObject");
  refused(fsc::read_bulk(*f, 0, 100, buf->memory, buf->bytes - 10), Err::InvalidArgument,
          "a bulk read past the buffer");
  // Without the kernel's XFER_REC_SERVED check fsd would call this
  // endpoint (which nobody serves) and stop serving.
  auto forged = eps ? forged_buffer(*eps) : Result<rt::Cap<wire::MemoryObject>>(fail(Err::NotFound));
  check(forged.ok(), "an endpoint posing as a MemoryObject");
  if (forged) refused(fsc::read_bulk(*f, 0, 100, *forged, 0), Err::InvalidArgument, "a bulk read into an endpoint");
  if (auto ro = fsc::read_only(*f)) {
    refused(fsc::write_bulk(*ro, 0, 100, buf->memory, 0), Err::InvalidArgument, "a bulk write through File.readOnly");
    (void)fsc::close(*ro);
  }
  (void)fsc::close(*f);
  check(fsc::remove(home, "bulk.bin").ok(), "remove bulk.bin");
  check(bad == 0, "bulk bytes read back");
  if (bad == 0) rt::printf("fstest: bulk: {} bytes written and read back through a MemoryObject, 0 mismatches\n", kBytes);
}

int run() {
  auto home = rt::capset_find<wire::Directory>("home");
  auto ro = rt::capset_find<wire::Directory>("ro");
  if (!home || !ro) {
    rt::print("fstest: needs `home` and `ro` (Directory)\n");
    return 2;
  }
  auto info = fsc::fs_stat(*home);
  if (!info) {
    rt::printf("fstest: FAILED: fsStat: {}\n", err_name(info.error()));
    return 3;
  }
  rt::printf("fstest: filesystem generation {}, {} nodes, {} of {} blocks free\n", info->generation, info->nodes,
             info->free, info->total);
  bool fresh = !fsc::stat(*home, "big.bin");
  Status st = fresh ? first_boot(*home) : later_boot(*home);
  if (!st) {
    rt::printf("fstest: FAILED: {} ({})\n", err_name(st.error()), fsc::last_error());
    return 4;
  }
  hostile_names(*home);
  hostile_data(*home);
  attenuation(*home, *ro);
  if (auto store = rt::capset_find<wire::Store>("store")) store_checks(*store);
  if (auto frames = rt::capset_find<wire::FrameAllocator>("frames"))
    bulk_checks(*home, *frames, rt::capset_find<wire::EndpointFactory>("eps"));
  exhaustion(*home);
  // Still intact after all of that.
  auto big = fsc::open(*home, "big.bin", false);
  auto bad = big ? verify_all(*big, kBigSize) : Result<uint64_t>(fail(big.error()));
  check(bad && *bad == 0, "big.bin after the hostile requests");
  if (big) (void)fsc::close(*big);
  if (fresh) {
    // Written but never synced: a reboot must not show it.
    auto u = fsc::create(*home, "unsynced");
    check(u && fsc::write(*u, 0, Bytes(g_buf, 100)).ok(), "unsynced file");
  }
  if (g_failures == 0) rt::print("fstest: all checks passed\n");
  return g_failures == 0 ? 0 : 10;
}

}  // namespace

int main() { return run(); }
