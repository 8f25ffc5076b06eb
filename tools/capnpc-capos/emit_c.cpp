// The C emitter: for every interface a typed C handle (`capos_<Iface>`),
// its interface id, a checked CapSet lookup, and one C function per method
// whose params and results are flat (scalars, enums, Text, Data, and
// structs made only of scalars). The C functions are declared in
// <file>.capos_c.h (plain C, over user/libcapos/include/capos/capos.h)
// and defined in <file>.capos_c.cpp on top of the generated C++ client, so
// the wire layout has exactly one implementation. Methods with lists,
// unions or capabilities are listed as not generated, with the reason;
// libcapos wraps the ones C programs need by hand.
#include "tools/capnpc-capos/generator.h"

namespace capnpc_capos {

namespace {

using W = ::capnp::schema::Type::Which;

std::string c_ident(const std::string& local) {
  std::string s;
  for (size_t i = 0; i < local.size(); ++i) {
    if (local.compare(i, 2, "::") == 0) {
      s += '_';
      ++i;
    } else {
      s += local[i];
    }
  }
  return s;
}

const char* c_scalar(W w) {
  switch (w) {
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
    case W::ENUM: return "uint16_t";
    default: return nullptr;
  }
}

}  // namespace

// A struct whose fields are all scalars (no union, groups or pointers):
// it becomes a C struct passed by value.
bool Generator::c_flat_struct(::capnp::StructSchema s) const {
  if (s.getProto().getStruct().getDiscriminantCount() != 0) return false;
  for (auto f : s.getFields()) {
    if (f.getProto().isGroup()) return false;
    auto w = f.getType().which();
    if (w != W::VOID && c_scalar(w) == nullptr) return false;
  }
  return true;
}

// Why a params/results struct cannot be generated, or "" when it can.
std::string Generator::c_unsupported(::capnp::StructSchema s) const {
  if (s.getProto().getStruct().getDiscriminantCount() != 0) return "a union";
  for (auto f : s.getFields()) {
    std::string n = f.getProto().getName();
    if (f.getProto().isGroup()) return "group field " + n;
    auto t = f.getType();
    auto w = t.which();
    if (w == W::VOID || w == W::TEXT || w == W::DATA || c_scalar(w)) continue;
    if (w == W::STRUCT && c_flat_struct(t.asStruct())) continue;
    if (w == W::LIST) return "list field " + n;
    if (w == W::INTERFACE) return "capability field " + n;
    return "field " + n;
  }
  return "";
}

void Generator::emit_c_flat_struct(::capnp::StructSchema s) {
  uint64_t id = s.getProto().getId();
  if (!c_structs_done_.insert(id).second) return;
  std::string cn = "capos_" + c_ident(local(id));
  // Guarded: two files' methods may both use a struct of a third.
  c_hdr_ << "\n// The flat struct " << local(id) << " (by value).\n#ifndef CAPOS_C_STRUCT_" << hex64(id) << "\n#define CAPOS_C_STRUCT_"
         << hex64(id) << "\ntypedef struct " << cn << " {\n";
  for (auto f : s.getFields()) {
    auto w = f.getType().which();
    if (w == W::VOID) continue;
    c_hdr_ << "  " << c_scalar(w) << " " << f.getProto().getName().cStr() << ";\n";
  }
  c_hdr_ << "} " << cn << ";\n#endif\n";
}

void Generator::emit_c_interface(::capnp::InterfaceSchema s) {
  uint64_t id = s.getProto().getId();
  std::string q = qualified(id);
  std::string cn = "capos_" + c_ident(local(id));
  c_hdr_ << "\n// ---- " << local(id) << "\n"
         << "#define " << cn << "_INTERFACE_ID " << hex64(id) << "\n"
         << "// A cap known to implement " << local(id) << " (distinct type per interface).\n"
         << "typedef struct " << cn << " { capos_cap_t id; } " << cn << ";\n"
         << "// The CapSet entry `name`, checked to be a " << local(id) << ":\n"
         << "// CAPOS_E_NOT_FOUND or CAPOS_E_INTERFACE_MISMATCH otherwise.\n"
         << "static inline capos_err_t " << cn << "_find(const char* name, " << cn << "* out) {\n"
         << "  return capos_capset_find(name, " << cn << "_INTERFACE_ID, &out->id);\n}\n";

  auto methods = s.getProto().getInterface().getMethods();
  for (uint16_t i = 0; i < methods.size(); ++i) {
    auto m = methods[i];
    std::string mname = m.getName();
    auto ps = loader_.get(m.getParamStructType()).asStruct();
    auto rs = loader_.get(m.getResultStructType()).asStruct();
    std::string why = c_unsupported(ps);
    if (why.empty()) why = c_unsupported(rs);
    if (!why.empty()) {
      c_hdr_ << "// " << mname << " @" << i << ": not generated (" << why << ").\n";
      continue;
    }
    for (auto* st : {&ps, &rs})
      for (auto f : st->getFields())
        if (f.getType().which() == W::STRUCT) emit_c_flat_struct(f.getType().asStruct());

    std::string fn = cn + "_" + mname;
    std::string pq = qualified(m.getParamStructType()), rq = qualified(m.getResultStructType());
    // Results struct (only when there is something to return).
    bool has_results = false;
    for (auto f : rs.getFields())
      if (f.getType().which() != W::VOID) has_results = true;
    std::string rtype = fn + "_results";
    if (has_results) {
      c_hdr_ << "typedef struct " << rtype << " {\n";
      for (auto f : rs.getFields()) {
        auto t = f.getType();
        std::string n = f.getProto().getName();
        if (t.which() == W::VOID) continue;
        if (t.which() == W::TEXT || t.which() == W::DATA)
          c_hdr_ << "  capos_buf " << n << ";  // set data/cap before the call; len on return\n";
        else if (t.which() == W::STRUCT)
          c_hdr_ << "  capos_" << c_ident(local(t.asStruct().getProto().getId())) << " " << n << ";\n";
        else
          c_hdr_ << "  " << c_scalar(t.which()) << " " << n << ";\n";
      }
      c_hdr_ << "} " << rtype << ";\n";
    }
    // Signature.
    std::string sig = "capos_err_t " + fn + "(" + cn + " self";
    for (auto f : ps.getFields()) {
      auto t = f.getType();
      std::string n = f.getProto().getName();
      switch (t.which()) {
        case W::VOID: continue;
        case W::TEXT: sig += ", capos_str " + n; break;
        case W::DATA: sig += ", capos_bytes " + n; break;
        case W::STRUCT: sig += ", capos_" + c_ident(local(t.asStruct().getProto().getId())) + " " + n; break;
        default: sig += std::string(", ") + c_scalar(t.which()) + " " + n; break;
      }
    }
    if (has_results) sig += ", " + rtype + "* out";
    sig += ")";
    c_hdr_ << "// " << local(id) << "." << mname << " @" << i << " (see `man " << local(id) << "`).\n"
           << sig << ";\n";

    // Definition over the C++ client.
    c_src_ << "\nextern \"C\" " << sig << " {\n"
           << "  return ::capos::libcapos::to_c_err([&]() -> ::capos::Status {\n"
           << "    ::capos::libcapos::CallBuffers b;\n"
           << "    ::capos::capnp::FixedMessageBuilder params(b.params());\n"
           << "    auto p = CAPOS_TRY(" << q << "::Client::" << mname << "Params(params));\n"
           << "    (void)p;\n";
    for (auto f : ps.getFields()) {
      auto t = f.getType();
      std::string n = f.getProto().getName();
      std::string cap = capitalize(n);
      switch (t.which()) {
        case W::VOID: break;
        case W::TEXT:
          c_src_ << "    CAPOS_TRY_STATUS(p.set" << cap << "(::capos::libcapos::str_view(" << n << ")));\n";
          break;
        case W::DATA:
          c_src_ << "    CAPOS_TRY_STATUS(p.set" << cap << "(::capos::libcapos::bytes_view(" << n << ")));\n";
          break;
        case W::STRUCT: {
          c_src_ << "    {\n      auto s = CAPOS_TRY(p.init" << cap << "());\n";
          for (auto sf : t.asStruct().getFields()) {
            auto sw = sf.getType().which();
            if (sw == W::VOID) continue;
            std::string sn = sf.getProto().getName();
            if (sw == W::ENUM)
              c_src_ << "      s.set" << capitalize(sn) << "(static_cast<" << qualified(sf.getType().asEnum().getProto().getId())
                     << ">(" << n << "." << sn << "));\n";
            else
              c_src_ << "      s.set" << capitalize(sn) << "(" << n << "." << sn << ");\n";
          }
          c_src_ << "    }\n";
          break;
        }
        case W::ENUM:
          c_src_ << "    p.set" << cap << "(static_cast<" << qualified(t.asEnum().getProto().getId()) << ">(" << n << "));\n";
          break;
        default:
          c_src_ << "    p.set" << cap << "(" << n << ");\n";
          break;
      }
    }
    c_src_ << "    ::capos::capnp::Response resp(b.result());\n"
           << "    " << q << "::Client client(::capos::libcapos::transport(), ::capos::capnp::Cap<" << q
           << ">::unchecked(self.id));\n"
           << "    auto r = CAPOS_TRY(client." << mname << "(params, resp));\n"
           << "    (void)r;\n";
    for (auto f : rs.getFields()) {
      auto t = f.getType();
      std::string n = f.getProto().getName();
      std::string cap = capitalize(n);
      switch (t.which()) {
        case W::VOID: break;
        case W::TEXT:
        case W::DATA:
          c_src_ << "    CAPOS_TRY_STATUS(::capos::libcapos::copy_out(CAPOS_TRY(r.get" << cap << "()), &out->" << n << "));\n";
          break;
        case W::STRUCT: {
          c_src_ << "    {\n      auto s = CAPOS_TRY(r.get" << cap << "());\n";
          for (auto sf : t.asStruct().getFields()) {
            auto sw = sf.getType().which();
            if (sw == W::VOID) continue;
            std::string sn = sf.getProto().getName();
            std::string get = "s.get" + capitalize(sn) + "()";
            if (sw == W::ENUM) get = "static_cast<uint16_t>(" + get + ")";
            c_src_ << "      out->" << n << "." << sn << " = " << get << ";\n";
          }
          c_src_ << "    }\n";
          break;
        }
        case W::ENUM:
          c_src_ << "    out->" << n << " = static_cast<uint16_t>(r.get" << cap << "());\n";
          break;
        default:
          c_src_ << "    out->" << n << " = r.get" << cap << "();\n";
          break;
      }
    }
    c_src_ << "    return ::capos::ok_status();\n  }());\n}\n";
  }
}

void Generator::emit_c_enum(::capnp::EnumSchema e) {
  uint64_t id = e.getProto().getId();
  std::string cn = "CAPOS_" + c_ident(local(id));
  c_hdr_ << "\n// enum " << local(id) << "\nenum {\n";
  auto ens = e.getEnumerants();
  for (uint16_t i = 0; i < ens.size(); ++i)
    c_hdr_ << "  " << cn << "_" << std::string(ens[i].getProto().getName()) << " = " << i << ",\n";
  c_hdr_ << "};\n";
}

std::string Generator::c_header() const {
  std::ostringstream out;
  out << "/* Generated by capnpc-capos from " << c_file_ << ". Do not edit.\n"
      << "   The C binding over libcapos (docs/libcapos.md). */\n"
      << "#pragma once\n\n#include \"capos/capos.h\"\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
      << c_hdr_.str() << "\n#ifdef __cplusplus\n}\n#endif\n";
  return out.str();
}

std::string Generator::c_source() const {
  std::ostringstream out;
  out << "// Generated by capnpc-capos from " << c_file_ << ". Do not edit.\n"
      << "// The C binding's definitions over the generated C++ client.\n"
      << "#include \"" << c_file_ << ".capos_c.h\"\n#include \"" << c_file_ << ".capos.h\"\n"
      << "#include \"user/libcapos/c_call.h\"\n" << c_src_.str();
  return out.str();
}

}  // namespace capnpc_capos
