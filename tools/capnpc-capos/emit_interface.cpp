// Interfaces: a typed Client whose calls go through capos::capnp::Transport
// and a Server base whose dispatch() maps method ordinals to typed virtual
// handlers. Params/results travel as ordinary messages.
#include "tools/capnpc-capos/generator.h"

namespace capnpc_capos {

void Generator::emit_interface(::capnp::InterfaceSchema s) {
  uint64_t id = s.getProto().getId();
  std::string q = qualified(id);
  std::string lq = q.substr(2);
  auto methods = s.getProto().getInterface().getMethods();
  if (s.getProto().getInterface().getSuperclasses().size() > 0)
    ifaces_ << "// NOTE: " << lq << " extends other interfaces; only its own methods are generated.\n";

  ifaces_ << "\nclass " << lq << "::Client {\n public:\n"
          << "  Client() = default;\n"
          << "  // Only a cap of this interface: a Client on another interface's cap\n"
          << "  // does not compile (tests/compile_fail/wrong_interface_client.cpp).\n"
          << "  Client(::capos::capnp::Transport* transport, ::capos::capnp::Cap<" << q << "> target)\n"
          << "      : t_(transport), target_(target) {}\n"
          << "  ::capos::capnp::Cap<" << q << "> target() const { return target_; }\n";
  for (uint16_t i = 0; i < methods.size(); ++i) {
    auto m = methods[i];
    std::string name = m.getName();
    std::string pq = qualified(m.getParamStructType()), rq = qualified(m.getResultStructType());
    ifaces_ << "\n  // " << name << " @" << i << ": build the params with initRoot on `params`,\n"
            << "  // then call; the results are read from `response`.\n"
            << "  static ::capos::Result<" << pq << "::Builder> " << name
            << "Params(::capos::capnp::MessageBuilder& params) { return " << pq << "::initRoot(params); }\n"
            << "  ::capos::Result<" << rq << "::Reader> " << name
            << "(const ::capos::capnp::MessageBuilder& params, ::capos::capnp::Response& response) const {\n"
            << "    if (t_ == nullptr) return ::capos::fail(::capos::Err::Disconnected);\n"
            << "    CAPOS_TRY_STATUS(t_->call(target_.id(), kInterfaceId, " << i << ", params, response));\n"
            << "    return " << rq << "::Reader(CAPOS_TRY(response.root()));\n  }\n";
    // A params struct without fields is sent as no message at all
    // (params_len = 0, the default struct: docs/abi.md "Empty params").
    auto pst = loader_.get(m.getParamStructType()).getProto().getStruct();
    if (pst.getDataWordCount() == 0 && pst.getPointerCount() == 0) {
      ifaces_ << "  // " << name << " takes no params: the call carries none (params_len = 0).\n"
              << "  ::capos::Result<" << rq << "::Reader> " << name << "(::capos::capnp::Response& response) const {\n"
              << "    if (t_ == nullptr) return ::capos::fail(::capos::Err::Disconnected);\n"
              << "    CAPOS_TRY_STATUS(t_->call_no_params(target_.id(), kInterfaceId, " << i << ", response));\n"
              << "    return " << rq << "::Reader(CAPOS_TRY(response.root()));\n  }\n";
    }
  }
  ifaces_ << "\n private:\n  [[maybe_unused]] ::capos::capnp::Transport* t_ = nullptr;\n"
          << "  ::capos::capnp::Cap<" << q << "> target_;\n};\n";

  ifaces_ << "\nclass " << lq << "::Server : public ::capos::capnp::Server {\n public:\n"
          << "  uint64_t interface_id() const override { return kInterfaceId; }\n";
  for (uint16_t i = 0; i < methods.size(); ++i) {
    auto m = methods[i];
    std::string pq = qualified(m.getParamStructType()), rq = qualified(m.getResultStructType());
    ifaces_ << "  // @" << i << "; unimplemented methods fail with Unsupported.\n"
            << "  virtual ::capos::Status " << m.getName().cStr() << "(" << pq << "::Reader /*params*/, " << rq
            << "::Builder /*results*/) { return ::capos::fail(::capos::Err::Unsupported); }\n";
  }
  ifaces_ << "\n  ::capos::Status dispatch(uint64_t interface_id, uint16_t method_id, ::capos::capnp::StructReader params,\n"
          << "                           ::capos::capnp::MessageBuilder& results) override {\n"
          << "    (void)params;\n    (void)results;\n"
          << "    if (interface_id != kInterfaceId) return ::capos::fail(::capos::Err::Unsupported);\n"
          << "    switch (method_id) {\n";
  for (uint16_t i = 0; i < methods.size(); ++i) {
    auto m = methods[i];
    std::string pq = qualified(m.getParamStructType()), rq = qualified(m.getResultStructType());
    ifaces_ << "      case " << i << ": {\n"
            << "        auto r = CAPOS_TRY(" << rq << "::initRoot(results));\n"
            << "        return " << m.getName().cStr() << "(" << pq << "::Reader(params), r);\n      }\n";
  }
  ifaces_ << "      default:\n        return ::capos::fail(::capos::Err::Unsupported);\n    }\n  }\n"
          << "\n protected:\n  ~Server() = default;\n};\n";
}

}  // namespace capnpc_capos
