// A tiny LogSink client shared by the example services: logs through the
// "log" cap (a LogSink client facet exported by logd).
#pragma once

#include "lib/core/format.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace capos::svc {

class Log {
 public:
  // Fails when no "log" cap with the LogSink interface was granted.
  Status attach() {
    cap_ = CAPOS_TRY(rt::capset_find<schema::wire::LogSink>("log"));
    return {};
  }
  Status log(schema::wire::LogLevel level, StrView text) {
    alignas(8) uint8_t pbuf[schema::wire::MAX_LOG_MESSAGE_BYTES + 128];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
    auto p = CAPOS_TRY(schema::wire::LogSink::Client::logParams(params));
    p.setLevel(level);
    CAPOS_TRY_STATUS(p.setMessage(text.substr(0, schema::wire::MAX_LOG_MESSAGE_BYTES)));
    alignas(8) uint8_t rbuf[128];
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    schema::wire::LogSink::Client client(&rt::transport(), cap_);
    (void)CAPOS_TRY(client.log(params, resp));
    return {};
  }
  template <class... A> Status info(StrView fmt, const A&... args) {
    char buf[256];
    return log(schema::wire::LogLevel::INFO, format_to(buf, sizeof(buf), fmt, args...));
  }

 private:
  rt::Cap<schema::wire::LogSink> cap_;
};

}  // namespace capos::svc
