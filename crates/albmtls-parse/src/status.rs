//! `tls_verify_status`: `Success`, `-`, one of the documented `Failed:` codes, or an
//! unknown `Failed:<X>` that is kept verbatim.

use std::fmt;

/// A documented `Failed:` code (the part after `Failed:`).
///
/// The order is the order of the AWS documentation; it is also the order reports list
/// codes in when counts tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum FailureCode {
    ClientCertMaxChainDepthExceeded,
    ClientCertMaxSizeExceeded,
    ClientCertCrlHit,
    ClientCertCrlProcessingError,
    ClientCertUntrusted,
    ClientCertNotYetValid,
    ClientCertExpired,
    ClientCertTypeUnsupported,
    ClientCertInvalid,
    ClientCertPurposeInvalid,
    ClientCertRejected,
    UnmappedConnectionError,
    ClientCertIncompatible,
}

impl FailureCode {
    /// Every documented code, in documentation order.
    pub const ALL: [FailureCode; 13] = [
        FailureCode::ClientCertMaxChainDepthExceeded,
        FailureCode::ClientCertMaxSizeExceeded,
        FailureCode::ClientCertCrlHit,
        FailureCode::ClientCertCrlProcessingError,
        FailureCode::ClientCertUntrusted,
        FailureCode::ClientCertNotYetValid,
        FailureCode::ClientCertExpired,
        FailureCode::ClientCertTypeUnsupported,
        FailureCode::ClientCertInvalid,
        FailureCode::ClientCertPurposeInvalid,
        FailureCode::ClientCertRejected,
        FailureCode::UnmappedConnectionError,
        FailureCode::ClientCertIncompatible,
    ];

    /// The code as ALB spells it, without the `Failed:` prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::ClientCertMaxChainDepthExceeded => "ClientCertMaxChainDepthExceeded",
            FailureCode::ClientCertMaxSizeExceeded => "ClientCertMaxSizeExceeded",
            FailureCode::ClientCertCrlHit => "ClientCertCrlHit",
            FailureCode::ClientCertCrlProcessingError => "ClientCertCrlProcessingError",
            FailureCode::ClientCertUntrusted => "ClientCertUntrusted",
            FailureCode::ClientCertNotYetValid => "ClientCertNotYetValid",
            FailureCode::ClientCertExpired => "ClientCertExpired",
            FailureCode::ClientCertTypeUnsupported => "ClientCertTypeUnsupported",
            FailureCode::ClientCertInvalid => "ClientCertInvalid",
            FailureCode::ClientCertPurposeInvalid => "ClientCertPurposeInvalid",
            FailureCode::ClientCertRejected => "ClientCertRejected",
            FailureCode::UnmappedConnectionError => "UnmappedConnectionError",
            FailureCode::ClientCertIncompatible => "ClientCertIncompatible",
        }
    }

    /// The full status text, `Failed:<code>`.
    pub fn status_text(self) -> &'static str {
        match self {
            FailureCode::ClientCertMaxChainDepthExceeded => "Failed:ClientCertMaxChainDepthExceeded",
            FailureCode::ClientCertMaxSizeExceeded => "Failed:ClientCertMaxSizeExceeded",
            FailureCode::ClientCertCrlHit => "Failed:ClientCertCrlHit",
            FailureCode::ClientCertCrlProcessingError => "Failed:ClientCertCrlProcessingError",
            FailureCode::ClientCertUntrusted => "Failed:ClientCertUntrusted",
            FailureCode::ClientCertNotYetValid => "Failed:ClientCertNotYetValid",
            FailureCode::ClientCertExpired => "Failed:ClientCertExpired",
            FailureCode::ClientCertTypeUnsupported => "Failed:ClientCertTypeUnsupported",
            FailureCode::ClientCertInvalid => "Failed:ClientCertInvalid",
            FailureCode::ClientCertPurposeInvalid => "Failed:ClientCertPurposeInvalid",
            FailureCode::ClientCertRejected => "Failed:ClientCertRejected",
            FailureCode::UnmappedConnectionError => "Failed:UnmappedConnectionError",
            FailureCode::ClientCertIncompatible => "Failed:ClientCertIncompatible",
        }
    }

    /// Looks a code up by its exact spelling (without `Failed:`).
    pub fn from_code(code: &[u8]) -> Option<FailureCode> {
        FailureCode::ALL.into_iter().find(|c| c.as_str().as_bytes() == code)
    }

    /// Looks a code up ignoring ASCII case, for user input such as `--status clientcertexpired`.
    pub fn from_code_ignore_case(code: &str) -> Option<FailureCode> {
        FailureCode::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed `tls_verify_status` field, borrowing unknown codes from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyStatus<'a> {
    Success,
    /// `-`: not an HTTPS connection.
    Absent,
    Failed(FailureCode),
    /// `Failed:<X>` with a code AWS has not documented (yet); `X` kept verbatim.
    FailedUnknown(&'a [u8]),
    /// Any other text. Kept verbatim so nothing is lost or merged.
    Other(&'a [u8]),
}

impl<'a> VerifyStatus<'a> {
    /// Classifies the raw field.
    pub fn parse(field: &'a [u8]) -> VerifyStatus<'a> {
        match field {
            b"Success" => VerifyStatus::Success,
            b"-" => VerifyStatus::Absent,
            _ => match field.strip_prefix(b"Failed:") {
                Some(code) => match FailureCode::from_code(code) {
                    Some(known) => VerifyStatus::Failed(known),
                    None => VerifyStatus::FailedUnknown(code),
                },
                None => VerifyStatus::Other(field),
            },
        }
    }

    /// Whether this is any `Failed:` status, known or not.
    pub fn is_failure(&self) -> bool {
        matches!(self, VerifyStatus::Failed(_) | VerifyStatus::FailedUnknown(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_round_trips() {
        for code in FailureCode::ALL {
            assert_eq!(VerifyStatus::parse(code.status_text().as_bytes()), VerifyStatus::Failed(code));
            assert_eq!(format!("Failed:{code}"), code.status_text());
        }
    }

    #[test]
    fn unknown_and_odd_values_are_kept_verbatim() {
        assert_eq!(VerifyStatus::parse(b"Success"), VerifyStatus::Success);
        assert_eq!(VerifyStatus::parse(b"-"), VerifyStatus::Absent);
        assert_eq!(VerifyStatus::parse(b"Failed:ClientCertRevoked"), VerifyStatus::FailedUnknown(b"ClientCertRevoked"));
        assert_eq!(VerifyStatus::parse(b"Failed:"), VerifyStatus::FailedUnknown(b""));
        assert_eq!(VerifyStatus::parse(b"failed:ClientCertExpired"), VerifyStatus::Other(b"failed:ClientCertExpired"));
        assert!(VerifyStatus::parse(b"Failed:X").is_failure());
        assert!(!VerifyStatus::parse(b"Success").is_failure());
    }
}
