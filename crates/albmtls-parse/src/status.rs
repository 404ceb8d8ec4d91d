//! `tls_verify_status`: `Success`, `-`, one of the documented `Failed:` codes, or an
//! unknown `Failed:<X>` that is kept verbatim; borrowed from a line ([`VerifyStatus`]) or
//! owned by aggregates ([`StatusKey`]).

use std::fmt;

/// Defines [`FailureCode`] from one list of code names: the enum, [`FailureCode::ALL`] and
/// both spellings. Adding a code is one name here plus its entry in
/// [`crate::remediation::for_code`] (the compiler asks for it).
macro_rules! failure_codes {
    ($($(#[$doc:meta])* $code:ident),+ $(,)?) => {
        /// A documented `Failed:` code (the part after `Failed:`).
        ///
        /// The order is the order of the AWS documentation; it is also the order reports
        /// list codes in when counts tie.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum FailureCode {
            $($(#[$doc])* $code),+
        }

        impl FailureCode {
            /// Every documented code, in documentation order.
            pub const ALL: [FailureCode; [$(stringify!($code)),+].len()] = [$(FailureCode::$code),+];

            /// The code as ALB spells it, without the `Failed:` prefix.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FailureCode::$code => stringify!($code)),+
                }
            }

            /// The full status text, `Failed:<code>`.
            pub fn status_text(self) -> &'static str {
                match self {
                    $(FailureCode::$code => concat!("Failed:", stringify!($code))),+
                }
            }
        }
    };
}

failure_codes! {
    /// The client chain is deeper than ALB's maximum (4).
    ClientCertMaxChainDepthExceeded,
    /// The client certificate (chain) is larger than ALB accepts.
    ClientCertMaxSizeExceeded,
    /// A CRL in the trust store revokes the client certificate.
    ClientCertCrlHit,
    /// ALB could not process a CRL of the trust store.
    ClientCertCrlProcessingError,
    /// No chain from the client certificate to a CA of the trust store.
    ClientCertUntrusted,
    /// The client certificate's NotBefore is in the future.
    ClientCertNotYetValid,
    /// The client certificate's NotAfter is in the past.
    ClientCertExpired,
    /// The certificate type is not supported (e.g. not X.509v3).
    ClientCertTypeUnsupported,
    /// The client certificate is invalid.
    ClientCertInvalid,
    /// The certificate's purpose (EKU / key usage) does not allow client authentication.
    ClientCertPurposeInvalid,
    /// Rejected by custom server validation.
    ClientCertRejected,
    /// A runtime connection error ALB does not map to a code.
    UnmappedConnectionError,
    /// The certificate is incompatible with the listener's security policy.
    ClientCertIncompatible,
}

impl FailureCode {
    /// Looks a code up by its exact spelling (without `Failed:`).
    pub fn from_code(code: &[u8]) -> Option<FailureCode> {
        FailureCode::ALL.into_iter().find(|c| c.as_str().as_bytes() == code)
    }

    /// Looks a code up ignoring ASCII case, for user input such as `--status clientcertexpired`.
    pub fn from_code_ignore_case(code: &str) -> Option<FailureCode> {
        FailureCode::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(code))
    }
}

impl FailureCode {
    /// The documented codes closest to `text` (ignoring case), best first, at most three:
    /// those within a few edits of it, else those that contain it. Empty when none is
    /// close, so a suggestion is never a guess.
    pub fn nearest(text: &str) -> Vec<FailureCode> {
        let text = text.to_ascii_lowercase();
        let mut scored: Vec<(usize, FailureCode)> =
            FailureCode::ALL.into_iter().map(|c| (edit_distance(&text, &c.as_str().to_ascii_lowercase()), c)).collect();
        scored.sort();
        // A third of the code's length, at least 2: "ClientCertExpird" is one edit away,
        // "Expired" is not a near miss of anything and falls to the substring rule.
        // Only the best and those almost as good: a runner-up far behind is noise.
        let best = scored.first().map_or(0, |(d, _)| *d);
        let close: Vec<FailureCode> =
            scored.iter().filter(|(d, c)| *d <= (c.as_str().len() / 3).max(2) && *d <= best + 1).map(|(_, c)| *c).take(3).collect();
        if !close.is_empty() || text.len() < 3 {
            return close;
        }
        FailureCode::ALL.into_iter().filter(|c| c.as_str().to_ascii_lowercase().contains(&text)).take(3).collect()
    }
}

/// Levenshtein distance between two ASCII strings (codes are short: a row is enough).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
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

/// A `tls_verify_status` owned, as aggregates and reports keep it: the documented values
/// typed, any other text verbatim. Serialized as the text the log writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusKey {
    Success,
    Absent,
    Failed(FailureCode),
    /// Any other text: an undocumented `Failed:<X>` or something stranger.
    Other(String),
}

impl StatusKey {
    /// The key of a status written out in full, as in a log (`Success`, `-`,
    /// `Failed:<code>`, ...).
    pub fn from_text(text: &str) -> StatusKey {
        match VerifyStatus::parse(text.as_bytes()) {
            VerifyStatus::Success => StatusKey::Success,
            VerifyStatus::Absent => StatusKey::Absent,
            VerifyStatus::Failed(code) => StatusKey::Failed(code),
            VerifyStatus::FailedUnknown(_) | VerifyStatus::Other(_) => StatusKey::Other(text.to_owned()),
        }
    }

    /// The status exactly as it appears in logs.
    pub fn text(&self) -> &str {
        match self {
            StatusKey::Success => "Success",
            StatusKey::Absent => "-",
            StatusKey::Failed(code) => code.status_text(),
            StatusKey::Other(text) => text,
        }
    }

    /// The part after `Failed:`, for failures.
    pub fn code(&self) -> Option<&str> {
        self.text().strip_prefix("Failed:")
    }

    /// Whether this is any `Failed:` status, documented or not.
    pub fn is_failure(&self) -> bool {
        self.code().is_some()
    }

    /// Whether AWS documents this status (`Success`, `-` or a [`FailureCode`]).
    pub fn is_documented(&self) -> bool {
        !matches!(self, StatusKey::Other(_))
    }

    /// The status as the parser classifies it.
    pub fn as_verify_status(&self) -> VerifyStatus<'_> {
        VerifyStatus::parse(self.text().as_bytes())
    }
}

impl fmt::Display for StatusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl serde::Serialize for StatusKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text())
    }
}

impl<'de> serde::Deserialize<'de> for StatusKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StatusKey, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(StatusKey::from_text(&text))
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
    fn near_misses_find_the_closest_documented_codes() {
        assert_eq!(FailureCode::nearest("ClientCertExpird"), [FailureCode::ClientCertExpired]);
        assert_eq!(FailureCode::nearest("clientcertexpired")[0], FailureCode::ClientCertExpired);
        assert_eq!(FailureCode::nearest("Expired"), [FailureCode::ClientCertExpired]);
        assert_eq!(FailureCode::nearest("Crl"), [FailureCode::ClientCertCrlHit, FailureCode::ClientCertCrlProcessingError]);
        assert!(FailureCode::nearest("Zebra").is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
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
