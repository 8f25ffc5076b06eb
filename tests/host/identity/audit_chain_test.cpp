// The AuditLog hash chain (user/services/identity/audit_chain.h): an intact
// chain verifies, and every kind of tampering with any record — a changed
// seq, time, source, text or hash byte, a dropped, duplicated or swapped
// record — stops verification exactly there. Rewriting the whole chain
// from a tampered record on changes the head a reader kept.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "user/services/identity/audit_chain.h"
#include "user/services/identity/audit_file.h"

namespace capos::identity::audit {
namespace {

struct Owned {
  uint64_t seq, time_ns;
  std::string source, text;
  std::vector<uint8_t> hash;
};

StrView sv(const std::string& s) { return StrView(s.data(), s.size()); }

// Appends like auditd: each hash over the previous one.
std::vector<Owned> make_chain(size_t n, std::mt19937_64& rng) {
  std::vector<Owned> out;
  uint8_t prev[kHashBytes] = {};
  for (size_t i = 0; i < n; ++i) {
    Owned o{i, 1000 + i * 7 + rng() % 5, i % 3 ? "sessions" : "lifecycle", "", {}};
    size_t len = 1 + rng() % 60;
    for (size_t k = 0; k < len; ++k) o.text += static_cast<char>(' ' + rng() % 95);
    o.hash.resize(kHashBytes);
    chain_hash(prev, Record{o.seq, o.time_ns, sv(o.source), sv(o.text), Bytes()}, o.hash.data());
    memcpy(prev, o.hash.data(), kHashBytes);
    out.push_back(std::move(o));
  }
  return out;
}

size_t verified(const std::vector<Owned>& c, uint8_t* head = nullptr) {
  std::vector<Record> v;
  for (const Owned& o : c) v.push_back(Record{o.seq, o.time_ns, sv(o.source), sv(o.text), Bytes(o.hash.data(), o.hash.size())});
  uint8_t prev[kHashBytes] = {};
  size_t n = verify(prev, 0, Span<const Record>(v.data(), v.size()));
  if (head) memcpy(head, prev, kHashBytes);
  return n;
}

TEST(AuditChain, AnIntactChainVerifies) {
  std::mt19937_64 rng(1);
  auto c = make_chain(40, rng);
  EXPECT_EQ(verified(c), c.size());
  EXPECT_EQ(verified({}), 0u);
}

TEST(AuditChain, AnyChangeToAnyRecordBreaksItThere) {
  std::mt19937_64 rng(2);
  const auto good = make_chain(24, rng);
  for (size_t i = 0; i < good.size(); ++i) {
    for (int kind = 0; kind < 8; ++kind) {
      auto c = good;
      Owned& o = c[i];
      size_t expect = i;
      switch (kind) {
        case 0: o.seq += 1; break;
        case 1: o.time_ns ^= 1; break;
        case 2: o.source[rng() % o.source.size()] ^= 0x20; break;
        case 3: o.text[rng() % o.text.size()] ^= 1; break;
        case 4: o.text += "x"; break;
        case 5: o.hash[rng() % kHashBytes] ^= 0x80; break;
        case 6: c.erase(c.begin() + static_cast<long>(i)); break;  // dropped
        case 7:
          if (i + 1 == c.size()) {
            c.push_back(c[i]);  // duplicated at the end
            expect = i + 1;
          } else {
            std::swap(c[i], c[i + 1]);
          }
          break;
      }
      if (kind == 6 && i + 1 == good.size()) {
        // Dropping the last record leaves a valid shorter chain: the head
        // a reader kept (below) is what catches truncation.
        EXPECT_EQ(verified(c), c.size());
        continue;
      }
      EXPECT_EQ(verified(c), expect) << "record " << i << " change " << kind;
    }
  }
}

TEST(AuditChain, RewritingTheRestChangesTheHead) {
  std::mt19937_64 rng(3);
  auto c = make_chain(10, rng);
  uint8_t head[kHashBytes];
  ASSERT_EQ(verified(c, head), c.size());
  // A forger who edits record 4 and recomputes every later hash gets a
  // chain that verifies on its own, but ends at another head.
  c[4].text = "audit: nothing happened";
  uint8_t prev[kHashBytes];
  memcpy(prev, c[3].hash.data(), kHashBytes);
  for (size_t i = 4; i < c.size(); ++i) {
    chain_hash(prev, Record{c[i].seq, c[i].time_ns, sv(c[i].source), sv(c[i].text), Bytes()}, c[i].hash.data());
    memcpy(prev, c[i].hash.data(), kHashBytes);
  }
  uint8_t forged_head[kHashBytes];
  ASSERT_EQ(verified(c, forged_head), c.size());
  EXPECT_NE(memcmp(head, forged_head, kHashBytes), 0);
  // Truncation too.
  c.pop_back();
  ASSERT_EQ(verified(c, forged_head), c.size());
  EXPECT_NE(memcmp(head, forged_head, kHashBytes), 0);
}

TEST(AuditChain, AVerifierMayStartMidChain) {
  std::mt19937_64 rng(4);
  auto c = make_chain(12, rng);
  std::vector<Record> tail;
  for (size_t i = 5; i < c.size(); ++i)
    tail.push_back(Record{c[i].seq, c[i].time_ns, sv(c[i].source), sv(c[i].text), Bytes(c[i].hash.data(), kHashBytes)});
  uint8_t prev[kHashBytes];
  memcpy(prev, c[4].hash.data(), kHashBytes);
  EXPECT_EQ(verify(prev, 5, Span<const Record>(tail.data(), tail.size())), tail.size());
  memcpy(prev, c[3].hash.data(), kHashBytes);  // the wrong anchor
  EXPECT_EQ(verify(prev, 5, Span<const Record>(tail.data(), tail.size())), 0u);
}

// The stored form (audit_file.h): a file of records decodes back and
// verifies; any flipped bit anywhere in it stops decoding or verification
// before the end; a chain rewritten consistently without the key is
// refused at the first record it changed.
const uint8_t kKey[kAuditKeyBytes] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
Bytes key() { return Bytes(kKey, sizeof(kKey)); }

std::vector<uint8_t> encode_all(const std::vector<Owned>& c, Bytes k = key()) {
  std::vector<uint8_t> f;
  for (const Owned& o : c) {
    uint8_t buf[kMaxStoredRecord];
    auto n = encode_record(Record{o.seq, o.time_ns, sv(o.source), sv(o.text), Bytes(o.hash.data(), o.hash.size())},
                           k, MutBytes(buf, sizeof(buf)));
    EXPECT_TRUE(n);
    f.insert(f.end(), buf, buf + (n ? *n : 0));
  }
  return f;
}

// Records of `f` that decode and verify, in order.
size_t load(const std::vector<uint8_t>& f) {
  uint8_t prev[kHashBytes] = {};
  size_t at = 0, n = 0;
  while (at < f.size()) {
    auto d = decode_record(Bytes(f.data() + at, f.size() - at), key());
    if (!d || verify(prev, n, Span<const Record>(&d->record, 1)) != 1) break;
    at += d->used;
    ++n;
  }
  return at == f.size() ? n : n | (size_t{1} << 40);  // marks a file that did not load whole
}

TEST(AuditFile, AStoredChainLoadsWhole) {
  std::mt19937_64 rng(5);
  auto c = make_chain(12, rng);
  EXPECT_EQ(load(encode_all(c)), c.size());
}

TEST(AuditFile, AnyFlippedBitStopsTheLoad) {
  std::mt19937_64 rng(6);
  auto c = make_chain(6, rng);
  auto f = encode_all(c);
  for (size_t i = 0; i < f.size(); ++i) {
    auto g = f;
    g[i] ^= static_cast<uint8_t>(1u << (rng() % 8));
    EXPECT_NE(load(g), c.size()) << "byte " << i;
  }
  // A torn last record is not a record.
  f.pop_back();
  EXPECT_NE(load(f), c.size() - 1);
}

// Someone who can write the disk but has no key changes record 3's text
// and recomputes every hash from there: the chain is consistent again, and
// only the MAC can tell. The records before it still load; record 3 is
// refused as not the key's (PermissionDenied), and so is a whole chain
// encoded under another key.
TEST(AuditFile, AConsistentRewriteWithoutTheKeyIsRefused) {
  std::mt19937_64 rng(8);
  auto c = make_chain(8, rng);
  auto f = encode_all(c);
  auto forged = c;
  forged[3].text = "nothing happened here";
  uint8_t prev[kHashBytes];
  memcpy(prev, forged[2].hash.data(), kHashBytes);
  for (size_t i = 3; i < forged.size(); ++i) {
    Owned& o = forged[i];
    o.hash.assign(kHashBytes, 0);
    chain_hash(prev, Record{o.seq, o.time_ns, sv(o.source), sv(o.text), Bytes()}, o.hash.data());
    memcpy(prev, o.hash.data(), kHashBytes);
  }
  uint8_t other[kAuditKeyBytes] = {9};
  auto g = encode_all(forged, Bytes(other, sizeof(other)));  // the attacker's MACs
  // Splice: the attacker keeps the first three stored records as they were.
  size_t head = 0;
  for (size_t i = 0; i < 3; ++i) head += decode_record(Bytes(f.data() + head, f.size() - head), key())->used;
  size_t ghead = 0;
  for (size_t i = 0; i < 3; ++i) ghead += kRecordHeader + forged[i].source.size() + forged[i].text.size() + kHashBytes + kMacBytes;
  std::vector<uint8_t> spliced(f.begin(), f.begin() + static_cast<long>(head));
  spliced.insert(spliced.end(), g.begin() + static_cast<long>(ghead), g.end());
  EXPECT_EQ(load(spliced), size_t{3} | (size_t{1} << 40));
  auto d = decode_record(Bytes(spliced.data() + head, spliced.size() - head), key());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), Err::PermissionDenied);
  // The forged chain itself is a valid hash chain: only the key stops it.
  EXPECT_EQ(load(encode_all(forged)), forged.size());
  EXPECT_EQ(load(g), size_t{0} | (size_t{1} << 40));
}

TEST(AuditFile, BadRecordsAreRefusedOnEncode) {
  uint8_t h[kHashBytes] = {};
  uint8_t buf[kMaxStoredRecord];
  std::string long_text(kMaxTextBytes + 1, 'x');
  EXPECT_FALSE(encode_record(Record{0, 0, "s", sv(long_text), Bytes(h, kHashBytes)}, key(), MutBytes(buf, sizeof(buf))));
  EXPECT_FALSE(encode_record(Record{0, 0, "", "t", Bytes(h, kHashBytes)}, key(), MutBytes(buf, sizeof(buf))));
  EXPECT_FALSE(encode_record(Record{0, 0, "s", "bell\a", Bytes(h, kHashBytes)}, key(), MutBytes(buf, sizeof(buf))));
  EXPECT_FALSE(encode_record(Record{0, 0, "s", "t", Bytes(h, 8)}, key(), MutBytes(buf, sizeof(buf))));
  EXPECT_FALSE(encode_record(Record{0, 0, "s", "t", Bytes(h, kHashBytes)}, key(), MutBytes(buf, 10)));
  EXPECT_FALSE(encode_record(Record{0, 0, "s", "t", Bytes(h, kHashBytes)}, Bytes(h, 16), MutBytes(buf, sizeof(buf))));
}

}  // namespace
}  // namespace capos::identity::audit
