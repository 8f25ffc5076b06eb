// httpd: an HTTP/1.1 status server, the seed of a web UI. It listens on
// port 80 through the TcpListenAuthority its manifest grants ("net") and
// answers GET / with a page built from SystemStatus ("status": memory
// and the process table) and Timer ("timer": uptime). One connection at
// a time, one request per connection; requests are bounded (4 KiB of
// headers), anything else gets 400, 404 or 405. Process names are
// HTML-escaped.
#include "lib/core/format.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

constexpr uint16_t PORT = 80;
constexpr size_t MAX_REQUEST = 4096;

struct Call {
  alignas(8) uint8_t pbuf[wire::MAX_TCP_WRITE_BYTES + 256];
  alignas(8) uint8_t rbuf[wire::MAX_TCP_READ_BYTES + 256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};
Call g_call;
Call& fresh() {
  g_call.~Call();
  new (&g_call) Call();
  return g_call;
}

rt::Cap<wire::SystemStatus> g_status;
rt::Cap<wire::Timer> g_timer;

// The page under construction.
char g_page[12000];
size_t g_len = 0;
template <class... A> void put(StrView fmt, const A&... args) {
  g_len += format_to(g_page + g_len, sizeof(g_page) - g_len, fmt, args...).size();
}
void put_escaped(StrView s) {
  for (size_t i = 0; i < s.len && g_len + 6 < sizeof(g_page); ++i) {
    char c = s.ptr[i];
    if (c == '<') put("&lt;");
    else if (c == '>') put("&gt;");
    else if (c == '&') put("&amp;");
    else if (uint8_t(c) < 0x20 || uint8_t(c) == 0x7f) put("?");
    else g_page[g_len++] = c;
  }
}

void build_status_page() {
  g_len = 0;
  put("<!DOCTYPE html>\n<html><head><title>capOS status</title></head><body>\n<h1>capOS status</h1>\n");
  {
    Call& c = fresh();
    (void)wire::Timer::Client::nowParams(c.params);
    auto r = wire::Timer::Client(&rt::transport(), g_timer).now(c.params, c.resp);
    if (r) put("<p>up {} s</p>\n", r->getMonotonicNs() / 1'000'000'000);
  }
  wire::SystemStatus::Client st(&rt::transport(), g_status);
  {
    Call& c = fresh();
    (void)wire::SystemStatus::Client::memoryParams(c.params);
    auto r = st.memory(c.params, c.resp);
    if (r) put("<p>memory: {} of {} frames free</p>\n", r->getFreeFrames(), r->getTotalFrames());
  }
  Call& c = fresh();
  auto p = wire::SystemStatus::Client::processesParams(c.params);
  p->setOffset(0);
  p->setMaxEntries(32);
  auto r = st.processes(c.params, c.resp);
  auto list = r ? r->getEntries() : fail(r.error());
  if (!list) {
    put("<p>processes: unavailable</p>\n");
  } else {
    put("<table>\n<tr><th>pid</th><th>name</th><th>binary</th><th>threads</th></tr>\n");
    for (uint32_t i = 0; i < list->size(); ++i) {
      auto e = (*list)[i];
      auto name = e.getName();
      auto bin = e.getBinary();
      put("<tr><td>{}</td><td>", e.getPid());
      put_escaped(name ? *name : StrView("?"));
      put("</td><td>");
      put_escaped(bin ? *bin : StrView("?"));
      put("</td><td>{}</td></tr>\n", e.getThreads());
    }
    put("</table>\n<p>{} processes</p>\n", r->getTotal());
  }
  put("</body></html>\n");
}

Status send_all(wire::TcpSocket::Client& s, Bytes data) {
  size_t sent = 0;
  while (sent < data.size()) {
    Call& c = fresh();
    size_t n = min<size_t>(data.size() - sent, wire::MAX_TCP_WRITE_BYTES);
    auto wp = wire::TcpSocket::Client::writeParams(c.params);
    if (!wp || !wp->setData(Bytes(data.data() + sent, n))) return fail(Err::Failed);
    auto w = s.write(c.params, c.resp);
    if (!w) return fail(w.error());
    sent += w->getAccepted();
  }
  return {};
}

Status respond(wire::TcpSocket::Client& s, StrView status, StrView type, StrView body) {
  char head[256];
  StrView h = format_to(head, sizeof(head),
                        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", status,
                        type, body.len);
  CAPOS_TRY_STATUS(send_all(s, Bytes(reinterpret_cast<const uint8_t*>(h.ptr), h.len)));
  return send_all(s, Bytes(reinterpret_cast<const uint8_t*>(body.ptr), body.len));
}

// Reads one request's headers and answers it.
Status serve(rt::Cap<wire::TcpSocket> sock) {
  wire::TcpSocket::Client s(&rt::transport(), sock);
  static char req[MAX_REQUEST];
  size_t have = 0;
  bool complete = false;
  while (!complete) {
    Call& c = fresh();
    auto rp = wire::TcpSocket::Client::readParams(c.params);
    rp->setMaxBytes(wire::MAX_TCP_READ_BYTES);
    auto r = s.read(c.params, c.resp);
    if (!r) return fail(r.error());
    if (r->getEof()) break;
    auto data = r->getData();
    if (!data) return fail(Err::Corrupt);
    size_t n = min(data->size(), sizeof(req) - have);
    memcpy(req + have, data->data(), n);
    have += n;
    for (size_t i = 0; i + 3 < have; ++i)
      if (memcmp(req + i, "\r\n\r\n", 4) == 0) complete = true;
    if (!complete && have == sizeof(req)) break;
  }
  StrView text(req, have);
  if (!complete) return respond(s, "400 Bad Request", "text/plain", "request too large or incomplete\n");
  if (have < 4 || memcmp(req, "GET ", 4) != 0) return respond(s, "405 Method Not Allowed", "text/plain", "only GET\n");
  size_t end = 4;
  while (end < have && req[end] != ' ' && req[end] != '\r') ++end;
  StrView path = text.substr(4, end - 4);
  rt::printf("httpd: GET {}\n", path.substr(0, 64));
  if (!(path == "/")) return respond(s, "404 Not Found", "text/plain", "not found\n");
  build_status_page();
  return respond(s, "200 OK", "text/html; charset=utf-8", StrView(g_page, g_len));
}

}  // namespace

int main() {
  auto auth = rt::capset_find<wire::TcpListenAuthority>("net");
  auto status = rt::capset_find<wire::SystemStatus>("status");
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!auth || !status || !timer) {
    rt::print("httpd: needs `net` (TcpListenAuthority), `status` (SystemStatus) and `timer` (Timer)\n");
    return 2;
  }
  g_status = *status;
  g_timer = *timer;
  Call& c = fresh();
  auto lp = wire::TcpListenAuthority::Client::listenParams(c.params);
  lp->setPort(PORT);
  lp->setBacklog(8);
  auto listener = rt::call_for_cap<wire::TcpListener>(*auth, 0, c.params, c.resp);
  if (!listener) {
    rt::printf("httpd: listen on port {} refused: {}\n", PORT, err_name(listener.error()));
    return 3;
  }
  rt::printf("httpd: serving the status page on port {}\n", PORT);
  for (;;) {
    Call& a = fresh();
    (void)wire::TcpListener::Client::acceptParams(a.params);
    auto sock = rt::call_for_cap<wire::TcpSocket>(*listener, 0, a.params, a.resp);
    if (!sock) {
      rt::printf("httpd: accept failed: {}\n", err_name(sock.error()));
      return 4;
    }
    Status st = serve(*sock);
    if (st) {
      Call& d = fresh();
      (void)wire::TcpSocket::Client::shutdownParams(d.params);
      (void)wire::TcpSocket::Client(&rt::transport(), *sock).shutdown(d.params, d.resp);
    } else {
      rt::printf("httpd: connection failed: {}\n", err_name(st.error()));
    }
    rt::release_cap(*sock);
  }
}
