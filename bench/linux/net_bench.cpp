// TCP figures, Linux side (issue 19): the counterpart of capOS's
// user/tests/netbench.cpp, run inside the Linux bench guest on the same
// QEMU NIC (virtio-net-pci, modern) and netdev (SLIRP user networking) by
// tools/bench/net_bench.py. Configures eth0 as 10.0.2.15/24 (the address
// SLIRP's DHCP hands capOS), connects to 10.0.2.100:5001 (SLIRP's guestfwd
// to the bench server on the host loopback) and runs the same protocol
// with the same sizes: 'D'+N bulk host→guest, 'U'+N bulk guest→host
// answered by 'K', 'R'+N round trips of 64 bytes. TCP_NODELAY is set,
// since capOS's stack has Nagle off.
//
// Output (parsed by tools/bench/net_bench.py, same keys as netbench):
//   BENCH row=net_tcp_rx bytes=<b> ns=<ns> kib_per_s=<n>
//   BENCH row=net_tcp_tx bytes=<b> ns=<ns> kib_per_s=<n>
//   BENCH row=net_tcp_rr iters=200 median_cycles=<c> p99_cycles=<c> ns_per_req=<ns> req_per_s=<n>
//     busy_cycles_per_op=<c> (when the kernel reports idle times)
//   BENCH done
// Usage: net_bench [IFNAME] [--wait-ms N]
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "bench/linux/clock.h"
#include "bench/linux/idle.h"

namespace {

constexpr uint32_t BULK_BYTES = 2u << 20;
constexpr uint32_t RR_ITERS = 200;
constexpr uint32_t RR_BYTES = 64;
constexpr uint32_t CHUNK = 16000;  // capOS's maxTcpWriteBytes

bool set_addr(int fd, const char* ifname, unsigned long req, const char* addr) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, addr, &sin->sin_addr);
  return ioctl(fd, req, &ifr) == 0;
}

// eth0 up with SLIRP's DHCP address (no DHCP client in the initramfs).
bool configure(const char* ifname, unsigned wait_ms) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  uint64_t give_up = now_ns() + uint64_t(wait_ms) * 1000000;
  while (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {  // the driver module may still be probing
    if (now_ns() > give_up) return false;
    usleep(10000);
  }
  bool ok = set_addr(fd, ifname, SIOCSIFADDR, "10.0.2.15") && set_addr(fd, ifname, SIOCSIFNETMASK, "255.255.255.0");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  close(fd);
  return ok;
}

bool write_all(int s, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(s, p, n);
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

bool read_exact(int s, uint8_t* out, size_t n) {
  static uint8_t sink[CHUNK];
  while (n > 0) {
    size_t want = n < CHUNK ? n : CHUNK;
    ssize_t r = read(s, out ? out : sink, want);
    if (r <= 0) return false;
    if (out) out += r;
    n -= size_t(r);
  }
  return true;
}

bool command(int s, char op, uint32_t n) {
  const uint8_t cmd[5] = {uint8_t(op), uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  return write_all(s, cmd, sizeof(cmd));
}

uint64_t kib_per_s(uint64_t bytes, uint64_t ns) { return ns ? bytes * 1000000000ull / ns / 1024 : 0; }

int fail(const char* what) {
  std::perror(what);
  std::printf("net_bench: FAILED: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* ifname = argc >= 2 ? argv[1] : "eth0";
  unsigned wait_ms = 10000;
  if (argc >= 4 && !std::strcmp(argv[2], "--wait-ms")) wait_ms = unsigned(std::atoi(argv[3]));
  if (!configure(ifname, wait_ms)) return fail("configure interface");
  int s = -1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(5001);
  inet_pton(AF_INET, "10.0.2.100", &to.sin_addr);
  for (uint64_t give_up = now_ns() + uint64_t(wait_ms) * 1000000;;) {
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s >= 0 && connect(s, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0) break;
    if (s >= 0) close(s);
    if (now_ns() > give_up) return fail("connect 10.0.2.100:5001");
    usleep(50000);
  }
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  uint64_t t0 = now_ns();
  if (!command(s, 'D', BULK_BYTES) || !read_exact(s, nullptr, BULK_BYTES)) return fail("receive bulk");
  uint64_t ns = now_ns() - t0;
  std::printf("BENCH row=net_tcp_rx bytes=%u ns=%llu kib_per_s=%llu\n", BULK_BYTES, (unsigned long long)ns,
              (unsigned long long)kib_per_s(BULK_BYTES, ns));

  static uint8_t chunk[CHUNK];
  for (uint32_t i = 0; i < CHUNK; ++i) chunk[i] = uint8_t(i * 7);
  t0 = now_ns();
  if (!command(s, 'U', BULK_BYTES)) return fail("U");
  for (uint32_t left = BULK_BYTES; left > 0;) {
    uint32_t len = left < CHUNK ? left : CHUNK;
    if (!write_all(s, chunk, len)) return fail("send bulk");
    left -= len;
  }
  uint8_t ack = 0;
  if (!read_exact(s, &ack, 1) || ack != 'K') return fail("bulk ack");
  ns = now_ns() - t0;
  std::printf("BENCH row=net_tcp_tx bytes=%u ns=%llu kib_per_s=%llu\n", BULK_BYTES, (unsigned long long)ns,
              (unsigned long long)kib_per_s(BULK_BYTES, ns));

  if (!command(s, 'R', RR_ITERS)) return fail("R");
  static uint64_t samples[RR_ITERS];
  uint8_t req[RR_BYTES], answer[RR_BYTES];
  // Busy cycles too: under icount sleep=off a round trip that idles while
  // the host answers has its clock jump ahead (bench/linux/idle.h).
  BusyLoop busy = busy_start();
  for (uint32_t i = 0; i < RR_ITERS; ++i) {
    for (uint32_t k = 0; k < RR_BYTES; ++k) req[k] = uint8_t(i + k);
    uint64_t c0 = tsc();
    if (!write_all(s, req, RR_BYTES) || !read_exact(s, answer, RR_BYTES)) return fail("round trip");
    samples[i] = tsc() - c0;
    if (std::memcmp(req, answer, RR_BYTES) != 0) return fail("echo differs");
  }
  char busy_text[48];
  busy_field(busy, RR_ITERS, busy_text, sizeof busy_text, &ns);
  std::sort(samples, samples + RR_ITERS);
  std::printf("BENCH row=net_tcp_rr iters=%u median_cycles=%llu p99_cycles=%llu ns_per_req=%llu req_per_s=%llu%s\n",
              RR_ITERS, (unsigned long long)samples[RR_ITERS / 2], (unsigned long long)samples[RR_ITERS * 99 / 100],
              (unsigned long long)(ns / RR_ITERS), (unsigned long long)(ns ? uint64_t(RR_ITERS) * 1000000000ull / ns : 0),
              busy_text);
  close(s);
  std::printf("BENCH done\n");
  return 0;
}
