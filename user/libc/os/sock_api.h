/* The boundary between the socket calls in C (os/socket.c, which sees
   newlib's and our <sys/socket.h>) and os/sockets.cpp, which holds the
   fd table and calls netd's capabilities: plain C types only. Every
   function returns 0 or a capos_errno value; socket addresses pass as the
   caller's struct sockaddr bytes. docs/posix.md. */
#ifndef CAPOS_LIBC_SOCK_API_H
#define CAPOS_LIBC_SOCK_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A fresh TCP socket fd (no capability yet). */
int capos_sock_open(int* out);
/* EBADF for a closed fd, ENOTSOCK for one that is not a socket. */
int capos_sock_check(int fd);
int capos_sock_bind(int fd, const void* sa, uint32_t len);
int capos_sock_listen(int fd, int backlog);
int capos_sock_connect(int fd, const void* sa, uint32_t len);
/* `sa`/`len` may be null; else the peer's address is stored (truncated). */
int capos_sock_accept(int fd, int* out, void* sa, uint32_t* len);
/* how: 0 reads, 1 writes, 2 both. */
int capos_sock_shutdown(int fd, int how);
/* peer 0: the local address, 1: the peer's. */
int capos_sock_name(int fd, int peer, void* sa, uint32_t* len);
/* A name through the `dns` Resolver grant: up to `max` IPv4 addresses
   (host order). ENOENT: no such name; EAGAIN: no answer; EACCES: no
   `dns` grant; EINVAL: a malformed name. */
int capos_sock_resolve(const char* name, uint32_t* addrs, uint32_t max, uint32_t* n);
/* A service string: decimal digits for 0 to 65535 (os/sock_state.h). */
int capos_sock_parse_service(const char* text, uint16_t* port);
/* A strict dotted quad (lib/net's parser): 0 and *addr, or EINVAL. */
int capos_sock_parse_ip4(const char* text, uint32_t* addr);

#ifdef __cplusplus
}
#endif

#endif
