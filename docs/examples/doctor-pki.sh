#!/bin/sh
# Builds, with openssl, the example PKI the user guide's doctor chapter runs on, into DIR
# (created if needed). The CLI tests run this script and then every command of that
# chapter, and check the output printed there. Dates are fixed, so the examples check at
# --at 2026-11-02T10:00:00Z, the day of the sample logs.
#
#   ca-bundle.pem        the trust store's bundle: Example Root CA and Example Issuing CA
#   laptop.pem           a client (serial 4F1A0C2E9B7D3355) with its intermediate; laptop.key
#   legacy.pem           a client with the negative serial -05, as some old CAs wrote them
#   build-agent.pem      a client nothing revokes; build-agent.key
#   build-agent-renewal.key, build-agent-renewal.csr
#                        a new key and its request for the build agent, not yet issued
#   crl.pem              the issuing CA's CRL: revokes 4F1A0C2E9B7D3355 and -05
#   stale-crl.pem        the same CRL, past its next update (2026-10-01)
#   fleet-crl.pem        the issuing CA's CRL of a retired fleet: 499,999 entries, which
#                        with crl.pem's two cross the trust store's 500,000-entry quota
#   crl.der              crl.pem in DER, as AWS Private CA publishes CRLs
#   bad-bundle.pem       a bundle ALB refuses: a comment with a dash, a blank line,
#                        openssl -text output, a leaf, a 1024-bit RSA CA, a duplicate
#   deep.pem             a client sending five certificates
#   request.txt          a captured request with the passthrough header (leaf first)
#   reversed-request.txt the same header with the chain reversed
set -eu
dir=${1:?usage: doctor-pki.sh DIR}
mkdir -p "$dir"
cd "$dir"

cat > req.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
CNF
cat > ca.cnf <<'CNF'
[ca]
default_ca = example
[example]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
organizationName = optional
countryName = optional
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[issuing]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[leaf_as_ca]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
CNF
rm -rf db && mkdir db && : > db/index.txt

# issue NAME SUBJECT SERIAL SIGNER EXTENSIONS START END [KEYSPEC]: NAME.key, NAME.pem.
# openssl ca takes no negative serial: such a certificate is made self-signed first, then
# signed again by SIGNER with `x509 -set_serial`, keeping its dates.
issue() {
    name=$1 subject=$2 serial=$3 signer=$4 extensions=$5 start=$6 end=$7 keyspec=${8:-ec}
    if [ "$keyspec" = ec ]; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" 2>/dev/null
    else
        openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$keyspec" -out "$name.key" 2>/dev/null
    fi
    openssl req -new -config req.cnf -key "$name.key" -subj "$subject" -out "$name.csr"
    case $serial in
        -*) echo 7F > db/serial ;;
        *) echo "$serial" > db/serial ;;
    esac
    if [ "$signer" = self ] || [ "${serial#-}" != "$serial" ]; then
        set -- -selfsign -keyfile "$name.key"
    else
        set -- -cert "$signer.pem" -keyfile "$signer.key"
    fi
    openssl ca -batch -notext -preserveDN -config ca.cnf "$@" -in "$name.csr" -out "$name.pem" \
        -extensions "$extensions" -startdate "$start" -enddate "$end" 2>/dev/null
    if [ "${serial#-}" != "$serial" ]; then
        openssl x509 -in "$name.pem" -CA "$signer.pem" -CAkey "$signer.key" -set_serial "$serial" -preserve_dates \
            -extfile ca.cnf -extensions "$extensions" -out "$name.pem" 2>/dev/null
    fi
    rm "$name.csr"
}

from=20260101000000Z
issue root "/O=Example Co/CN=Example Root CA" 01 self root $from 20360101000000Z
issue issuing "/O=Example Co/CN=Example Issuing CA" 02 root issuing $from 20340101000000Z
issue laptop-leaf "/O=Company LLC/CN=laptop-0117.corp.example.com" 4F1A0C2E9B7D3355 issuing client $from 20280101000000Z
issue legacy-leaf "/O=Company LLC/CN=legacy-scanner.corp.example.com" -05 issuing client $from 20280101000000Z
issue build-agent-leaf "/O=Company LLC/CN=build-agent-07.corp.example.com" 1001 issuing client $from 20280101000000Z
issue int1 "/O=Example Co/CN=Example Policy CA" 11 issuing issuing $from 20340101000000Z
issue int2 "/O=Example Co/CN=Example Region CA" 12 int1 issuing $from 20340101000000Z
issue deep-leaf "/O=Company LLC/CN=edge-device-42.example.com" 13 int2 client $from 20280101000000Z
issue weak "/O=Legacy Co/CN=Legacy RSA1024 CA" 21 self root $from 20360101000000Z 1024
issue stray "/O=Company LLC/CN=client.alb-mtls-example.com" 22 issuing leaf_as_ca $from 20280101000000Z

cat root.pem issuing.pem > ca-bundle.pem
cat laptop-leaf.pem issuing.pem > laptop.pem
cp laptop-leaf.key laptop.key
cp build-agent-leaf.key build-agent.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out build-agent-renewal.key 2>/dev/null
openssl req -new -config req.cnf -key build-agent-renewal.key -subj "/O=Company LLC/CN=build-agent-07.corp.example.com" \
    -out build-agent-renewal.csr
cat legacy-leaf.pem issuing.pem > legacy.pem
cat build-agent-leaf.pem issuing.pem > build-agent.pem
cat deep-leaf.pem int2.pem int1.pem issuing.pem root.pem > deep.pem

# The issuing CA's CRLs: current, and stale. openssl ca takes its revoked entries from
# the database; the serials of this chapter are marked revoked there.
: > db/index.txt
printf 'R\t280101000000Z\t261020120000Z,keyCompromise\t4F1A0C2E9B7D3355\tunknown\t/CN=laptop-0117.corp.example.com\n' >> db/index.txt
printf 'R\t280101000000Z\t261020120000Z,keyCompromise\t-05\tunknown\t/CN=legacy-scanner.corp.example.com\n' >> db/index.txt
echo 07 > db/crlnumber
crl() {
    openssl ca -gencrl -config ca.cnf -cert issuing.pem -keyfile issuing.key -crlexts crl_ext \
        -crl_lastupdate "$2" -crl_nextupdate "$3" -out "$1" 2>/dev/null
}
sed -i 's|^serial = db/serial$|serial = db/serial\ncrlnumber = db/crlnumber|' ca.cnf
printf '[crl_ext]\nauthorityKeyIdentifier = keyid\n' >> ca.cnf
crl crl.pem 20261101000000Z 20261201000000Z
crl stale-crl.pem 20260901000000Z 20261001000000Z
openssl crl -in crl.pem -outform DER -out crl.der
awk 'BEGIN { for (i = 0; i < 499999; i++) printf "R\t280101000000Z\t261015000000Z\t%06X\tunknown\t/CN=fleet-%06X\n", 1048576 + i, i }' > db/index.txt
crl fleet-crl.pem 20261101000000Z 20261201000000Z

# A bundle as people paste it together.
{
    echo "# Example Co - production CAs"
    cat root.pem
    echo
    openssl x509 -in issuing.pem -noout -text | head -3
    cat issuing.pem stray.pem weak.pem root.pem
} > bad-bundle.pem

# A captured request: ALB URL-encodes the PEM chain, leaving + = / as they are.
encode() { cat "$@" | sed -e 's/ /%20/g' | awk '{ printf "%s%%0A", $0 }'; }
printf 'GET /orders HTTP/1.1\r\nHost: api.example.com\r\nX-Amzn-Mtls-Clientcert: %s\r\n\r\n' "$(encode laptop-leaf.pem issuing.pem)" > request.txt
printf 'GET /orders HTTP/1.1\r\nHost: api.example.com\r\nX-Amzn-Mtls-Clientcert: %s\r\n\r\n' "$(encode issuing.pem laptop-leaf.pem)" > reversed-request.txt
rm -rf db ca.cnf req.cnf ./*-leaf.key root.key issuing.key int1.key int2.key stray.key weak.key
