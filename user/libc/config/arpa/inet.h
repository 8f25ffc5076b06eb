/* <arpa/inet.h> for capOS: IPv4 text conversions (os/socket.c). */
#ifndef _ARPA_INET_H
#define _ARPA_INET_H

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

/* AF_INET only (AF_INET6: EAFNOSUPPORT). The text is a strict dotted quad. */
int inet_pton(int af, const char* src, void* dst);
const char* inet_ntop(int af, const void* src, char* dst, socklen_t size);
int inet_aton(const char* src, struct in_addr* dst);
in_addr_t inet_addr(const char* src);
char* inet_ntoa(struct in_addr in);

#ifdef __cplusplus
}
#endif

#endif
