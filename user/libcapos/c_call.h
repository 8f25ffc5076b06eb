// The C++ side of libcapos's C binding: what the generated
// <file>.capnp.capos_c.cpp definitions use to turn C arguments into a
// typed C++ call and its results back into C values.
#pragma once

#include "capos/capos.h"
#include "lib/capnp/rpc.h"
#include "lib/core/result.h"

namespace capos::libcapos {

// The transport every C call goes through: the ring in a capOS program
// (c_transport_ring.cpp), a loopback in host tests.
capnp::Transport* transport();

// Scratch for one call's params and reply. One call at a time: the ring
// transport itself frames params into a single buffer (user/rt/transport.cpp).
class CallBuffers {
 public:
  MutBytes params();
  MutBytes result();
};

inline StrView str_view(capos_str s) { return StrView(s.ptr, s.len); }
inline Bytes bytes_view(capos_bytes b) { return Bytes(static_cast<const uint8_t*>(b.ptr), b.len); }
// Copies a Text/Data result into the caller's buffer (OutOfRange if it
// does not fit; nothing is written then).
Status copy_out(StrView v, capos_buf* out);
Status copy_out(Bytes v, capos_buf* out);

inline capos_err_t to_c_err(const Status& s) { return s ? CAPOS_OK : static_cast<capos_err_t>(s.error()); }

}  // namespace capos::libcapos
