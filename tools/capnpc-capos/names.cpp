// Naming: C++ names for schema nodes (nested types become nested C++
// types; groups and implicit method param/result structs get names like
// the official generator's), and type spellings for lists.
#include <set>

#include "tools/capnpc-capos/generator.h"

namespace capnpc_capos {

using W = ::capnp::schema::Type::Which;

std::string capitalize(const std::string& s) {
  if (s.empty()) return s;
  std::string r = s;
  if (r[0] >= 'a' && r[0] <= 'z') r[0] = static_cast<char>(r[0] - 'a' + 'A');
  return r;
}

std::string upper_snake(const std::string& s) {
  static const std::set<std::string> kMacros = {"NULL", "EOF", "TRUE", "FALSE", "DOMAIN", "ERANGE",
                                                "EINVAL", "ENOMEM", "STDIN", "STDOUT", "STDERR"};
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z' && i > 0) r += '_';
    r += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  if (kMacros.count(r)) r += '_';
  return r;
}

std::string hex64(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%016llxull", static_cast<unsigned long long>(v));
  return b;
}

std::string c_escape(const char* p, size_t n) {
  std::string r;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '"' || c == '\\') {
      r += '\\';
      r += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f && c != '?') {
      r += static_cast<char>(c);
    } else {
      char b[8];
      snprintf(b, sizeof b, "\\%03o", c);
      r += b;
    }
  }
  return r;
}

std::string Generator::file_namespace(Node::Reader file) const {
  // The official generator's namespace ($Cxx.namespace) plus "::wire", so
  // both generators' output can coexist in one host program (same names in
  // one namespace would be an ODR violation).
  constexpr uint64_t kCxxNamespace = 0xb9c6f99ebf805f2cull;
  for (auto a : file.getAnnotations()) {
    if (a.getId() == kCxxNamespace && a.getValue().isText()) {
      std::string ns = a.getValue().getText();
      if (ns.rfind("::", 0) == 0) ns = ns.substr(2);
      return ns + "::wire";
    }
  }
  std::string stem = file.getDisplayName();
  size_t slash = stem.rfind('/');
  if (slash != std::string::npos) stem = stem.substr(slash + 1);
  size_t dot = stem.find('.');
  if (dot != std::string::npos) stem = stem.substr(0, dot);
  for (auto& c : stem)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return "capnp_gen::" + stem;
}

void Generator::assign_names(uint64_t id, const std::string& name, const std::string& ns) {
  local_name_[id] = name;
  ns_[id] = ns;
  // Imported files list nested nodes the request does not carry.
  auto maybe = loader_.tryGet(id);
  if (maybe == nullptr) return;
  auto node = KJ_ASSERT_NONNULL(maybe).getProto();
  auto prefix = name.empty() ? std::string() : name + "::";
  for (auto nested : node.getNestedNodes()) assign_names(nested.getId(), prefix + nested.getName().cStr(), ns);
  if (node.isStruct()) {
    for (auto f : node.getStruct().getFields()) {
      if (!f.isGroup()) continue;
      uint64_t gid = f.getGroup().getTypeId();
      extra_nested_[id].push_back(gid);
      assign_names(gid, prefix + capitalize(f.getName()), ns);
    }
  }
  if (node.isInterface()) {
    for (auto m : node.getInterface().getMethods()) {
      for (auto [sid, suffix] : {std::pair{m.getParamStructType(), "Params"}, std::pair{m.getResultStructType(), "Results"}}) {
        auto sn = loader_.get(sid).getProto();
        if (sn.getScopeId() != 0) continue;  // a named struct, already has a name
        extra_nested_[id].push_back(sid);
        assign_names(sid, prefix + capitalize(m.getName()) + suffix, ns);
      }
    }
  }
}

std::string Generator::local(uint64_t id) const {
  auto it = local_name_.find(id);
  return it == local_name_.end() ? "UnknownNode_" + hex64(id) : it->second;
}

std::string Generator::qualified(uint64_t id) const {
  auto it = ns_.find(id);
  return "::" + (it == ns_.end() ? std::string("unknown") : it->second) + "::" + local(id);
}

std::string Generator::simple(uint64_t id) const {
  std::string n = local(id);
  size_t p = n.rfind("::");
  return p == std::string::npos ? n : n.substr(p + 2);
}

std::string Generator::list_element_type(::capnp::Type t) const {
  switch (t.which()) {
    case W::VOID: return "::capos::capnp::Void";
    case W::BOOL: return "bool";
    case W::INT8: return "int8_t";
    case W::INT16: return "int16_t";
    case W::INT32: return "int32_t";
    case W::INT64: return "int64_t";
    case W::UINT8: return "uint8_t";
    case W::UINT16: return "uint16_t";
    case W::UINT32: return "uint32_t";
    case W::UINT64: return "uint64_t";
    case W::FLOAT32: return "float";
    case W::FLOAT64: return "double";
    case W::TEXT: return "::capos::capnp::Text";
    case W::DATA: return "::capos::capnp::Data";
    case W::LIST: return "::capos::capnp::List<" + list_element_type(t.asList().getElementType()) + ">";
    case W::ENUM: return qualified(t.asEnum().getProto().getId());
    case W::STRUCT: return qualified(t.asStruct().getProto().getId());
    case W::INTERFACE: return "::capos::capnp::Capability";
    case W::ANY_POINTER: return "::capos::capnp::AnyPointer";
  }
  return "void";
}

}  // namespace capnpc_capos
