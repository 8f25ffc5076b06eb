// Appending to the AuditLog (auditd) from a writer's endpoint: the
// SessionManager and the lifecycle service. Optional: a manifest that
// grants no "audit" cap gets no records (the LogSink lines stay).
#pragma once

#include "lib/core/cstring.h"
#include "schema/identity.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace capos::identity {

class AuditWriter {
 public:
  // Takes the "audit" cap if the manifest granted one.
  void attach() {
    if (auto c = rt::capset_find<schema::wire::AuditLog>("audit")) {
      cap_ = *c;
      attached_ = true;
    }
  }
  bool attached() const { return attached_; }
  Status append(StrView text) {
    if (!attached_) return {};
    namespace wire = schema::wire;
    alignas(8) uint8_t pbuf[wire::MAX_AUDIT_TEXT + 128], rbuf[192];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = CAPOS_TRY(wire::AuditLog::Client::appendParams(p));
    CAPOS_TRY_STATUS(pp.setText(text.substr(0, wire::MAX_AUDIT_TEXT)));
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    wire::AuditLog::Client c(&rt::transport(), cap_);
    (void)CAPOS_TRY(c.append(p, r));
    return {};
  }

 private:
  rt::Cap<schema::wire::AuditLog> cap_;
  bool attached_ = false;
};

}  // namespace capos::identity
