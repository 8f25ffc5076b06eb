// The CAP_ERR_* <-> Err mapping the userspace runtime uses: every code
// reaches userspace as its own Err, and maps back to itself.
#include "lib/abi/cap_err.h"

#include <gtest/gtest.h>

#include <set>

namespace {

using capos::Err;
namespace abi = capos::abi;

constexpr int32_t kCodes[] = {
#define CAPOS_X(name, value, err, text) abi::CAP_ERR_##name,
    CAPOS_CAP_ERRORS(CAPOS_X)
#undef CAPOS_X
};

TEST(CapErr, EveryCodeMapsToItsOwnErr) {
  std::set<Err> seen;
  for (int32_t code : kCodes) {
    Err e = abi::cap_err_to_err(code);
    EXPECT_TRUE(seen.insert(e).second) << abi::cap_err_name(code) << " shares " << capos::err_name(e);
  }
  EXPECT_EQ(seen.size(), sizeof(kCodes) / sizeof(kCodes[0]));
}

TEST(CapErr, RoundTrips) {
  for (int32_t code : kCodes) {
    auto back = abi::err_to_cap_err(abi::cap_err_to_err(code));
    ASSERT_TRUE(back.ok()) << abi::cap_err_name(code);
    EXPECT_EQ(*back, code) << abi::cap_err_name(code);
  }
}

TEST(CapErr, NamedErrsAreTheOnesCallersTest) {
  // The distinctions tests and programs rely on (formerly merged).
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_INTERFACE_MISMATCH), Err::InterfaceMismatch);
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_UNSUPPORTED_OPCODE), Err::Unsupported);
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_QUOTA_EXCEEDED), Err::QuotaExceeded);
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_OVERLOADED), Err::Overloaded);
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_INVALID_RESULT_BUFFER), Err::OutOfRange);
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_APPLICATION_EXCEPTION_TRUNCATED), Err::Truncated);
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_STALE_CAP), Err::Stale);
  EXPECT_EQ(abi::cap_err_to_err(abi::CAP_ERR_INVALID_CAP), Err::NotFound);
}

TEST(CapErr, OutsideTheAbi) {
  EXPECT_EQ(abi::cap_err_to_err(-999), Err::InvalidArgument);
  EXPECT_FALSE(abi::err_to_cap_err(Err::OutOfMemory).ok());
  EXPECT_STREQ(capos::err_name(Err::TimedOut), "timed-out");
}

}  // namespace
