//! The remediation catalogue: for every `tls_verify_status` ALB writes, what it means,
//! why it happens and how to fix it. One text feeds `albmtls explain` and the reports.
//!
//! Conventions used in the text:
//! - Log fields are named as in the connection log: `leaf_client_cert_subject` (field 8),
//!   `leaf_client_cert_validity` (9), `leaf_client_cert_serial_number` (10).
//! - Commands use shell variables for the things only the operator knows
//!   (`$TRUST_STORE_ARN`, `$LISTENER_ARN`, `$LB_ARN`, `$CA_ARN`, `$CA_ID`) or looks up
//!   with an earlier command of the same entry (`$REVOCATION_ID` from
//!   `describe-trust-store-revocations`, never assumed to be `1`; `$BUNDLE_VERSION` and
//!   `$CRL_VERSION`, which the upload commands set to the S3 object version
//!   `s3api put-object` returns, empty for an unversioned bucket), and fixed file
//!   names for the rest (`client.pem`, `client.key`, `intermediates.pem`, `bundle.pem`,
//!   `crl.pem`, `logs/`), so that every command can be pasted into a shell as is. No
//!   `<placeholder>` forms: a shell would read them as redirections.
//! - Imports into a trust store name the S3 object version when the bucket is versioned
//!   (ALB's API takes one: `--ca-certificates-bundle-s3-object-version`,
//!   `S3ObjectVersion`), so that a later upload to the same key cannot change what was
//!   checked; for an unversioned bucket they leave it out rather than pass `None`.
//! - Statements AWS documents are stated plainly; our own inferences say "likely",
//!   "possibly" or "not documented".

use crate::status::FailureCode;

/// One command an operator can run, and why.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Command {
    pub purpose: &'static str,
    pub command: &'static str,
}

/// What a status means and what to do about it.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Remediation {
    /// The status as ALB logs it: `Failed:ClientCertExpired`, `Success`, `-`.
    pub status: &'static str,
    /// One line, under 80 characters, shown in report tables.
    pub summary: &'static str,
    /// What ALB is telling you, 1–3 sentences.
    pub meaning: &'static str,
    /// Likely causes, most common first.
    pub causes: &'static [&'static str],
    /// Ordered steps to fix it.
    pub steps: &'static [&'static str],
    /// Commands that check or fix it.
    pub commands: &'static [Command],
}

/// The entry for a documented failure code.
pub fn for_code(code: FailureCode) -> &'static Remediation {
    match code {
        FailureCode::ClientCertMaxChainDepthExceeded => &MAX_CHAIN_DEPTH_EXCEEDED,
        FailureCode::ClientCertMaxSizeExceeded => &MAX_SIZE_EXCEEDED,
        FailureCode::ClientCertCrlHit => &CRL_HIT,
        FailureCode::ClientCertCrlProcessingError => &CRL_PROCESSING_ERROR,
        FailureCode::ClientCertUntrusted => &UNTRUSTED,
        FailureCode::ClientCertNotYetValid => &NOT_YET_VALID,
        FailureCode::ClientCertExpired => &EXPIRED,
        FailureCode::ClientCertTypeUnsupported => &TYPE_UNSUPPORTED,
        FailureCode::ClientCertInvalid => &INVALID,
        FailureCode::ClientCertPurposeInvalid => &PURPOSE_INVALID,
        FailureCode::ClientCertRejected => &REJECTED,
        FailureCode::UnmappedConnectionError => &UNMAPPED_CONNECTION_ERROR,
        FailureCode::ClientCertIncompatible => &INCOMPATIBLE,
    }
}

/// The entry for `Success`.
/// The entry for a status exactly as the log writes it (`Success`, `-`,
/// `Failed:<code>`); undocumented codes and any other text get [`unknown_failure`].
pub fn for_status(status: &str) -> &'static Remediation {
    match status {
        "Success" => success(),
        "-" => absent(),
        _ => match status.strip_prefix("Failed:").and_then(|code| FailureCode::from_code(code.as_bytes())) {
            Some(code) => for_code(code),
            None => unknown_failure(),
        },
    }
}

pub fn success() -> &'static Remediation {
    &SUCCESS
}

/// The entry for `-` (plain HTTP / not a TLS connection).
pub fn absent() -> &'static Remediation {
    &ABSENT
}

/// The entry for a `Failed:<X>` code AWS has not documented: generic advice.
pub fn unknown_failure() -> &'static Remediation {
    &UNKNOWN_FAILURE
}

// ---------------------------------------------------------------------------------------
// Commands shared by several entries.
// ---------------------------------------------------------------------------------------

const SHOW_MTLS_SETTINGS: Command = Command {
    purpose: "Show the listener's mTLS mode, trust store and IgnoreClientCertificateExpiry",
    command: "aws elbv2 describe-listeners --listener-arns $LISTENER_ARN --query 'Listeners[].[Port,SslPolicy,MutualAuthentication]'",
};

const DOWNLOAD_BUNDLE: Command = Command {
    purpose: "Download the CA bundle the trust store really uses (the pre-signed URL is valid for ten minutes)",
    command: "curl -fsS -o bundle.pem \"$(aws elbv2 get-trust-store-ca-certificates-bundle --trust-store-arn $TRUST_STORE_ARN --query Location --output text)\"",
};

const LIST_REVOCATIONS: Command = Command {
    purpose: "List the CRLs imported into the trust store: revocation ids (REVOCATION_ID below is one of them; ids are never reused) and entry counts",
    command: "aws elbv2 describe-trust-store-revocations --trust-store-arn $TRUST_STORE_ARN --query 'TrustStoreRevocations[].[RevocationId,NumberOfRevokedEntries]' --output table",
};

const DOWNLOAD_CRL: Command = Command {
    purpose: "Download one imported CRL by the revocation id listed above (pre-signed URL, valid for ten minutes)",
    command: "curl -fsS -o crl.pem \"$(aws elbv2 get-trust-store-revocation-content --trust-store-arn $TRUST_STORE_ARN --revocation-id $REVOCATION_ID --query Location --output text)\"",
};

// The AWS CLI prints `None` for the VersionId of an object in an unversioned bucket; the
// upload commands turn that into an empty variable and the imports pass a version only
// when the variable is set, so that the pasted pair never sends "None" as a version.
// `${VAR:+...}` expands to a single word (or none), so it works alike in sh, bash and zsh.

const UPLOAD_BUNDLE: Command = Command {
    purpose: "Upload a corrected CA bundle to S3 and keep its object version in BUNDLE_VERSION (empty for an unversioned bucket, for which the CLI prints None)",
    command: "BUNDLE_VERSION=$(aws s3api put-object --bucket my-bucket --key truststore/bundle.pem --body bundle.pem --query VersionId --output text); if [ \"$BUNDLE_VERSION\" = None ]; then BUNDLE_VERSION=; fi",
};

const REPLACE_BUNDLE: Command = Command {
    purpose: "Replace the trust store's whole CA bundle with that object version (there is no per-certificate add; the version is passed only when BUNDLE_VERSION is set)",
    command: "aws elbv2 modify-trust-store --trust-store-arn $TRUST_STORE_ARN --ca-certificates-bundle-s3-bucket my-bucket --ca-certificates-bundle-s3-key truststore/bundle.pem ${BUNDLE_VERSION:+--ca-certificates-bundle-s3-object-version=$BUNDLE_VERSION}",
};

const UPLOAD_CRL: Command = Command {
    purpose: "Upload the PEM CRL to S3 and keep its object version in CRL_VERSION (empty for an unversioned bucket, for which the CLI prints None)",
    command: "CRL_VERSION=$(aws s3api put-object --bucket my-bucket --key crl/crl.pem --body crl.pem --query VersionId --output text); if [ \"$CRL_VERSION\" = None ]; then CRL_VERSION=; fi",
};

const IMPORT_CRL: Command = Command {
    purpose: "Import that CRL object version into the trust store (it gets a new revocation id; S3ObjectVersion is passed only when CRL_VERSION is set)",
    command: "aws elbv2 add-trust-store-revocations --trust-store-arn $TRUST_STORE_ARN --revocation-contents S3Bucket=my-bucket,S3Key=crl/crl.pem${CRL_VERSION:+,S3ObjectVersion=$CRL_VERSION},RevocationType=CRL",
};

const REMOVE_CRL: Command = Command {
    purpose: "Remove an outdated or broken CRL from the trust store, by the revocation id listed above",
    command: "aws elbv2 remove-trust-store-revocations --trust-store-arn $TRUST_STORE_ARN --revocation-ids $REVOCATION_ID",
};

const PRIVATE_CA_REVOKE: Command = Command {
    purpose: "Revoke a certificate AWS Private CA issued (serial as openssl prints it); the CA updates its CRL in S3 within 30 minutes",
    command: "aws acm-pca revoke-certificate --certificate-authority-arn $CA_ARN --certificate-serial 4f:1a:0c:2e:9b:7d:33:55 --revocation-reason KEY_COMPROMISE",
};

const PRIVATE_CA_CRL: Command = Command {
    purpose: "After those 30 minutes, download the private CA's CRL (DER) from its CRL bucket",
    command: "aws s3 cp s3://my-pca-crl-bucket/crl/$CA_ID.crl crl.der",
};

const CONVERT_CRL: Command = Command {
    purpose: "Convert a DER CRL (as AWS Private CA publishes it) to PEM, which ALB takes",
    command: "albmtls crl convert --to pem -o crl.pem crl.der",
};

const SHOW_CERT: Command = Command {
    purpose: "Print the certificate in full: version, serial, issuer, validity, key, extensions",
    command: "openssl x509 -in client.pem -noout -text",
};

const SHOW_DATES: Command =
    Command { purpose: "Print the certificate's NotBefore and NotAfter", command: "openssl x509 -in client.pem -noout -dates" };

const VERIFY_CHAIN: Command = Command {
    purpose: "Check locally that the chain reaches a CA in the bundle",
    command: "openssl verify -CAfile bundle.pem -untrusted intermediates.pem client.pem",
};

const COUNT_CHAIN: Command = Command {
    purpose: "Count the certificates in the chain file the client sends",
    command: "openssl crl2pkcs7 -nocrl -certfile chain.pem | openssl pkcs7 -print_certs -noout | grep -c 'subject='",
};

const S_CLIENT_WITH_CERT: Command = Command {
    purpose: "Reproduce the handshake with the client's certificate, key and intermediates",
    command: "openssl s_client -connect alb.example.com:443 -servername alb.example.com -cert client.pem -key client.key -cert_chain intermediates.pem",
};

const CURL_WITH_CERT: Command = Command {
    purpose: "Reproduce a request end to end with verbose TLS output (keep this output for AWS Support)",
    command: "curl -v --cert client.pem --key client.key https://alb.example.com/",
};

const TLS_NEGOTIATION_METRIC: Command = Command {
    purpose: "Count handshakes that failed on the load balancer, in 5-minute buckets",
    command: "aws cloudwatch get-metric-statistics --namespace AWS/ApplicationELB --metric-name ClientTLSNegotiationErrorCount --dimensions Name=LoadBalancer,Value=app/my-lb/50dc6c495c0c9188 --statistics Sum --period 300 --start-time 2024-04-05T00:00:00Z --end-time 2024-04-06T00:00:00Z",
};

// ---------------------------------------------------------------------------------------
// Documented failure codes, in documentation order.
// ---------------------------------------------------------------------------------------

static MAX_CHAIN_DEPTH_EXCEEDED: Remediation = Remediation {
    status: "Failed:ClientCertMaxChainDepthExceeded",
    summary: "Client certificate chain is deeper than ALB's limit of 4",
    meaning: "The path from the client's leaf certificate up to a CA in the trust store has more \
        levels than ALB allows. The maximum chain depth is a fixed quota of 4 and cannot be raised. \
        AWS does not say whether the leaf itself counts towards the 4.",
    causes: &[
        "The issuing PKI is deep: root, policy or regional CAs, an issuing CA and then the leaf.",
        "The client sends extra certificates (cross-signed CAs, an old and a new intermediate), \
         so the path ALB builds is longer than the one you expect.",
        "The certificate came from a different branch of your PKI than the clients that succeed, \
         one with an additional intermediate.",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem` on the certificate the client \
         really presents; it shows the chain ALB would build and its depth.",
        "Count the certificates in the client's chain file and compare with the issuer hierarchy \
         in the trust store bundle.",
        "Remove certificates the client does not need to send: the root never has to be sent \
         (it is in the trust store), nor unrelated or cross-signed CAs.",
        "If the hierarchy itself is deeper than 4, reissue the client certificate from a CA \
         closer to the root (a shallower branch of the PKI); the limit is not adjustable.",
        "Retest with `openssl s_client` and watch for the code to disappear with \
         `albmtls grep --status ClientCertMaxChainDepthExceeded logs/`.",
    ],
    commands: &[
        Command {
            purpose: "Show the chain albmtls builds for this certificate and its depth",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        COUNT_CHAIN,
        Command {
            purpose: "Show subject and issuer of every certificate in the chain, to spot extra levels",
            command: "openssl crl2pkcs7 -nocrl -certfile chain.pem | openssl pkcs7 -print_certs -noout",
        },
        DOWNLOAD_BUNDLE,
        S_CLIENT_WITH_CERT,
    ],
};

static MAX_SIZE_EXCEEDED: Remediation = Remediation {
    status: "Failed:ClientCertMaxSizeExceeded",
    summary: "Client certificate chain is larger than ALB accepts (likely 64 KB)",
    meaning: "The certificate data the client sent is bigger than ALB's maximum. AWS documents no \
        separate certificate-size quota; the limit is likely the fixed 64 KB TLS message size, which \
        the whole client Certificate message (leaf plus every intermediate) must fit in.",
    causes: &[
        "The client sends its entire certificate store or a long chain, including the root and \
         unrelated CAs.",
        "Certificates with very large extensions: long subjectAltName lists, embedded policies or \
         logotypes, large custom extensions.",
        "Several large keys (RSA 8192) along the chain add up.",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem` to see each certificate in the \
         chain and its encoded size.",
        "Measure the DER size of each certificate the client sends; the total has to stay well \
         under 64 KB.",
        "Configure the client to send only its leaf and the intermediates needed to reach a CA in \
         the trust store; leave out the root, which ALB already has.",
        "If the leaf alone is large, reissue it with fewer subjectAltName entries or smaller \
         extensions.",
        "Retest and confirm the code is gone with \
         `albmtls grep --status ClientCertMaxSizeExceeded logs/`.",
    ],
    commands: &[
        Command { purpose: "Show each certificate in the chain, with sizes", command: "albmtls cert check --bundle bundle.pem client.pem" },
        Command {
            purpose: "Size in bytes of the leaf as it goes on the wire (DER)",
            command: "openssl x509 -in client.pem -outform DER | wc -c",
        },
        Command {
            purpose: "Total DER size of the whole chain file the client sends",
            command: "openssl crl2pkcs7 -nocrl -certfile chain.pem | openssl pkcs7 -outform DER | wc -c",
        },
        COUNT_CHAIN,
    ],
};

static CRL_HIT: Remediation = Remediation {
    status: "Failed:ClientCertCrlHit",
    summary: "Client certificate's serial is revoked by a CRL in the trust store",
    meaning: "ALB found the client certificate's serial number on one of the certificate \
        revocation lists imported into the listener's trust store, so it refused the certificate. \
        The serial is in the log's leaf_client_cert_serial_number field (hex, leading zeros kept).",
    causes: &[
        "The certificate was revoked on purpose (key compromise, device or user offboarded) and the \
         client is still using it.",
        "The certificate was renewed, but the client still presents the old, revoked one.",
        "The certificate was revoked by mistake, or the CA reused a serial number.",
        "An outdated CRL that still lists the serial is imported into the trust store; the trust \
         store keeps the copy it imported (AWS documents no automatic refresh).",
    ],
    steps: &[
        "Take the serial from the log line and run `albmtls crl contains SERIAL crl.pem` against \
         the CRLs of the trust store to see which list revokes it.",
        "Confirm the client presents the certificate you think it does: compare \
         `openssl x509 -noout -serial` of that certificate with the logged serial.",
        "Check that the CRL listing the serial was issued by the same CA as the certificate \
         (compare the CRL issuer with the certificate issuer).",
        "If the revocation is intended: issue a new certificate from a CA in the trust store, \
         install it on the client and retry.",
        "If the revocation was a mistake: most CAs, AWS Private CA included, cannot undo it, so \
         reissue. If the CA did publish a CRL without the entry, remove the old revocation from \
         the trust store and add the new CRL.",
    ],
    commands: &[
        Command { purpose: "Check whether a serial (as logged) is on a CRL", command: "albmtls crl contains 02 crl.pem" },
        Command {
            purpose: "List the affected connections, with subject and serial",
            command: "albmtls grep --status ClientCertCrlHit logs/",
        },
        Command {
            purpose: "Serial and issuer of the certificate the client presents",
            command: "openssl x509 -in client.pem -noout -serial -issuer",
        },
        LIST_REVOCATIONS,
        DOWNLOAD_CRL,
        Command {
            purpose: "Look the serial up in the CRL with openssl (uppercase hex, as in the log)",
            command: "openssl crl -in crl.pem -noout -text | grep -A 2 'Serial Number: 02'",
        },
        UPLOAD_CRL,
        IMPORT_CRL,
        REMOVE_CRL,
    ],
};

static CRL_PROCESSING_ERROR: Remediation = Remediation {
    status: "Failed:ClientCertCrlProcessingError",
    summary: "ALB could not process a CRL needed to check this certificate",
    meaning: "ALB hit an error while using a certificate revocation list from the trust store to \
        check the client certificate, so it failed the handshake rather than skip the check. AWS \
        gives no finer reason; the causes below are likely ones, not documented ones.",
    causes: &[
        "Likely: the CRL has passed its nextUpdate time. The trust store keeps the copy you \
         imported, so a CRL imported once and never refreshed goes stale.",
        "Likely: the CRL's signature or issuer does not match a CA in the trust store bundle, for \
         example after the CA was re-keyed or the bundle was replaced.",
        "Possibly: the CRL is malformed, or in a form ALB does not handle (AWS Private CA writes \
         DER; AWS's own procedure converts it to PEM before importing).",
        "Possibly: revocation quotas: 50 MB per CRL file, 30 CRLs and 500,000 entries per trust \
         store.",
        "The client certificate itself breaks an ALB requirement, which AWS's troubleshooting \
         guide says to rule out too.",
    ],
    steps: &[
        "Download the CRLs imported into the trust store and run `albmtls crl inspect crl.pem` on \
         each: it reports issuer, lastUpdate/nextUpdate, entry count and encoding problems.",
        "Verify each CRL's signature against the current bundle and check that its issuer is the \
         CA that issued the failing certificates.",
        "If a CRL is stale or was signed by a key no longer in the bundle, fetch a fresh one from \
         the CA (AWS Private CA updates its CRL in S3 within 30 minutes of a change), convert it \
         to PEM if needed, upload it to S3, add that object version to the trust store and \
         remove the old revocation id (look it up; ids are never reused).",
        "Check the trust store against the revocation quotas (file size, number of CRLs, total \
         entries).",
        "Run `albmtls cert check --bundle bundle.pem --crl crl.pem client.pem` to rule out a \
         problem with the certificate itself.",
        "If it persists, open an AWS Support case with the failing timestamps, `curl -v` output, \
         the client certificate (never the private key) and the connection logs for the period.",
    ],
    commands: &[
        Command { purpose: "Report issuer, update times, entry count and problems of a CRL", command: "albmtls crl inspect crl.pem" },
        Command {
            purpose: "Check the certificate against bundle and CRL together",
            command: "albmtls cert check --bundle bundle.pem --crl crl.pem client.pem",
        },
        LIST_REVOCATIONS,
        DOWNLOAD_CRL,
        Command {
            purpose: "Show the CRL's issuer and its lastUpdate/nextUpdate times",
            command: "openssl crl -in crl.pem -noout -issuer -lastupdate -nextupdate",
        },
        Command {
            purpose: "Verify the CRL signature: prints 'verify OK'; 'Error getting CRL issuer certificate' means the CRL issuer is not in bundle.pem",
            command: "openssl crl -in crl.pem -noout -CAfile bundle.pem",
        },
        CONVERT_CRL,
        Command {
            purpose: "The same conversion with openssl, as AWS's procedure does it",
            command: "openssl crl -in crl.der -inform DER -out crl.pem",
        },
        UPLOAD_CRL,
        IMPORT_CRL,
        REMOVE_CRL,
    ],
};

static UNTRUSTED: Remediation = Remediation {
    status: "Failed:ClientCertUntrusted",
    summary: "No chain from the client certificate to a CA in the trust store",
    meaning: "ALB could not build a chain from the client's leaf certificate to any CA certificate \
        in the listener's trust store, so it does not trust the certificate.",
    causes: &[
        "A missing intermediate: the client sends only its leaf and the bundle holds only the root. \
         Either the client must send the intermediates or the bundle must contain them.",
        "The certificate was issued by a CA that is not in the bundle: a new or rotated CA, \
         another team's CA, a self-signed test certificate.",
        "The listener uses a different trust store than you think, or the bundle was replaced \
         without the CA these clients use.",
        "With AWS Private CA: the private CA's certificate (and its root, for a subordinate CA) \
         was never added to the bundle.",
        "Possibly: a CA certificate in the path has expired or its signature does not verify.",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem` with the bundle downloaded from \
         the trust store; it names the issuer it could not find.",
        "Compare the issuer of the leaf (and of each intermediate the client sends) with the \
         subjects in the bundle.",
        "Confirm the listener's TrustStoreArn is the trust store you are inspecting.",
        "If an intermediate is missing, either configure the client to send it after its leaf, \
         or add it to the bundle.",
        "If the issuing CA is missing, add its certificate (and any CA above it) to the bundle, \
         check the bundle with `albmtls bundle check bundle.pem`, upload it to S3 and replace the \
         trust store's bundle: bundles are replaced whole, never edited per certificate.",
        "Retest with `openssl s_client`; turning on AdvertiseTrustStoreCaNames lets the client \
         see which CA names the listener accepts.",
    ],
    commands: &[
        Command {
            purpose: "Find which link of the chain is missing from the bundle",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        Command { purpose: "Check the bundle against ALB's upload rules before replacing it", command: "albmtls bundle check bundle.pem" },
        DOWNLOAD_BUNDLE,
        Command { purpose: "Subject and issuer of the client's leaf", command: "openssl x509 -in client.pem -noout -subject -issuer" },
        Command {
            purpose: "List subjects and issuers of every CA in the bundle",
            command: "openssl crl2pkcs7 -nocrl -certfile bundle.pem | openssl pkcs7 -print_certs -noout",
        },
        VERIFY_CHAIN,
        SHOW_MTLS_SETTINGS,
        Command {
            purpose: "Get an AWS Private CA's certificate to add to the bundle",
            command: "aws acm-pca get-certificate-authority-certificate --certificate-authority-arn $CA_ARN --query Certificate --output text",
        },
        UPLOAD_BUNDLE,
        REPLACE_BUNDLE,
        S_CLIENT_WITH_CERT,
    ],
};

static NOT_YET_VALID: Remediation = Remediation {
    status: "Failed:ClientCertNotYetValid",
    summary: "Client certificate is not valid yet (before its NotBefore time)",
    meaning: "At the time of the handshake the client certificate's NotBefore lies in the future, \
        so ALB refuses it. Compare NotBefore in the log's leaf_client_cert_validity field with the \
        line's timestamp (both UTC).",
    causes: &[
        "The certificate was issued with NotBefore set to the issuance time and used seconds \
         later, while the issuing system's clock runs ahead.",
        "The issuing tool wrote local time as if it were UTC, pushing NotBefore hours into the \
         future.",
        "The certificate was deliberately issued for a future start date (pre-staged rotation) \
         and deployed early.",
        "Likely also reported this way: an intermediate CA in the chain that is not yet valid.",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem`; it compares NotBefore of every \
         certificate in the chain with the current time.",
        "Compare the logged NotBefore with the log timestamp to see how far in the future it was.",
        "If it is a clock problem on the CA or issuing host, fix the clock (NTP) and have the CA \
         backdate NotBefore by a few minutes for new certificates.",
        "Either wait until NotBefore has passed, or reissue the certificate from a CA in the trust \
         store with a correct start time.",
    ],
    commands: &[
        Command {
            purpose: "Check the validity window of the chain against now",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        Command {
            purpose: "List the affected connections and their logged validity",
            command: "albmtls grep --status ClientCertNotYetValid logs/",
        },
        SHOW_DATES,
        Command {
            purpose: "Exits non-zero if the certificate is not valid right now",
            command: "openssl x509 -in client.pem -noout -checkend 0",
        },
    ],
};

static EXPIRED: Remediation = Remediation {
    status: "Failed:ClientCertExpired",
    summary: "Client certificate has expired (past its NotAfter time)",
    meaning: "At the time of the handshake the client certificate's NotAfter had passed, so ALB \
        refused it. The logged leaf_client_cert_validity shows the leaf's NotAfter; an expired \
        intermediate is likely reported the same way.",
    causes: &[
        "The leaf was not renewed in time (renewal automation broken, or a manually managed \
         certificate forgotten).",
        "The certificate was renewed, but the client still presents the old file (not redeployed, \
         or the process was not restarted).",
        "An intermediate CA certificate in the chain the client sends has expired (likely reported \
         with this code too).",
        "The certificate was issued with a much shorter lifetime than intended (wrong validity \
         setting or CA clock).",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem`; it shows NotAfter for the leaf \
         and each intermediate.",
        "Compare the logged NotAfter with the log timestamp, and find every client affected with \
         `albmtls grep --status ClientCertExpired logs/`.",
        "Issue a new certificate from a CA in the trust store, install it on the client (with \
         current intermediates) and restart whatever holds the old one.",
        "Fix the renewal process and alert well before NotAfter.",
        "Only as a stopgap: set IgnoreClientCertificateExpiry=true on the listener's mutual \
         authentication. ALB then accepts expired client certificates; the risk is that lost or \
         retired credentials keep working, and CAs usually drop expired certificates from their \
         CRLs, so revocation may no longer catch them. Turn it off again after renewal.",
    ],
    commands: &[
        Command {
            purpose: "Check NotAfter of the leaf and of each intermediate",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        Command {
            purpose: "List the affected connections, with subject, serial and validity",
            command: "albmtls grep --status ClientCertExpired logs/",
        },
        SHOW_DATES,
        Command {
            purpose: "Exits non-zero if the certificate expires within 30 days",
            command: "openssl x509 -in client.pem -noout -checkend 2592000",
        },
        SHOW_MTLS_SETTINGS,
        Command {
            purpose: "Stopgap only: accept expired client certificates on this listener (see risk)",
            command: "aws elbv2 modify-listener --listener-arn $LISTENER_ARN --mutual-authentication Mode=verify,TrustStoreArn=$TRUST_STORE_ARN,IgnoreClientCertificateExpiry=true",
        },
        Command {
            purpose: "Undo the stopgap once clients have renewed certificates",
            command: "aws elbv2 modify-listener --listener-arn $LISTENER_ARN --mutual-authentication Mode=verify,TrustStoreArn=$TRUST_STORE_ARN,IgnoreClientCertificateExpiry=false",
        },
    ],
};

static TYPE_UNSUPPORTED: Remediation = Remediation {
    status: "Failed:ClientCertTypeUnsupported",
    summary: "Certificate type, key or signature ALB does not support (e.g. X.509v1)",
    meaning: "The client certificate is of a kind ALB does not accept. AWS names X.509v1 \
        explicitly; ALB supports only X.509v3 with RSA 2048-8192 or ECDSA P-256/P-384/P-521 keys, \
        signed with SHA-256/384/512 (RSA, ECDSA or RSASSA-PSS). Which of these checks produce this \
        code, rather than another, is not documented.",
    causes: &[
        "An X.509 version 1 certificate, typical of quick test certificates signed with \
         `openssl x509 -req` and no extensions on older OpenSSL releases.",
        "Likely: an unsupported key: RSA under 2048 bits, Ed25519/Ed448, DSA, or an ECDSA curve \
         other than P-256/P-384/P-521 (secp256k1, brainpool).",
        "Likely: an unsupported signature algorithm such as SHA-1 or MD5 with RSA.",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem`; it checks version, key type, \
         key size and signature algorithm against ALB's requirements.",
        "Read Version, Public Key Algorithm, key size or curve, and Signature Algorithm from the \
         certificate text.",
        "Reissue the certificate as X.509v3 (with extensions) using a supported key and a \
         SHA-256 or stronger signature.",
        "Check the intermediates the client sends in the same way; the requirements apply to CA \
         certificates too.",
    ],
    commands: &[
        Command {
            purpose: "Check version, key and signature against ALB's requirements",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        Command {
            purpose: "Show version, key type and size or curve, and signature algorithm",
            command: "openssl x509 -in client.pem -noout -text | grep -E 'Version:|Public Key Algorithm|Public-Key|NIST CURVE|ASN1 OID|Signature Algorithm'",
        },
        SHOW_CERT,
    ],
};

static INVALID: Remediation = Remediation {
    status: "Failed:ClientCertInvalid",
    summary: "Client certificate is malformed or otherwise invalid",
    meaning: "ALB judged the client certificate invalid without a more specific reason. AWS's \
        advice is to check the certificate against ALB's requirements and reissue it; which \
        defects lead here is not documented.",
    causes: &[
        "Likely: a malformed or non-standard encoding (bad ASN.1/DER, invalid time fields, an \
         empty or over-long serial number) produced by a home-made or buggy issuing tool.",
        "Likely: an unknown extension marked critical.",
        "Possibly: a signature that does not verify against the issuer, or a certificate that \
         otherwise breaks ALB's requirements.",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem`; it reports parse and encoding \
         problems and checks the certificate against ALB's requirements.",
        "Parse the certificate with openssl: parse errors or odd fields point at the defect.",
        "Look for critical extensions that are not standard.",
        "Reissue the certificate from a standard CA (AWS Private CA, or a well-maintained \
         OpenSSL or CFSSL setup) and retest.",
    ],
    commands: &[
        Command {
            purpose: "Parse and check the certificate against ALB's requirements",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        SHOW_CERT,
        Command { purpose: "Dump the raw ASN.1 structure to find the malformed part", command: "openssl asn1parse -in client.pem -i" },
        Command {
            purpose: "List extensions and whether they are critical",
            command: "openssl x509 -in client.pem -noout -text | grep -A 1 critical",
        },
        VERIFY_CHAIN,
    ],
};

static PURPOSE_INVALID: Remediation = Remediation {
    status: "Failed:ClientCertPurposeInvalid",
    summary: "Certificate not allowed for TLS client auth (EKU or keyUsage)",
    meaning: "The certificate's purpose does not allow it to authenticate a TLS client. AWS only \
        says the purpose is invalid; most likely the extended key usage lacks clientAuth or the key \
        usage lacks digitalSignature.",
    causes: &[
        "Likely: the extendedKeyUsage extension is present but lacks clientAuth (TLS Web Client \
         Authentication), e.g. a server certificate reused as a client certificate.",
        "Likely: the keyUsage extension is present but lacks digitalSignature.",
        "Possibly: an intermediate CA restricts extended key usage to purposes without clientAuth.",
        "Possibly: a CA certificate (basicConstraints CA:TRUE) used as the client certificate.",
    ],
    steps: &[
        "Run `albmtls cert check --bundle bundle.pem client.pem`; it checks EKU, keyUsage and \
         basicConstraints of the leaf and the chain.",
        "Inspect extendedKeyUsage and keyUsage: a client certificate needs clientAuth in its EKU \
         (if it has an EKU) and digitalSignature in its keyUsage (if it has one).",
        "Reissue the certificate from a profile or template meant for client authentication.",
        "If an intermediate carries an EKU without clientAuth, issue from a CA whose certificate \
         allows client authentication.",
    ],
    commands: &[
        Command {
            purpose: "Check EKU, keyUsage and basicConstraints along the chain",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        Command {
            purpose: "Show the purpose-related extensions of the leaf",
            command: "openssl x509 -in client.pem -noout -ext extendedKeyUsage,keyUsage,basicConstraints",
        },
        Command {
            purpose: "Let openssl check the chain for the TLS client purpose",
            command: "openssl verify -purpose sslclient -CAfile bundle.pem -untrusted intermediates.pem client.pem",
        },
    ],
};

static REJECTED: Remediation = Remediation {
    status: "Failed:ClientCertRejected",
    summary: "Client certificate rejected by custom server validation",
    meaning: "AWS describes this code as the certificate being rejected by custom server \
        validation. AWS's troubleshooting guide ties it to passthrough mode, where the target \
        application validates the chain it receives in the X-Amzn-Mtls-Clientcert header and \
        rejects it; how that decision reaches the connection log is not documented.",
    causes: &[
        "In passthrough mode, the target application's own checks refused the certificate \
         (unknown issuer, revoked or expired in its view, identity not authorised).",
        "The target cannot read the certificate header: it was renamed with a listener attribute, \
         or the application expects another encoding.",
    ],
    steps: &[
        "Find the affected clients with `albmtls grep --status ClientCertRejected logs/`, then \
         check the listener's mTLS mode.",
        "Read the target application's logs around the failing timestamps (join access logs on \
         conn_trace_id) for the reason it gave.",
        "Check the listener attributes for renamed mTLS header names and make sure the \
         application reads the right header.",
        "Fix the certificate or the application's rule, as the application's reason dictates.",
        "Consider verify mode: ALB then validates against a trust store and logs a specific \
         failure code for each rejected certificate.",
    ],
    commands: &[
        Command {
            purpose: "List the affected connections, with subject and serial",
            command: "albmtls grep --status ClientCertRejected logs/",
        },
        SHOW_MTLS_SETTINGS,
        Command {
            purpose: "Show listener attributes, including renamed X-Amzn-Mtls-* header names",
            command: "aws elbv2 describe-listener-attributes --listener-arn $LISTENER_ARN",
        },
        CURL_WITH_CERT,
    ],
};

static UNMAPPED_CONNECTION_ERROR: Remediation = Remediation {
    status: "Failed:UnmappedConnectionError",
    summary: "Handshake failed without a specific reason (often no client cert sent)",
    meaning: "The TLS handshake failed for a reason ALB does not map to a certificate code. It \
        also appears for ordinary TLS negotiation failures on HTTPS listeners without mTLS. When \
        the subject field is \"-\", no certificate was received or it could not be parsed.",
    causes: &[
        "Likely, in verify mode: the client sent no certificate (not configured, wrong file, or \
         the client found no certificate whose issuer matches the CA names the listener \
         advertises).",
        "The client and the listener's security policy share no protocol version or cipher \
         (e.g. a TLS 1.0 client against a TLS 1.2+ policy).",
        "The client aborted the handshake itself, for example because it did not trust the \
         listener's server certificate or the hostname did not match.",
        "Possibly: the client's private key does not match the certificate it sends.",
        "Scanners or non-TLS traffic sent to the HTTPS port.",
    ],
    steps: &[
        "List the failures with `albmtls grep --status UnmappedConnectionError logs/`: note \
         client IPs, listener port and whether protocol, cipher and subject are '-'.",
        "Compare with the ClientTLSNegotiationErrorCount metric for the same period.",
        "Reproduce with `openssl s_client`, once with the client's certificate and key and once \
         without, and read where the handshake stops.",
        "Check the listener's security policy and whether the client supports one of its \
         protocols and ciphers.",
        "Check that the client's key matches its certificate and that the client is really \
         configured to send the certificate.",
        "If nothing explains it, open an AWS Support case with `curl -v` output, the client \
         certificate (never the private key) and the connection logs for the period.",
    ],
    commands: &[
        Command {
            purpose: "List the failing connections: IPs, port, protocol, cipher, subject",
            command: "albmtls grep --status UnmappedConnectionError logs/",
        },
        TLS_NEGOTIATION_METRIC,
        S_CLIENT_WITH_CERT,
        Command {
            purpose: "Handshake without a client certificate, to compare",
            command: "openssl s_client -connect alb.example.com:443 -servername alb.example.com",
        },
        SHOW_MTLS_SETTINGS,
        Command {
            purpose: "Protocols and ciphers allowed by the listener's security policy",
            command: "aws elbv2 describe-ssl-policies --names ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
        Command {
            purpose: "Fingerprint the certificate's public key (must equal the next one)",
            command: "openssl x509 -in client.pem -noout -pubkey | openssl sha256",
        },
        Command { purpose: "Fingerprint the private key's public half", command: "openssl pkey -in client.key -pubout | openssl sha256" },
        CURL_WITH_CERT,
    ],
};

static INCOMPATIBLE: Remediation = Remediation {
    status: "Failed:ClientCertIncompatible",
    summary: "Client certificate does not fit the listener's security policy",
    meaning: "ALB found the client certificate incompatible with the listener's security policy. \
        This is the newest documented code and AWS says little more; most likely the certificate's \
        key or signature algorithm is not allowed by a restrictive (FIPS, CNSA or post-quantum) \
        policy.",
    causes: &[
        "Likely: the key type or size is outside what the policy allows (for example RSA 2048 or \
         ECDSA P-256 against a policy that requires stronger algorithms).",
        "Likely: the signature hash is weaker than the policy requires (for example SHA-256 where \
         SHA-384 is expected).",
        "Likely: the listener's security policy was changed recently to a stricter one, while \
         existing client certificates stayed as they were.",
    ],
    steps: &[
        "List the affected clients with `albmtls grep --status ClientCertIncompatible logs/` and \
         run `albmtls cert check --bundle bundle.pem client.pem` on their certificate to see its \
         key and signature algorithm.",
        "Find the listener's security policy and what it allows.",
        "Compare the certificate's key type, size and signature hash with that policy; note when \
         the policy last changed.",
        "Reissue client certificates with algorithms the policy accepts (for example ECDSA P-384 \
         with SHA-384), or move the listener to a less strict policy if your compliance rules \
         allow it.",
    ],
    commands: &[
        Command { purpose: "List the affected connections", command: "albmtls grep --status ClientCertIncompatible logs/" },
        Command {
            purpose: "Show the certificate's key and signature algorithm",
            command: "albmtls cert check --bundle bundle.pem client.pem",
        },
        SHOW_MTLS_SETTINGS,
        Command {
            purpose: "Show what a security policy allows (use the SslPolicy from the listener)",
            command: "aws elbv2 describe-ssl-policies --names ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
        Command {
            purpose: "Show the certificate's key type and size and its signature algorithm",
            command: "openssl x509 -in client.pem -noout -text | grep -E 'Public Key Algorithm|Public-Key|NIST CURVE|Signature Algorithm'",
        },
    ],
};

// ---------------------------------------------------------------------------------------
// The non-failure values, and undocumented failure codes.
// ---------------------------------------------------------------------------------------

static SUCCESS: Remediation = Remediation {
    status: "Success",
    summary: "Handshake succeeded (certificate accepted, or mTLS not verifying)",
    meaning: "The TLS handshake completed. In verify mode the client certificate passed every \
        check; in passthrough mode ALB checks nothing, and with mTLS off no client certificate is \
        involved (the subject field is \"-\").",
    causes: &[
        "Normal traffic: nothing to fix.",
        "Surprising only if you expected a rejection: passthrough mode, \
         IgnoreClientCertificateExpiry on, a CRL never imported or outdated, or a revoked \
         certificate with a negative serial number (ALB cannot revoke those).",
    ],
    steps: &[
        "Nothing to do for normal traffic.",
        "If a certificate that should fail was accepted, check the listener's mTLS mode and \
         IgnoreClientCertificateExpiry, and that the trust store holds a current CRL listing the \
         certificate's serial (`albmtls crl contains` says when ALB ignores an entry because the \
         serial is negative: such a client must be re-issued with a positive serial).",
        "To block a certificate from AWS Private CA: revoke it, wait for the CA to update its CRL \
         in S3 (up to 30 minutes), download that CRL, convert it from DER to PEM, upload it with \
         its object version and import it into the trust store; then remove the old revocation \
         id. The trust store keeps the copy it imported until you do.",
    ],
    commands: &[
        SHOW_MTLS_SETTINGS,
        LIST_REVOCATIONS,
        DOWNLOAD_CRL,
        Command {
            purpose: "Check whether a serial that should be blocked is on the imported CRL",
            command: "albmtls crl contains 02 crl.pem",
        },
        PRIVATE_CA_REVOKE,
        PRIVATE_CA_CRL,
        CONVERT_CRL,
        UPLOAD_CRL,
        IMPORT_CRL,
        REMOVE_CRL,
    ],
};

static ABSENT: Remediation = Remediation {
    status: "-",
    summary: "Not a TLS connection (plain HTTP listener)",
    meaning: "The connection did not use TLS, typically because it arrived on an HTTP listener, \
        so there is nothing to verify. These lines are not failures and should be left out of \
        failure counts.",
    causes: &[
        "Clients connecting to an HTTP listener (often port 80, e.g. before a redirect to HTTPS).",
        "Unverified: one synthetic test fixture shows '-' for a failed handshake on an HTTPS \
         listener; check the listener port if '-' appears on an HTTPS port.",
    ],
    steps: &[
        "Nothing to fix for mTLS.",
        "If you expected TLS on that port, check which listener it is and whether clients use \
         http:// URLs.",
    ],
    commands: &[Command {
        purpose: "List the load balancer's listeners with port and protocol",
        command: "aws elbv2 describe-listeners --load-balancer-arn $LB_ARN --query 'Listeners[].[Port,Protocol]'",
    }],
};

static UNKNOWN_FAILURE: Remediation = Remediation {
    status: "Failed:*",
    summary: "Failure code AWS has not documented; investigate case by case",
    meaning: "ALB logged a Failed: code that is not among the codes AWS documents, so albmtls has \
        no specific advice for it. albmtls keeps the code verbatim and counts it separately, \
        never merging it into a documented code.",
    causes: &[
        "AWS added a new code after this version of albmtls was written.",
        "The log did not come from an ALB: CloudFront connection logs use a different code set, \
         and nginx-based ALB emulators write codes such as ClientCertRevoked.",
    ],
    steps: &[
        "List the affected lines with `albmtls grep` and look at what they share: client, \
         subject, serial, listener port.",
        "Check the current AWS connection-log documentation for the code, and whether the log \
         really comes from an ALB.",
        "Run `albmtls cert check --bundle bundle.pem client.pem` on an affected client's \
         certificate to rule out the documented problems.",
        "Reproduce with `curl -v` or `openssl s_client`; if the cause stays unclear, open an AWS \
         Support case with that output, the client certificate (never the key) and the logs.",
    ],
    commands: &[
        Command { purpose: "List the lines with this code (pass the code as logged)", command: "albmtls grep --status \"$CODE\" logs/" },
        Command { purpose: "Rule out the documented certificate problems", command: "albmtls cert check --bundle bundle.pem client.pem" },
        S_CLIENT_WITH_CERT,
        CURL_WITH_CERT,
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_finds_its_entry() {
        assert_eq!(for_status("Success").status, "Success");
        assert_eq!(for_status("-").status, "-");
        assert_eq!(for_status("Failed:ClientCertCrlHit").status, "Failed:ClientCertCrlHit");
        assert!(std::ptr::eq(for_status("Failed:ClientCertRevoked"), unknown_failure()));
        assert!(std::ptr::eq(for_status("failed:clientcertcrlhit"), unknown_failure()), "status text is exact, as logged");
    }

    /// Every entry: the 13 documented codes, then `Success`, `-` and the unknown entry.
    fn all() -> Vec<&'static Remediation> {
        let mut all: Vec<&'static Remediation> = FailureCode::ALL.into_iter().map(for_code).collect();
        all.extend([success(), absent(), unknown_failure()]);
        all
    }

    /// The failure entries: the documented codes and the unknown one.
    fn failures() -> Vec<&'static Remediation> {
        let mut failures: Vec<&'static Remediation> = FailureCode::ALL.into_iter().map(for_code).collect();
        failures.push(unknown_failure());
        failures
    }

    #[test]
    fn documented_entries_carry_their_own_status() {
        for code in FailureCode::ALL {
            assert_eq!(for_code(code).status, code.status_text(), "{code}");
        }
        assert_eq!(success().status, "Success");
        assert_eq!(absent().status, "-");
        let unknown = unknown_failure().status;
        assert!(unknown.starts_with("Failed:"));
        assert!(FailureCode::ALL.iter().all(|c| c.status_text() != unknown));
    }

    #[test]
    fn summaries_fit_a_table_row() {
        for entry in all() {
            let len = entry.summary.chars().count();
            assert!(len > 0, "{}: empty summary", entry.status);
            assert!(len <= 80, "{}: summary is {len} chars", entry.status);
            assert!(!entry.summary.contains('\n'), "{}: summary spans lines", entry.status);
            assert!(!entry.meaning.trim().is_empty(), "{}: empty meaning", entry.status);
        }
    }

    #[test]
    fn failure_entries_have_causes_and_steps() {
        for entry in failures() {
            assert!(!entry.causes.is_empty(), "{}: no causes", entry.status);
            assert!(entry.steps.len() >= 2, "{}: fewer than 2 steps", entry.status);
            assert!(!entry.commands.is_empty(), "{}: no commands", entry.status);
            for text in entry.causes.iter().chain(entry.steps) {
                assert!(!text.trim().is_empty(), "{}: empty cause or step", entry.status);
            }
        }
    }

    #[test]
    fn failure_entries_start_with_an_albmtls_command() {
        for entry in failures() {
            let first = entry.commands[0].command;
            assert!(first.starts_with("albmtls "), "{}: first command is {first:?}", entry.status);
        }
    }

    #[test]
    fn summaries_are_unique() {
        let entries = all();
        for (i, a) in entries.iter().enumerate() {
            for b in &entries[i + 1..] {
                assert_ne!(a.summary, b.summary, "{} and {} share a summary", a.status, b.status);
            }
        }
    }

    #[test]
    fn statuses_are_unique() {
        let entries = all();
        for (i, a) in entries.iter().enumerate() {
            for b in &entries[i + 1..] {
                assert_ne!(a.status, b.status);
            }
        }
    }

    #[test]
    fn commands_start_with_a_known_program() {
        const PROGRAMS: [&str; 4] = ["openssl", "aws", "albmtls", "curl"];
        for entry in all() {
            for cmd in entry.commands {
                // `NAME=$(program ...)` keeps the program's output for a later command.
                let assigned = cmd.command.split_once("=$(").filter(|(name, _)| name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
                let program = assigned.map_or(cmd.command, |(_, rest)| rest).split_whitespace().next().unwrap_or("");
                assert!(PROGRAMS.contains(&program), "{}: {:?}", entry.status, cmd.command);
                assert!(!cmd.purpose.trim().is_empty(), "{}: {:?} has no purpose", entry.status, cmd.command);
                // `<placeholder>` would be a shell redirection when pasted.
                assert!(!cmd.command.contains(['<', '>']), "{}: {:?}", entry.status, cmd.command);
            }
        }
    }

    #[test]
    fn aws_commands_use_known_operations() {
        // Operations whose CLI spelling and flags were checked against the AWS references.
        const KNOWN: [&str; 16] = [
            "aws elbv2 describe-listeners ",
            "aws elbv2 modify-listener ",
            "aws elbv2 describe-listener-attributes ",
            "aws elbv2 describe-ssl-policies ",
            "aws elbv2 describe-trust-store-revocations ",
            "aws elbv2 get-trust-store-ca-certificates-bundle ",
            "aws elbv2 get-trust-store-revocation-content ",
            "aws elbv2 modify-trust-store ",
            "aws elbv2 add-trust-store-revocations ",
            "aws elbv2 remove-trust-store-revocations ",
            "aws elbv2 describe-trust-stores ",
            "aws s3 cp ",
            "aws s3api put-object ",
            "aws cloudwatch get-metric-statistics ",
            "aws acm-pca get-certificate-authority-certificate ",
            "aws acm-pca revoke-certificate ",
        ];
        for entry in all() {
            for cmd in entry.commands {
                // `aws` may also appear inside `$(...)`.
                for (at, _) in cmd.command.match_indices("aws ") {
                    if at > 0 && !cmd.command[..at].ends_with("$(") && !cmd.command[..at].ends_with(' ') {
                        continue;
                    }
                    let rest = &cmd.command[at..];
                    assert!(KNOWN.iter().any(|k| rest.starts_with(k)), "{}: {:?}", entry.status, cmd.command);
                }
            }
        }
    }

    #[test]
    fn trust_store_imports_pin_the_s3_object_version_of_a_versioned_bucket() {
        let mut seen = (0, 0);
        for entry in all() {
            let position = |needle: &str| entry.commands.iter().position(|c| c.command.contains(needle));
            for (import, upload) in [(&REPLACE_BUNDLE, &UPLOAD_BUNDLE), (&IMPORT_CRL, &UPLOAD_CRL)] {
                let Some(imported) = position(import.command) else { continue };
                let uploaded = position(upload.command);
                assert!(uploaded.is_some_and(|u| u < imported), "{}: the upload that sets the version comes first", entry.status);
            }
            for command in entry.commands.iter().map(|c| c.command) {
                if command.contains("modify-trust-store ") {
                    seen.0 += 1;
                    assert_eq!(command, REPLACE_BUNDLE.command, "{}", entry.status);
                }
                if command.contains("add-trust-store-revocations ") {
                    seen.1 += 1;
                    assert_eq!(command, IMPORT_CRL.command, "{}", entry.status);
                }
            }
        }
        assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
    }

    /// The arguments `aws` gets when the upload and import commands are pasted into `sh`
    /// one after the other and S3 returns `version_id` (`None` from an unversioned bucket,
    /// as the AWS CLI prints it): `aws` is a shell function that answers put-object with
    /// it and prints the arguments of any other call, one a line.
    fn pasted_import_arguments(upload: &Command, import: &Command, version_id: &str) -> Vec<String> {
        let script = format!(
            "aws() {{ if [ \"$2\" = put-object ]; then echo '{version_id}'; else printf '%s\\n' \"$@\"; fi; }}\n{}\n{}\n",
            upload.command, import.command
        );
        let out = std::process::Command::new("sh").arg("-c").arg(&script).env("TRUST_STORE_ARN", "arn:ts").output().expect("running sh");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect()
    }

    #[test]
    fn pasted_imports_pass_a_version_only_for_a_versioned_bucket() {
        let version = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";
        let bundle = pasted_import_arguments(&UPLOAD_BUNDLE, &REPLACE_BUNDLE, version);
        assert_eq!(
            bundle.last().map(String::as_str),
            Some(format!("--ca-certificates-bundle-s3-object-version={version}").as_str()),
            "{bundle:?}"
        );
        let bundle = pasted_import_arguments(&UPLOAD_BUNDLE, &REPLACE_BUNDLE, "None");
        assert_eq!(bundle.last().map(String::as_str), Some("truststore/bundle.pem"), "no version argument at all: {bundle:?}");
        assert!(!bundle.iter().any(|a| a.contains("None") || a.contains("object-version")), "{bundle:?}");

        let crl = pasted_import_arguments(&UPLOAD_CRL, &IMPORT_CRL, version);
        assert!(crl.contains(&format!("S3Bucket=my-bucket,S3Key=crl/crl.pem,S3ObjectVersion={version},RevocationType=CRL")), "{crl:?}");
        let crl = pasted_import_arguments(&UPLOAD_CRL, &IMPORT_CRL, "None");
        assert!(crl.contains(&"S3Bucket=my-bucket,S3Key=crl/crl.pem,RevocationType=CRL".to_string()), "{crl:?}");
        assert!(!crl.iter().any(|a| a.contains("None")), "{crl:?}");
    }

    #[test]
    fn revocation_ids_are_looked_up_not_assumed() {
        for entry in all() {
            let uses_id: Vec<&str> = entry.commands.iter().map(|c| c.command).filter(|c| c.contains("--revocation-id")).collect();
            for command in &uses_id {
                assert!(
                    command.contains("--revocation-id $REVOCATION_ID") || command.contains("--revocation-ids $REVOCATION_ID"),
                    "{}: {command}",
                    entry.status
                );
            }
            if let Some(first) = entry.commands.iter().position(|c| c.command.contains("$REVOCATION_ID")) {
                let listed = entry.commands.iter().position(|c| c.command.contains("describe-trust-store-revocations"));
                assert!(listed.is_some_and(|l| l < first), "{}: the ids are listed before they are used", entry.status);
            }
        }
    }

    #[test]
    fn private_ca_revocation_states_its_crl_delay() {
        let mut found = 0;
        for entry in all() {
            for cmd in entry.commands.iter().filter(|c| c.command.contains("acm-pca revoke-certificate")) {
                found += 1;
                assert!(cmd.purpose.contains("30 minutes"), "{}: {}", entry.status, cmd.purpose);
                assert!(entry.steps.iter().any(|s| s.contains("30 minutes")), "{}", entry.status);
            }
        }
        assert!(found > 0);
    }
}
