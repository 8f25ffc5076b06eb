/* <netinet/tcp.h> for capOS: TCP_NODELAY is accepted by setsockopt and
   changes nothing (netd sends as soon as it can; docs/posix.md). */
#ifndef _NETINET_TCP_H
#define _NETINET_TCP_H

#define TCP_NODELAY 1

#endif
