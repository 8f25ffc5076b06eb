#include "user/rt/park.h"

#include "lib/abi/ring.h"
#include "user/rt/ring.h"
#include "user/rt/transport.h"

namespace capos::rt {

namespace {
abi::CapSqe word_sqe(uint8_t op, const uint32_t* word, uint32_t value) {
  abi::CapSqe s{};
  s.opcode = op;
  s.params_addr = reinterpret_cast<uint64_t>(word);
  s.params_len = value;
  s.user_data = ring().next_user_data();
  return s;
}
}  // namespace

Status park(const uint32_t* word, uint32_t expected, uint64_t timeout_ns) {
  abi::CapSqe s = word_sqe(abi::CAP_OP_PARK, word, expected);
  s.result_addr = timeout_ns;
  abi::CapCqe c = ring().call(s);
  if (c.result < 0) return fail(transport_error(c.result));
  return {};
}

Result<uint32_t> unpark(const uint32_t* word, uint32_t count) {
  abi::CapCqe c = ring().call(word_sqe(abi::CAP_OP_UNPARK, word, count));
  if (c.result < 0) return fail(transport_error(c.result));
  return static_cast<uint32_t>(c.result);
}

}  // namespace capos::rt
