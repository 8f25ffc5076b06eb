// The child's side of posix_spawn's arguments: before main, a process
// granted the child-local endpoint "args" serves exactly one
// SpawnArguments.deliver (the parent calls it right after the spawn) and
// keeps argv and envp on the heap for the life of the process. Without
// that grant (started by init or the shell) argc is 0 and the environment
// is empty. docs/posix.md.
#include "lib/abi/ipc.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/posix.capnp.capos.h"
#include "user/libc/os/spawn_api.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/ring.h"
#include "user/rt/server.h"

extern "C" void* malloc(size_t n);

namespace {

namespace wire = capos::schema::wire;
using capos::Err;
using capos::Status;

char* g_empty[1] = {nullptr};
int g_argc = 0;
char** g_argv = g_empty;
char** g_envp = g_empty;

capos::Result<char**> copy_list(capos::capnp::List<capos::capnp::Text>::Reader l, bool env) {
  if (l.size() > wire::MAX_SPAWN_ARGS) return capos::fail(Err::InvalidArgument);
  auto** v = static_cast<char**>(malloc((l.size() + 1) * sizeof(char*)));
  if (!v) return capos::fail(Err::OutOfMemory);
  for (uint32_t i = 0; i < l.size(); ++i) {
    capos::StrView s = CAPOS_TRY(l[i]);
    bool has_eq = false;
    for (size_t k = 0; k < s.size(); ++k) has_eq |= s.ptr[k] == '=';
    if (env && !has_eq) {
      capos::rt::set_error_message("an envp entry has no '='");
      return capos::fail(Err::InvalidArgument);
    }
    v[i] = static_cast<char*>(malloc(s.size() + 1));
    if (!v[i]) return capos::fail(Err::OutOfMemory);
    memcpy(v[i], s.ptr, s.size());
    v[i][s.size()] = '\0';
  }
  v[l.size()] = nullptr;
  return v;
}

class ArgsServer final : public wire::SpawnArguments::Server {
 public:
  Status deliver(wire::SpawnArguments::DeliverParams::Reader p, wire::SpawnArguments::DeliverResults::Builder) override {
    auto argv = CAPOS_TRY(p.getArgv());
    auto envp = CAPOS_TRY(p.getEnvp());
    char** a = CAPOS_TRY(copy_list(argv, false));
    char** e = CAPOS_TRY(copy_list(envp, true));
    g_argc = static_cast<int>(argv.size());
    g_argv = a;
    g_envp = e;
    return {};
  }
};

alignas(16) uint8_t g_recv[capos::abi::RECV_BUFFER_MAX];

}  // namespace

extern "C" void capos_libc_start_args(int* argc, char*** argv, char*** envp) {
  if (auto ep = capos::rt::capset_find<wire::Endpoint>("args")) {
    capos::abi::CapSqe recv{};
    recv.opcode = capos::abi::CAP_OP_RECV;
    recv.cap_id = ep->id();
    recv.result_addr = reinterpret_cast<uint64_t>(g_recv);
    recv.result_len = sizeof g_recv;
    recv.user_data = capos::rt::ring().next_user_data();
    capos::abi::CapCqe c = capos::rt::ring().call(recv);
    if (c.result >= static_cast<int32_t>(sizeof(capos::abi::EndpointMessageHeader))) {
      ArgsServer server;
      capos::abi::CapSqe ret = capos::rt::handle_call(ep->id(), g_recv, c.result, server);
      capos::abi::CapCqe done = capos::rt::ring().call(ret);
      (void)capos::rt::finish_return(ret, *reinterpret_cast<const capos::abi::EndpointMessageHeader*>(g_recv), done);
    }
    capos::rt::release_cap(*ep);  // served once: nobody may call it again
  }
  *argc = g_argc;
  *argv = g_argv;
  *envp = g_envp;
}
