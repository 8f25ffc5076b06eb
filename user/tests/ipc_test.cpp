// Endpoint IPC test program; its role comes from the names of the caps
// the kernel self test granted it:
//   "endpoint"  server: echo (1), exception (2), crash (4), slow reply (5)
//   "echo"      client: echo round trips, exception, misuse of the facet;
//               with "vm" also round trips through buffers unmapped and
//               mapped again (the fast path's kept translations)
//   "crasher"   client: asks the server to crash, expects DISCONNECTED
//   "abandoner" client: leaves a call in flight and dies
//   "holder"    server: receives calls and never answers them
//   "entry"     client: a deadline wait on an armed ring, then a wait
//               without one, where it is killed ("hold": the holder)
// Exit status 0 means every check passed; otherwise the failed check.
#include "lib/abi/capid.h"
#include "lib/abi/ipc.h"
#include "lib/abi/layout.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
using namespace capos::abi;
namespace wire = capos::schema::wire;

namespace {

constexpr uint16_t M_ECHO = 1, M_EXCEPTION = 2, M_CRASH = 4, M_SLOW = 5, M_XFER_CHECK = 6, M_GIVE_BACK = 7;
constexpr uint64_t TEST_IFACE = 0x1234;

CapSqe make_call(uint32_t cap, uint16_t method, const void* params, uint32_t plen, void* result, uint32_t rlen) {
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.cap_id = cap;
  s.method_id = method;
  s.params_addr = reinterpret_cast<uint64_t>(params);
  s.params_len = plen;
  s.result_addr = reinterpret_cast<uint64_t>(result);
  s.result_len = rlen;
  s.user_data = rt::ring().next_user_data();
  return s;
}

CapSqe recv_sqe(uint32_t ep, uint8_t* buf, uint32_t len) {
  CapSqe r{};
  r.opcode = CAP_OP_RECV;
  r.cap_id = ep;
  r.result_addr = reinterpret_cast<uint64_t>(buf);
  r.result_len = len;
  r.user_data = rt::ring().next_user_data();
  return r;
}

// Waits for the completion of `user_data` (stashing any other).
CapCqe wait_for(uint64_t user_data) {
  CapCqe c;
  while (!rt::ring().try_take(user_data, &c)) (void)rt::ring().enter(1);
  return c;
}

// One RECV on `ep` into `buf`; the completion lands in *out.
int recv_one(uint32_t ep, uint8_t* buf, uint32_t len, CapCqe* out) {
  *out = rt::ring().call(recv_sqe(ep, buf, len));
  return out->result;
}

int server(uint32_t ep) {
  alignas(16) static uint8_t buf[sizeof(EndpointMessageHeader) + IPC_MESSAGE_MAX + 16 * sizeof(CapTransferRecord)];
  uint32_t slow_call = 0;
  uint32_t kept = CAPID_INVALID;  // a cap received by transfer, handed back on M_GIVE_BACK
  uint64_t reply[1 + XFER_MAX];
  CapTransferDesc give{};
  CapCqe c;
  if (recv_one(ep, buf, sizeof(buf), &c) < 0) return 10;
  for (;;) {
    if (c.result < 0) return 10;
    auto* h = reinterpret_cast<EndpointMessageHeader*>(buf);
    if (h->call_id != c.call_id ||
        c.result != static_cast<int32_t>(sizeof(*h) + h->params_len + h->xfer_count * sizeof(CapTransferRecord)))
      return 11;
    if (!(h->flags & MSG_F_SESSION_LIVE) || (h->scoped_ref_lo == 0 && h->scoped_ref_hi == 0)) return 12;
    uint8_t* params = buf + sizeof(*h);
    CapSqe ret{};
    ret.opcode = CAP_OP_RETURN;
    ret.cap_id = ep;
    ret.call_id = h->call_id;
    ret.user_data = rt::ring().next_user_data();
    static const char kMsg[] = "denied by test";
    switch (h->method_id) {
      case M_ECHO:
        ret.params_addr = reinterpret_cast<uint64_t>(params);
        ret.params_len = h->params_len;
        break;
      case M_EXCEPTION:
        ret.flags = SQE_F_EXCEPTION;
        ret.params_addr = reinterpret_cast<uint64_t>(kMsg);
        ret.params_len = sizeof(kMsg);
        break;
      case M_CRASH:
        *reinterpret_cast<volatile int*>(0x8) = 1;  // dies with calls in flight
        break;
      case M_SLOW:
        slow_call = h->call_id;  // answered after the caller has died
        if (recv_one(ep, buf, sizeof(buf), &c) < 0) return 10;
        continue;
      case M_XFER_CHECK: {  // reply: count, then each record's interface id
        auto* rec = reinterpret_cast<CapTransferRecord*>(params + h->params_len);
        reply[0] = h->xfer_count;
        for (uint32_t i = 0; i < h->xfer_count; ++i) reply[1 + i] = rec[i].interface_id;
        if (h->xfer_count && kept == CAPID_INVALID) kept = rec[0].cap_id;
        ret.params_addr = reinterpret_cast<uint64_t>(reply);
        ret.params_len = static_cast<uint32_t>((1 + h->xfer_count) * sizeof(uint64_t));
        break;
      }
      case M_GIVE_BACK:
        give = CapTransferDesc{kept, XFER_COPY, {0, 0, 0}};
        ret.xfer_addr = reinterpret_cast<uint64_t>(&give);
        ret.xfer_count = 1;
        break;
      default:
        ret.flags = SQE_F_EXCEPTION;
        break;
    }
    // The answer and the next RECV in one cap_enter: the endpoint fast
    // path's shape (kernel/ipc/fast_path.cpp), so every answer above --
    // echo, exception, a reply too long for the caller, result caps --
    // runs through it.
    CapSqe next = recv_sqe(ep, buf, sizeof(buf));
    if (!rt::ring().push(ret) || !rt::ring().push(next)) return 15;
    if (wait_for(ret.user_data).result != 0) return 13;
    c = wait_for(next.user_data);
    if (slow_call) {
      CapSqe late = ret;
      late.call_id = slow_call;
      late.flags = 0;
      late.params_len = 0;
      late.user_data = rt::ring().next_user_data();
      if (rt::ring().call(late).result != 0) return 14;  // accepted and discarded
      slow_call = 0;
    }
  }
}

int echo_client(uint32_t cap) {
  uint8_t out[256], in[256];
  for (uint32_t i = 0; i < 2000; ++i) {
    uint32_t n = 1 + i % sizeof(out);
    for (uint32_t k = 0; k < n; ++k) out[k] = static_cast<uint8_t>(i * 7 + k);
    CapCqe c = rt::ring().call(make_call(cap, M_ECHO, out, n, in, sizeof(in)));
    if (c.result != static_cast<int32_t>(n)) return 20;
    if (memcmp(in, out, n) != 0) return 21;
  }
  // An application exception arrives flagged, with its bytes.
  char msg[64];
  CapCqe c = rt::ring().call(make_call(cap, M_EXCEPTION, nullptr, 0, msg, sizeof(msg)));
  if (c.result != CAP_ERR_APPLICATION_EXCEPTION || !(c.flags & CQE_F_EXCEPTION)) return 22;
  if (strcmp(msg, "denied by test") != 0) return 23;
  c = rt::ring().call(make_call(cap, M_EXCEPTION, nullptr, 0, msg, 4));
  if (c.result != CAP_ERR_APPLICATION_EXCEPTION_TRUNCATED) return 24;
  // Echo into a too-small result buffer.
  c = rt::ring().call(make_call(cap, M_ECHO, out, 100, in, 10));
  if (c.result != CAP_ERR_INVALID_RESULT_BUFFER) return 25;
  // The client facet cannot RECV or RETURN (attenuation).
  CapSqe r{};
  r.opcode = CAP_OP_RECV;
  r.cap_id = cap;
  r.result_addr = reinterpret_cast<uint64_t>(in);
  r.result_len = sizeof(in);
  r.user_data = rt::ring().next_user_data();
  if (rt::ring().call(r).result != CAP_ERR_INVALID_REQUEST) return 26;
  r.opcode = CAP_OP_RETURN;
  r.call_id = 1 << 8;
  r.user_data = rt::ring().next_user_data();
  if (rt::ring().call(r).result != CAP_ERR_INVALID_REQUEST) return 27;
  // Params in the kernel half / unmapped are rejected before anything moves.
  c = rt::ring().call(make_call(cap, M_ECHO, reinterpret_cast<void*>(0xFFFF800000001000ull), 8, in, 8));
  if (c.result != CAP_ERR_INVALID_PARAMS_BUFFER) return 28;
  c = rt::ring().call(make_call(cap, M_ECHO, out, IPC_MESSAGE_MAX + 1, in, 8));
  if (c.result != CAP_ERR_INVALID_PARAMS_BUFFER) return 29;
  return 0;
}

// VirtualMemory.map / unmap of read-write pages (0 on failure).
uint64_t vm_map(rt::Cap<wire::VirtualMemory> vm, uint64_t hint, uint64_t size) {
  alignas(8) uint8_t pb[128], rb[128];
  capnp::FixedMessageBuilder params(MutBytes(pb, sizeof(pb)));
  capnp::Response resp(MutBytes(rb, sizeof(rb)));
  auto p = wire::VirtualMemory::Client::mapParams(params);
  if (!p) return 0;
  p->setHint(hint);
  p->setSize(size);
  auto prot = p->initProt();
  if (!prot) return 0;
  prot->setRead(true);
  prot->setWrite(true);
  auto r = wire::VirtualMemory::Client(&rt::transport(), vm).map(params, resp);
  return r ? r->getAddr() : 0;
}
bool vm_unmap(rt::Cap<wire::VirtualMemory> vm, uint64_t addr, uint64_t size) {
  alignas(8) uint8_t pb[128], rb[128];
  capnp::FixedMessageBuilder params(MutBytes(pb, sizeof(pb)));
  capnp::Response resp(MutBytes(rb, sizeof(rb)));
  auto p = wire::VirtualMemory::Client::unmapParams(params);
  if (!p) return false;
  p->setAddr(addr);
  p->setSize(size);
  return wire::VirtualMemory::Client(&rt::transport(), vm).unmap(params, resp).ok();
}

// The endpoint fast path keeps the translation of a caller's params and
// result pages while its page tables are unchanged (docs/ipc.md "Fast
// path"). Pages unmapped and mapped again at the same address are new
// frames -- the old ones are handed to another mapping first, so a stale
// translation would name that mapping's pages: every echo must read the
// new params and land in the new result page, and the other mapping must
// stay as written.
int moved_buffers(uint32_t cap, rt::Cap<wire::VirtualMemory> vm) {
  uint64_t at = 0;
  uint64_t other = 0;
  for (uint32_t round = 0; round < 4; ++round) {
    uint64_t a = vm_map(vm, at, 2 * PAGE_SIZE);
    if (!a || (at && a != at)) return 80;
    at = a;
    auto* params = reinterpret_cast<uint8_t*>(a);
    uint8_t* result = params + PAGE_SIZE;
    for (uint32_t k = 0; k < 3; ++k) {  // the first call keeps the translations, the next ones use them
      for (uint32_t i = 0; i < 64; ++i) params[i] = static_cast<uint8_t>(round * 31 + k * 7 + i);
      CapCqe c = rt::ring().call(make_call(cap, M_ECHO, params, 64, result, 64));
      if (c.result != 64) return 81;
      if (memcmp(params, result, 64) != 0) return 82;
    }
    if (other) {
      for (uint32_t i = 0; i < 2 * PAGE_SIZE; ++i)
        if (reinterpret_cast<uint8_t*>(other)[i] != 0xA5) return 84;
      if (!vm_unmap(vm, other, 2 * PAGE_SIZE)) return 83;
    }
    if (!vm_unmap(vm, a, 2 * PAGE_SIZE)) return 83;
    // Another mapping takes the freed frames (written, so they are backed now).
    other = vm_map(vm, at + 64 * PAGE_SIZE, 2 * PAGE_SIZE);
    if (!other || other == at) return 85;
    memset(reinterpret_cast<void*>(other), 0xA5, 2 * PAGE_SIZE);
  }
  return 0;
}

// Echo through `cap`; true if the round trip worked.
bool echo_ok(uint32_t cap) {
  char in[4];
  CapCqe c = rt::ring().call(make_call(cap, M_ECHO, "ping", 4, in, 4));
  return c.result == 4 && memcmp(in, "ping", 4) == 0;
}

CapCqe call_with_caps(uint32_t cap, uint16_t method, const CapTransferDesc* d, uint16_t n, void* result,
                      uint32_t rlen) {
  CapSqe s = make_call(cap, method, nullptr, 0, result, rlen);
  s.xfer_addr = reinterpret_cast<uint64_t>(d);
  s.xfer_count = n;
  return rt::ring().call(s);
}

int xfer_client(uint32_t self, uint32_t extra1, uint32_t extra2) {
  uint64_t reply[1 + XFER_MAX];
  // Copy: the server receives it, the client keeps a working cap.
  CapTransferDesc d1[] = {{extra1, XFER_COPY, {0, 0, 0}}};
  CapCqe c = call_with_caps(self, M_XFER_CHECK, d1, 1, reply, sizeof(reply));
  if (c.result != 16 || reply[0] != 1 || reply[1] != TEST_IFACE) return 50;
  if (!echo_ok(extra1)) return 51;
  // Move: the server receives it, the client's id goes stale.
  CapTransferDesc d2[] = {{extra2, XFER_MOVE, {0, 0, 0}}};
  c = call_with_caps(self, M_XFER_CHECK, d2, 1, reply, sizeof(reply));
  if (c.result != 16 || reply[0] != 1) return 52;
  c = rt::ring().call(make_call(extra2, M_ECHO, "x", 1, reply, 8));
  if (c.result != CAP_ERR_STALE_CAP) return 53;
  // The server's table has one free slot: a two-cap move must roll back
  // completely and both caps keep working here.
  CapTransferDesc d3[] = {{extra1, XFER_MOVE, {0, 0, 0}}, {self, XFER_COPY, {0, 0, 0}}};
  c = call_with_caps(self, M_XFER_CHECK, d3, 2, reply, sizeof(reply));
  if (c.result != CAP_ERR_QUOTA_EXCEEDED) return 54;
  if (!echo_ok(extra1) || !echo_ok(self)) return 55;
  // Hostile descriptors are rejected before anything moves.
  CapTransferDesc bad_mode[] = {{extra1, 9, {0, 0, 0}}};
  if (call_with_caps(self, M_XFER_CHECK, bad_mode, 1, reply, sizeof(reply)).result != CAP_ERR_INVALID_TRANSFER) return 56;
  CapTransferDesc forged[] = {{0x7777000F, XFER_COPY, {0, 0, 0}}};
  if (call_with_caps(self, M_XFER_CHECK, forged, 1, reply, sizeof(reply)).result != CAP_ERR_INVALID_TRANSFER) return 57;
  CapSqe s = make_call(self, M_XFER_CHECK, nullptr, 0, reply, sizeof(reply));
  s.xfer_addr = 0xFFFF800000000000ull;
  s.xfer_count = 1;
  if (rt::ring().call(s).result != CAP_ERR_INVALID_TRANSFER) return 58;
  s.xfer_addr = reinterpret_cast<uint64_t>(d1);
  s.xfer_count = XFER_MAX + 1;
  s.user_data = rt::ring().next_user_data();
  if (rt::ring().call(s).result != CAP_ERR_INVALID_TRANSFER) return 59;
  if (!echo_ok(extra1)) return 60;
  // A call with a cap that must queue: two CALLs in one cap_enter, the
  // first taken by the waiting RECV, the second (with the cap) waiting
  // for the server's next RECV, which delivers it through the checked
  // copy rather than the RECV's kept page (kernel/ipc/ipc.cpp
  // write_delivery). It takes the server's last free slot; the same
  // again must then fail with the quota and leave the cap here.
  const int32_t wants[] = {16, CAP_ERR_QUOTA_EXCEEDED};
  for (int32_t want : wants) {
    char echo[4];
    CapSqe first = make_call(self, M_ECHO, "ping", 4, echo, 4);
    CapSqe second = make_call(self, M_XFER_CHECK, nullptr, 0, reply, sizeof(reply));
    second.xfer_addr = reinterpret_cast<uint64_t>(d1);
    second.xfer_count = 1;
    if (!rt::ring().push(first) || !rt::ring().push(second)) return 63;
    if (wait_for(first.user_data).result != 4) return 64;
    c = wait_for(second.user_data);
    if (c.result != want || (want > 0 && (reply[0] != 1 || reply[1] != TEST_IFACE))) return 65;
    if (!echo_ok(extra1)) return 66;
  }
  // RETURN-side transfer: the server hands a cap back with its answer.
  CapTransferRecord rec[1];
  c = rt::ring().call(make_call(self, M_GIVE_BACK, nullptr, 0, rec, sizeof(rec)));
  if (c.result != 0 || c.cap_count != 1 || !(c.flags & CQE_F_CAPS)) return 61;
  if (rec[0].interface_id != TEST_IFACE || !echo_ok(rec[0].cap_id)) return 62;
  return 0;
}

// Multi-hop: A --CALL(move gift)--> B --CALL(move gift)--> C; C uses the
// gift (an echo client facet) and answers "ok" back along the chain.
int answer(uint32_t ep, uint32_t call_id, const void* data, uint32_t len) {
  CapSqe ret{};
  ret.opcode = CAP_OP_RETURN;
  ret.cap_id = ep;
  ret.call_id = call_id;
  ret.params_addr = reinterpret_cast<uint64_t>(data);
  ret.params_len = len;
  ret.user_data = rt::ring().next_user_data();
  return rt::ring().call(ret).result;
}

int hop_c(uint32_t ep) {
  alignas(16) static uint8_t buf[RECV_BUFFER_MAX];
  for (;;) {
    CapCqe c;
    if (recv_one(ep, buf, sizeof(buf), &c) < 0) return 70;
    auto* h = reinterpret_cast<EndpointMessageHeader*>(buf);
    bool ok = false;
    if (h->xfer_count == 1) {
      auto* rec = reinterpret_cast<CapTransferRecord*>(buf + sizeof(*h) + h->params_len);
      ok = echo_ok(rec->cap_id);  // the capability still works two hops later
    }
    if (answer(ep, c.call_id, ok ? "ok" : "no", 2) != 0) return 71;
  }
}

int hop_b(uint32_t ep, uint32_t next) {
  alignas(16) static uint8_t buf[RECV_BUFFER_MAX];
  for (;;) {
    CapCqe c;
    if (recv_one(ep, buf, sizeof(buf), &c) < 0) return 72;
    auto* h = reinterpret_cast<EndpointMessageHeader*>(buf);
    char reply[2] = {'n', 'o'};
    if (h->xfer_count == 1) {
      auto* rec = reinterpret_cast<CapTransferRecord*>(buf + sizeof(*h) + h->params_len);
      CapTransferDesc d{rec->cap_id, XFER_MOVE, {0, 0, 0}};
      CapCqe r = call_with_caps(next, M_ECHO, &d, 1, reply, sizeof(reply));
      if (r.result != 2) reply[0] = 'x';
    }
    if (answer(ep, c.call_id, reply, 2) != 0) return 73;
  }
}

int hop_a(uint32_t b, uint32_t gift) {
  char reply[2] = {};
  CapTransferDesc d{gift, XFER_MOVE, {0, 0, 0}};
  CapCqe c = call_with_caps(b, M_ECHO, &d, 1, reply, sizeof(reply));
  if (c.result != 2 || reply[0] != 'o' || reply[1] != 'k') return 74;
  if (echo_ok(gift)) return 75;  // moved away: stale here
  return 0;
}

int crasher_client(uint32_t cap) {
  CapCqe c = rt::ring().call(make_call(cap, M_CRASH, nullptr, 0, nullptr, 0));
  if (c.result != CAP_ERR_DISCONNECTED) return 30;
  c = rt::ring().call(make_call(cap, M_ECHO, "x", 1, nullptr, 0));
  if (c.result != CAP_ERR_DISCONNECTED) return 31;
  return 0;
}

int abandoner_client(uint32_t cap) {
  static uint8_t result[16];
  CapSqe s = make_call(cap, M_SLOW, nullptr, 0, result, sizeof(result));
  rt::ring().push(s);
  (void)rt::ring().enter(0, CAP_ENTER_NO_WAIT);  // submitted; never reaped
  *reinterpret_cast<volatile int*>(0x10) = 1;  // die with the call in flight
  return 40;
}

// Holds every call it receives, unanswered: RECVs for ever.
int holder(uint32_t ep) {
  alignas(16) static uint8_t buf[RECV_BUFFER_MAX];
  for (;;) {
    CapCqe c;
    if (recv_one(ep, buf, sizeof(buf), &c) < 0) return 80;
  }
}

// The endpoint entry (kernel/ring/dispatch.cpp enter_endpoint) takes only
// waits without a deadline; the kernel self test kills this client while
// it waits there.
int entry_client(uint32_t echo, uint32_t hold) {
  if (!echo_ok(echo)) return 50;  // from now on its ring is armed for the fast path
  // A wait with a deadline is cap_enter's: the held call's CQE never
  // comes, so cap_enter returns when the deadline passes, nothing ready.
  char res[8];
  CapSqe held = make_call(hold, M_ECHO, "x", 1, res, sizeof(res));
  if (!rt::ring().push(held)) return 51;
  if (int64_t n = rt::cap_enter(1, 20'000'000); n != 0) return 52;
  if (!echo_ok(echo)) return 53;
  // A second held call, waited for without a deadline: the endpoint entry
  // blocks (the fast path delivered the call), and only the kill ends it.
  CapSqe held2 = make_call(hold, M_ECHO, "y", 1, res, sizeof(res));
  if (!rt::ring().push(held2)) return 54;
  (void)rt::cap_enter(1, CAP_ENTER_FOREVER);
  return 55;
}

// Endpoint caps speaking this test's own raw protocol (raw SQEs, no
// generated client): untyped ids.
Result<uint32_t> raw(StrView name) { return CAPOS_TRY(rt::capset_find<rt::AnyInterface>(name)).id(); }

}  // namespace

int main() {
  if (auto ep = raw("endpoint")) return server(*ep);
  if (auto c = raw("echo")) {
    int r = echo_client(*c);
    if (r == 0)
      if (auto vm = rt::capset_find<wire::VirtualMemory>("vm")) r = moved_buffers(*c, *vm);
    return r;
  }
  if (auto c = raw("crasher")) return crasher_client(*c);
  if (auto c = raw("hopc")) return hop_c(*c);
  if (auto c = raw("hopb")) return hop_b(*c, *raw("next"));
  if (auto c = raw("hopa")) return hop_a(*c, *raw("gift"));
  if (auto c = raw("xfer"))
    return xfer_client(*c, *raw("extra1"), *raw("extra2"));
  if (auto c = raw("abandoner")) return abandoner_client(*c);
  if (auto c = raw("holder")) return holder(*c);
  if (auto c = raw("entry")) return entry_client(*c, *raw("hold"));
  return 99;
}
