// Structs: shells (ids, sizes, Which, nested declarations), then Reader and
// Builder classes whose accessors are declared in-class and defined inline
// afterwards (so mutually recursive types work).
#include "tools/capnpc-capos/generator.h"

namespace capnpc_capos {

using W = ::capnp::schema::Type::Which;
using ::capnp::StructSchema;

namespace {
constexpr uint16_t kNoDiscriminant = 0xffff;

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
std::string uint_type(uint32_t width) {
  return width == 8 ? "uint8_t" : width == 16 ? "uint16_t" : width == 32 ? "uint32_t" : "uint64_t";
}
std::string mask_literal(uint64_t bits, uint32_t width) {
  char b[48];
  snprintf(b, sizeof b, "static_cast<%s>(0x%llxull)", uint_type(width).c_str(), static_cast<unsigned long long>(bits));
  return b;
}
}  // namespace

void Generator::collect(uint64_t id) {
  auto node = loader_.get(id).getProto();
  if (node.isStruct()) structs_.push_back(id);
  if (node.isInterface()) interfaces_.push_back(id);
  if (node.isConst()) constants_.push_back(id);
  if (node.isEnum()) enums_.push_back(id);
  for (auto n : node.getNestedNodes()) collect(n.getId());
  for (auto x : extra_nested_[id]) collect(x);
}

void Generator::emit_shell(uint64_t id, std::ostream& out, const std::string& indent) {
  auto schema = loader_.get(id);
  auto node = schema.getProto();
  std::string name = simple(id);
  if (node.isEnum()) {
    out << indent << "enum class " << name << " : uint16_t {\n";
    auto es = node.getEnum().getEnumerants();  // in ordinal order: value = index
    for (uint16_t i = 0; i < es.size(); ++i) out << indent << "  " << upper_snake(es[i].getName()) << " = " << i << ",\n";
    out << indent << "};\n";
    return;
  }
  if (!node.isStruct() && !node.isInterface()) return;
  out << indent << "struct " << local(id) << " {\n";
  std::string in = indent + "  ";
  out << in << local(id).substr(local(id).rfind(':') == std::string::npos ? 0 : local(id).rfind(':') + 1)
      << "() = delete;\n";
  out << in << "static constexpr uint64_t kTypeId = " << hex64(id) << ";\n";
  if (node.isStruct()) {
    auto st = node.getStruct();
    out << in << "static constexpr uint16_t kDataWords = " << st.getDataWordCount() << ";\n";
    out << in << "static constexpr uint16_t kPointerCount = " << st.getPointerCount() << ";\n";
    if (st.getDiscriminantCount() > 0) {
      out << in << "enum class Which : uint16_t {\n";
      for (auto f : st.getFields())
        if (f.getDiscriminantValue() != kNoDiscriminant)
          out << in << "  " << upper_snake(f.getName()) << " = " << f.getDiscriminantValue() << ",\n";
      out << in << "};\n";
    }
  } else {
    out << in << "static constexpr uint64_t kInterfaceId = " << hex64(id) << ";\n";
    out << in << "enum class Method : uint16_t {\n";
    auto methods = node.getInterface().getMethods();
    for (uint16_t i = 0; i < methods.size(); ++i) out << in << "  " << upper_snake(methods[i].getName()) << " = " << i << ",\n";
    out << in << "};\n";
    out << in << "class Client;\n" << in << "class Server;\n";
  }
  for (auto n : node.getNestedNodes()) {
    auto nn = loader_.get(n.getId()).getProto();
    if (nn.isEnum()) emit_shell(n.getId(), out, in);
    else if (nn.isStruct() || nn.isInterface()) out << in << "struct " << n.getName().cStr() << ";\n";
  }
  for (auto x : extra_nested_[id]) out << in << "struct " << simple(x) << ";\n";
  if (node.isStruct()) {
    out << in << "class Reader;\n" << in << "class Builder;\n";
    if (!node.getStruct().getIsGroup()) {
      out << in << "// The message's root as this type (allocates it / reads it).\n";
      out << in << "static ::capos::Result<Builder> initRoot(::capos::capnp::MessageBuilder& m);\n";
      out << in << "static ::capos::Result<Reader> readRoot(::capos::capnp::MessageReader& m);\n";
    }
  }
  out << indent << "};\n";
  // Nested shells follow their parent, at namespace scope.
  for (auto n : node.getNestedNodes()) {
    auto nn = loader_.get(n.getId()).getProto();
    if (nn.isStruct() || nn.isInterface()) emit_shell(n.getId(), out, indent);
  }
  for (auto x : extra_nested_[id]) emit_shell(x, out, indent);
}

void Generator::method(const std::string& cls, const std::string& ret, const std::string& name_args,
                       const std::string& body, bool is_const) {
  classes_ << "  " << ret << " " << name_args << (is_const ? " const" : "") << ";\n";
  bodies_ << "inline " << ret << " " << cls << "::" << name_args << (is_const ? " const" : "") << " {\n  " << body
          << "\n}\n";
}

std::string Generator::group_clear(StructSchema group) {
  std::string s;
  auto st = group.getProto().getStruct();
  if (st.getDiscriminantCount() > 0) s += "s_.set<uint16_t>(" + std::to_string(st.getDiscriminantOffset()) + ", 0); ";
  for (auto f : group.getFields()) {
    auto p = f.getProto();
    if (p.isGroup()) {
      s += group_clear(f.getType().asStruct());
      continue;
    }
    W w = f.getType().which();
    std::string off = std::to_string(p.getSlot().getOffset());
    uint32_t width = bit_width(w);
    if (width == 1) s += "s_.set_bool(" + off + ", false); ";
    else if (width) s += "s_.set<" + uint_type(width) + ">(" + off + ", 0); ";
    else if (w != W::VOID) s += "s_.pointer(" + off + ").clear(); ";
  }
  return s;
}

void Generator::emit_struct_classes(StructSchema s) {
  uint64_t id = s.getProto().getId();
  auto st = s.getProto().getStruct();
  std::string q = qualified(id);
  cur_reader_ = q + "::Reader";
  cur_builder_ = q + "::Builder";
  std::string disc = std::to_string(st.getDiscriminantOffset());

  classes_ << "\nclass " << q.substr(2) << "::Reader {\n public:\n"
           << "  Reader() = default;\n"
           << "  explicit Reader(::capos::capnp::StructReader s) : s_(s) {}\n"
           << "  const ::capos::capnp::StructReader& raw() const { return s_; }\n";
  if (st.getDiscriminantCount() > 0)
    classes_ << "  Which which() const { return static_cast<Which>(s_.get<uint16_t>(" << disc << ")); }\n";
  for (auto f : s.getFields()) emit_field(s, f);
  classes_ << "\n private:\n  ::capos::capnp::StructReader s_;\n};\n";

  // Builder: emit_field writes builder accessors when cur_reader_ is empty.
  classes_ << "\nclass " << q.substr(2) << "::Builder {\n public:\n"
           << "  Builder() = default;\n"
           << "  explicit Builder(::capos::capnp::StructBuilder s) : s_(s) {}\n"
           << "  const ::capos::capnp::StructBuilder& raw() const { return s_; }\n"
           << "  Reader asReader() const { return Reader(s_.as_reader()); }\n";
  if (st.getDiscriminantCount() > 0)
    classes_ << "  Which which() const { return static_cast<Which>(s_.get<uint16_t>(" << disc << ")); }\n";
  cur_reader_.clear();
  for (auto f : s.getFields()) emit_field(s, f);
  classes_ << "\n private:\n  ::capos::capnp::StructBuilder s_;\n};\n";
  cur_builder_.clear();

  if (!st.getIsGroup()) {
    bodies_ << "inline ::capos::Result<" << q << "::Builder> " << q.substr(2)
            << "::initRoot(::capos::capnp::MessageBuilder& m) {\n  return Builder(CAPOS_TRY((m.init_root<kDataWords, kPointerCount>())));\n}\n"
            << "inline ::capos::Result<" << q << "::Reader> " << q.substr(2)
            << "::readRoot(::capos::capnp::MessageReader& m) {\n  return Reader(CAPOS_TRY(m.root()));\n}\n";
  }
}

// One field's accessors for the class being emitted: the Reader when
// cur_reader_ is set, else the Builder (cur_builder_).
void Generator::emit_field(StructSchema s, StructSchema::Field f) {
  bool reader = !cur_reader_.empty();
  std::string cls = (reader ? cur_reader_ : cur_builder_).substr(2);
  auto p = f.getProto();
  std::string cap = capitalize(p.getName());
  auto st = s.getProto().getStruct();
  bool in_union = p.getDiscriminantValue() != kNoDiscriminant;
  std::string q = qualified(s.getProto().getId());
  std::string set_disc;
  if (in_union) {
    classes_ << "  bool is" << cap << "() const { return which() == Which::" << upper_snake(p.getName()) << "; }\n";
    set_disc = "s_.set<uint16_t>(" + std::to_string(st.getDiscriminantOffset()) + ", " +
               std::to_string(p.getDiscriminantValue()) + "); ";
  }
  if (p.isGroup()) {
    auto g = f.getType().asStruct();
    std::string gq = qualified(g.getProto().getId());
    if (reader) {
      classes_ << "  " << gq << "::Reader get" << cap << "() const;\n";
      bodies_ << "inline " << gq << "::Reader " << cls << "::get" << cap << "() const { return " << gq << "::Reader(s_); }\n";
    } else {
      classes_ << "  " << gq << "::Builder get" << cap << "() const;\n";
      bodies_ << "inline " << gq << "::Builder " << cls << "::get" << cap << "() const { return " << gq << "::Builder(s_); }\n";
      method(cls, gq + "::Builder", "init" + cap + "()", set_disc + group_clear(g) + "return " + gq + "::Builder(s_);");
    }
    return;
  }
  ::capnp::Type t = f.getType();
  W w = t.which();
  auto slot = p.getSlot();
  std::string off = std::to_string(slot.getOffset());
  auto dv = slot.getDefaultValue();
  uint32_t width = bit_width(w);
  if (w == W::VOID) {
    if (!reader && in_union) method(cls, "void", "set" + cap + "()", set_disc);
    return;
  }
  if (width) {
    std::string type = w == W::ENUM ? qualified(t.asEnum().getProto().getId()) : list_element_type(t);
    std::string ut = uint_type(width), mask = mask_literal(primitive_bits(dv), width);
    std::string get, set;
    if (w == W::BOOL) {
      std::string d = primitive_bits(dv) ? "true" : "false";
      get = "return s_.get_bool(" + off + ", " + d + ");";
      set = set_disc + "s_.set_bool(" + off + ", v, " + d + ");";
    } else if (w == W::FLOAT32 || w == W::FLOAT64 || w == W::ENUM) {
      std::string to_bits = w == W::ENUM ? "static_cast<" + ut + ">(v)" : "__builtin_bit_cast(" + ut + ", v)";
      std::string from = w == W::ENUM ? "static_cast<" + type + ">(" : "__builtin_bit_cast(" + type + ", ";
      get = "return " + from + "s_.get<" + ut + ">(" + off + ", " + mask + "));";
      set = set_disc + "s_.set<" + ut + ">(" + off + ", " + to_bits + ", " + mask + ");";
    } else {
      std::string m = "static_cast<" + type + ">(" + mask + ")";
      get = "return s_.get<" + type + ">(" + off + ", " + m + ");";
      set = set_disc + "s_.set<" + type + ">(" + off + ", v, " + m + ");";
    }
    // Primitive accessors are defined in-class: they reference no other type.
    classes_ << "  " << type << " get" << cap << "() const { " << get << " }\n";
    if (!reader) classes_ << "  void set" << cap << "(" << type << " v) const { " << set << " }\n";
    return;
  }
  std::string ptr = "s_.pointer(" + off + ")";
  classes_ << "  bool has" << cap << "() const { return !" << ptr << ".is_null(); }\n";
  std::string tag = "kDefault_";
  switch (w) {
    case W::TEXT: {
      auto d = dv.getText();
      std::string def = d.size() ? "::capos::StrView(\"" + c_escape(d.begin(), d.size()) + "\", " + std::to_string(d.size()) + ")" : "::capos::StrView()";
      std::string rd = reader ? ptr : ptr + ".as_reader()";
      method(cls, "::capos::Result<::capos::StrView>", "get" + cap + "()", "return " + rd + ".get_text(" + def + ");");
      if (!reader) {
        method(cls, "::capos::Status", "set" + cap + "(::capos::StrView v)", set_disc + "return " + ptr + ".set_text(v);");
        method(cls, "::capos::Result<::capos::MutBytes>", "init" + cap + "(uint32_t size)", set_disc + "return " + ptr + ".init_text(size);");
      }
      return;
    }
    case W::DATA: {
      if (reader) {
        method(cls, "::capos::Result<::capos::Bytes>", "get" + cap + "()", "return " + ptr + ".get_data(" + data_value(dv, tag) + ");");
      } else {
        method(cls, "::capos::Result<::capos::MutBytes>", "get" + cap + "()", "return " + ptr + ".get_data();");
        method(cls, "::capos::Status", "set" + cap + "(::capos::Bytes v)", set_disc + "return " + ptr + ".set_data(v);");
        method(cls, "::capos::Result<::capos::MutBytes>", "init" + cap + "(uint32_t size)", set_disc + "return " + ptr + ".init_data(size);");
      }
      return;
    }
    case W::STRUCT: {
      std::string tq = qualified(t.asStruct().getProto().getId());
      std::string def = pointer_value(dv, tag);
      if (reader) {
        method(cls, "::capos::Result<" + tq + "::Reader>", "get" + cap + "()",
               "return " + tq + "::Reader(CAPOS_TRY(" + ptr + ".get_struct(" + def + ")));");
      } else {
        method(cls, "::capos::Result<" + tq + "::Builder>", "get" + cap + "()",
               "return " + tq + "::Builder(CAPOS_TRY(" + ptr + ".get_struct(" + tq + "::kDataWords, " + tq + "::kPointerCount, " + def + ")));");
        method(cls, "::capos::Result<" + tq + "::Builder>", "init" + cap + "()",
               set_disc + "return " + tq + "::Builder(CAPOS_TRY(" + ptr + ".init_struct(" + tq + "::kDataWords, " + tq + "::kPointerCount)));");
        method(cls, "::capos::Status", "set" + cap + "(" + tq + "::Reader v)", set_disc + "return " + ptr + ".set_struct(v.raw());");
      }
      return;
    }
    case W::LIST: {
      std::string lt = "::capos::capnp::List<" + list_element_type(t.asList().getElementType()) + ">";
      std::string def = pointer_value(dv, tag);
      if (reader) {
        method(cls, "::capos::Result<" + lt + "::Reader>", "get" + cap + "()", "return " + lt + "::read(" + ptr + ", " + def + ");");
      } else {
        method(cls, "::capos::Result<" + lt + "::Builder>", "get" + cap + "()", "return " + lt + "::get(" + ptr + ", " + def + ");");
        method(cls, "::capos::Result<" + lt + "::Builder>", "init" + cap + "(uint32_t size)", set_disc + "return " + lt + "::init(" + ptr + ", size);");
        method(cls, "::capos::Status", "set" + cap + "(" + lt + "::Reader v)", set_disc + "return " + ptr + ".set_list(v.raw());");
      }
      return;
    }
    case W::INTERFACE: {
      // A capability field carries an index into the call's sideband
      // (schema/README.md), not a pointer into the message.
      std::string rd = reader ? ptr : ptr + ".as_reader()";
      method(cls, "::capos::Result<uint32_t>", "get" + cap + "()", "return " + rd + ".get_capability();");
      if (!reader) method(cls, "void", "set" + cap + "(uint32_t capIndex)", set_disc + ptr + ".set_capability(capIndex);");
      return;
    }
    case W::ANY_POINTER: {
      if (reader) classes_ << "  ::capos::capnp::PointerReader get" << cap << "() const { return " << ptr << "; }\n";
      else classes_ << "  ::capos::capnp::PointerBuilder get" << cap << "() const { " << set_disc << "return " << ptr << "; }\n";
      return;
    }
    default:
      return;
  }
}

}  // namespace capnpc_capos
