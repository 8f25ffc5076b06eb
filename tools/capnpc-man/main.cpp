// capnpc-man: a `capnp compile -o` plugin that turns the schema's doc
// comments into one manual page per interface (plain text, for the in-OS
// `man` and for readers of the build tree) plus an index line per page for
// `apropos`. Output: <outdir>/<Interface>.txt and <outdir>/index.txt.
#include <capnp/schema-loader.h>
#include <capnp/schema.capnp.h>
#include <capnp/serialize.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using ::capnp::schema::Node;
using ::capnp::schema::Type;

std::map<uint64_t, std::string> g_doc;                      // node id -> doc comment
std::map<std::pair<uint64_t, uint32_t>, std::string> g_mdoc;  // (node, member) -> doc comment

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \n\t"), e = s.find_last_not_of(" \n\t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string indent(const std::string& text, const std::string& pad) {
  std::istringstream in(trim(text));
  std::string line, out;
  while (std::getline(in, line)) out += pad + line + "\n";
  return out;
}

// The first sentence of the first paragraph, on one line (the NAME line).
std::string first_sentence(const std::string& doc) {
  std::string t = trim(doc);
  size_t para = t.find("\n\n");
  std::string p = para == std::string::npos ? t : t.substr(0, para);
  for (char& c : p)
    if (c == '\n') c = ' ';
  size_t dot = p.find(". ");
  if (dot != std::string::npos) return p.substr(0, dot + 1);
  return p;
}

std::string short_name(const ::capnp::Schema& s) {
  std::string dn = s.getProto().getDisplayName();
  return dn.substr(s.getProto().getDisplayNamePrefixLength());
}

std::string type_name(const ::capnp::SchemaLoader& loader, Type::Reader t) {
  switch (t.which()) {
    case Type::VOID: return "Void";
    case Type::BOOL: return "Bool";
    case Type::INT8: return "Int8";
    case Type::INT16: return "Int16";
    case Type::INT32: return "Int32";
    case Type::INT64: return "Int64";
    case Type::UINT8: return "UInt8";
    case Type::UINT16: return "UInt16";
    case Type::UINT32: return "UInt32";
    case Type::UINT64: return "UInt64";
    case Type::FLOAT32: return "Float32";
    case Type::FLOAT64: return "Float64";
    case Type::TEXT: return "Text";
    case Type::DATA: return "Data";
    case Type::LIST: return "List(" + type_name(loader, t.getList().getElementType()) + ")";
    case Type::ENUM: return short_name(loader.get(t.getEnum().getTypeId()));
    case Type::STRUCT: return short_name(loader.get(t.getStruct().getTypeId()));
    case Type::INTERFACE: return short_name(loader.get(t.getInterface().getTypeId()));
    case Type::ANY_POINTER: return "AnyPointer";
  }
  return "?";
}

// "name :Type" for every field of a param/result struct, with doc comments.
std::string fields(const ::capnp::SchemaLoader& loader, uint64_t struct_id, bool with_docs) {
  auto s = loader.get(struct_id).asStruct();
  std::string out;
  for (auto f : s.getFields()) {
    auto p = f.getProto();
    std::string line = std::string(p.getName().cStr()) + " :" +
                       (p.isSlot() ? type_name(loader, p.getSlot().getType()) : std::string("group"));
    if (!with_docs) {
      out += (out.empty() ? "" : ", ") + line;
      continue;
    }
    out += "          " + line + "\n";
    auto it = g_mdoc.find({struct_id, f.getIndex()});
    if (it != g_mdoc.end()) out += indent(it->second, "              ");
  }
  return out;
}

std::string page(const ::capnp::SchemaLoader& loader, const ::capnp::InterfaceSchema& iface, const std::string& file) {
  uint64_t id = iface.getProto().getId();
  std::string name = short_name(iface);
  std::ostringstream o;
  std::string doc = g_doc.count(id) ? g_doc[id] : "";
  o << name << "(7)                      capOS capability interfaces\n\n";
  o << "NAME\n    " << name << " - " << first_sentence(doc) << "\n\n";
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "0x%016llx", static_cast<unsigned long long>(id));
  o << "INTERFACE\n    interface " << name << " @" << idbuf << "   (schema/" << file << ")\n\n";
  if (!doc.empty()) o << "DESCRIPTION\n" << indent(doc, "    ") << "\n";
  o << "METHODS\n";
  auto methods = iface.getMethods();
  for (uint32_t i = 0; i < methods.size(); ++i) {
    auto m = methods[i].getProto();
    o << "    " << m.getName().cStr() << " @" << i << " (" << fields(loader, m.getParamStructType(), false) << ") -> ("
      << fields(loader, m.getResultStructType(), false) << ")\n";
    auto it = g_mdoc.find({id, i});
    if (it != g_mdoc.end()) o << indent(it->second, "        ");
    std::string p = fields(loader, m.getParamStructType(), true), r = fields(loader, m.getResultStructType(), true);
    if (!p.empty()) o << "        params:\n" << p;
    if (!r.empty()) o << "        results:\n" << r;
    o << "\n";
  }
  o << "SEE ALSO\n    docs/interfaces.md, docs/abi.md (ring calls and errors), docs/capnp.md\n";
  return o.str();
}

}  // namespace

int main() {
  ::capnp::ReaderOptions opts;
  opts.traversalLimitInWords = 1ull << 30;
  ::capnp::StreamFdMessageReader msg(0, opts);
  auto req = msg.getRoot<::capnp::schema::CodeGeneratorRequest>();
  ::capnp::SchemaLoader loader;
  for (auto n : req.getNodes()) loader.load(n);
  for (auto si : req.getSourceInfo()) {
    if (si.getDocComment().size()) g_doc[si.getId()] = si.getDocComment();
    auto members = si.getMembers();
    for (uint32_t i = 0; i < members.size(); ++i)
      if (members[i].getDocComment().size()) g_mdoc[{si.getId(), i}] = members[i].getDocComment();
  }
  std::ofstream index("index.txt", std::ios::app);
  for (auto file : req.getRequestedFiles()) {
    std::string fname = file.getFilename();
    size_t slash = fname.rfind('/');
    std::string base = slash == std::string::npos ? fname : fname.substr(slash + 1);
    for (auto nested : loader.get(file.getId()).getProto().getNestedNodes()) {
      auto s = loader.get(nested.getId());
      if (!s.getProto().isInterface()) continue;
      auto iface = s.asInterface();
      std::string name = short_name(iface);
      std::ofstream out(name + ".txt");
      out << page(loader, iface, base);
      std::string doc = g_doc.count(s.getProto().getId()) ? g_doc[s.getProto().getId()] : "";
      index << name << " - " << first_sentence(doc) << "\n";
      if (!out) {
        std::cerr << "capnpc-man: cannot write " << name << ".txt\n";
        return 1;
      }
    }
  }
  return 0;
}
