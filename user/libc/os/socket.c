/* The BSD socket calls for TCP over IPv4 (config/sys/socket.h), on the fd
   layer's sockets (os/sockets.cpp, which calls netd's capabilities), plus
   getaddrinfo and the inet_* text conversions. Only what a capability
   grants is reachable: connect() needs `connect`, listen() needs `listen`,
   a host name needs `dns`. docs/posix.md lists every call and errno. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd_api.h"
#include "sock_api.h"

static int fail(int err) {
  errno = err;
  return -1;
}

int socket(int domain, int type, int protocol) {
  int kind = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (domain != AF_INET) return fail(EAFNOSUPPORT);
  if (type & SOCK_NONBLOCK) return fail(EINVAL); /* no non-blocking mode */
  if (kind != SOCK_STREAM) return fail(EPROTONOSUPPORT); /* TCP only: no UDP or raw sockets */
  if (protocol != 0 && protocol != IPPROTO_TCP) return fail(EPROTONOSUPPORT);
  int fd;
  int err = capos_sock_open(&fd);
  return err ? fail(err) : fd;
}

int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  int err = capos_sock_connect(fd, addr, len);
  return err ? fail(err) : 0;
}

int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  int err = capos_sock_bind(fd, addr, len);
  return err ? fail(err) : 0;
}

int listen(int fd, int backlog) {
  int err = capos_sock_listen(fd, backlog);
  return err ? fail(err) : 0;
}

int accept(int fd, struct sockaddr* addr, socklen_t* len) {
  int out;
  int err = capos_sock_accept(fd, &out, addr, len);
  return err ? fail(err) : out;
}

/* Flags: MSG_NOSIGNAL is accepted (there are no signals to suppress);
   MSG_PEEK, MSG_DONTWAIT and the rest are EOPNOTSUPP. */
static int flags_ok(int flags) { return (flags & ~MSG_NOSIGNAL) == 0; }

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!flags_ok(flags)) return fail(EOPNOTSUPP);
  int err = capos_sock_check(fd);
  if (err) return fail(err);
  return write(fd, buf, n);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!flags_ok(flags)) return fail(EOPNOTSUPP);
  int err = capos_sock_check(fd);
  if (err) return fail(err);
  return read(fd, buf, n);
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* to, socklen_t len) {
  (void)len;
  if (to != NULL) return fail(EISCONN); /* TCP: the destination is the connection's */
  return send(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* from, socklen_t* len) {
  ssize_t got = recv(fd, buf, n, flags);
  if (got >= 0 && from != NULL && len != NULL) {
    int err = capos_sock_name(fd, 1, from, len);
    if (err) return fail(err);
  }
  return got;
}

int shutdown(int fd, int how) {
  int err = capos_sock_shutdown(fd, how);
  return err ? fail(err) : 0;
}

int getsockname(int fd, struct sockaddr* addr, socklen_t* len) {
  int err = capos_sock_name(fd, 0, addr, len);
  return err ? fail(err) : 0;
}

int getpeername(int fd, struct sockaddr* addr, socklen_t* len) {
  int err = capos_sock_name(fd, 1, addr, len);
  return err ? fail(err) : 0;
}

/* Accepted and without effect: SO_REUSEADDR (netd has no TIME_WAIT
   reuse rule to relax), SO_KEEPALIVE, TCP_NODELAY (netd sends at once). */
int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  int err = capos_sock_check(fd);
  if (err) return fail(err);
  if (value == NULL || len < sizeof(int)) return fail(EINVAL);
  if (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_KEEPALIVE)) return 0;
  if (level == IPPROTO_TCP && name == TCP_NODELAY) return 0;
  return fail(ENOPROTOOPT);
}

int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  int err = capos_sock_check(fd);
  if (err) return fail(err);
  if (value == NULL || len == NULL || *len < sizeof(int)) return fail(EINVAL);
  int v;
  if (level == SOL_SOCKET && name == SO_TYPE) {
    v = SOCK_STREAM;
  } else if (level == SOL_SOCKET && name == SO_ERROR) {
    v = 0; /* connect() is blocking: its error was returned then */
  } else {
    return fail(ENOPROTOOPT);
  }
  memcpy(value, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

/* ---- text conversions ---- */

int inet_pton(int af, const char* src, void* dst) {
  if (af != AF_INET) return fail(EAFNOSUPPORT);
  uint32_t a;
  if (capos_sock_parse_ip4(src, &a) != 0) return 0;
  uint32_t net = htonl(a);
  memcpy(dst, &net, sizeof net);
  return 1;
}

const char* inet_ntop(int af, const void* src, char* dst, socklen_t size) {
  if (af != AF_INET) {
    errno = EAFNOSUPPORT;
    return NULL;
  }
  uint32_t net;
  memcpy(&net, src, sizeof net);
  uint32_t a = ntohl(net);
  char buf[INET_ADDRSTRLEN];
  int n = snprintf(buf, sizeof buf, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)((a >> 16) & 255),
                   (unsigned)((a >> 8) & 255), (unsigned)(a & 255));
  if (n < 0 || (socklen_t)n >= size) {
    errno = ENOSPC;
    return NULL;
  }
  memcpy(dst, buf, (size_t)n + 1);
  return dst;
}

int inet_aton(const char* src, struct in_addr* dst) {
  uint32_t a;
  if (capos_sock_parse_ip4(src, &a) != 0) return 0;
  dst->s_addr = htonl(a);
  return 1;
}

in_addr_t inet_addr(const char* src) {
  struct in_addr a;
  return inet_aton(src, &a) ? a.s_addr : INADDR_NONE;
}

char* inet_ntoa(struct in_addr in) {
  static char buf[INET_ADDRSTRLEN];
  return (char*)inet_ntop(AF_INET, &in.s_addr, buf, sizeof buf);
}

/* ---- getaddrinfo ---- */

/* One result: the addrinfo, its sockaddr_in and the canonical name in one
   allocation, so freeaddrinfo frees each entry once. */
struct ai_block {
  struct addrinfo ai;
  struct sockaddr_in sin;
};

static struct addrinfo* new_entry(uint32_t addr, uint16_t port, int socktype) {
  struct ai_block* b = calloc(1, sizeof *b);
  if (b == NULL) return NULL;
  b->sin.sin_family = AF_INET;
  b->sin.sin_port = htons(port);
  b->sin.sin_addr.s_addr = htonl(addr);
  b->ai.ai_family = AF_INET;
  b->ai.ai_socktype = socktype;
  b->ai.ai_protocol = IPPROTO_TCP;
  b->ai.ai_addrlen = sizeof b->sin;
  b->ai.ai_addr = (struct sockaddr*)&b->sin;
  return &b->ai;
}

void freeaddrinfo(struct addrinfo* res) {
  while (res != NULL) {
    struct addrinfo* next = res->ai_next;
    free(res->ai_canonname);
    free(res); /* the ai_block starts with its addrinfo */
    res = next;
  }
}

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** res) {
  int flags = hints ? hints->ai_flags : 0;
  int family = hints ? hints->ai_family : AF_UNSPEC;
  int socktype = hints ? hints->ai_socktype : 0;
  if (flags & ~(AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV | AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL))
    return EAI_BADFLAGS;
  if (node == NULL && service == NULL) return EAI_NONAME;
  if (family != AF_UNSPEC && family != AF_INET) return EAI_FAMILY;
  if (socktype != 0 && socktype != SOCK_STREAM) return EAI_SOCKTYPE; /* TCP only */
  if (hints && hints->ai_protocol != 0 && hints->ai_protocol != IPPROTO_TCP) return EAI_SOCKTYPE;

  uint16_t port = 0;
  if (service != NULL && capos_sock_parse_service(service, &port) != 0) return EAI_SERVICE; /* no service names */

  uint32_t addrs[8];
  uint32_t n = 0;
  if (node == NULL) {
    addrs[n++] = (flags & AI_PASSIVE) ? INADDR_ANY : INADDR_LOOPBACK;
  } else if (capos_sock_parse_ip4(node, &addrs[0]) == 0) {
    n = 1;
  } else if (flags & AI_NUMERICHOST) {
    return EAI_NONAME;
  } else {
    int err = capos_sock_resolve(node, addrs, 8, &n);
    if (err == ENOENT || err == EINVAL) return EAI_NONAME;
    if (err == EAGAIN) return EAI_AGAIN;
    if (err != 0) { /* EACCES: no `dns` grant, so no name can be looked up */
      errno = err;
      return EAI_SYSTEM;
    }
  }

  struct addrinfo* head = NULL;
  struct addrinfo** tail = &head;
  for (uint32_t i = 0; i < n; ++i) {
    struct addrinfo* e = new_entry(addrs[i], port, SOCK_STREAM);
    if (e == NULL) {
      freeaddrinfo(head);
      return EAI_MEMORY;
    }
    *tail = e;
    tail = &e->ai_next;
  }
  if ((flags & AI_CANONNAME) && node != NULL) {
    head->ai_canonname = strdup(node);
    if (head->ai_canonname == NULL) {
      freeaddrinfo(head);
      return EAI_MEMORY;
    }
  }
  *res = head;
  return 0;
}

const char* gai_strerror(int code) {
  switch (code) {
    case 0: return "Success";
    case EAI_BADFLAGS: return "Invalid flags";
    case EAI_NONAME: return "Name does not resolve";
    case EAI_AGAIN: return "Temporary failure in name resolution";
    case EAI_FAIL: return "Non-recoverable failure in name resolution";
    case EAI_FAMILY: return "Address family not supported";
    case EAI_SOCKTYPE: return "Socket type not supported";
    case EAI_SERVICE: return "Service not supported (a port number is needed)";
    case EAI_MEMORY: return "Out of memory";
    case EAI_SYSTEM: return "System error (see errno)";
    case EAI_OVERFLOW: return "Buffer overflow";
    default: return "Unknown error";
  }
}
