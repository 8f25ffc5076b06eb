// capnpc-capos: a `capnp compile -o` plugin emitting freestanding C++
// (readers, builders, enums, constants, typed clients and server dispatch)
// over lib/capnp. The official libcapnp is used only here, on the host, to
// read the CodeGeneratorRequest and to encode default values.
#pragma once

#include <capnp/schema-loader.h>
#include <capnp/schema.capnp.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace capnpc_capos {

using ::capnp::schema::Node;

std::string capitalize(const std::string& s);
std::string upper_snake(const std::string& s);
std::string hex64(uint64_t v);
// Escape a byte string as a C++ string literal body.
std::string c_escape(const char* p, size_t n);

class Generator {
 public:
  explicit Generator(::capnp::schema::CodeGeneratorRequest::Reader req);
  // Returns the header text for one requested file.
  std::string generate_file(::capnp::schema::CodeGeneratorRequest::RequestedFile::Reader file);
  // The C binding of the same file (emit_c.cpp), valid after generate_file.
  std::string c_header() const;
  std::string c_source() const;

 private:
  // --- naming (names.cpp)
  void assign_names(uint64_t id, const std::string& name, const std::string& ns);
  std::string qualified(uint64_t id) const;  // ::ns::Outer::Inner
  std::string local(uint64_t id) const;      // Outer::Inner (within its namespace)
  std::string simple(uint64_t id) const;     // Inner
  std::string list_element_type(::capnp::Type t) const;
  std::string file_namespace(Node::Reader file) const;

  // --- values (emit_values.cpp)
  // Emits constexpr storage for a pointer default/constant and returns the
  // expression naming its Segment (or "nullptr" for a null value).
  std::string pointer_value(::capnp::schema::Value::Reader v, const std::string& tag);
  std::string data_value(::capnp::schema::Value::Reader v, const std::string& tag);
  uint64_t primitive_bits(::capnp::schema::Value::Reader v) const;
  void emit_constant(::capnp::Schema node, const std::string& scope_indent);

  // --- structs (emit_struct.cpp)
  void collect(uint64_t id);  // structs/enums/interfaces of a file, in order
  void emit_shell(uint64_t id, std::ostream& out, const std::string& indent);
  void emit_struct_classes(::capnp::StructSchema s);
  void emit_field(::capnp::StructSchema s, ::capnp::StructSchema::Field f);
  std::string group_clear(::capnp::StructSchema group);
  // Declare `decl` in the current class and define it inline in bodies_.
  void method(const std::string& cls, const std::string& ret, const std::string& name_args,
              const std::string& body, bool is_const = true);
  std::string cur_reader_, cur_builder_;

  // --- interfaces (emit_interface.cpp)
  void emit_interface(::capnp::InterfaceSchema s);
  std::string method_struct(uint64_t struct_id, uint64_t iface_id, const std::string& method,
                            const char* suffix) const;

  // --- the C binding (emit_c.cpp)
  bool c_flat_struct(::capnp::StructSchema s) const;
  std::string c_unsupported(::capnp::StructSchema s) const;
  void emit_c_flat_struct(::capnp::StructSchema s);
  void emit_c_interface(::capnp::InterfaceSchema s);
  void emit_c_enum(::capnp::EnumSchema e);
  std::ostringstream c_hdr_, c_src_;
  std::set<uint64_t> c_structs_done_;
  std::string c_file_;  // the schema file name, for the C outputs' includes

  ::capnp::schema::CodeGeneratorRequest::Reader req_;
  ::capnp::SchemaLoader loader_;
  std::map<uint64_t, std::string> local_name_;  // id -> Outer::Inner
  std::map<uint64_t, std::string> ns_;          // id -> namespace of its file
  std::map<uint64_t, std::vector<uint64_t>> extra_nested_;  // groups/param structs by parent
  std::vector<uint64_t> structs_, interfaces_, constants_, enums_;  // of the current file

  // Output sections of the current file, concatenated in this order.
  std::ostringstream shells_;    // enums and struct/interface shells (forward declarations)
  std::ostringstream defaults_;  // constexpr default-value storage
  std::ostringstream classes_;   // Reader/Builder class definitions (declarations only)
  std::ostringstream bodies_;    // inline member function definitions
  std::ostringstream ifaces_;    // Client/Server classes
  std::ostringstream consts_;    // schema constants
  std::string file_tag_;         // makes value names unique per file
  int value_counter_ = 0;
};

}  // namespace capnpc_capos
