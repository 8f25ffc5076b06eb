#include "tests/host/capnp/dynamic_walk.h"

#include <capnp/schema.h>

#include <capnp/any.h>
#include <capnp/serialize.h>

#include <cstring>

#include "tests/host/capnp/test_util.h"

namespace capnp_test {

using ::capnp::DynamicList;
using ::capnp::DynamicStruct;
using ::capnp::DynamicValue;
using ::capnp::StructSchema;
using ::capnp::Type;
using W = ::capnp::schema::Type::Which;
namespace cc = capos::capnp;

namespace {

uint32_t bit_width(W w) {
  switch (w) {
    case W::BOOL: return 1;
    case W::INT8: case W::UINT8: return 8;
    case W::INT16: case W::UINT16: case W::ENUM: return 16;
    case W::INT32: case W::UINT32: case W::FLOAT32: return 32;
    case W::INT64: case W::UINT64: case W::FLOAT64: return 64;
    default: return 0;
  }
}

bool is_pointer(W w) {
  return w == W::TEXT || w == W::DATA || w == W::LIST || w == W::STRUCT || w == W::INTERFACE ||
         w == W::ANY_POINTER;
}

template <class T> uint64_t bits_of(T v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof v);
  return b;
}

// Raw little-endian bits of a primitive dynamic value, as stored on the wire.
uint64_t value_bits(DynamicValue::Reader v, W w) {
  switch (w) {
    case W::BOOL: return v.as<bool>() ? 1 : 0;
    case W::INT8: return bits_of(v.as<int8_t>());
    case W::UINT8: return v.as<uint8_t>();
    case W::INT16: return bits_of(v.as<int16_t>());
    case W::UINT16: return v.as<uint16_t>();
    case W::ENUM: return v.as<::capnp::DynamicEnum>().getRaw();
    case W::INT32: return bits_of(v.as<int32_t>());
    case W::UINT32: return v.as<uint32_t>();
    case W::FLOAT32: return bits_of(v.as<float>());
    case W::INT64: return bits_of(v.as<int64_t>());
    case W::UINT64: return v.as<uint64_t>();
    case W::FLOAT64: return bits_of(v.as<double>());
    default: return 0;
  }
}

uint64_t default_bits(::capnp::schema::Value::Reader v) {
  using V = ::capnp::schema::Value::Which;
  switch (v.which()) {
    case V::BOOL: return v.getBool() ? 1 : 0;
    case V::INT8: return bits_of(v.getInt8());
    case V::INT16: return bits_of(v.getInt16());
    case V::INT32: return bits_of(v.getInt32());
    case V::INT64: return bits_of(v.getInt64());
    case V::UINT8: return v.getUint8();
    case V::UINT16: return v.getUint16();
    case V::UINT32: return v.getUint32();
    case V::UINT64: return v.getUint64();
    case V::FLOAT32: return bits_of(v.getFloat32());
    case V::FLOAT64: return bits_of(v.getFloat64());
    case V::ENUM: return v.getEnum();
    default: return 0;
  }
}

uint64_t read_field(const cc::StructReader& s, uint32_t width, uint32_t off, uint64_t mask) {
  switch (width) {
    case 1: return s.get_bool(off, mask != 0) ? 1 : 0;
    case 8: return s.get<uint8_t>(off, static_cast<uint8_t>(mask));
    case 16: return s.get<uint16_t>(off, static_cast<uint16_t>(mask));
    case 32: return s.get<uint32_t>(off, static_cast<uint32_t>(mask));
    case 64: return s.get<uint64_t>(off, mask);
  }
  return 0;
}

void write_field(cc::StructBuilder& s, uint32_t width, uint32_t off, uint64_t v, uint64_t mask) {
  switch (width) {
    case 1: s.set_bool(off, v != 0, mask != 0); break;
    case 8: s.set<uint8_t>(off, static_cast<uint8_t>(v), static_cast<uint8_t>(mask)); break;
    case 16: s.set<uint16_t>(off, static_cast<uint16_t>(v), static_cast<uint16_t>(mask)); break;
    case 32: s.set<uint32_t>(off, static_cast<uint32_t>(v), static_cast<uint32_t>(mask)); break;
    case 64: s.set<uint64_t>(off, v, mask); break;
  }
}

uint64_t read_element(const cc::ListReader& l, uint32_t width, uint32_t i) {
  switch (width) {
    case 1: return l.get_bool(i) ? 1 : 0;
    case 8: return l.get<uint8_t>(i);
    case 16: return l.get<uint16_t>(i);
    case 32: return l.get<uint32_t>(i);
    case 64: return l.get<uint64_t>(i);
  }
  return 0;
}

void write_element(cc::ListBuilder& l, uint32_t width, uint32_t i, uint64_t v) {
  switch (width) {
    case 1: l.set_bool(i, v != 0); break;
    case 8: l.set<uint8_t>(i, static_cast<uint8_t>(v)); break;
    case 16: l.set<uint16_t>(i, static_cast<uint16_t>(v)); break;
    case 32: l.set<uint32_t>(i, static_cast<uint32_t>(v)); break;
    case 64: l.set<uint64_t>(i, v); break;
  }
}

std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

bool active(DynamicStruct::Reader s, StructSchema::Field f) {
  uint16_t d = f.getProto().getDiscriminantValue();
  if (d == ::capnp::schema::Field::NO_DISCRIMINANT) return true;
  KJ_IF_MAYBE(w, s.which()) { return *w == f; }
  return false;
}

}  // namespace

cc::ElementSize element_size_of(Type t) {
  switch (t.which()) {
    case W::VOID: return cc::ElementSize::Void;
    case W::BOOL: return cc::ElementSize::Bit;
    case W::INT8: case W::UINT8: return cc::ElementSize::Byte;
    case W::INT16: case W::UINT16: case W::ENUM: return cc::ElementSize::TwoBytes;
    case W::INT32: case W::UINT32: case W::FLOAT32: return cc::ElementSize::FourBytes;
    case W::INT64: case W::UINT64: case W::FLOAT64: return cc::ElementSize::EightBytes;
    case W::STRUCT: return cc::ElementSize::InlineComposite;
    default: return cc::ElementSize::Pointer;
  }
}

const cc::Segment* DynamicBridge::default_segment(StructSchema::Field f) {
  auto v = f.getProto().getSlot().getDefaultValue();
  ::capnp::AnyPointer::Reader p;
  if (v.isStruct()) p = v.getStruct();
  else if (v.isList()) p = v.getList();
  else return nullptr;
  if (p.isNull()) return nullptr;
  auto& mb = msgs_.emplace_back();
  mb.getRoot<::capnp::AnyPointer>().set(p);
  auto segs = mb.getSegmentsForOutput();
  if (segs.size() != 1) return nullptr;
  segs_.push_back(cc::Segment{reinterpret_cast<const uint8_t*>(segs[0].begin()),
                              static_cast<uint32_t>(segs[0].size()), 0});
  return &segs_.back();
}

void DynamicBridge::compare(DynamicStruct::Reader theirs, cc::StructReader ours, Mismatch& m,
                            const std::string& path) {
  auto proto = theirs.getSchema().getProto().getStruct();
  if (proto.getDiscriminantCount() > 0) {
    uint16_t disc = ours.get<uint16_t>(proto.getDiscriminantOffset());
    KJ_IF_MAYBE(w, theirs.which()) {
      if (disc != w->getProto().getDiscriminantValue()) m.note(path, "union discriminant " + std::to_string(disc));
    }
  }
  for (auto f : theirs.getSchema().getFields()) {
    if (!active(theirs, f)) continue;
    compare_field(theirs, ours, f, m, path + "." + std::string(f.getProto().getName().cStr()));
  }
}

void DynamicBridge::compare_field(DynamicStruct::Reader theirs, cc::StructReader ours,
                                  StructSchema::Field f, Mismatch& m, const std::string& path) {
  auto p = f.getProto();
  if (p.isGroup()) return compare(theirs.get(f).as<DynamicStruct>(), ours, m, path);
  Type t = f.getType();
  W w = t.which();
  uint32_t off = p.getSlot().getOffset();
  if (uint32_t width = bit_width(w)) {
    uint64_t mask = default_bits(p.getSlot().getDefaultValue());
    uint64_t mine = read_field(ours, width, off, mask);
    uint64_t want = value_bits(theirs.get(f), w);
    if (mine != want) m.note(path, "ours " + hex(mine) + " theirs " + hex(want));
    return;
  }
  if (!is_pointer(w) || w == W::INTERFACE || w == W::ANY_POINTER) return;
  const cc::Segment* deflt = default_segment(f);
  cc::PointerReader pr = ours.pointer(static_cast<uint16_t>(off));
  if (!theirs.has(f) && pr.is_null() && deflt == nullptr) return;  // both null (and no recursion)
  if (theirs.has(f) == pr.is_null()) return m.note(path, "nullness differs");
  if (w == W::TEXT || w == W::DATA) {
    auto v = p.getSlot().getDefaultValue();
    if (w == W::TEXT) {
      auto tv = v.getText();
      auto r = pr.get_text(capos::StrView(tv.begin(), tv.size()));
      auto want = theirs.get(f).as<::capnp::Text>();
      if (!r.ok()) return m.note(path, "text error");
      if (std::string(r->ptr, r->len) != std::string(want.begin(), want.size())) m.note(path, "text differs");
    } else {
      auto dv = v.getData();
      auto r = pr.get_data(capos::Bytes(dv.begin(), dv.size()));
      auto want = theirs.get(f).as<::capnp::Data>();
      if (!r.ok()) return m.note(path, "data error");
      if (r->size() != want.size() || (want.size() && std::memcmp(r->data(), want.begin(), want.size())))
        m.note(path, "data differs");
    }
    return;
  }
  compare_pointer(theirs.get(f), pr, t, deflt, m, path);
}

void DynamicBridge::compare_pointer(DynamicValue::Reader theirs, cc::PointerReader ours, Type t,
                                    const cc::Segment* deflt, Mismatch& m, const std::string& path) {
  W w = t.which();
  if (w == W::STRUCT) {
    auto r = ours.get_struct(deflt);
    if (!r.ok()) return m.note(path, std::string("struct error ") + capos::err_name(r.error()));
    return compare(theirs.as<DynamicStruct>(), *r, m, path);
  }
  if (w == W::LIST) {
    auto r = ours.get_list(element_size_of(t.asList().getElementType()), deflt);
    if (!r.ok()) return m.note(path, std::string("list error ") + capos::err_name(r.error()));
    return compare_list(theirs.as<DynamicList>(), *r, m, path);
  }
  if (w == W::TEXT) {
    auto r = ours.get_text();
    auto want = theirs.as<::capnp::Text>();
    if (!r.ok() || std::string(r->ptr, r->len) != std::string(want.begin(), want.size()))
      m.note(path, "text element differs");
    return;
  }
  if (w == W::DATA) {
    auto r = ours.get_data();
    auto want = theirs.as<::capnp::Data>();
    if (!r.ok() || r->size() != want.size() || (want.size() && std::memcmp(r->data(), want.begin(), want.size())))
      m.note(path, "data element differs");
  }
}

void DynamicBridge::compare_list(DynamicList::Reader theirs, cc::ListReader ours, Mismatch& m,
                                 const std::string& path) {
  if (ours.size() != theirs.size())
    return m.note(path, "list size ours " + std::to_string(ours.size()) + " theirs " + std::to_string(theirs.size()));
  Type et = theirs.getSchema().getElementType();
  W w = et.which();
  for (uint32_t i = 0; i < theirs.size(); ++i) {
    std::string ip = path + "[" + std::to_string(i) + "]";
    if (uint32_t width = bit_width(w)) {
      uint64_t mine = read_element(ours, width, i), want = value_bits(theirs[i], w);
      if (mine != want) m.note(ip, "ours " + hex(mine) + " theirs " + hex(want));
    } else if (w == W::STRUCT) {
      compare(theirs[i].as<DynamicStruct>(), ours.get_struct(i), m, ip);
    } else if (is_pointer(w) && w != W::INTERFACE && w != W::ANY_POINTER) {
      compare_pointer(theirs[i], ours.get_pointer(i), et, nullptr, m, ip);
    }
    if (!m.what.empty()) return;
  }
}

// ---- building ------------------------------------------------------------

void DynamicBridge::build(DynamicStruct::Reader src, cc::StructBuilder dst, Mismatch& m,
                          const std::string& path) {
  auto proto = src.getSchema().getProto().getStruct();
  if (proto.getDiscriminantCount() > 0) {
    KJ_IF_MAYBE(w, src.which()) { dst.set<uint16_t>(proto.getDiscriminantOffset(), w->getProto().getDiscriminantValue()); }
  }
  for (auto f : src.getSchema().getFields()) {
    if (!active(src, f)) continue;
    build_field(src, dst, f, m, path + "." + std::string(f.getProto().getName().cStr()));
  }
}

void DynamicBridge::build_field(DynamicStruct::Reader src, cc::StructBuilder dst, StructSchema::Field f,
                                Mismatch& m, const std::string& path) {
  auto p = f.getProto();
  if (p.isGroup()) return build(src.get(f).as<DynamicStruct>(), dst, m, path);
  W w = f.getType().which();
  uint32_t off = p.getSlot().getOffset();
  if (uint32_t width = bit_width(w)) {
    write_field(dst, width, off, value_bits(src.get(f), w), default_bits(p.getSlot().getDefaultValue()));
    return;
  }
  if (!is_pointer(w) || w == W::INTERFACE || w == W::ANY_POINTER || !src.has(f)) return;
  build_pointer(src.get(f), dst.pointer(static_cast<uint16_t>(off)), f.getType(), m, path);
}

void DynamicBridge::build_pointer(DynamicValue::Reader src, cc::PointerBuilder dst, Type t, Mismatch& m,
                                  const std::string& path) {
  W w = t.which();
  if (w == W::TEXT) {
    auto s = src.as<::capnp::Text>();
    if (!dst.set_text(capos::StrView(s.begin(), s.size())).ok()) m.note(path, "set_text failed");
  } else if (w == W::DATA) {
    auto d = src.as<::capnp::Data>();
    if (!dst.set_data(capos::Bytes(d.begin(), d.size())).ok()) m.note(path, "set_data failed");
  } else if (w == W::STRUCT) {
    auto sp = t.asStruct().getProto().getStruct();
    auto sb = dst.init_struct(sp.getDataWordCount(), sp.getPointerCount());
    if (!sb.ok()) return m.note(path, "init_struct failed");
    build(src.as<DynamicStruct>(), *sb, m, path);
  } else if (w == W::LIST) {
    auto l = src.as<DynamicList>();
    Type et = t.asList().getElementType();
    W ew = et.which();
    uint32_t n = l.size();
    capos::Result<cc::ListBuilder> lb = capos::fail(capos::Err::InvalidArgument);
    if (ew == W::STRUCT) {
      auto sp = et.asStruct().getProto().getStruct();
      lb = dst.init_struct_list(n, sp.getDataWordCount(), sp.getPointerCount());
    } else {
      lb = dst.init_list(element_size_of(et), n);
    }
    if (!lb.ok()) return m.note(path, "init list failed");
    for (uint32_t i = 0; i < n; ++i) {
      std::string ip = path + "[" + std::to_string(i) + "]";
      if (uint32_t width = bit_width(ew)) write_element(*lb, width, i, value_bits(l[i], ew));
      else if (ew == W::STRUCT) build(l[i].as<DynamicStruct>(), lb->get_struct(i), m, ip);
      else if (is_pointer(ew) && ew != W::INTERFACE && ew != W::ANY_POINTER)
        build_pointer(l[i], lb->get_pointer(i), et, m, ip);
    }
  }
}

// ---- random content ---------------------------------------------------------

namespace {

std::string random_text(std::mt19937_64& rng) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789 _-";
  std::string s(rng() % 24, ' ');
  for (auto& c : s) c = kChars[rng() % (sizeof kChars - 1)];
  return s;
}

DynamicValue::Reader random_primitive(Type t, std::mt19937_64& rng) {
  uint64_t r = rng();
  switch (t.which()) {
    case W::VOID: return ::capnp::VOID;
    case W::BOOL: return static_cast<bool>(r & 1);
    case W::INT8: return static_cast<int8_t>(r);
    case W::INT16: return static_cast<int16_t>(r);
    case W::INT32: return static_cast<int32_t>(r);
    case W::INT64: return static_cast<int64_t>(r);
    case W::UINT8: return static_cast<uint8_t>(r);
    case W::UINT16: return static_cast<uint16_t>(r);
    case W::UINT32: return static_cast<uint32_t>(r);
    case W::UINT64: return static_cast<uint64_t>(r);
    case W::FLOAT32: return static_cast<float>(static_cast<int32_t>(r)) / 1024.0f;
    case W::FLOAT64: return static_cast<double>(static_cast<int64_t>(r)) / 3.0;
    case W::ENUM: {
      auto e = t.asEnum();
      uint16_t n = static_cast<uint16_t>(e.getEnumerants().size());
      // Occasionally an ordinal unknown to the schema (forward compatibility).
      return ::capnp::DynamicEnum(e, static_cast<uint16_t>(r % 8 == 0 ? n + r % 5 : r % n));
    }
    default: return ::capnp::VOID;
  }
}

void fill_list(DynamicList::Builder l, std::mt19937_64& rng, int depth);

void fill_value(DynamicStruct::Builder b, StructSchema::Field f, std::mt19937_64& rng, int depth) {
  Type t = f.getType();
  W w = t.which();
  if (f.getProto().isGroup()) {
    random_fill(b.init(f).as<DynamicStruct>(), rng, depth);
    return;
  }
  if (!is_pointer(w)) {
    b.set(f, random_primitive(t, rng));
    return;
  }
  if (rng() % 5 == 0) return;  // leave null
  switch (w) {
    case W::TEXT: b.set(f, ::capnp::Text::Reader(random_text(rng).c_str())); break;
    case W::DATA: {
      auto d = b.init(f, static_cast<uint32_t>(rng() % 40)).as<::capnp::Data>();
      for (auto& c : d) c = static_cast<uint8_t>(rng());
      break;
    }
    case W::STRUCT:
      if (depth > 0) random_fill(b.init(f).as<DynamicStruct>(), rng, depth - 1);
      break;
    case W::LIST:
      if (depth > 0) fill_list(b.init(f, static_cast<uint32_t>(rng() % 6)).as<DynamicList>(), rng, depth - 1);
      break;
    default:
      break;  // interfaces and AnyPointer stay null
  }
}

void fill_list(DynamicList::Builder l, std::mt19937_64& rng, int depth) {
  Type et = l.getSchema().getElementType();
  W w = et.which();
  for (uint32_t i = 0; i < l.size(); ++i) {
    if (!is_pointer(w)) l.set(i, random_primitive(et, rng));
    else if (w == W::STRUCT) random_fill(l[i].as<DynamicStruct>(), rng, depth);
    else if (w == W::TEXT) l.set(i, ::capnp::Text::Reader(random_text(rng).c_str()));
    else if (w == W::DATA) {
      auto d = l.init(i, static_cast<uint32_t>(rng() % 10)).as<::capnp::Data>();
      for (auto& c : d) c = static_cast<uint8_t>(rng());
    } else if (w == W::LIST) fill_list(l.init(i, static_cast<uint32_t>(rng() % 4)).as<DynamicList>(), rng, depth);
  }
}

}  // namespace

void random_fill(DynamicStruct::Builder b, std::mt19937_64& rng, int depth) {
  auto schema = b.getSchema();
  for (auto f : schema.getNonUnionFields()) fill_value(b, f, rng, depth);
  auto u = schema.getUnionFields();
  if (u.size() > 0) fill_value(b, u[rng() % u.size()], rng, depth);
}

// ---- interop checks ---------------------------------------------------------

std::vector<capos::capnp::Segment> segments_of(::capnp::MessageBuilder& mb) {
  std::vector<capos::capnp::Segment> out;
  for (auto s : mb.getSegmentsForOutput())
    out.push_back(capos::capnp::Segment{reinterpret_cast<const uint8_t*>(s.begin()), static_cast<uint32_t>(s.size()), 0});
  return out;
}

std::vector<uint64_t> canonical(::capnp::DynamicStruct::Reader r) {
  ::capnp::MallocMessageBuilder tmp;
  tmp.setRoot(r);
  auto c = tmp.getRoot<::capnp::AnyStruct>().asReader().canonicalize();
  std::vector<uint64_t> out(c.size());
  if (c.size()) std::memcpy(out.data(), c.begin(), c.size() * 8);
  return out;
}

static bool same_words(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) { return a == b; }

// Theirs -> ours for one random message; returns the first mismatch.
std::string check_theirs_to_ours(::capnp::StructSchema schema, uint64_t seed, uint32_t first_segment_words) {
  ::capnp::MallocMessageBuilder mb(first_segment_words, first_segment_words < 64 ? ::capnp::AllocationStrategy::FIXED_SIZE
                                                                                 : ::capnp::AllocationStrategy::GROW_HEURISTICALLY);
  std::mt19937_64 rng(seed);
  random_fill(mb.initRoot<::capnp::DynamicStruct>(schema), rng, 3);
  auto segs = segments_of(mb);
  capos::capnp::MessageReader reader(capos::Span<const capos::capnp::Segment>(segs.data(), segs.size()));
  auto root = reader.root();
  if (!root.ok()) return "root failed";
  DynamicBridge bridge;
  Mismatch m;
  bridge.compare(mb.getRoot<::capnp::DynamicStruct>(schema).asReader(), *root, m);
  return m.what;
}

// Ours -> theirs: rebuild the random message with our builder (one fixed
// segment, or many tiny ones) and compare canonical forms.
std::string check_ours_to_theirs(::capnp::StructSchema schema, uint64_t seed, uint32_t segment_words) {
  ::capnp::MallocMessageBuilder src;
  std::mt19937_64 rng(seed);
  random_fill(src.initRoot<::capnp::DynamicStruct>(schema), rng, 3);
  auto src_root = src.getRoot<::capnp::DynamicStruct>(schema).asReader();

  HeapAllocator alloc(segment_words);
  capos::capnp::GrowableMessageBuilder<4096> mb(&alloc);
  auto sp = schema.getProto().getStruct();
  auto root = mb.init_root(sp.getDataWordCount(), sp.getPointerCount());
  if (!root.ok()) return "init_root failed";
  DynamicBridge bridge;
  Mismatch m;
  bridge.build(src_root, *root, m);
  if (!m.what.empty()) return m.what;

  auto bytes = to_stream(mb);
  if (bytes.empty()) return "write_stream failed";
  kj::ArrayPtr<const ::capnp::word> words(reinterpret_cast<const ::capnp::word*>(bytes.data()), bytes.size() / 8);
  ::capnp::FlatArrayMessageReader theirs(words);
  auto read = theirs.getRoot<::capnp::DynamicStruct>(schema);
  if (!same_words(canonical(src_root), canonical(read))) return "canonical forms differ";
  return "";
}

}  // namespace capnp_test
