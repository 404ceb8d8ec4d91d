//! `cert check --target api-gateway`: whether API Gateway's mutual TLS lets a client in,
//! under API Gateway's rules instead of ALB's (the troubleshooting notes in the references):
//!
//! - signatures SHA-256 or stronger; RSA keys of 2048 bits or more with no upper limit;
//!   ECDSA keys of 256 bits or more;
//! - API Gateway itself checks neither revocation nor expiry (a Lambda authorizer can);
//! - "Access denied. Reason: Could not find issuer for certificate" when no truststore
//!   CA issued the chain, "Access denied. Reason: Client cert using an insecure Signature
//!   Algorithm" for the algorithm rules; a key, CSR and certificate that do not belong
//!   together (the "self signed certificate" error) is `cert check --key/--csr`'s job.
//!
//! Responses the notes do not give are marked "not documented".

use chrono::{DateTime, Utc};
use serde::Serialize;
use webpki::Error as WebpkiError;

use crate::cert::{CertInfo, KeyAlgorithm, read_certificates, rfc3339};
use crate::error::PkiError;
use crate::trust_store::TrustStore;
use crate::verify::{PathEntry, anchors, build_path, describe_chain, unix_time};
use crate::{Finding, Target};

/// API Gateway's documented denial when no truststore CA issued the chain.
pub const NO_ISSUER: &str = "Access denied. Reason: Could not find issuer for certificate";
/// API Gateway's documented denial for the algorithm rules.
pub const INSECURE_ALGORITHM: &str = "Access denied. Reason: Client cert using an insecure Signature Algorithm";

/// Whether API Gateway lets the client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Granted,
    Denied,
    /// This build cannot verify the chain (RSA keys over 8192 bits, which API Gateway
    /// accepts); openssl can.
    Unverifiable,
}

/// The verdict of [`check_client_api_gateway`].
#[derive(Debug, Clone, Serialize)]
pub struct ApiGatewayReport {
    pub client: String,
    pub truststore: String,
    pub checked_at: DateTime<Utc>,
    pub access: Access,
    /// API Gateway's error message, when the references document the one it returns.
    pub message: Option<&'static str>,
    /// The certificate the verdict is about, e.g. `#1 CN=client`.
    pub certificate: Option<String>,
    pub reason: String,
    pub what_to_check: String,
    /// The certificates the client presents that could be read, leaf first.
    pub presented: Vec<CertInfo>,
    /// The DER size of every certificate the client presents, in order.
    pub presented_sizes: Vec<usize>,
    pub path: Vec<PathEntry>,
    /// Truststore certificates API Gateway lists as invalid (truststoreWarnings).
    pub truststore_warnings: Vec<Finding>,
    pub notes: Vec<String>,
}

impl ApiGatewayReport {
    /// Whether API Gateway grants access: the doctor exits 0 only then.
    pub fn is_granted(&self) -> bool {
        self.access == Access::Granted
    }
}

/// Checks a client certificate file (leaf first, optional intermediates) against an API
/// Gateway truststore. CRLs added to `store` are not used: API Gateway does not check
/// revocation, and the report says so.
pub fn check_client_api_gateway(store: &TrustStore, name: &str, bytes: &[u8], at: DateTime<Utc>) -> Result<ApiGatewayReport, PkiError> {
    let chain = read_certificates(name, bytes)?;
    let audit = store.audit(Target::ApiGateway, at);
    let (presented, unreadable) = describe_chain(name, &chain);
    let mut report = ApiGatewayReport {
        client: name.to_string(),
        truststore: store.name().to_string(),
        checked_at: at,
        access: Access::Granted,
        message: None,
        certificate: None,
        reason: "the chain verifies against the truststore".to_string(),
        what_to_check: "nothing; if API Gateway still denies access, compare this truststore with the S3 object version the domain uses"
            .to_string(),
        presented,
        presented_sizes: chain.iter().map(Vec::len).collect(),
        path: Vec::new(),
        truststore_warnings: audit.findings,
        notes: Vec::new(),
    };
    if !store.crls.is_empty() {
        report.notes.push(format!(
            "API Gateway does not check revocation: the {} CRL(s) given were not used; check revocation in a Lambda authorizer",
            store.crls.len()
        ));
    }
    let denial = if let Some(e) = unreadable {
        Some(Denial::undocumented(
            None,
            format!("{e}; API Gateway's response to an unreadable certificate is not documented: likely denied"),
        ))
    } else if let Some(denial) = algorithm_denial(&report.presented) {
        Some(denial)
    } else {
        verify(store, &audit.refused, &chain, at, &mut report)?
    };
    if let Some(denial) = denial {
        report.access = denial.access;
        report.message = denial.message;
        report.certificate = denial.certificate;
        report.what_to_check = what_to_check(denial.message, denial.access).to_string();
        report.reason = denial.reason;
    }
    Ok(report)
}

/// A verdict other than access granted, before it goes into the report.
struct Denial {
    access: Access,
    message: Option<&'static str>,
    certificate: Option<String>,
    reason: String,
}

impl Denial {
    fn documented(message: &'static str, certificate: Option<&CertInfo>, reason: String) -> Denial {
        Denial { access: Access::Denied, message: Some(message), certificate: certificate.map(CertInfo::label), reason }
    }

    fn undocumented(certificate: Option<&CertInfo>, reason: String) -> Denial {
        Denial { access: Access::Denied, message: None, certificate: certificate.map(CertInfo::label), reason }
    }
}

/// The algorithm rules, applied to what the client sends (a root it sends along is
/// replaced by the truststore's copy).
fn algorithm_denial(presented: &[CertInfo]) -> Option<Denial> {
    for cert in presented.iter().filter(|c| !(c.self_issued && c.position > 1)) {
        if let Some(problem) = cert.key_problem_for(Target::ApiGateway).or_else(|| cert.signature_problem_for(Target::ApiGateway)) {
            return Some(Denial::documented(INSECURE_ALGORITHM, Some(cert), problem));
        }
    }
    None
}

// The deprecated unit variants are still matched: older 0.103 releases return them.
#[allow(deprecated)]
fn verify(
    store: &TrustStore,
    refused: &[usize],
    chain: &[Vec<u8>],
    at: DateTime<Utc>,
    report: &mut ApiGatewayReport,
) -> Result<Option<Denial>, PkiError> {
    let anchors = anchors(&store.cas, refused);
    let mut result = build_path(&anchors, chain, &report.presented, store, unix_time(at)?, &[]);
    if let Err(WebpkiError::CertExpired { .. } | WebpkiError::CertNotValidYet { .. }) = result {
        // API Gateway does not check validity: judge the chain at a moment every
        // certificate the client sent is valid, when there is one.
        let from = report.presented.iter().map(|c| c.not_before).max().unwrap_or(at);
        let until = report.presented.iter().map(|c| c.not_after).min().unwrap_or(at);
        for cert in report.presented.iter().filter(|c| !c.is_valid_at(at)) {
            report.notes.push(format!(
                "{} is not valid at {} ({} .. {}); API Gateway does not check validity itself, so this does not deny access: check it in a Lambda authorizer if you need to",
                cert.label(),
                rfc3339(at),
                rfc3339(cert.not_before),
                rfc3339(cert.not_after)
            ));
        }
        if from <= until {
            result = build_path(&anchors, chain, &report.presented, store, unix_time(at.clamp(from, until))?, &[]);
        }
    }
    let leaf = report.presented.first();
    let path = match result {
        Ok(path) => path,
        Err(WebpkiError::UnknownIssuer) => return Ok(Some(no_issuer(store, refused, &report.presented))),
        Err(WebpkiError::RequiredEkuNotFound | WebpkiError::RequiredEkuNotFoundContext(_)) => {
            return Ok(Some(Denial::undocumented(
                leaf,
                "a certificate's extended key usage lacks clientAuth; whether API Gateway checks it is not documented: likely denied, as openssl -purpose sslclient refuses it".to_string(),
            )));
        }
        Err(
            WebpkiError::UnsupportedSignatureAlgorithmForPublicKey
            | WebpkiError::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | WebpkiError::InvalidSignatureForPublicKey,
        ) if has_rsa_over_8192(store, &report.presented) => {
            return Ok(Some(Denial {
                access: Access::Unverifiable,
                message: None,
                certificate: None,
                reason: "the chain uses an RSA key over 8192 bits, which API Gateway accepts but this build cannot verify: check it with `openssl verify -CAfile truststore.pem -untrusted intermediates.pem client.pem`".to_string(),
            }));
        }
        Err(WebpkiError::InvalidSignatureForPublicKey) => {
            return Ok(Some(Denial::undocumented(
                leaf,
                "a signature in the chain does not verify (a CA of the issuer's name is in the truststore but its key did not sign, or the certificate was altered); API Gateway's message for this is not documented".to_string(),
            )));
        }
        Err(other) => {
            return Ok(Some(Denial::undocumented(
                leaf,
                format!("the chain is invalid ({other:?}); API Gateway's response is not documented: likely denied"),
            )));
        }
    };
    report.path = path.entries;
    Ok(None)
}

fn has_rsa_over_8192(store: &TrustStore, presented: &[CertInfo]) -> bool {
    let big = |c: &CertInfo| matches!(c.key.algorithm, KeyAlgorithm::Rsa | KeyAlgorithm::RsaPss) && c.key.bits.is_some_and(|b| b > 8192);
    presented.iter().any(big) || store.certificates().any(big)
}

/// No path to a truststore CA: API Gateway's documented "Could not find issuer".
fn no_issuer(store: &TrustStore, refused: &[usize], presented: &[CertInfo]) -> Denial {
    let subjects: Vec<&str> = presented.iter().map(|c| c.subject.as_str()).collect();
    let top = presented.iter().find(|c| !c.self_issued && !subjects.contains(&c.issuer.as_str())).or(presented.first());
    let Some(cert) = top else { return Denial::documented(NO_ISSUER, None, "no certificate to check".to_string()) };
    let named: Vec<(usize, &CertInfo)> = store.certificates().enumerate().filter(|(_, ca)| ca.subject == cert.issuer).collect();
    let reason = match (named.iter().find(|(i, _)| !refused.contains(i)), named.first()) {
        (Some((_, ca)), _) => format!(
            "issued by {}; a CA of that name is in the truststore (#{}) but no path to it verifies (re-keyed CA, or a constraint on the way)",
            cert.issuer, ca.position
        ),
        (None, Some((_, ca))) => format!(
            "issued by {}, which is in the truststore (#{}) but breaks API Gateway's algorithm rules, so API Gateway lists it in truststoreWarnings and cannot use it",
            cert.issuer, ca.position
        ),
        (None, None) => format!(
            "issued by {}, which is neither in the truststore ({} certificate(s)) nor sent by the client",
            cert.issuer,
            store.certificates().count()
        ),
    };
    Denial::documented(NO_ISSUER, Some(cert), reason)
}

fn what_to_check(message: Option<&str>, access: Access) -> &'static str {
    match (message, access) {
        (Some(NO_ISSUER), _) => {
            "add the issuing CA to the truststore (`openssl verify -CAfile truststore.pem -untrusted intCA.pem client.pem`), upload it as a new S3 object version and update the domain's truststoreVersion"
        }
        (Some(INSECURE_ALGORITHM), _) => {
            "re-issue with a SHA-256 or stronger signature and an RSA 2048+ or ECDSA 256+ key (`openssl x509 -in truststore.pem -text -noout | grep 'Signature Algorithm'`)"
        }
        (_, Access::Unverifiable) => "run the openssl command in the reason",
        _ => "re-issue the client certificate for TLS client authentication and compare with `openssl verify -purpose sslclient`",
    }
}
