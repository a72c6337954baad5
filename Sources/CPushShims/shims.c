// Non-inline wrappers: callbacks OpenSSL calls, and calls whose types Swift imports awkwardly.
#define _GNU_SOURCE
#include <sys/socket.h>
#include "CPushShims.h"
#include <arpa/inet.h>
#include <string.h>

// ALPN selection for the server: "h2" when the client offers it; when the client offers no
// "h2" (or no ALPN at all) the handshake goes on without ALPN and the server still speaks
// HTTP/2, as Apple's gateway does for clients that offer no ALPN.
static int cpushshims_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                  const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    unsigned int i = 0;
    while (i < inlen) {
        unsigned int len = in[i];
        if (i + 1 + len > inlen) break;
        if (len == 2 && in[i + 1] == 'h' && in[i + 2] == '2') {
            *out = in + i + 1;
            *outlen = 2;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

void CPushShims_SSL_CTX_select_h2_alpn(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, cpushshims_alpn_select, NULL);
}

int CPushShims_SSL_set_peer_host(SSL *ssl, const char *host) {
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    }
    if (!SSL_set_tlsext_host_name(ssl, host)) return 0;
    return SSL_set1_host(ssl, host);
}

int CPushShims_SSL_get_alpn_is_h2(const SSL *ssl) {
    const unsigned char *p = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &p, &len);
    return (p != NULL && len == 2 && memcmp(p, "h2", 2) == 0) ? 1 : 0;
}

int CPushShims_accept_nonblocking(int listener) {
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
