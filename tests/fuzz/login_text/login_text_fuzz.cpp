// libFuzzer: the parsers of untrusted bytes behind `login` — the shell's
// launch grammar (user/shell/grants), the seed accounts file
// (user/services/identity/accounts), Argon2id verifiers
// (lib/crypto/argon2_encoding) and the persistent account file
// (user/services/identity/account_file: raw, and with a valid MAC made
// here so the body parser behind it is reached) and auditd's stored chain
// (user/services/identity/audit_file) and the account file's anchor block
// (account_anchor). The first input byte picks the parser.
// Properties: nothing crashes or reads out of bounds (ASan/UBSan); an
// error column lies within the line (+1 for "at the end"); an accepted
// launch line has grants that are slices of the line; a rejected accounts
// file leaves the table empty; an accepted verifier encodes back to the
// exact input (one canonical form) and parses again; an account file
// either leaves the table empty or re-encodes to one that decodes to the
// same accounts; every stored audit record that decodes re-encodes to the
// exact bytes it came from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "lib/crypto/argon2.h"
#include "lib/crypto/hmac_sha256.h"
#include "user/services/identity/account_anchor.h"
#include "user/services/identity/account_file.h"
#include "user/services/identity/accounts.h"
#include "user/services/identity/audit_file.h"
#include "user/shell/grants.h"

using namespace capos;

namespace {

bool inside(StrView part, StrView whole) {
  return part.size() == 0 || (part.ptr >= whole.ptr && part.ptr + part.size() <= whole.ptr + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  StrView text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 7) {
    case 0: {
      auto r = shell::parse_launch(text);
      if (!r) {
        if (r.error().column < 1 || r.error().column > text.size() + 1 || !r.error().message) abort();
        break;
      }
      if (!inside(r->command, text) || !inside(r->binary, text) || r->n_grants > shell::LaunchLine::kMaxGrants) abort();
      if (r->n_args > shell::LaunchLine::kMaxArgs) abort();
      for (size_t i = 0; i < r->n_args; ++i)
        if (!inside(r->args[i], text) || r->args[i].size() > shell::LaunchLine::kMaxArgBytes) abort();
      for (size_t i = 0; i < r->n_grants; ++i)
        if (!inside(r->grants[i].child, text) || !inside(r->grants[i].source, text) ||
            !inside(r->grants[i].local_kind, text) || r->grants[i].child.empty() ||
            r->grants[i].source.empty() == r->grants[i].local_kind.empty())
          abort();
      break;
    }
    case 1: {
      static identity::AccountTable t;
      t = identity::AccountTable{};
      identity::ParseError e{};
      if (!identity::parse_accounts(text, t, &e)) {
        if (t.count != 0 || e.line == 0) abort();
      } else {
        for (size_t i = 0; i < t.count; ++i)
          if (!identity::valid_user(StrView(t.items[i].user)) || !identity::valid_verifier(StrView(t.items[i].verifier)))
            abort();
      }
      break;
    }
    case 2: {
      auto v = argon2::parse_verifier(text);
      if (!v) break;
      uint8_t out[512];
      auto n = argon2::encode_verifier(*v, MutBytes(out, sizeof(out)));
      if (!n) break;  // longer than the encoder's buffer: refused, not truncated
      if (*n != text.size() || memcmp(out, text.ptr, *n) != 0) abort();
      if (!argon2::parse_verifier(StrView(reinterpret_cast<const char*>(out), *n))) abort();
      break;
    }
    case 3:
    case 4: {
      static const uint8_t key[identity::kAccountKeyBytes] = {7, 1, 2, 3};
      static uint8_t file[identity::kMaxAccountFile + 64];
      Bytes in(reinterpret_cast<const uint8_t*>(text.ptr), text.size());
      if (data[0] % 6 == 4) {
        // The input is a body: frame it and sign it with the key.
        size_t n = text.size() < identity::kMaxAccountBody ? text.size() : identity::kMaxAccountBody;
        memset(file, 0, identity::kAccountHeaderBytes);
        memcpy(file, "capOSac1", 8);
        file[8] = 1;
        for (int i = 0; i < 4; ++i) file[12 + i] = static_cast<uint8_t>(n >> (8 * i));
        memcpy(file + identity::kAccountHeaderBytes, text.ptr, n);
        crypto::HmacSha256::mac(Bytes(key, sizeof(key)), Bytes(file, identity::kAccountHeaderBytes + n),
                                file + identity::kAccountHeaderBytes + n);
        in = Bytes(file, identity::kAccountHeaderBytes + n + identity::kAccountMacBytes);
      }
      static identity::AccountTable t, again;
      t = identity::AccountTable{};
      auto g = identity::decode_account_file(in, Bytes(key, sizeof(key)), t);
      if (!g) {
        if (t.count != 0) abort();
        break;
      }
      static uint8_t out[identity::kMaxAccountFile];
      auto n = identity::encode_account_file(t, *g, Bytes(key, sizeof(key)), MutBytes(out, sizeof(out)));
      if (!n) abort();  // whatever decodes fits the largest file
      again = identity::AccountTable{};
      auto g2 = identity::decode_account_file(Bytes(out, *n), Bytes(key, sizeof(key)), again);
      if (!g2 || *g2 != *g || again.count != t.count) abort();
      for (size_t i = 0; i < t.count; ++i)
        if (StrView(t.items[i].user) != StrView(again.items[i].user) ||
            StrView(t.items[i].verifier) != StrView(again.items[i].verifier) || t.items[i].profile != again.items[i].profile)
          abort();
      break;
    }
    case 5: {
      namespace au = identity::audit;
      // The records' MACs are made here under a fixed key (where the
      // lengths say they lie), so decoding reaches the text checks; a
      // record whose MAC is not fixed up is refused as PermissionDenied.
      static uint8_t copy[1 << 16];
      size_t len = text.size() < sizeof(copy) ? text.size() : sizeof(copy);
      memcpy(copy, text.ptr, len);
      static const uint8_t kKey[au::kAuditKeyBytes] = {7};
      Bytes key(kKey, sizeof(kKey));
      bool fix = (data[0] / 7) & 1;
      for (size_t at = 0; fix && at + 2 <= len;) {
        size_t n = au::kRecordHeader + copy[at] + copy[at + 1] + au::kHashBytes + au::kMacBytes;
        if (copy[at] == 0 || copy[at + 1] == 0 || at + n > len) break;
        uint8_t* hash = copy + at + n - au::kMacBytes - au::kHashBytes;
        crypto::HmacSha256::mac(key, Bytes(hash, au::kHashBytes), hash + au::kHashBytes);
        at += n;
      }
      Bytes in(copy, len);
      uint8_t prev[au::kHashBytes] = {};
      uint64_t seq = 0;
      while (!in.empty()) {
        auto d = au::decode_record(in, key);
        if (!d) break;
        if (d->used == 0 || d->used > in.size()) abort();
        uint8_t out[au::kMaxStoredRecord];
        auto n = au::encode_record(d->record, key, MutBytes(out, sizeof(out)));
        if (!n || *n != d->used || memcmp(out, in.data(), *n) != 0) abort();
        (void)identity::audit::verify(prev, seq++, Span<const identity::audit::Record>(&d->record, 1));
        in = Bytes(in.data() + d->used, in.size() - d->used);
      }
      break;
    }
    case 6: {
      // The account file's anchor block: a block that decodes re-encodes
      // to the same bytes; every other block is refused.
      namespace id = identity;
      static const uint8_t kKey[32] = {5};
      Bytes key(kKey, sizeof(kKey));
      uint8_t blk[id::kAnchorBlockBytes] = {};
      size_t len = text.size() < sizeof(blk) ? text.size() : sizeof(blk);
      memcpy(blk, text.ptr, len);
      auto g = id::decode_anchor(Bytes(blk, sizeof(blk)), key);
      if (g && *g != 0) {
        uint8_t again[id::kAnchorBlockBytes];
        if (!id::encode_anchor(*g, key, MutBytes(again, sizeof(again))) || memcmp(again, blk, sizeof(blk)) != 0) abort();
      }
      // A valid block for the first 8 bytes as a generation decodes back.
      uint64_t want = 0;
      for (size_t i = 0; i < 8 && i < len; ++i) want |= static_cast<uint64_t>(blk[i]) << (8 * i);
      if (!id::encode_anchor(want, key, MutBytes(blk, sizeof(blk)))) abort();
      auto back = id::decode_anchor(Bytes(blk, sizeof(blk)), key);
      if (!back || *back != want) abort();
      (void)id::check_anchor(*back, len & 1, want ^ len);
      break;
    }
  }
  return 0;
}
