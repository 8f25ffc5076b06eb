#include "user/shell/stdio_server.h"

#include "schema/identity.capnp.capos.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/shell/shell_io.h"

namespace capos::shell {

namespace wire = schema::wire;

namespace {

class StdIOImpl final : public wire::StdIO::Server {
 public:
  Status write(wire::StdIO::WriteParams::Reader p, wire::StdIO::WriteResults::Builder) override {
    Bytes d = CAPOS_TRY(p.getData());
    if (d.size() > 2048) return fail(Err::InvalidArgument);
    out(StrView(reinterpret_cast<const char*>(d.data()), d.size()));  // control bytes filtered
    return {};
  }

  Status readLine(wire::StdIO::ReadLineParams::Reader, wire::StdIO::ReadLineResults::Builder r) override {
    auto term = need<wire::TerminalSession>("stdio", "terminal");
    if (!term) return fail(Err::Disconnected);
    wire::TerminalSession::Client t(&rt::transport(), term);
    alignas(8) uint8_t pbuf[128], rbuf[512];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = CAPOS_TRY(wire::TerminalSession::Client::readLineParams(p));
    CAPOS_TRY_STATUS(pp.setPrompt(""));
    pp.setEcho(true);
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    auto res = CAPOS_TRY(t.readLine(p, resp));
    if (res.getCancelled()) {
      r.setEof(true);
      return r.setLine("");
    }
    return r.setLine(CAPOS_TRY(res.getLine()));
  }
};

StdIOImpl g_impl;

}  // namespace

Status serve_stdio(rt::Cap<wire::Endpoint> owner, rt::AsyncCall& until) { return rt::serve_until(owner, g_impl, until); }

}  // namespace capos::shell
