/* posix_net: BSD sockets through the POSIX layer over netd's capabilities
   (booted by qemu.net_posix next to netd; tests/qemu/net_posix.py runs the
   host side). Granted: `connect`, a TcpConnector for 10.0.2.100 port 7
   only (SLIRP forwards that to the host's echo server), and `listen`, a
   TcpListenAuthority for port 8 only (the host reaches it through a
   hostfwd); no `dns`. Its environment comes from the manifest's
   Service.env. Each check prints "net: <what> ok" or
   "net: FAIL <what>"; the exit status counts failures. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_failures;

static void check(int ok, const char* what) {
  if (ok) {
    printf("net: %s ok\n", what);
  } else {
    printf("net: FAIL %s (errno %d)\n", what, errno);
    ++g_failures;
  }
}

static struct sockaddr_in inet(const char* ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

static void refusals(void) {
  errno = 0;
  check(socket(AF_INET6, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT, "an IPv6 socket is EAFNOSUPPORT");
  errno = 0;
  check(socket(AF_INET, SOCK_DGRAM, 0) == -1 && errno == EPROTONOSUPPORT, "a UDP socket is EPROTONOSUPPORT");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  char c;
  errno = 0;
  check(fd >= 0 && recv(fd, &c, 1, 0) == -1 && errno == ENOTCONN, "recv before connect is ENOTCONN");
  errno = 0;
  check(listen(fd, 1) == -1 && errno == EDESTADDRREQ, "listen before bind is EDESTADDRREQ");
  struct sockaddr_in out = inet("10.0.2.2", 9);
  errno = 0;
  check(connect(fd, (struct sockaddr*)&out, sizeof out) == -1 && errno == EACCES,
        "connect outside the TcpConnector's scope is EACCES");
  struct sockaddr_in p9 = inet("0.0.0.0", 9);
  errno = 0;
  check(bind(fd, (struct sockaddr*)&p9, sizeof p9) == 0 && listen(fd, 1) == -1 && errno == EACCES,
        "listen on a port outside the TcpListenAuthority is EACCES");
  close(fd);
  errno = 0;
  check(send(1, "x", 1, 0) == -1 && errno == ENOTSOCK, "send on the console is ENOTSOCK");

  char ip[INET_ADDRSTRLEN];
  struct in_addr a;
  check(inet_pton(AF_INET, "10.0.2.100", &a) == 1 && ntohl(a.s_addr) == 0x0A000264 &&
            strcmp(inet_ntop(AF_INET, &a, ip, sizeof ip), "10.0.2.100") == 0 && inet_pton(AF_INET, "10.0.2", &a) == 0 &&
            inet_addr("1.2.3.256") == INADDR_NONE,
        "inet_pton/inet_ntop/inet_addr");

  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  int r = getaddrinfo("10.0.2.100", "7", &hints, &res);
  struct sockaddr_in* sin = res ? (struct sockaddr_in*)res->ai_addr : NULL;
  check(r == 0 && res->ai_family == AF_INET && res->ai_next == NULL && ntohs(sin->sin_port) == 7 &&
            ntohl(sin->sin_addr.s_addr) == 0x0A000264,
        "getaddrinfo of a dotted quad");
  if (res) freeaddrinfo(res);
  errno = 0;
  r = getaddrinfo("example.com", "80", &hints, &res);
  check(r == EAI_SYSTEM && errno == EACCES, "getaddrinfo of a name without a `dns` grant is EAI_SYSTEM/EACCES");
  check(getaddrinfo("10.0.2.100", "http", &hints, &res) == EAI_SERVICE, "a service name is EAI_SERVICE");
}

/* The host's echo server through SLIRP's guestfwd: 20000 bytes out and back. */
static void client(void) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo("10.0.2.100", "7", &hints, &res) != 0) {
    check(0, "getaddrinfo for the echo server");
    return;
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  int one = 1;
  check(fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "socket + TCP_NODELAY");
  int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  check(rc == 0, "connect to 10.0.2.100:7 through the `connect` grant");
  if (rc != 0) return;
  struct sockaddr_in peer, local;
  socklen_t plen = sizeof peer, llen = sizeof local;
  check(getpeername(fd, (struct sockaddr*)&peer, &plen) == 0 && plen == sizeof peer &&
            ntohl(peer.sin_addr.s_addr) == 0x0A000264 && ntohs(peer.sin_port) == 7 &&
            getsockname(fd, (struct sockaddr*)&local, &llen) == 0 && ntohl(local.sin_addr.s_addr) == 0x0A00020F &&
            ntohs(local.sin_port) != 0,
        "getpeername 10.0.2.100:7, getsockname 10.0.2.15");
  struct stat st;
  errno = 0;
  check(fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && lseek(fd, 0, SEEK_CUR) == -1 && errno == ESPIPE,
        "fstat says S_IFSOCK, lseek ESPIPE");
  errno = 0;
  char c;
  check(recv(fd, &c, 1, MSG_PEEK) == -1 && errno == EOPNOTSUPP, "recv with MSG_PEEK is EOPNOTSUPP");

  enum { N = 20000 };
  static char out[N], in[N];
  for (int i = 0; i < N; ++i) out[i] = (char)('a' + i % 26);
  ssize_t sent = send(fd, out, N, MSG_NOSIGNAL);
  size_t got = 0;
  while (got < N) {
    ssize_t k = recv(fd, in + got, N - got, 0);
    if (k <= 0) break;
    got += (size_t)k;
  }
  check(sent == N && got == N && memcmp(in, out, N) == 0, "20000 bytes through send/recv came back from the echo server");
  FILE* f = fdopen(fd, "r+");
  check(f != NULL && fprintf(f, "line over stdio\n") > 0 && fflush(f) == 0, "fdopen + fprintf on the socket");
  char line[64] = {0};
  check(f != NULL && fgets(line, sizeof line, f) != NULL && strcmp(line, "line over stdio\n") == 0,
        "fgets reads the echoed line back");
  if (f) fclose(f);
}

/* A server on port 8: the host connects through the hostfwd, sends a
   line and closes its side; we read to end of file and answer. */
static void server(void) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  struct sockaddr_in any = inet("0.0.0.0", 8);
  check(ls >= 0 && setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(ls, (struct sockaddr*)&any, sizeof any) == 0 && listen(ls, 4) == 0,
        "bind + listen on port 8 through the `listen` grant");
  struct sockaddr_in me;
  socklen_t mlen = sizeof me;
  check(getsockname(ls, (struct sockaddr*)&me, &mlen) == 0 && ntohs(me.sin_port) == 8, "getsockname of the listener");
  printf("net: listening on port 8\n");
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int c = accept(ls, (struct sockaddr*)&peer, &plen);
  check(c >= 0 && plen == sizeof peer && peer.sin_family == AF_INET, "accept a connection from the host");
  if (c < 0) return;
  char buf[256];
  size_t got = 0;
  for (;;) {
    ssize_t k = read(c, buf + got, sizeof buf - 1 - got);
    if (k <= 0) break;
    got += (size_t)k;
  }
  buf[got] = 0;
  check(strcmp(buf, "ping from the host\n") == 0, "read the host's line, then end of file");
  for (size_t i = 0; i < got; ++i) buf[i] = (char)toupper((unsigned char)buf[i]);
  check(write(c, buf, got) == (ssize_t)got && shutdown(c, SHUT_WR) == 0, "answer upper-cased, shutdown(SHUT_WR)");
  errno = 0;
  check(write(c, "x", 1) == -1 && errno == EPIPE, "write after SHUT_WR is EPIPE");
  check(close(c) == 0 && close(ls) == 0, "close both");
}

int main(int argc, char** argv) {
  /* The manifest's Service.env, delivered by init over `args`. */
  const char* g = getenv("GREETING");
  check(argc == 1 && strcmp(argv[0], "posix_net") == 0 && g != NULL && strcmp(g, "hello from the manifest") == 0 &&
            getenv("MODE") != NULL && strcmp(getenv("MODE"), "sockets") == 0 && getenv("PATH") == NULL,
        "argv[0] and the environment from the manifest");
  refusals();
  client();
  server();
  printf("net: %s\n", g_failures ? "some checks FAILED" : "all checks passed");
  return g_failures;
}
