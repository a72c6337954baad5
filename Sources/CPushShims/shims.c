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

static int add_extension(X509 *cert, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

int CPushShims_write_self_signed_certificate(EVP_PKEY *key, const char *common_name,
                                             const char *subject_alt_names, int days, BIO *out) {
    int ok = 0;
    X509 *cert = X509_new();
    BIGNUM *serial = BN_new();
    if (cert == NULL || serial == NULL) goto done;
    if (!X509_set_version(cert, 2)) goto done;
    if (!BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) goto done;
    if (BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL) goto done;
    if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL) goto done;
    if (X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) == NULL) goto done;
    X509_NAME *name = X509_get_subject_name(cert);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0)) goto done;
    if (!X509_set_issuer_name(cert, name)) goto done;
    if (!X509_set_pubkey(cert, key)) goto done;
    if (!add_extension(cert, NID_basic_constraints, "critical,CA:TRUE")) goto done;
    if (!add_extension(cert, NID_key_usage, "critical,digitalSignature,keyCertSign")) goto done;
    if (!add_extension(cert, NID_ext_key_usage, "serverAuth")) goto done;
    if (!add_extension(cert, NID_subject_key_identifier, "hash")) goto done;
    if (!add_extension(cert, NID_subject_alt_name, subject_alt_names)) goto done;
    if (!X509_sign(cert, key, EVP_sha256())) goto done;
    ok = PEM_write_bio_X509(out, cert);
done:
    BN_free(serial);
    X509_free(cert);
    return ok;
}
