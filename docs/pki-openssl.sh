#!/usr/bin/env bash
# The openssl equivalent of
#
#   kronos pki init --dir "$dir"
#   kronos pki issue server --name server --dir "$dir"
#   kronos pki issue client --name alice --uri spiffe://kronos/ns/team-a/ci --email alice@example.com --dir "$dir"
#
# Usage: pki-openssl.sh [DIR] (default ./kronos-pki). Needs OpenSSL 1.1.1 or later.
set -euo pipefail
dir=${1:-./kronos-pki}
mkdir -p "$dir" && chmod 700 "$dir" && cd "$dir"
umask 077 # keys readable by their owner only

# The CA: a P-256 key (PKCS#8 PEM) and a self-signed certificate for 10 years
# that may sign leaf certificates only (pathlen:0).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
cat > ca.ext <<'EXT'
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EXT
openssl req -new -key ca.key -subj "/CN=Kronos local CA" -out ca.csr
openssl x509 -req -in ca.csr -signkey ca.key -extfile ca.ext -days 3650 -sha256 \
  -set_serial "0x$(openssl rand -hex 16)" -out ca.crt

# issue NAME EXTFILE: a P-256 key and a certificate for one year, signed by
# the CA, with the extensions in EXTFILE.
issue() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -extfile "$2" -days 365 -sha256 \
    -set_serial "0x$(openssl rand -hex 16)" -out "$1.crt"
  rm "$1.csr"
}

# The server's certificate: serverAuth, for localhost, 127.0.0.1 and ::1.
cat > server.ext <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
authorityKeyIdentifier = keyid
EXT
issue server server.ext

# A client certificate: clientAuth, for the principal alice, with a URI SAN
# and an email SAN the server can match too.
cat > alice.ext <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:spiffe://kronos/ns/team-a/ci, email:alice@example.com
authorityKeyIdentifier = keyid
EXT
issue alice alice.ext

rm ca.csr ca.ext server.ext alice.ext
chmod 644 ca.crt server.crt alice.crt
