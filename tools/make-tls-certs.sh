#!/usr/bin/env bash
# Makes the TLS material the test boot packages and the QEMU TLS test use
# (docs/tls.md): a throwaway CA, a certificate for capOS's TLS server
# ("capos.test") and one for the host's test server ("host.test"), all
# EC P-256. Generated into the build tree at configure time, never
# committed. Outputs in <dir>:
#   tls.trust  the CA certificate (DER): tlsd's trust store
#   tls.chain  capOS's server certificate (DER)
#   tls.key    its private key (DER, SEC1)
#   ca.pem, host.pem, host.key.pem  for the host side of the test
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cd "$dir"
ossl() { openssl "$@" 2>/dev/null; }
ossl ecparam -name prime256v1 -genkey -noout -out ca.key.pem
ossl req -x509 -new -key ca.key.pem -sha256 -days 3650 -subj "/CN=capOS test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
for who in capos host; do
  ossl ecparam -name prime256v1 -genkey -noout -out "$who.key.pem"
  ossl req -new -key "$who.key.pem" -subj "/CN=$who.test" -out "$who.csr"
  printf 'subjectAltName=DNS:%s.test\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' \
    "$who" > "$who.ext"
  ossl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key.pem -CAcreateserial -days 3650 -sha256 \
    -extfile "$who.ext" -out "$who.pem"
done
openssl x509 -in ca.pem -outform DER -out tls.trust
openssl x509 -in capos.pem -outform DER -out tls.chain
openssl ec -in capos.key.pem -outform DER -out tls.key 2>/dev/null
rm -f ./*.csr ./*.ext ca.srl
