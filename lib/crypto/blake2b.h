// BLAKE2b (RFC 7693), unkeyed, digest 1 to 64 bytes: the hash inside
// Argon2 (argon2.h). Host-tested against RFC 7693's "abc" vector.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos {

class Blake2b {
 public:
  // outlen: 1 to 64.
  explicit Blake2b(size_t outlen);
  void update(const void* data, size_t len);
  // Writes outlen bytes; the object must not be used afterwards.
  void final(uint8_t* out);
  ~Blake2b();

 private:
  void compress(bool last);
  uint64_t h_[8];
  uint64_t t_[2] = {0, 0};
  uint8_t buf_[128];
  size_t buf_len_ = 0;
  size_t outlen_;
};

// One-shot digest.
void blake2b(uint8_t* out, size_t outlen, const void* data, size_t len);

}  // namespace capos
