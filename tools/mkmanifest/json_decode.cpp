#include "tools/mkmanifest/json_decode.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "tools/mkmanifest/interface_names.h"
#include "tools/mkmanifest/json_strings.h"

namespace capos::mkmanifest {
namespace {

using capnp::DynamicStruct;
using capnp::JsonValue;
using capnp::StructSchema;
using Which = capnp::schema::Type::Which;

std::string quote(const std::string& s) { return "`" + s + "`"; }

// "`a`", "`a` or `b`", "`a`, `b`, or `c`"
std::string one_of(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += names.size() == 2 ? " or " : (i + 1 == names.size() ? ", or " : ", ");
    out += quote(names[i]);
  }
  return out;
}

const char* json_kind(JsonValue::Reader v) {
  switch (v.which()) {
    case JsonValue::NULL_: return "null";
    case JsonValue::BOOLEAN: return "a boolean";
    case JsonValue::NUMBER: return "a number";
    case JsonValue::STRING: return "a string";
    case JsonValue::ARRAY: return "an array";
    case JsonValue::OBJECT: return "an object";
    case JsonValue::CALL: return "a function call";
  }
  return "an unknown value";
}

[[noreturn]] void fail(const std::string& msg) { throw ConfigError(msg); }

[[noreturn]] void wrong_kind(const std::string& path, const char* expected, JsonValue::Reader v) {
  fail("expected " + std::string(expected) + " at " + path + ", found " + json_kind(v));
}

// Configuration-only spellings: `interface: "LogSink"` stands for
// `interfaceId: <id of LogSink>` (same for servedInterface).
struct Alias {
  uint64_t struct_id;
  std::string alias;
  std::string target;
};

// Fields a configuration must set (the schema has no notion of required).
struct Required {
  uint64_t struct_id;
  std::vector<std::string> fields;
};

class Decoder {
 public:
  Decoder() {
    auto cap = capnp::Schema::from<schema::CapEntry>();
    auto source = cap.getFieldByName("source").getType().asStruct();
    auto endpoint = source.getFieldByName("endpoint").getType().asStruct();
    auto service = source.getFieldByName("service").getType().asStruct();
    auto directory = source.getFieldByName("directory").getType().asStruct();
    aliases_ = {{cap.getProto().getId(), "interface", "interfaceId"},
                {endpoint.getProto().getId(), "servedInterface", "servedInterfaceId"}};
    required_ = {
        {id<schema::SystemManifest>(), {"schemaVersion", "binaries", "initConfig", "kernelParams"}},
        {id<schema::Binary>(), {"name"}},
        {id<schema::InitConfig>(), {"init"}},
        {id<schema::InitProcess>(), {"binary"}},
        {id<schema::Service>(), {"name", "binary"}},
        {cap.getProto().getId(), {"name", "interfaceId", "source"}},
        {service.getProto().getId(), {"service", "export"}},
        {directory.getProto().getId(), {"service", "export"}},
        {id<schema::Export>(), {"name", "cap"}},
        {id<schema::KernelParams>(), {"hostname"}},
    };
  }

  void decode_struct(JsonValue::Reader v, DynamicStruct::Builder b, const std::string& path) {
    if (v.which() != JsonValue::OBJECT) wrong_kind(path, "an object", v);
    StructSchema s = b.getSchema();
    uint64_t sid = s.getProto().getId();
    std::set<std::string> seen;
    std::string union_member;
    for (auto f : v.getObject()) {
      std::string name = f.getName();
      if (!seen.insert(name).second) fail("duplicate field " + quote(name) + " at " + path);
      std::string fpath = path + "." + name;
      if (const Alias* a = find_alias(sid, name)) {
        if (v.getObject().size() > 0 && has_key(v, a->target)) {
          fail("fields " + quote(a->alias) + " and " + quote(a->target) + " at " + path +
               " give the same value; set only one");
        }
        uint64_t iid = resolve_interface(f.getValue(), fpath);
        b.set(a->target, iid);
        continue;
      }
      KJ_IF_MAYBE(field, s.findFieldByName(name)) {
        if (sid == id<schema::Binary>() && name == "data") {
          fail("field `data` at " + path +
               " is filled by mkmanifest from --bin-dir; name the binary only");
        }
        if (field->getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
          if (!union_member.empty()) {
            fail("fields " + quote(union_member) + " and " + quote(name) + " at " + path +
                 " are alternatives (one union); set only one");
          }
          union_member = name;
        }
        set_field(*field, f.getValue(), b, fpath);
      } else {
        fail("unknown field " + quote(name) + " at " + path + "; expected one of " +
             one_of(accepted(s)));
      }
    }
    check_required(s, seen, path);
    // A group that is nothing but a union (CapEntry.source) needs a member.
    bool union_only = s.getProto().getStruct().getIsGroup() && s.getNonUnionFields().size() == 0 &&
                      s.getUnionFields().size() > 0;
    if (union_only && union_member.empty()) {
      std::vector<std::string> members;
      for (auto f : s.getUnionFields()) members.push_back(f.getProto().getName());
      fail("expected one of " + one_of(members) + " at " + path);
    }
  }

 private:
  template <class T> static uint64_t id() { return capnp::typeId<T>(); }

  static bool has_key(JsonValue::Reader obj, const std::string& key) {
    for (auto f : obj.getObject())
      if (f.getName() == key) return true;
    return false;
  }

  const Alias* find_alias(uint64_t sid, const std::string& name) const {
    for (const Alias& a : aliases_)
      if (a.struct_id == sid && a.alias == name) return &a;
    return nullptr;
  }

  std::vector<std::string> accepted(StructSchema s) const {
    std::vector<std::string> names;
    uint64_t sid = s.getProto().getId();
    for (auto f : s.getFields()) {
      std::string n = f.getProto().getName();
      if (sid == id<schema::Binary>() && n == "data") continue;
      names.push_back(n);
      for (const Alias& a : aliases_)
        if (a.struct_id == sid && a.target == n) names.push_back(a.alias);
    }
    return names;
  }

  void check_required(StructSchema s, const std::set<std::string>& seen,
                      const std::string& path) const {
    uint64_t sid = s.getProto().getId();
    for (const Required& r : required_) {
      if (r.struct_id != sid) continue;
      for (const std::string& want : r.fields) {
        if (seen.count(want)) continue;
        const Alias* alias = nullptr;
        for (const Alias& a : aliases_)
          if (a.struct_id == sid && a.target == want) alias = &a;
        if (alias && seen.count(alias->alias)) continue;
        fail("missing field " + quote(want) + (alias ? " (or " + quote(alias->alias) + ")" : "") +
             " at " + path);
      }
    }
  }

  uint64_t resolve_interface(JsonValue::Reader v, const std::string& path) const {
    if (v.which() != JsonValue::STRING) wrong_kind(path, "an interface name", v);
    std::string name = v.getString();
    uint64_t iid = 0;
    if (!interface_id(name.c_str(), &iid)) {
      std::vector<std::string> known;
      for (size_t i = 0; i < kInterfaceNameCount; ++i) known.push_back(kInterfaceNames[i].name);
      fail("unknown interface " + quote(name) + " at " + path + "; expected one of " +
           one_of(known));
    }
    return iid;
  }

  // Integers: JSON numbers must be exact. 64-bit values (interface ids)
  // exceed a double's 53-bit mantissa, so they may also be strings
  // ("0x8f19088a909c9924" or decimal).
  static uint64_t parse_unsigned(JsonValue::Reader v, uint64_t max, bool wide,
                                 const std::string& path) {
    if (v.which() == JsonValue::NUMBER) {
      double d = v.getNumber();
      if (wide && d > 9007199254740992.0) {
        fail(std::string("number ") + kj::str(d).cStr() + " at " + path +
             " is above 2^53, so JSON cannot hold it exactly; write it as a string such as "
             "\"0x8f19088a909c9924\"");
      }
      if (d < 0 || d != std::floor(d) || d > static_cast<double>(max)) {
        fail(std::string("number ") + kj::str(d).cStr() + " at " + path +
             " is not an integer in 0.." + std::to_string(max));
      }
      return static_cast<uint64_t>(d);
    }
    if (wide && v.which() == JsonValue::STRING) {
      std::string s = v.getString();
      bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
      size_t start = hex ? 2 : 0;
      unsigned __int128 acc = 0;
      bool ok = s.size() > start && s.size() - start <= (hex ? 16u : 20u);
      for (size_t i = start; ok && i < s.size(); ++i) {
        char c = s[i];
        int digit = (c >= '0' && c <= '9') ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
        ok = digit >= 0;
        acc = acc * (hex ? 16 : 10) + (digit >= 0 ? digit : 0);
      }
      if (!ok || acc > max) {
        fail("string " + quote(s) + " at " + path +
             " is not an integer (decimal or 0x-prefixed hex) in 0.." + std::to_string(max));
      }
      return static_cast<uint64_t>(acc);
    }
    wrong_kind(path, wide ? "an integer (number or string)" : "an integer", v);
  }

  static int64_t parse_signed(JsonValue::Reader v, int64_t lo, int64_t hi,
                              const std::string& path) {
    if (v.which() != JsonValue::NUMBER) wrong_kind(path, "an integer", v);
    double d = v.getNumber();
    if (d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      fail(std::string("number ") + kj::str(d).cStr() + " at " + path + " is not an integer in " +
           std::to_string(lo) + ".." + std::to_string(hi));
    }
    return static_cast<int64_t>(d);
  }

  capnp::DynamicValue::Reader scalar(capnp::Type t, JsonValue::Reader v, const std::string& path,
                                     std::string& text) {
    switch (t.which()) {
      case Which::VOID:
        if (v.which() != JsonValue::NULL_) wrong_kind(path, "null", v);
        return capnp::VOID;
      case Which::BOOL:
        if (v.which() != JsonValue::BOOLEAN) wrong_kind(path, "a boolean", v);
        return v.getBoolean();
      case Which::INT8: return parse_signed(v, INT8_MIN, INT8_MAX, path);
      case Which::INT16: return parse_signed(v, INT16_MIN, INT16_MAX, path);
      case Which::INT32: return parse_signed(v, INT32_MIN, INT32_MAX, path);
      case Which::INT64: return parse_signed(v, -(1ll << 53), 1ll << 53, path);
      case Which::UINT8: return parse_unsigned(v, UINT8_MAX, false, path);
      case Which::UINT16: return parse_unsigned(v, UINT16_MAX, false, path);
      case Which::UINT32: return parse_unsigned(v, UINT32_MAX, false, path);
      case Which::UINT64: return parse_unsigned(v, UINT64_MAX, true, path);
      case Which::FLOAT32:
      case Which::FLOAT64:
        if (v.which() != JsonValue::NUMBER) wrong_kind(path, "a number", v);
        return v.getNumber();
      case Which::TEXT:
        if (v.which() != JsonValue::STRING) wrong_kind(path, "a string", v);
        text = v.getString();
        return capnp::Text::Reader(text.c_str(), text.size());
      case Which::ENUM: {
        auto e = t.asEnum();
        if (v.which() == JsonValue::STRING) {
          KJ_IF_MAYBE(en, e.findEnumerantByName(v.getString())) {
            return capnp::DynamicEnum(*en);
          }
        }
        std::vector<std::string> names;
        for (auto en : e.getEnumerants()) names.push_back(en.getProto().getName());
        if (v.which() != JsonValue::STRING) wrong_kind(path, ("one of " + one_of(names)).c_str(), v);
        fail("unknown value " + quote(v.getString()) + " at " + path + "; expected one of " +
             one_of(names));
      }
      default:
        fail("field at " + path + " cannot be set from a configuration");
    }
  }

  void set_field(StructSchema::Field field, JsonValue::Reader v, DynamicStruct::Builder b,
                 const std::string& path) {
    capnp::Type t = field.getType();
    if (t.isStruct()) {  // includes groups
      decode_struct(v, b.init(field).as<DynamicStruct>(), path);
      return;
    }
    if (t.isList()) {
      if (v.which() != JsonValue::ARRAY) wrong_kind(path, "an array", v);
      auto items = v.getArray();
      auto list = b.init(field, items.size()).as<capnp::DynamicList>();
      capnp::Type et = t.asList().getElementType();
      for (unsigned i = 0; i < items.size(); ++i) {
        std::string ipath = path + "[" + std::to_string(i) + "]";
        if (et.isStruct()) {
          decode_struct(items[i], list[i].as<DynamicStruct>(), ipath);
        } else if (et.isList() || et.isData() || et.isInterface() || et.isAnyPointer()) {
          fail("field at " + path + " cannot be set from a configuration");
        } else {
          std::string text;
          list.set(i, scalar(et, items[i], ipath, text));
        }
      }
      return;
    }
    std::string text;
    b.set(field, scalar(t, v, path, text));
  }

  std::vector<Alias> aliases_;
  std::vector<Required> required_;
};

}  // namespace

void decode_manifest(const std::string& json, schema::SystemManifest::Builder out) {
  if (json.size() > kMaxJsonBytes) {
    fail("configuration JSON is " + std::to_string(json.size()) + " bytes (at most " +
         std::to_string(kMaxJsonBytes) + ")");
  }
  capnp::MallocMessageBuilder scratch;
  auto root = scratch.initRoot<JsonValue>();
  try {
    capnp::JsonCodec codec;
    codec.setMaxNestingDepth(32);
    std::string text = decode_unicode_escapes(json);  // see json_strings.h
    codec.decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()), root);
  } catch (const kj::Exception& e) {
    // kj prefixes the failed check ("expected !exhausted(); ..."); keep the prose.
    std::string what = e.getDescription().cStr();
    size_t cut = what.rfind("; ");
    if (what.rfind("expected ", 0) == 0 && cut != std::string::npos) what = what.substr(cut + 2);
    fail("invalid JSON: " + what);
  }
  Decoder d;
  try {
    d.decode_struct(root.asReader(), capnp::toDynamic(out), "$");
  } catch (const kj::Exception& e) {
    // Defence in depth: reflection misuse should be impossible, but a kj
    // exception must still become one line, not an abort.
    fail(std::string("internal error while decoding: ") + e.getDescription().cStr());
  }
}

}  // namespace capos::mkmanifest
