#!/usr/bin/env bash
# Makes a throwaway CA and an ECDSA P-256 server certificate for 127.0.0.1 / localhost,
# plus a second, unrelated CA (to test "wrong CA" failures) and an APNs-style P-256 signing key.
# Usage: scripts/gen-test-certs.sh [OUT_DIR]   (default: .certs at the repo root)
# Idempotent: does nothing when the files already exist.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/.certs}"
mkdir -p "$out"
cd "$out"
if [ -f server.pem ] && [ -f server.key ] && [ -f ca.pem ] && [ -f other-ca.pem ] && [ -f apns-key.p8 ]; then
  exit 0
fi
make_ca() { # name subject
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
  openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "$2" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
make_ca ca "/CN=PushEngine Test CA"
make_ca other-ca "/CN=Unrelated Test CA"
openssl ecparam -name prime256v1 -genkey -noout -out server.ec.key 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in server.ec.key -out server.key
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
cat > server.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
  -extfile server.ext -out server.pem 2>/dev/null
# A client certificate for certificate-based APNs auth tests.
openssl ecparam -name prime256v1 -genkey -noout -out client.ec.key 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in client.ec.key -out client.key
openssl req -new -key client.key -subj "/CN=com.example.app" -out client.csr
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
  -extfile client.ext -out client.pem 2>/dev/null
# An APNs provider-token key (.p8 is PKCS#8 PEM) and its public key.
openssl ecparam -name prime256v1 -genkey -noout -out apns.ec.key 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in apns.ec.key -out apns-key.p8
openssl ec -in apns-key.p8 -pubout -out apns-key.pub.pem 2>/dev/null
rm -f ./*.csr ./*.ext ./*.srl server.ec.key client.ec.key apns.ec.key
echo "gen-test-certs: wrote $out"
