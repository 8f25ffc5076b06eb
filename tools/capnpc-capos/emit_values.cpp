// Default values and constants. Pointer values (struct/list defaults and
// constants) are re-encoded by libcapnp into a one-segment message whose
// first word is the root pointer and emitted as constexpr bytes, which our
// reader reads in place (no copy, no allocation).
#include <capnp/message.h>

#include <cstring>

#include "tools/capnpc-capos/generator.h"

namespace capnpc_capos {

using V = ::capnp::schema::Value::Which;
using W = ::capnp::schema::Type::Which;

template <class T> static uint64_t bits_of(T v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof v);
  return b;
}

uint64_t Generator::primitive_bits(::capnp::schema::Value::Reader v) const {
  switch (v.which()) {
    case V::BOOL: return v.getBool() ? 1 : 0;
    case V::INT8: return static_cast<uint8_t>(v.getInt8());
    case V::INT16: return static_cast<uint16_t>(v.getInt16());
    case V::INT32: return static_cast<uint32_t>(v.getInt32());
    case V::INT64: return static_cast<uint64_t>(v.getInt64());
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

static std::string byte_array(const uint8_t* p, size_t n) {
  std::string s;
  char b[32];
  for (size_t i = 0; i < n; ++i) {
    snprintf(b, sizeof b, "%s0x%02x", i ? (i % 16 ? ", " : ",\n    ") : "", p[i]);
    s += b;
  }
  return s.empty() ? "0" : s;
}

std::string Generator::pointer_value(::capnp::schema::Value::Reader v, const std::string& tag) {
  ::capnp::AnyPointer::Reader p;
  if (v.isStruct()) p = v.getStruct();
  else if (v.isList()) p = v.getList();
  else return "nullptr";
  if (p.isNull()) return "nullptr";
  auto size = p.targetSize();
  ::capnp::MallocMessageBuilder mb(static_cast<unsigned>(size.wordCount + 2));
  mb.getRoot<::capnp::AnyPointer>().set(p);
  auto segs = mb.getSegmentsForOutput();
  if (segs.size() != 1) throw std::runtime_error("default value did not fit one segment");
  std::string name = tag + file_tag_ + "_" + std::to_string(value_counter_++);
  auto bytes = segs[0].asBytes();
  defaults_ << "alignas(8) inline constexpr uint8_t " << name << "[] = {\n    "
            << byte_array(bytes.begin(), bytes.size()) << "};\n"
            << "inline constexpr ::capos::capnp::Segment " << name << "_seg{" << name << ", "
            << segs[0].size() << ", 0};\n";
  return "&_capnp_values::" + name + "_seg";
}

std::string Generator::data_value(::capnp::schema::Value::Reader v, const std::string& tag) {
  auto d = v.getData();
  if (d.size() == 0) return "::capos::Bytes()";
  std::string name = tag + file_tag_ + "_" + std::to_string(value_counter_++);
  defaults_ << "inline constexpr uint8_t " << name << "[] = {\n    " << byte_array(d.begin(), d.size())
            << "};\n";
  return "::capos::Bytes(_capnp_values::" + name + ", " + std::to_string(d.size()) + ")";
}

// Spelling of a primitive value of type `t` given its raw bits.
static std::string primitive_literal(::capnp::Type t, uint64_t bits, const std::string& enum_name) {
  char b[64];
  switch (t.which()) {
    case W::BOOL: return bits ? "true" : "false";
    case W::FLOAT32:
      snprintf(b, sizeof b, "__builtin_bit_cast(float, static_cast<uint32_t>(0x%08llxu))", static_cast<unsigned long long>(bits));
      return b;
    case W::FLOAT64:
      snprintf(b, sizeof b, "__builtin_bit_cast(double, 0x%016llxull)", static_cast<unsigned long long>(bits));
      return b;
    case W::ENUM:
      return "static_cast<" + enum_name + ">(" + std::to_string(bits) + ")";
    default:
      break;
  }
  static const char* kTypes[] = {"", "", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t"};
  snprintf(b, sizeof b, "static_cast<%s>(0x%llxull)", kTypes[static_cast<int>(t.which())], static_cast<unsigned long long>(bits));
  return b;
}

void Generator::emit_constant(::capnp::Schema node, const std::string& indent) {
  auto c = node.getProto().getConst();
  ::capnp::Type t = node.asConst().getType();
  auto v = c.getValue();
  std::string name = upper_snake(node.getShortDisplayName().cStr());
  std::string parent = local(node.getProto().getId());
  size_t p = parent.rfind("::");
  // Nested constants live at namespace scope, prefixed with their parent's path.
  std::string prefix = p == std::string::npos ? "" : parent.substr(0, p);
  for (size_t i; (i = prefix.find("::")) != std::string::npos;) prefix.replace(i, 2, "_");
  if (!prefix.empty()) name = prefix + "_" + name;
  std::string tag = "kConst_" + std::to_string(value_counter_);
  switch (t.which()) {
    case W::VOID:
    case W::INTERFACE:
    case W::ANY_POINTER:
      consts_ << indent << "// constant " << name << ": type not representable, omitted\n";
      return;
    case W::TEXT: {
      auto s = v.getText();
      consts_ << indent << "inline constexpr ::capos::StrView " << name << "{\"" << c_escape(s.begin(), s.size())
              << "\", " << s.size() << "};\n";
      return;
    }
    case W::DATA:
      consts_ << indent << "inline constexpr ::capos::Bytes " << name << " = " << data_value(v, tag) << ";\n";
      return;
    case W::STRUCT:
      consts_ << indent << "inline constexpr ::capos::capnp::ConstStruct<" << qualified(t.asStruct().getProto().getId())
              << "> " << name << "{" << pointer_value(v, tag) << "};\n";
      return;
    case W::LIST:
      consts_ << indent << "inline constexpr ::capos::capnp::ConstList<::capos::capnp::List<"
              << list_element_type(t.asList().getElementType()) << ">> " << name << "{" << pointer_value(v, tag) << "};\n";
      return;
    default: {
      std::string type = t.isEnum() ? qualified(t.asEnum().getProto().getId()) : list_element_type(t);
      consts_ << indent << "inline constexpr " << type << " " << name << " = "
              << primitive_literal(t, primitive_bits(v), type) << ";\n";
      return;
    }
  }
}

}  // namespace capnpc_capos
