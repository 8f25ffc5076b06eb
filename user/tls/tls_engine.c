/* tlsd's BearSSL side: trust store, server identity and a fixed pool of
   sessions driven through br_sslio over caller-supplied transport
   callbacks. TLS 1.2 only (BearSSL 0.6 has no 1.3), ECDHE key exchange
   with AEAD suites only. Single-threaded: tlsd serves one call at a time.
   docs/tls.md. */
#include "user/tls/tls_engine.h"

#include <bearssl.h>
#include <string.h>

/* ---- Trust store: CA anchors decoded from DER certificates. */

#define DN_MAX 512
struct anchor_store {
  unsigned char dn[DN_MAX];
  size_t dn_len;
  int dn_overflow;
  unsigned char key[BR_X509_BUFSIZE_KEY];
};
static struct anchor_store g_anchor_store[CAPOS_TLS_MAX_ANCHORS];
static br_x509_trust_anchor g_anchors[CAPOS_TLS_MAX_ANCHORS];
static size_t g_n_anchors;

static void append_dn(void* ctx, const void* buf, size_t len) {
  struct anchor_store* a = ctx;
  if (len > DN_MAX - a->dn_len) {
    a->dn_overflow = 1;
    return;
  }
  memcpy(a->dn + a->dn_len, buf, len);
  a->dn_len += len;
}

int capos_tls_trust_add(const unsigned char* der, size_t len) {
  if (g_n_anchors == CAPOS_TLS_MAX_ANCHORS) return CAPOS_TLS_ERR_NO_ROOM;
  struct anchor_store* a = &g_anchor_store[g_n_anchors];
  memset(a, 0, sizeof *a);
  br_x509_decoder_context dc;
  br_x509_decoder_init(&dc, append_dn, a);
  br_x509_decoder_push(&dc, der, len);
  const br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
  if (!pk) return br_x509_decoder_last_error(&dc);
  if (a->dn_overflow) return BR_ERR_X509_LIMIT_EXCEEDED;
  br_x509_trust_anchor* ta = &g_anchors[g_n_anchors];
  ta->dn.data = a->dn;
  ta->dn.len = a->dn_len;
  ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
  ta->pkey.key_type = pk->key_type;
  if (pk->key_type == BR_KEYTYPE_EC) {
    if (pk->key.ec.qlen > sizeof a->key) return BR_ERR_X509_LIMIT_EXCEEDED;
    memcpy(a->key, pk->key.ec.q, pk->key.ec.qlen);
    ta->pkey.key.ec.curve = pk->key.ec.curve;
    ta->pkey.key.ec.q = a->key;
    ta->pkey.key.ec.qlen = pk->key.ec.qlen;
  } else if (pk->key_type == BR_KEYTYPE_RSA) {
    if (pk->key.rsa.nlen + pk->key.rsa.elen > sizeof a->key) return BR_ERR_X509_LIMIT_EXCEEDED;
    memcpy(a->key, pk->key.rsa.n, pk->key.rsa.nlen);
    memcpy(a->key + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
    ta->pkey.key.rsa.n = a->key;
    ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
    ta->pkey.key.rsa.e = a->key + pk->key.rsa.nlen;
    ta->pkey.key.rsa.elen = pk->key.rsa.elen;
  } else {
    return BR_ERR_X509_UNSUPPORTED;
  }
  ++g_n_anchors;
  return 0;
}

size_t capos_tls_trust_count(void) { return g_n_anchors; }

/* ---- Server identity. */

#define CHAIN_MAX 4
static br_x509_certificate g_chain[CHAIN_MAX];
static size_t g_chain_len;
static unsigned g_issuer_key_type;
static br_skey_decoder_context g_skey;
static int g_have_key;

int capos_tls_identity_add_cert(const unsigned char* der, size_t len) {
  if (g_chain_len == CHAIN_MAX) return CAPOS_TLS_ERR_NO_ROOM;
  br_x509_decoder_context dc;
  br_x509_decoder_init(&dc, 0, 0);
  br_x509_decoder_push(&dc, der, len);
  if (!br_x509_decoder_get_pkey(&dc)) return br_x509_decoder_last_error(&dc);
  if (g_chain_len == 0) g_issuer_key_type = br_x509_decoder_get_signer_key_type(&dc);
  g_chain[g_chain_len].data = (unsigned char*)der;
  g_chain[g_chain_len].data_len = len;
  ++g_chain_len;
  return 0;
}

int capos_tls_identity_set_key(const unsigned char* der, size_t len) {
  br_skey_decoder_init(&g_skey);
  br_skey_decoder_push(&g_skey, der, len);
  int err = br_skey_decoder_last_error(&g_skey);
  if (err != 0) return err;
  if (br_skey_decoder_key_type(&g_skey) != BR_KEYTYPE_EC) return BR_ERR_X509_WRONG_KEY_TYPE;
  g_have_key = 1;
  return 0;
}

int capos_tls_has_identity(void) { return g_have_key && g_chain_len > 0; }

static uint32_t g_days, g_seconds;

void capos_tls_set_time(uint64_t unix_seconds) {
  /* BearSSL counts days from January 1st, 0 AD; 1970-01-01 is day 719528. */
  g_days = (uint32_t)(unix_seconds / 86400) + 719528;
  g_seconds = (uint32_t)(unix_seconds % 86400);
}

/* ---- Sessions. */

struct session {
  int used;
  br_sslio_context io;
  union {
    struct {
      br_ssl_client_context cc;
      br_x509_minimal_context xc;
    } client;
    br_ssl_server_context server;
  } u;
  br_ssl_engine_context* eng;
  unsigned char buf[BR_SSL_BUFSIZE_BIDI];
};
static struct session g_sessions[CAPOS_TLS_MAX_SESSIONS];

/* ECDHE with AEAD only: forward secrecy, no CBC, no static RSA. */
static const uint16_t kClientSuites[] = {
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};
static const uint16_t kServerSuites[] = {
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};

static int free_slot(void) {
  for (int i = 0; i < CAPOS_TLS_MAX_SESSIONS; ++i)
    if (!g_sessions[i].used) return i;
  return -1;
}

/* The handshake runs on the first flush; a failure leaves the code in
   the engine. */
static int start(struct session* s, struct capos_tls_io io) {
  br_sslio_init(&s->io, s->eng, io.read, io.ctx, io.write, io.ctx);
  if (br_sslio_flush(&s->io) < 0) {
    int err = br_ssl_engine_last_error(s->eng);
    s->used = 0;
    return -(err ? err : BR_ERR_IO);
  }
  return 0;
}

int capos_tls_open_client(const char* server_name, const unsigned char* seed, struct capos_tls_io io) {
  int slot = free_slot();
  if (slot < 0) return -CAPOS_TLS_ERR_NO_ROOM;
  struct session* s = &g_sessions[slot];
  s->used = 1;
  br_ssl_client_init_full(&s->u.client.cc, &s->u.client.xc, g_anchors, g_n_anchors);
  br_x509_minimal_set_time(&s->u.client.xc, g_days, g_seconds);
  s->eng = &s->u.client.cc.eng;
  br_ssl_engine_set_suites(s->eng, kClientSuites, sizeof kClientSuites / sizeof kClientSuites[0]);
  br_ssl_engine_set_versions(s->eng, BR_TLS12, BR_TLS12);
  br_ssl_engine_set_buffer(s->eng, s->buf, sizeof s->buf, 1);
  /* Setting the seed before reset keeps the reset from asking the OS. */
  br_ssl_engine_inject_entropy(s->eng, seed, CAPOS_TLS_SEED_BYTES);
  if (!br_ssl_client_reset(&s->u.client.cc, server_name, 0)) {
    int err = br_ssl_engine_last_error(s->eng);
    s->used = 0;
    return -(err ? err : BR_ERR_BAD_STATE);
  }
  int r = start(s, io);
  return r < 0 ? r : slot;
}

int capos_tls_open_server(const unsigned char* seed, struct capos_tls_io io) {
  if (!capos_tls_has_identity()) return -CAPOS_TLS_ERR_NO_IDENTITY;
  int slot = free_slot();
  if (slot < 0) return -CAPOS_TLS_ERR_NO_ROOM;
  struct session* s = &g_sessions[slot];
  s->used = 1;
  br_ssl_server_init_full_ec(&s->u.server, g_chain, g_chain_len, g_issuer_key_type, br_skey_decoder_get_ec(&g_skey));
  s->eng = &s->u.server.eng;
  br_ssl_engine_set_suites(s->eng, kServerSuites, sizeof kServerSuites / sizeof kServerSuites[0]);
  br_ssl_engine_set_versions(s->eng, BR_TLS12, BR_TLS12);
  br_ssl_engine_set_buffer(s->eng, s->buf, sizeof s->buf, 1);
  br_ssl_engine_inject_entropy(s->eng, seed, CAPOS_TLS_SEED_BYTES);
  if (!br_ssl_server_reset(&s->u.server)) {
    int err = br_ssl_engine_last_error(s->eng);
    s->used = 0;
    return -(err ? err : BR_ERR_BAD_STATE);
  }
  int r = start(s, io);
  return r < 0 ? r : slot;
}

static struct session* get(int slot) {
  if (slot < 0 || slot >= CAPOS_TLS_MAX_SESSIONS || !g_sessions[slot].used) return 0;
  return &g_sessions[slot];
}

long capos_tls_read(int slot, unsigned char* buf, size_t len) {
  struct session* s = get(slot);
  if (!s) return -BR_ERR_BAD_STATE;
  int n = br_sslio_read(&s->io, buf, len);
  if (n > 0) return n;
  int err = br_ssl_engine_last_error(s->eng);
  /* A closed engine with no error is the peer's close_notify. */
  if (err == BR_ERR_OK && br_ssl_engine_current_state(s->eng) == BR_SSL_CLOSED) return 0;
  return -(err ? err : BR_ERR_IO);
}

int capos_tls_write(int slot, const unsigned char* buf, size_t len) {
  struct session* s = get(slot);
  if (!s) return -BR_ERR_BAD_STATE;
  if (br_sslio_write_all(&s->io, buf, len) < 0 || br_sslio_flush(&s->io) < 0) {
    int err = br_ssl_engine_last_error(s->eng);
    return -(err ? err : BR_ERR_IO);
  }
  return 0;
}

void capos_tls_close(int slot) {
  struct session* s = get(slot);
  if (!s) return;
  /* close_notify out; a peer that already closed makes this fail, which
     changes nothing here. */
  if (br_ssl_engine_current_state(s->eng) != BR_SSL_CLOSED) {
    br_ssl_engine_close(s->eng);
    (void)br_sslio_flush(&s->io);
  }
  memset(s, 0, sizeof *s);
}

void capos_tls_info(int slot, uint16_t* version, uint16_t* suite, const char** server_name) {
  struct session* s = get(slot);
  *version = 0;
  *suite = 0;
  *server_name = "";
  if (!s) return;
  br_ssl_session_parameters p;
  br_ssl_engine_get_session_parameters(s->eng, &p);
  *version = p.version;
  *suite = p.cipher_suite;
  *server_name = br_ssl_engine_get_server_name(s->eng);
}

const char* capos_tls_error_name(int err) {
  if (err < 0) err = -err;
  if (err & BR_ERR_RECV_FATAL_ALERT) return "the peer sent a fatal alert";
  if (err & BR_ERR_SEND_FATAL_ALERT) err &= ~BR_ERR_SEND_FATAL_ALERT;
  switch (err) {
    case CAPOS_TLS_ERR_NO_ROOM: return "no free TLS session";
    case CAPOS_TLS_ERR_NO_IDENTITY: return "tlsd has no certificate and key";
    case BR_ERR_IO: return "the connection closed or failed";
    case BR_ERR_BAD_VERSION:
    case BR_ERR_UNSUPPORTED_VERSION: return "unsupported protocol version";
    case BR_ERR_BAD_CIPHER_SUITE: return "no common cipher suite";
    case BR_ERR_BAD_MAC: return "record authentication failed";
    case BR_ERR_BAD_SIGNATURE: return "bad handshake signature";
    case BR_ERR_BAD_FINISHED: return "bad Finished message";
    case BR_ERR_X509_NOT_TRUSTED: return "certificate not trusted";
    case BR_ERR_X509_BAD_SERVER_NAME: return "certificate name mismatch";
    case BR_ERR_X509_EXPIRED: return "certificate expired or not yet valid";
    case BR_ERR_X509_BAD_SIGNATURE: return "certificate signature invalid";
    case BR_ERR_X509_NOT_CA: return "issuer is not a CA";
    case BR_ERR_X509_EMPTY_CHAIN: return "empty certificate chain";
    case BR_ERR_X509_WRONG_KEY_TYPE: return "wrong key type";
    default: break;
  }
  if (err >= BR_ERR_X509_OK && err < 64) return "certificate rejected";
  return "TLS handshake or record failure";
}
