#include "lib/crypto/argon2.h"

#include "lib/core/cstring.h"
#include "lib/crypto/blake2b.h"

namespace capos::argon2 {

namespace {

constexpr uint32_t kVersion = 0x13;
constexpr uint32_t kTypeId = 2;  // Argon2id
constexpr uint32_t kSyncPoints = 4;
constexpr uint32_t kWords = 128;  // 64-bit words per block

struct Block {
  uint64_t v[kWords];
};

void store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void wipe(void* p, size_t n) {
  for (size_t i = 0; i < n; ++i) static_cast<volatile uint8_t*>(p)[i] = 0;
}

void hash_u32(Blake2b& b, uint32_t v) {
  uint8_t x[4];
  store32(x, v);
  b.update(x, 4);
}

// H' (RFC 9106 3.3): variable-length hash of `in` into out[0..outlen).
void hprime(uint8_t* out, size_t outlen, const uint8_t* in, size_t inlen) {
  uint8_t len_le[4];
  store32(len_le, static_cast<uint32_t>(outlen));
  if (outlen <= 64) {
    Blake2b b(outlen);
    b.update(len_le, 4);
    b.update(in, inlen);
    b.final(out);
    return;
  }
  uint8_t v[64];
  {
    Blake2b b(64);
    b.update(len_le, 4);
    b.update(in, inlen);
    b.final(v);
  }
  memcpy(out, v, 32);
  size_t done = 32;
  while (outlen - done > 64) {
    blake2b(v, 64, v, 64);
    memcpy(out + done, v, 32);
    done += 32;
  }
  uint8_t last[64];
  blake2b(last, outlen - done, v, 64);
  memcpy(out + done, last, outlen - done);
  wipe(v, sizeof(v));
  wipe(last, sizeof(last));
}

inline uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }
inline uint64_t fblamka(uint64_t x, uint64_t y) {
  return x + y + 2 * (x & 0xffffffffull) * (y & 0xffffffffull);
}
inline void gb(uint64_t& a, uint64_t& b, uint64_t& c, uint64_t& d) {
  a = fblamka(a, b);
  d = rotr(d ^ a, 32);
  c = fblamka(c, d);
  b = rotr(b ^ c, 24);
  a = fblamka(a, b);
  d = rotr(d ^ a, 16);
  c = fblamka(c, d);
  b = rotr(b ^ c, 63);
}
// The BLAKE2 round without message on 16 words given by index.
inline void round16(uint64_t* v, const int (&i)[16]) {
  gb(v[i[0]], v[i[4]], v[i[8]], v[i[12]]);
  gb(v[i[1]], v[i[5]], v[i[9]], v[i[13]]);
  gb(v[i[2]], v[i[6]], v[i[10]], v[i[14]]);
  gb(v[i[3]], v[i[7]], v[i[11]], v[i[15]]);
  gb(v[i[0]], v[i[5]], v[i[10]], v[i[15]]);
  gb(v[i[1]], v[i[6]], v[i[11]], v[i[12]]);
  gb(v[i[2]], v[i[7]], v[i[8]], v[i[13]]);
  gb(v[i[3]], v[i[4]], v[i[9]], v[i[14]]);
}

// next = G(prev, ref) (xor next's old value when `with_xor`: passes > 0).
void fill_block(const Block& prev, const Block& ref, Block& next, bool with_xor) {
  Block r, tmp;
  for (uint32_t k = 0; k < kWords; ++k) r.v[k] = prev.v[k] ^ ref.v[k];
  tmp = r;
  if (with_xor)
    for (uint32_t k = 0; k < kWords; ++k) tmp.v[k] ^= next.v[k];
  for (int row = 0; row < 8; ++row) {
    int idx[16];
    for (int k = 0; k < 16; ++k) idx[k] = 16 * row + k;
    round16(r.v, idx);
  }
  for (int col = 0; col < 8; ++col) {
    int idx[16];
    for (int k = 0; k < 8; ++k) idx[2 * k] = 2 * col + 16 * k, idx[2 * k + 1] = 2 * col + 16 * k + 1;
    round16(r.v, idx);
  }
  for (uint32_t k = 0; k < kWords; ++k) next.v[k] = tmp.v[k] ^ r.v[k];
}

struct Instance {
  Block* mem;
  uint32_t lanes, lane_len, seg_len, passes, blocks;
};

struct Position {
  uint32_t pass, lane, slice, index;
};

uint32_t index_alpha(const Instance& in, const Position& pos, uint32_t pseudo, bool same_lane) {
  uint32_t area;
  if (pos.pass == 0) {
    if (pos.slice == 0) area = pos.index - 1;
    else if (same_lane) area = pos.slice * in.seg_len + pos.index - 1;
    else area = pos.slice * in.seg_len - (pos.index == 0 ? 1 : 0);
  } else {
    if (same_lane) area = in.lane_len - in.seg_len + pos.index - 1;
    else area = in.lane_len - in.seg_len - (pos.index == 0 ? 1 : 0);
  }
  uint64_t rel = pseudo;
  rel = (rel * rel) >> 32;
  rel = area - 1 - ((uint64_t{area} * rel) >> 32);
  uint32_t start = 0;
  if (pos.pass != 0) start = pos.slice == kSyncPoints - 1 ? 0 : (pos.slice + 1) * in.seg_len;
  return static_cast<uint32_t>((start + rel) % in.lane_len);
}

void next_addresses(Block& address, Block& input, const Block& zero) {
  input.v[6]++;
  fill_block(zero, input, address, false);
  fill_block(zero, address, address, false);
}

void fill_segment(const Instance& in, Position pos) {
  bool independent = pos.pass == 0 && pos.slice < kSyncPoints / 2;  // Argon2id
  Block address{}, input{}, zero{};
  if (independent) {
    input.v[0] = pos.pass;
    input.v[1] = pos.lane;
    input.v[2] = pos.slice;
    input.v[3] = in.blocks;
    input.v[4] = in.passes;
    input.v[5] = kTypeId;
  }
  uint32_t start = 0;
  if (pos.pass == 0 && pos.slice == 0) {
    start = 2;
    if (independent) next_addresses(address, input, zero);
  }
  uint32_t cur = pos.lane * in.lane_len + pos.slice * in.seg_len + start;
  uint32_t prev = cur % in.lane_len == 0 ? cur + in.lane_len - 1 : cur - 1;
  for (uint32_t i = start; i < in.seg_len; ++i, ++cur, ++prev) {
    if (cur % in.lane_len == 1) prev = cur - 1;
    uint64_t pseudo;
    if (independent) {
      if (i % kWords == 0) next_addresses(address, input, zero);
      pseudo = address.v[i % kWords];
    } else {
      pseudo = in.mem[prev].v[0];
    }
    uint32_t ref_lane = static_cast<uint32_t>((pseudo >> 32) % in.lanes);
    if (pos.pass == 0 && pos.slice == 0) ref_lane = pos.lane;
    pos.index = i;
    uint32_t ref_index = index_alpha(in, pos, static_cast<uint32_t>(pseudo), ref_lane == pos.lane);
    fill_block(in.mem[prev], in.mem[in.lane_len * ref_lane + ref_index], in.mem[cur], pos.pass != 0);
  }
  wipe(&address, sizeof(address));
  wipe(&input, sizeof(input));
}

void block_from_bytes(Block& b, const uint8_t* p) {
  for (uint32_t k = 0; k < kWords; ++k) {
    uint64_t v = 0;
    for (int j = 7; j >= 0; --j) v = (v << 8) | p[8 * k + j];
    b.v[k] = v;
  }
}

}  // namespace

size_t work_bytes(const Params& p) {
  if (p.lanes == 0) return 0;
  uint32_t blocks = p.m_kib / (4 * p.lanes) * 4 * p.lanes;
  return size_t{blocks} * kBlockBytes;
}

Status argon2id(const Params& p, const Inputs& in, MutBytes tag, MutBytes work) {
  if (p.lanes < 1 || p.lanes > 255 || p.t < 1 || p.m_kib < 8 * p.lanes || tag.size() < 4 || in.salt.size() < 8 ||
      tag.size() > 0xffffffffu)
    return fail(Err::InvalidArgument);
  size_t need = work_bytes(p);
  if (work.size() < need || reinterpret_cast<uintptr_t>(work.data()) % 8) return fail(Err::InvalidArgument);
  Instance inst;
  inst.mem = reinterpret_cast<Block*>(work.data());
  inst.blocks = static_cast<uint32_t>(need / kBlockBytes);
  inst.lanes = p.lanes;
  inst.lane_len = inst.blocks / p.lanes;
  inst.seg_len = inst.lane_len / kSyncPoints;
  inst.passes = p.t;

  // H0 (RFC 9106 3.2), then the first two blocks of each lane.
  uint8_t h0[72];
  {
    Blake2b b(64);
    hash_u32(b, p.lanes);
    hash_u32(b, static_cast<uint32_t>(tag.size()));
    hash_u32(b, p.m_kib);
    hash_u32(b, p.t);
    hash_u32(b, kVersion);
    hash_u32(b, kTypeId);
    hash_u32(b, static_cast<uint32_t>(in.password.size()));
    b.update(in.password.data(), in.password.size());
    hash_u32(b, static_cast<uint32_t>(in.salt.size()));
    b.update(in.salt.data(), in.salt.size());
    hash_u32(b, static_cast<uint32_t>(in.secret.size()));
    b.update(in.secret.data(), in.secret.size());
    hash_u32(b, static_cast<uint32_t>(in.ad.size()));
    b.update(in.ad.data(), in.ad.size());
    b.final(h0);
  }
  uint8_t bytes[kBlockBytes];
  for (uint32_t l = 0; l < p.lanes; ++l) {
    for (uint32_t k = 0; k < 2; ++k) {
      store32(h0 + 64, k);
      store32(h0 + 68, l);
      hprime(bytes, kBlockBytes, h0, sizeof(h0));
      block_from_bytes(inst.mem[l * inst.lane_len + k], bytes);
    }
  }
  for (uint32_t pass = 0; pass < p.t; ++pass)
    for (uint32_t s = 0; s < kSyncPoints; ++s)
      for (uint32_t l = 0; l < p.lanes; ++l) fill_segment(inst, Position{pass, l, s, 0});

  Block final = inst.mem[inst.lane_len - 1];
  for (uint32_t l = 1; l < p.lanes; ++l)
    for (uint32_t k = 0; k < kWords; ++k) final.v[k] ^= inst.mem[l * inst.lane_len + inst.lane_len - 1].v[k];
  for (uint32_t k = 0; k < kWords; ++k)
    for (int j = 0; j < 8; ++j) bytes[8 * k + j] = static_cast<uint8_t>(final.v[k] >> (8 * j));
  hprime(tag.data(), tag.size(), bytes, sizeof(bytes));
  wipe(bytes, sizeof(bytes));
  wipe(h0, sizeof(h0));
  wipe(&final, sizeof(final));
  wipe(work.data(), need);
  return {};
}

}  // namespace capos::argon2
