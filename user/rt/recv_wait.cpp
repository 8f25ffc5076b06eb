#include "user/rt/recv_wait.h"

#include "lib/abi/errors.h"
#include "user/rt/ring.h"

namespace capos::rt {

uint64_t post_recv(uint32_t ep, uint8_t* buf, uint32_t len) {
  abi::CapSqe recv{};
  recv.opcode = abi::CAP_OP_RECV;
  recv.cap_id = ep;
  recv.result_addr = reinterpret_cast<uint64_t>(buf);
  recv.result_len = len;
  recv.user_data = ring().next_user_data();
  while (!ring().push(recv)) (void)ring().enter(0, abi::CAP_ENTER_NO_WAIT);
  return recv.user_data;
}

bool recv_error_is_per_call(int32_t r) {
  return r == abi::CAP_ERR_INVALID_PARAMS_BUFFER || r == abi::CAP_ERR_QUOTA_EXCEEDED ||
         r == abi::CAP_ERR_OVERLOADED || r == abi::CAP_ERR_INVALID_TRANSFER;
}

Result<RecvDone> wait_any_recv(Span<const uint64_t> posted) {
  abi::CapCqe c{};
  for (;;) {
    // Polling one RECV may stash another's completion that arrived
    // meanwhile; wait_new does not sleep past such a CQE.
    uint64_t mark = ring().stash_mark();
    for (uint32_t i = 0; i < posted.size(); ++i)
      if (posted[i] != 0 && ring().try_take(posted[i], &c)) return RecvDone{i, c};
    CAPOS_TRY(ring().wait_new(mark));
  }
}

}  // namespace capos::rt
