// Builder for Multiboot2 information images in host tests and the fuzzer:
// tags are appended 8-byte aligned and the total size is fixed up.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace mbi_image {

class Builder {
 public:
  Builder() : b_(8, 0) {}

  Builder& tag(uint32_t type, const std::vector<uint8_t>& body) {
    size_t at = b_.size();
    b_.resize(at + 8);
    put32(at, type);
    put32(at + 4, static_cast<uint32_t>(8 + body.size()));
    b_.insert(b_.end(), body.begin(), body.end());
    while (b_.size() % 8) b_.push_back(0);
    return *this;
  }
  Builder& cmdline(const std::string& s) {
    std::vector<uint8_t> body(s.begin(), s.end());
    body.push_back(0);
    return tag(1, body);
  }
  Builder& module(uint32_t start, uint32_t end) {
    std::vector<uint8_t> body(8 + 1, 0);
    std::memcpy(body.data(), &start, 4);
    std::memcpy(body.data() + 4, &end, 4);
    return tag(3, body);
  }
  struct E820 {
    uint64_t base, len;
    uint32_t type;
  };
  Builder& mmap(const std::vector<E820>& entries, uint32_t esize = 24) {
    std::vector<uint8_t> body(8, 0);
    std::memcpy(body.data(), &esize, 4);
    for (const E820& e : entries) {
      std::vector<uint8_t> ent(esize, 0);
      // A deliberately narrow entry (esize < 24) keeps what fits.
      std::vector<uint8_t> full(24, 0);
      std::memcpy(full.data(), &e.base, 8);
      std::memcpy(full.data() + 8, &e.len, 8);
      std::memcpy(full.data() + 16, &e.type, 4);
      std::memcpy(ent.data(), full.data(), esize < 24 ? esize : 24);
      body.insert(body.end(), ent.begin(), ent.end());
    }
    return tag(6, body);
  }
  struct EfiDesc {
    uint32_t type;
    uint64_t phys, pages;
  };
  // OVMF reports 48-byte descriptors (the 40-byte structure plus padding).
  Builder& efi_mmap(const std::vector<EfiDesc>& descs, uint32_t dsize = 48) {
    std::vector<uint8_t> body(8, 0);
    std::memcpy(body.data(), &dsize, 4);
    uint32_t version = 1;
    std::memcpy(body.data() + 4, &version, 4);
    for (const EfiDesc& d : descs) {
      std::vector<uint8_t> ent(dsize, 0);
      std::memcpy(ent.data(), &d.type, 4);
      std::memcpy(ent.data() + 8, &d.phys, 8);
      std::memcpy(ent.data() + 24, &d.pages, 8);
      body.insert(body.end(), ent.begin(), ent.end());
    }
    return tag(17, body);
  }
  Builder& efi64(uint64_t system_table) {
    std::vector<uint8_t> body(8);
    std::memcpy(body.data(), &system_table, 8);
    return tag(12, body);
  }
  Builder& rsdp(bool v2) {
    std::vector<uint8_t> body(v2 ? 36 : 20, 0);
    std::memcpy(body.data(), "RSD PTR ", 8);
    body[15] = v2 ? 2 : 0;
    return tag(v2 ? 15 : 14, body);
  }
  // Offset (from the MBI start) of the body of the last tag of `type`.
  size_t body_offset(uint32_t type) const {
    size_t found = 0;
    for (size_t off = 8; off + 8 <= b_.size();) {
      uint32_t t, size;
      std::memcpy(&t, b_.data() + off, 4);
      std::memcpy(&size, b_.data() + off + 4, 4);
      if (t == type) found = off + 8;
      off = (off + size + 7) & ~size_t{7};
    }
    return found;
  }
  std::vector<uint8_t> build(bool end_tag = true) const {
    std::vector<uint8_t> out = b_;
    if (end_tag) {
      size_t at = out.size();
      out.resize(at + 8, 0);
      out[at + 4] = 8;
    }
    uint32_t total = static_cast<uint32_t>(out.size());
    std::memcpy(out.data(), &total, 4);
    return out;
  }

 private:
  void put32(size_t at, uint32_t v) { std::memcpy(b_.data() + at, &v, 4); }
  std::vector<uint8_t> b_;
};

}  // namespace mbi_image
