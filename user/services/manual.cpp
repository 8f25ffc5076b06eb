// manual: the Manual service behind the shell's `man` and `apropos`.
// Loads the boot-package binary `manual.pages` through its "boot" cap
// (records: u32 name_len, name, u8 section, u32 summary_len, summary,
// u32 text_len, text — written by tools/manpack.py), then serves Manual on
// its "manual" endpoint. Pages are kept ordered by section, then name.
#include "schema/ipc.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/boot_package.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

constexpr uint64_t kMaxPagesBytes = 512 * 1024;
constexpr uint32_t kMaxPages = 256;

struct Page {
  StrView name;
  uint8_t section;
  StrView summary;
  StrView text;
};

Page g_pages[kMaxPages];
uint32_t g_n = 0;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ieq(StrView a, StrView b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a.ptr[i]) != lower(b.ptr[i])) return false;
  return true;
}

bool icontains(StrView hay, StrView needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (ieq(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

// Section, then name (byte order).
bool before(const Page& a, const Page& b) {
  if (a.section != b.section) return a.section < b.section;
  size_t n = a.name.size() < b.name.size() ? a.name.size() : b.name.size();
  int c = memcmp(a.name.ptr, b.name.ptr, n);
  return c != 0 ? c < 0 : a.name.size() < b.name.size();
}

bool take_u32(Bytes b, size_t* at, uint32_t* v) {
  if (b.size() - *at < 4) return false;
  const uint8_t* p = b.data() + *at;
  *v = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
  *at += 4;
  return true;
}

bool take_str(Bytes b, size_t* at, StrView* s) {
  uint32_t n;
  if (!take_u32(b, at, &n) || n > b.size() - *at) return false;
  *s = StrView(reinterpret_cast<const char*>(b.data() + *at), n);
  *at += n;
  return true;
}

Status parse(Bytes b) {
  size_t at = 0;
  while (at < b.size()) {
    Page p{};
    if (!take_str(b, &at, &p.name) || at >= b.size()) return fail(Err::Corrupt);
    p.section = b.data()[at++];
    if (!take_str(b, &at, &p.summary) || !take_str(b, &at, &p.text)) return fail(Err::Corrupt);
    if (p.name.empty()) return fail(Err::Corrupt);
    if (g_n == kMaxPages) return fail(Err::LimitExceeded);
    // Insertion sort: a few dozen pages, once.
    uint32_t i = g_n++;
    while (i > 0 && before(p, g_pages[i - 1])) {
      g_pages[i] = g_pages[i - 1];
      --i;
    }
    g_pages[i] = p;
  }
  return {};
}

const Page* find(StrView topic, uint8_t section) {
  for (int pass = 0; pass < 2; ++pass) {  // exact name first, then ASCII case-insensitive
    for (uint32_t i = 0; i < g_n; ++i) {
      const Page& p = g_pages[i];
      if (section != 0 && p.section != section) continue;
      if (pass == 0 ? p.name == topic : ieq(p.name, topic)) return &p;
    }
  }
  return nullptr;
}

Status fill(wire::Manual::ManualEntry::Builder e, const Page& p) {
  CAPOS_TRY_STATUS(e.setName(p.name));
  e.setSection(p.section);
  return e.setSummary(p.summary);
}

class ManualImpl final : public wire::Manual::Server {
 public:
  Status page(wire::Manual::PageParams::Reader p, wire::Manual::PageResult::Builder r) override {
    StrView topic = CAPOS_TRY(p.getTopic());
    uint32_t max = p.getMaxBytes();
    if (max == 0 || max > wire::MAX_MANUAL_CHUNK) {
      rt::set_error_message("maxBytes must be 1 to maxManualChunk");
      return fail(Err::InvalidArgument);
    }
    const Page* pg = find(topic, p.getSection());
    if (!pg) {
      r.setNotFound();
      return {};
    }
    uint32_t off = p.getOffset();
    if (off > pg->text.size()) {
      rt::set_error_message("offset is past the end of the page");
      return fail(Err::InvalidArgument);
    }
    size_t n = pg->text.size() - off < max ? pg->text.size() - off : max;
    // Cut only at a UTF-8 character boundary.
    while (n > 0 && off + n < pg->text.size() &&
           (static_cast<uint8_t>(pg->text.ptr[off + n]) & 0xC0) == 0x80)
      --n;
    auto c = r.initChunk();
    CAPOS_TRY_STATUS(c.setName(pg->name));
    c.setSection(pg->section);
    c.setTotalBytes(static_cast<uint32_t>(pg->text.size()));
    return c.setText(pg->text.substr(off, n));
  }

  Status apropos(wire::Manual::AproposParams::Reader p, wire::Manual::AproposResults::Builder r) override {
    StrView kw = CAPOS_TRY(p.getKeyword());
    uint32_t max = p.getMaxEntries();
    if (kw.empty() || max == 0 || max > wire::MAX_MANUAL_ENTRIES) {
      rt::set_error_message("keyword must be non-empty and maxEntries 1 to maxManualEntries");
      return fail(Err::InvalidArgument);
    }
    const Page* hits[kMaxPages];
    uint32_t n = 0;
    for (uint32_t i = 0; i < g_n; ++i)
      if (icontains(g_pages[i].name, kw) || icontains(g_pages[i].summary, kw)) hits[n++] = &g_pages[i];
    uint32_t shown = n < max ? n : max;
    auto list = CAPOS_TRY(r.initEntries(shown));
    for (uint32_t i = 0; i < shown; ++i) CAPOS_TRY_STATUS(fill(list[i], *hits[i]));
    r.setMore(n > shown);
    return {};
  }

  Status topics(wire::Manual::TopicsParams::Reader p, wire::Manual::TopicsResults::Builder r) override {
    uint32_t max = p.getMaxEntries();
    if (max == 0 || max > wire::MAX_MANUAL_ENTRIES) {
      rt::set_error_message("maxEntries must be 1 to maxManualEntries");
      return fail(Err::InvalidArgument);
    }
    uint8_t section = p.getSection();
    const Page* hits[kMaxPages];
    uint32_t total = 0;
    for (uint32_t i = 0; i < g_n; ++i)
      if (section == 0 || g_pages[i].section == section) hits[total++] = &g_pages[i];
    uint32_t off = p.getOffset() < total ? p.getOffset() : total;
    uint32_t shown = total - off < max ? total - off : max;
    auto list = CAPOS_TRY(r.initEntries(shown));
    for (uint32_t i = 0; i < shown; ++i) CAPOS_TRY_STATUS(fill(list[i], *hits[off + i]));
    r.setTotal(total);
    return {};
  }
};

ManualImpl g_impl;

}  // namespace

int main() {
  auto ep = rt::capset_find<wire::Endpoint>("manual");
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  if (!ep || !boot) {
    rt::printf("manual: needs the `manual` endpoint and the `boot` cap\n");
    return 2;
  }
  auto size = rt::boot_binary_size(*boot, "manual.pages");
  if (!size || *size == 0 || *size > kMaxPagesBytes) {
    rt::printf("manual: no usable manual.pages in the boot package\n");
    return 3;
  }
  auto* buf = static_cast<uint8_t*>(rt::malloc(*size));
  if (!buf) return 4;
  if (Status st = rt::boot_read_binary(*boot, "manual.pages", 0, MutBytes(buf, *size)); !st) {
    rt::printf("manual: reading manual.pages failed: {}\n", err_name(st.error()));
    return 5;
  }
  if (Status st = parse(Bytes(buf, *size)); !st) {
    rt::printf("manual: manual.pages is malformed: {}\n", err_name(st.error()));
    return 6;
  }
  Status st = rt::serve(*ep, g_impl);
  rt::printf("manual: serving stopped: {}\n", err_name(st.error()));
  return 7;
}
