//! The one error type of the crate. Every message says what went wrong, in which input
//! (and where in it), and what to do about it.

/// Errors for inputs that cannot be analysed at all. Problems ALB itself would report
/// (a bad bundle line, an expired certificate) are findings or verdicts, not errors.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{name}: no certificate found; expected PEM `-----BEGIN CERTIFICATE-----` blocks or one DER certificate")]
    NoCertificate { name: String },

    #[error("{name}: PEM data is malformed ({reason}); re-export it, e.g. `openssl x509 -in FILE -outform PEM`")]
    BadPem { name: String, reason: String },

    #[error("{name}: certificate #{position} is not valid X.509 DER ({reason}); check that the block holds a whole certificate")]
    BadCertificate { name: String, position: usize, reason: String },

    #[error("{name}: not a CRL ({reason}); expected one PEM `-----BEGIN X509 CRL-----` block or a DER CRL")]
    BadCrl { name: String, reason: String },

    #[error("{name}: holds {count} CRLs; a revocation file for ALB holds one CRL, split it into {count} files")]
    MultipleCrls { name: String, count: usize },

    #[error("{name}: no usable private key ({reason}); expected a PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`")]
    BadKey { name: String, reason: String },

    #[error("{name}: the private key is encrypted; decrypt a copy first, e.g. `openssl pkey -in {name} -out plain.key`")]
    EncryptedKey { name: String },

    #[error("{name}: not a certificate signing request ({reason}); expected PEM `-----BEGIN CERTIFICATE REQUEST-----`")]
    BadCsr { name: String, reason: String },

    #[error("serial number `{input}` is not valid: {reason}; give it in hex as in the log, e.g. `02` or `FE:F2:57:37`")]
    BadSerial { input: String, reason: String },

    #[error("verification time {time} is before 1970-01-01; give a later time")]
    TimeOutOfRange { time: String },

    #[error(
        "{name}: no X-Amzn-Mtls-Clientcert headers found; give the raw request or `Name: value` lines (renamed headers need their names)"
    )]
    NoMtlsHeaders { name: String },
}
