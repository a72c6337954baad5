// C wrappers for the OpenSSL and nghttp2 macros Swift cannot import.
// Every symbol is prefixed CPushShims_. Only HTTP2Transport imports this module.
#ifndef CPUSHSHIMS_H
#define CPUSHSHIMS_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <nghttp2/nghttp2.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>
#include <stdint.h>

static inline long CPushShims_SSL_CTX_set_min_proto_version_tls12(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

static inline long CPushShims_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline long CPushShims_SSL_MODE_partial_writes(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
}

static inline uint64_t CPushShims_SSL_CTX_set_default_options(SSL_CTX *ctx) {
    return SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                                    | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

static inline long CPushShims_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

static inline size_t CPushShims_BIO_ctrl_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}

static inline long CPushShims_BIO_set_mem_eof_return(BIO *bio, int v) {
    return BIO_set_mem_eof_return(bio, v);
}

static inline void CPushShims_OPENSSL_free(void *p) {
    OPENSSL_free(p);
}

static inline int32_t CPushShims_NGHTTP2_INITIAL_WINDOW_SIZE(void) {
    return NGHTTP2_INITIAL_WINDOW_SIZE;
}

static inline int32_t CPushShims_NGHTTP2_VERSION_NUM(void) {
    return NGHTTP2_VERSION_NUM;
}

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (glibc declares it only under _GNU_SOURCE).
int CPushShims_accept_nonblocking(int listener);

/// A non-blocking, close-on-exec eventfd.
static inline int CPushShims_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/// epoll_event is packed on x86_64; build and read it in C.
static inline int CPushShims_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

/// Waits and copies the events into two parallel arrays Swift can read without packing issues.
static inline int CPushShims_epoll_wait(int epfd, uint32_t *events, uint64_t *datas, int max, int timeout) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout);
    for (int i = 0; i < n; i++) {
        events[i] = evs[i].events;
        datas[i] = evs[i].data.u64;
    }
    return n;
}

#endif

#ifndef CPUSHSHIMS_FUNCS
#define CPUSHSHIMS_FUNCS
/// Installs a server ALPN callback selecting "h2" when offered (no ALPN otherwise).
void CPushShims_SSL_CTX_select_h2_alpn(SSL_CTX *ctx);
/// Sets the name the peer certificate must match (IP address or DNS name; SNI for DNS names).
int CPushShims_SSL_set_peer_host(SSL *ssl, const char *host);
/// 1 when ALPN selected "h2".
int CPushShims_SSL_get_alpn_is_h2(const SSL *ssl);

/// Writes a self-signed X.509 v3 certificate for `key` to `out` as PEM: subject and issuer
/// CN=`common_name`, subjectAltName `subject_alt_names` (OpenSSL syntax, "IP:127.0.0.1,DNS:localhost"),
/// valid from one hour ago for `days` days, signed with SHA-256. Returns 1 on success, 0 on failure
/// (OpenSSL's error queue says why).
int CPushShims_write_self_signed_certificate(EVP_PKEY *key, const char *common_name,
                                             const char *subject_alt_names, int days, BIO *out);
#endif
