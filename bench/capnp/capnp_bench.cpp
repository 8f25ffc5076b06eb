// Encode + decode of one representative message (bench.capnp Request):
// ours (lib/capnp + capnpc-capos) vs the official libcapnp, same content,
// same caller-provided buffers, no allocation in the loop on either side.
// Prints each timing and, at the end, official/ours ratios (>1 = ours
// faster). Not a timed test; CTest runs one smoke iteration.
#include <benchmark/benchmark.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/io.h>

#include <cstdio>
#include <map>
#include <string>

#include "bench.capnp.h"
#include "bench/capnp/bench.capnp.capos.h"

namespace gen = capnp_gen::bench;
namespace cc = capos::capnp;

namespace {

constexpr int kArgs = 4, kGrants = 8, kLimits = 16, kPayload = 256;
const char* kArgText[kArgs] = {"--verbose", "--log=serial", "init", "root=/boot/pkg"};
const char* kGrantNames[kGrants] = {"console", "timer", "log", "spawner", "vm", "frames", "entropy", "boot"};
alignas(8) uint8_t g_payload[kPayload];

alignas(8) uint8_t g_buf[1 << 14];

void encode_official(kj::ArrayPtr<capnp::word> scratch, kj::ArrayOutputStream& out) {
  capnp::MallocMessageBuilder mb(scratch);
  auto r = mb.initRoot<Request>();
  r.setId(0x1234567890ull);
  r.setFlags(7);
  r.setPriority(3);
  r.setName("service-manager");
  auto args = r.initArgs(kArgs);
  for (int i = 0; i < kArgs; ++i) args.set(i, kArgText[i]);
  auto grants = r.initGrants(kGrants);
  for (int i = 0; i < kGrants; ++i) {
    auto g = grants[i];
    g.setName(kGrantNames[i]);
    g.setInterfaceId(0x8f19088a909c9924ull + i);
    g.setSlot(i);
    if (i & 1) g.getMode().setMove(); else g.getMode().setCopy();
  }
  r.setPayload(kj::ArrayPtr<const kj::byte>(g_payload, kPayload));
  auto limits = r.initLimits(kLimits);
  for (int i = 0; i < kLimits; ++i) limits.set(i, 4096ull << i);
  capnp::writeMessage(out, mb);
}

capos::Status encode_ours(capos::MutBytes buf, capos::Bytes* framed) {
  cc::FixedMessageBuilder mb(buf);
  auto r = CAPOS_TRY(gen::Request::initRoot(mb));
  r.setId(0x1234567890ull);
  r.setFlags(7);
  r.setPriority(3);
  CAPOS_TRY_STATUS(r.setName("service-manager"));
  auto args = CAPOS_TRY(r.initArgs(kArgs));
  for (int i = 0; i < kArgs; ++i) CAPOS_TRY_STATUS(args.set(i, kArgText[i]));
  auto grants = CAPOS_TRY(r.initGrants(kGrants));
  for (int i = 0; i < kGrants; ++i) {
    auto g = grants[i];
    CAPOS_TRY_STATUS(g.setName(kGrantNames[i]));
    g.setInterfaceId(0x8f19088a909c9924ull + i);
    g.setSlot(i);
    if (i & 1) g.getMode().setMove(); else g.getMode().setCopy();
  }
  CAPOS_TRY_STATUS(r.setPayload(capos::Bytes(g_payload, kPayload)));
  auto limits = CAPOS_TRY(r.initLimits(kLimits));
  for (int i = 0; i < kLimits; ++i) limits.set(i, 4096ull << i);
  *framed = mb.framed();
  return capos::ok_status();
}

uint64_t decode_official(kj::ArrayPtr<const capnp::word> words) {
  capnp::FlatArrayMessageReader reader(words);
  auto r = reader.getRoot<Request>();
  uint64_t sum = r.getId() + r.getFlags() + r.getPriority() + r.getName().size();
  for (auto a : r.getArgs()) sum += a.size();
  for (auto g : r.getGrants()) sum += g.getName().size() + g.getInterfaceId() + g.getSlot() + (g.getMode().isMove() ? 1 : 0);
  sum += r.getPayload().size() + r.getPayload()[17];
  for (auto l : r.getLimits()) sum += l;
  return sum;
}

capos::Result<uint64_t> decode_ours(capos::Bytes bytes) {
  cc::StreamReader<4> reader;
  CAPOS_TRY_STATUS(reader.init(bytes));
  auto r = CAPOS_TRY(gen::Request::readRoot(reader));
  uint64_t sum = r.getId() + r.getFlags() + r.getPriority() + CAPOS_TRY(r.getName()).size();
  for (auto a : CAPOS_TRY(r.getArgs())) sum += CAPOS_TRY(a).size();
  for (auto g : CAPOS_TRY(r.getGrants()))
    sum += CAPOS_TRY(g.getName()).size() + g.getInterfaceId() + g.getSlot() + (g.getMode().isMove() ? 1 : 0);
  auto payload = CAPOS_TRY(r.getPayload());
  sum += payload.size() + payload[17];
  for (auto l : CAPOS_TRY(r.getLimits())) sum += l;
  return sum;
}

alignas(8) capnp::word g_scratch[2048];

void BM_Encode_Official(benchmark::State& st) {
  for (auto _ : st) {
    kj::ArrayOutputStream out(kj::ArrayPtr<kj::byte>(g_buf, sizeof g_buf));
    encode_official(kj::ArrayPtr<capnp::word>(g_scratch, 2048), out);
    benchmark::DoNotOptimize(out.getArray().size());
  }
}
void BM_Encode_Ours(benchmark::State& st) {
  for (auto _ : st) {
    capos::Bytes framed;
    if (!encode_ours(capos::MutBytes(g_buf, sizeof g_buf), &framed).ok()) st.SkipWithError("encode failed");
    benchmark::DoNotOptimize(framed.size());
  }
}

// Decode the same bytes (written by the official encoder) on both sides.
std::vector<capnp::word> reference_bytes() {
  kj::ArrayOutputStream out(kj::ArrayPtr<kj::byte>(g_buf, sizeof g_buf));
  encode_official(kj::ArrayPtr<capnp::word>(g_scratch, 2048), out);
  std::vector<capnp::word> words(out.getArray().size() / 8);
  memcpy(words.data(), out.getArray().begin(), out.getArray().size());
  return words;
}
void BM_Decode_Official(benchmark::State& st) {
  auto words = reference_bytes();
  for (auto _ : st) benchmark::DoNotOptimize(decode_official(kj::ArrayPtr<const capnp::word>(words.data(), words.size())));
}
void BM_Decode_Ours(benchmark::State& st) {
  auto words = reference_bytes();
  capos::Bytes b(reinterpret_cast<const uint8_t*>(words.data()), words.size() * 8);
  if (decode_ours(b).value_or(0) != decode_official(kj::ArrayPtr<const capnp::word>(words.data(), words.size())))
    st.SkipWithError("decoders disagree");
  for (auto _ : st) benchmark::DoNotOptimize(decode_ours(b).value_or(0));
}
void BM_RoundTrip_Official(benchmark::State& st) {
  for (auto _ : st) {
    kj::ArrayOutputStream out(kj::ArrayPtr<kj::byte>(g_buf, sizeof g_buf));
    encode_official(kj::ArrayPtr<capnp::word>(g_scratch, 2048), out);
    auto a = out.getArray();
    benchmark::DoNotOptimize(decode_official(kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(a.begin()), a.size() / 8)));
  }
}
void BM_RoundTrip_Ours(benchmark::State& st) {
  for (auto _ : st) {
    capos::Bytes framed;
    if (!encode_ours(capos::MutBytes(g_buf, sizeof g_buf), &framed).ok()) st.SkipWithError("encode failed");
    benchmark::DoNotOptimize(decode_ours(framed).value_or(0));
  }
}

BENCHMARK(BM_Encode_Official);
BENCHMARK(BM_Encode_Ours);
BENCHMARK(BM_Decode_Official);
BENCHMARK(BM_Decode_Ours);
BENCHMARK(BM_RoundTrip_Official);
BENCHMARK(BM_RoundTrip_Ours);

// Console output plus a closing ratio table (official time / our time).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) ns_[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const char* op : {"Encode", "Decode", "RoundTrip"}) {
      double theirs = ns_[std::string("BM_") + op + "_Official"], ours = ns_[std::string("BM_") + op + "_Ours"];
      if (ours > 0) std::printf("capnp %-9s official %8.1f ns  ours %8.1f ns  ratio %.2fx\n", op, theirs, ours, theirs / ours);
    }
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 0; i < kPayload; ++i) g_payload[i] = static_cast<uint8_t>(i * 7);
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
