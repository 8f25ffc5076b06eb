/* tlsd's BearSSL side (tls_engine.c), kept in C so BearSSL's headers
   (which need <string.h>) meet newlib's and never the C++ runtime's. A
   fixed pool of sessions; each runs over the caller's transport callbacks
   (a TcpSocket in tlsd). Errors are BearSSL codes (BR_ERR_*), named by
   capos_tls_error_name. docs/tls.md. */
#ifndef CAPOS_USER_TLS_TLS_ENGINE_H
#define CAPOS_USER_TLS_TLS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAPOS_TLS_MAX_SESSIONS 4
#define CAPOS_TLS_MAX_ANCHORS 8
#define CAPOS_TLS_SEED_BYTES 32
/* Not a BearSSL code: the pool, the trust store or the identity is full
   or missing. */
#define CAPOS_TLS_ERR_NO_ROOM 1000
#define CAPOS_TLS_ERR_NO_IDENTITY 1001

/* Transport: read at least 1 and at most `len` bytes, or write at least 1
   and at most `len`; return the count or -1 (error or end of stream). */
struct capos_tls_io {
  void* ctx;
  int (*read)(void* ctx, unsigned char* buf, size_t len);
  int (*write)(void* ctx, const unsigned char* buf, size_t len);
};

/* Trust store: one DER certificate per call (its subject and key become
   a CA trust anchor; the bytes are copied). 0 or a BR_ERR_X509_* code. */
int capos_tls_trust_add(const unsigned char* der, size_t len);
size_t capos_tls_trust_count(void);

/* Server identity: the certificate chain (DER certificates, leaf first;
   the bytes must stay valid) and the leaf's EC private key (DER, SEC1 or
   PKCS#8). 0 or an error code. */
int capos_tls_identity_add_cert(const unsigned char* der, size_t len);
int capos_tls_identity_set_key(const unsigned char* der, size_t len);
int capos_tls_has_identity(void);

/* Validation time for certificate dates: seconds since 1970 (UTC). */
void capos_tls_set_time(uint64_t unix_seconds);

/* Opens a session in a free slot and runs the handshake over `io`
   (client: SNI `server_name`, the chain checked against the trust
   store and the name). `seed` (CAPOS_TLS_SEED_BYTES) seeds BearSSL's
   DRBG. Returns the slot (>= 0) or -error. */
int capos_tls_open_client(const char* server_name, const unsigned char* seed, struct capos_tls_io io);
int capos_tls_open_server(const unsigned char* seed, struct capos_tls_io io);

/* Application data. read: bytes (> 0), 0 at a clean end (close_notify),
   or -error. write: sends all of `buf` and flushes; 0 or -error. */
long capos_tls_read(int slot, unsigned char* buf, size_t len);
int capos_tls_write(int slot, const unsigned char* buf, size_t len);
/* Sends close_notify (best effort) and frees the slot. */
void capos_tls_close(int slot);

/* Negotiated version, suite and SNI name (NUL-terminated, <= 255 bytes). */
void capos_tls_info(int slot, uint16_t* version, uint16_t* suite, const char** server_name);

const char* capos_tls_error_name(int err);

#ifdef __cplusplus
}
#endif

#endif
