// Empty params (docs/abi.md "Empty params"): a call may carry no params
// message (params_len = 0) and the callee reads the default struct.
// StreamReader::init_params is the one place servers read params through;
// generated clients send no message for a method whose params struct has
// no fields.
#include <gtest/gtest.h>

#include <vector>

#include "lib/capnp/message.h"
#include "lib/capnp/rpc.h"
#include "tests/host/capnp/interop_test.capnp.capos.h"

namespace gen = capnp_gen::interop_test;
namespace cc = capos::capnp;

namespace {

// The full framed params of Echo.echo("ab", 3).
std::vector<uint8_t> echo_params() {
  alignas(8) static uint8_t buf[256];
  cc::FixedMessageBuilder mb(capos::MutBytes(buf, sizeof buf));
  auto p = gen::Echo::Client::echoParams(mb);
  EXPECT_TRUE(p.ok());
  EXPECT_TRUE(p->setValue("ab").ok());
  p->setTimes(3);
  capos::Bytes f = mb.framed();
  return std::vector<uint8_t>(f.data(), f.data() + f.size());
}

// Records what each method saw; nothing() is answered (the generated
// default would be Unsupported).
class SeenEcho : public gen::Echo::Server {
 public:
  capos::Status echo(gen::Echo::EchoParams::Reader p, gen::Echo::EchoResults::Builder r) override {
    capos::StrView v = CAPOS_TRY(p.getValue());
    seen_value = std::string(v.ptr, v.len);
    seen_times = p.getTimes();
    r.setCount(p.getTimes() + 100);
    return capos::ok_status();
  }
  capos::Status nothing(gen::Echo::NothingParams::Reader, gen::Echo::NothingResults::Builder) override {
    ++nothing_calls;
    return capos::ok_status();
  }
  std::string seen_value = "unset";
  uint32_t seen_times = 99;
  int nothing_calls = 0;
};

}  // namespace

TEST(CapnpEmptyParams, ZeroBytesAreTheDefaultStruct) {
  cc::StreamReader<4> msg;
  ASSERT_TRUE(msg.init_params(capos::Bytes()).ok());
  auto root = msg.root();
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->data_bits(), 0u);
  EXPECT_EQ(root->pointer_count(), 0u);
  gen::Echo::EchoParams::Reader p(*root);
  EXPECT_EQ(p.getTimes(), 0u);
  auto v = p.getValue();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->len, 0u);
  EXPECT_EQ(msg.bytes_consumed(), 0u);
  // A plain init() of zero bytes stays an error: only params have the rule.
  cc::StreamReader<4> stored;
  EXPECT_FALSE(stored.init(capos::Bytes()).ok());
}

TEST(CapnpEmptyParams, NonEmptyParamsAreParsedExactlyAsInit) {
  // Every prefix of a valid message (and the message itself, and junk):
  // init_params answers what init answers, so the rule adds nothing but
  // the empty case (a truncated message still fails).
  std::vector<uint8_t> full = echo_params();
  for (size_t n = 1; n <= full.size(); ++n) {
    cc::StreamReader<4> a, b;
    auto sa = a.init_params(capos::Bytes(full.data(), n));
    auto sb = b.init(capos::Bytes(full.data(), n));
    ASSERT_EQ(sa.ok(), sb.ok()) << n;
    if (!sa.ok()) {
      EXPECT_EQ(sa.error(), sb.error()) << n;
      continue;
    }
    EXPECT_EQ(a.bytes_consumed(), b.bytes_consumed()) << n;
    auto ra = a.root(), rb = b.root();
    ASSERT_EQ(ra.ok(), rb.ok()) << n;
    if (ra.ok()) EXPECT_EQ(gen::Echo::EchoParams::Reader(*ra).getTimes(), gen::Echo::EchoParams::Reader(*rb).getTimes());
  }
  std::vector<uint8_t> junk = {0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0};
  cc::StreamReader<4> j;
  EXPECT_FALSE(j.init_params(capos::Bytes(junk.data(), junk.size())).ok());
}

TEST(CapnpEmptyParams, GeneratedClientSendsNoParamsForAFieldlessStruct) {
  SeenEcho impl;
  cc::Server* table[] = {&impl};
  static uint8_t scratch[1 << 12];
  cc::LoopbackTransport transport(capos::Span<cc::Server*>(table, 1), capos::MutBytes(scratch, sizeof scratch));
  gen::Echo::Client echo(&transport, cc::Cap<gen::Echo>::unchecked(0));
  alignas(8) uint8_t rbuf[256];
  // nothing() has a fieldless params struct: the one-argument overload exists.
  cc::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
  ASSERT_TRUE(echo.nothing(resp).ok());
  EXPECT_EQ(impl.nothing_calls, 1);
  // The old form (a built empty message) reaches the same method.
  alignas(8) uint8_t pbuf[64];
  cc::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
  ASSERT_TRUE(gen::Echo::Client::nothingParams(params).ok());
  cc::Response resp2(capos::MutBytes(rbuf, sizeof rbuf));
  ASSERT_TRUE(echo.nothing(params, resp2).ok());
  EXPECT_EQ(impl.nothing_calls, 2);
  EXPECT_EQ(gen::Echo::Client().nothing(resp).error(), capos::Err::Disconnected);
  gen::Echo::Client missing(&transport, cc::Cap<gen::Echo>::unchecked(3));
  EXPECT_EQ(missing.nothing(resp).error(), capos::Err::NotFound);
}

TEST(CapnpEmptyParams, AMethodWithFieldsReadsDefaultsFromNoParams) {
  // The rule holds for every method, not only fieldless ones: no message
  // is the all-defaults struct, which a caller could always send in full.
  SeenEcho impl;
  cc::Server* table[] = {&impl};
  static uint8_t scratch[1 << 12];
  cc::LoopbackTransport transport(capos::Span<cc::Server*>(table, 1), capos::MutBytes(scratch, sizeof scratch));
  alignas(8) uint8_t rbuf[256];
  cc::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
  ASSERT_TRUE(transport.call_no_params(0, gen::Echo::kInterfaceId, 0, resp).ok());
  EXPECT_EQ(impl.seen_value, "");
  EXPECT_EQ(impl.seen_times, 0u);
  auto r = resp.root();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(gen::Echo::EchoResults::Reader(*r).getCount(), 100u);
  // Wrong interface and unknown method still fail, with nothing dispatched.
  EXPECT_EQ(transport.call_no_params(0, gen::Echo::kInterfaceId + 1, 0, resp).error(), capos::Err::InvalidArgument);
  EXPECT_EQ(transport.call_no_params(0, gen::Echo::kInterfaceId, 77, resp).error(), capos::Err::Unsupported);
  EXPECT_EQ(impl.nothing_calls, 0);
}
