//! Which records a command keeps: by client address or network, verify status, subject
//! text, time range and listener port. Every condition given must hold; within one
//! condition (several `--ip`, several `--status`) any value may match.

use std::net::IpAddr;

use ipnet::IpNet;
use memchr::memmem;

use crate::record::{Field, FieldSet, Record, unescape_subject};
use crate::status::{FailureCode, VerifyStatus};
use crate::time::TimeRange;

/// A `--status` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFilter {
    /// Any `Failed:` status, documented or not.
    AnyFailure,
    Success,
    /// `-`: connections that were not HTTPS.
    Absent,
    Code(FailureCode),
    /// A code AWS does not document, e.g. `ClientCertRevoked`: matches the status
    /// `Failed:<code>`, ignoring case, as documented codes do.
    Undocumented(String),
}

/// A filter value the user typed that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error(
        "unknown status `{text}`: give a code such as ClientCertExpired (or Failed:ClientCertExpired), `failed`, `success` or `-`{}",
        did_you_mean(nearest)
    )]
    UnknownStatus { text: String, nearest: Vec<FailureCode> },
    #[error("`{0}` is not an IP address or CIDR network (examples: 203.0.113.7, 2001:db8::1, 10.0.0.0/8)")]
    BadIp(String),
}

/// `; did you mean A or B?`, or nothing when no code is close.
pub fn did_you_mean(nearest: &[FailureCode]) -> String {
    let names: Vec<&str> = nearest.iter().map(|c| c.as_str()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [init @ .., last] => format!("; did you mean {} or {last}?", init.join(", ")),
    }
}

impl StatusFilter {
    /// Understands, ignoring case: a code (`ClientCertExpired`, or one AWS does not
    /// document such as `ClientCertRevoked`), `Failed:<code>`, `failed`, `success` and `-`.
    pub fn parse(text: &str) -> Result<StatusFilter, FilterError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("failed") || text.eq_ignore_ascii_case("failure") {
            return Ok(StatusFilter::AnyFailure);
        }
        if text.eq_ignore_ascii_case("success") {
            return Ok(StatusFilter::Success);
        }
        if text == "-" {
            return Ok(StatusFilter::Absent);
        }
        let code = match text.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("failed:") => &text[7..],
            _ => text,
        };
        if let Some(code) = FailureCode::from_code_ignore_case(code) {
            return Ok(StatusFilter::Code(code));
        }
        // ALB's codes are CamelCase words; anything else is a typing mistake, not a code.
        if !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(StatusFilter::Undocumented(code.to_owned()));
        }
        Err(FilterError::UnknownStatus { text: text.to_owned(), nearest: FailureCode::nearest(code) })
    }

    pub fn matches(&self, status: &VerifyStatus<'_>, _raw: &[u8]) -> bool {
        match self {
            StatusFilter::AnyFailure => status.is_failure(),
            StatusFilter::Success => *status == VerifyStatus::Success,
            StatusFilter::Absent => *status == VerifyStatus::Absent,
            StatusFilter::Code(code) => *status == VerifyStatus::Failed(*code),
            StatusFilter::Undocumented(code) => match status {
                VerifyStatus::FailedUnknown(seen) => seen.eq_ignore_ascii_case(code.as_bytes()),
                _ => false,
            },
        }
    }

    /// For a code AWS does not document, a warning to give when no record has it: it
    /// may be a typing mistake, and the documented codes closest to it.
    pub fn unseen_warning(&self) -> Option<String> {
        let StatusFilter::Undocumented(code) = self else { return None };
        Some(format!(
            "no record has the status Failed:{code}, and AWS does not document that code{}",
            match did_you_mean(&FailureCode::nearest(code)).as_str() {
                "" => "; `albmtls explain all` lists the codes".to_owned(),
                suggestion => suggestion.to_owned(),
            }
        ))
    }
}

/// Parses an `--ip` value: an address (a one-host network) or a CIDR network.
pub fn parse_ip_filter(text: &str) -> Result<IpNet, FilterError> {
    let bare = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    bare.parse::<IpNet>().or_else(|_| bare.parse::<IpAddr>().map(IpNet::from)).map_err(|_| FilterError::BadIp(text.to_owned()))
}

/// The conditions a record must meet. The default keeps everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub networks: Vec<IpNet>,
    pub statuses: Vec<StatusFilter>,
    /// Substring of the (unescaped) certificate subject.
    pub subject: Option<memmem::Finder<'static>>,
    /// Whether `subject` was given in lower case to be found ignoring case.
    pub subject_ignore_case: bool,
    /// Entry times to keep.
    pub time: TimeRange,
    pub listener_ports: Vec<u16>,
}

impl Filter {
    /// Sets the subject substring to look for.
    pub fn with_subject(mut self, needle: &str) -> Filter {
        self.subject = Some(memmem::Finder::new(needle.as_bytes()).into_owned());
        self.subject_ignore_case = false;
        self
    }

    /// Sets the subject substring to look for in any case (`--subject -i`), Unicode case
    /// folded as lower case.
    pub fn with_subject_ignoring_case(mut self, needle: &str) -> Filter {
        self.subject = Some(memmem::Finder::new(needle.to_lowercase().as_bytes()).into_owned());
        self.subject_ignore_case = true;
        self
    }

    pub fn keeps_everything(&self) -> bool {
        self.networks.is_empty()
            && self.statuses.is_empty()
            && self.subject.is_none()
            && self.time.is_all()
            && self.listener_ports.is_empty()
    }

    /// The fields [`Filter::matches`] reads.
    pub fn fields(&self) -> FieldSet {
        let mut fields = FieldSet::EMPTY.with(Field::Timestamp);
        if !self.listener_ports.is_empty() {
            fields = fields.with(Field::ListenerPort);
        }
        if !self.networks.is_empty() {
            fields = fields.with(Field::ClientIp);
        }
        if !self.statuses.is_empty() {
            fields = fields.with(Field::TlsVerifyStatus);
        }
        if self.subject.is_some() {
            fields = fields.with(Field::LeafClientCertSubject);
        }
        fields
    }

    pub fn matches(&self, record: &Record<'_>) -> bool {
        if !self.time.contains(record.time) {
            return false;
        }
        if !self.listener_ports.is_empty() && !self.listener_ports.contains(&record.listener_port) {
            return false;
        }
        if !self.networks.is_empty() && !self.networks.iter().any(|net| net.contains(&record.client_ip)) {
            return false;
        }
        if !self.statuses.is_empty() {
            let status = record.verify_status();
            if !self.statuses.iter().any(|s| s.matches(&status, record.status)) {
                return false;
            }
        }
        if let Some(finder) = &self.subject {
            let Some(subject) = record.subject else { return false };
            let subject = unescape_subject(subject);
            let found = if self.subject_ignore_case {
                finder.find(String::from_utf8_lossy(&subject).to_lowercase().as_bytes()).is_some()
            } else {
                finder.find(&subject).is_some()
            };
            if !found {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: &str) -> Record<'_> {
        Record::parse(line.as_bytes()).unwrap()
    }

    const EXPIRED: &str =
        r#"2024-04-05T18:31:29.268987Z 203.0.113.7 5 8443 TLSv1.3 X - "CN=c,O=\"Q\" Company LLC" - 02 Failed:ClientCertExpired TID_1"#;
    const UNKNOWN: &str = r#"2024-04-05T18:31:30Z 2001:db8::5 5 443 TLSv1.3 X - "-" - - Failed:ClientCertRevoked TID_2"#;

    #[test]
    fn status_values_users_type() {
        assert_eq!(StatusFilter::parse("clientcertexpired"), Ok(StatusFilter::Code(FailureCode::ClientCertExpired)));
        assert_eq!(StatusFilter::parse("Failed:ClientCertCrlHit"), Ok(StatusFilter::Code(FailureCode::ClientCertCrlHit)));
        assert_eq!(StatusFilter::parse("failed:clientcertexpired"), Ok(StatusFilter::Code(FailureCode::ClientCertExpired)));
        assert_eq!(StatusFilter::parse("FAILED"), Ok(StatusFilter::AnyFailure));
        assert_eq!(StatusFilter::parse("Failed:Foo"), Ok(StatusFilter::Undocumented("Foo".to_owned())));
        assert_eq!(StatusFilter::parse("ClientCertRevoked"), Ok(StatusFilter::Undocumented("ClientCertRevoked".to_owned())));
        assert_eq!(
            StatusFilter::parse("Client Cert Expird").unwrap_err().to_string(),
            "unknown status `Client Cert Expird`: give a code such as ClientCertExpired (or Failed:ClientCertExpired), `failed`, `success` or `-`; did you mean ClientCertExpired?"
        );
        assert!(matches!(StatusFilter::parse("Failed:"), Err(FilterError::UnknownStatus { .. })));
    }

    #[test]
    fn undocumented_codes_match_ignoring_case_and_near_misses_are_named() {
        let unknown = rec(UNKNOWN);
        for typed in ["ClientCertRevoked", "clientcertrevoked", "Failed:ClientCertRevoked", "FAILED:CLIENTCERTREVOKED"] {
            let filter = StatusFilter::parse(typed).unwrap();
            assert!(filter.matches(&unknown.verify_status(), unknown.status), "{typed}");
            assert!(!filter.matches(&rec(EXPIRED).verify_status(), rec(EXPIRED).status), "{typed}");
        }
        assert_eq!(
            StatusFilter::parse("Failed:ClientCertExpird").unwrap().unseen_warning().unwrap(),
            "no record has the status Failed:ClientCertExpird, and AWS does not document that code; did you mean ClientCertExpired?"
        );
        assert_eq!(StatusFilter::parse("ClientCertExpired").unwrap().unseen_warning(), None);
    }

    #[test]
    fn every_condition_must_hold() {
        let (expired, unknown) = (rec(EXPIRED), rec(UNKNOWN));
        assert!(Filter::default().matches(&expired));
        let f = Filter { networks: vec![parse_ip_filter("203.0.113.0/24").unwrap()], ..Filter::default() };
        assert!(f.matches(&expired) && !f.matches(&unknown));
        let f = Filter { networks: vec![parse_ip_filter("[2001:db8::5]").unwrap()], ..Filter::default() };
        assert!(!f.matches(&expired) && f.matches(&unknown));
        let f = Filter { statuses: vec![StatusFilter::AnyFailure], ..Filter::default() };
        assert!(f.matches(&expired) && f.matches(&unknown));
        let f = Filter { statuses: vec![StatusFilter::parse("Failed:ClientCertRevoked").unwrap()], ..Filter::default() };
        assert!(!f.matches(&expired) && f.matches(&unknown));
        let f = Filter::default().with_subject("O=\"Q\" Company");
        assert!(f.matches(&expired) && !f.matches(&unknown));
        assert!(!Filter::default().with_subject("o=\"q\" COMPANY").matches(&expired));
        assert!(Filter::default().with_subject_ignoring_case("o=\"q\" COMPANY").matches(&expired));
        let f = Filter { listener_ports: vec![8443], ..Filter::default() };
        assert!(f.matches(&expired) && !f.matches(&unknown));
        let at = expired.time;
        let f = Filter { time: TimeRange::new(Some(at), Some(at + 1)).unwrap(), ..Filter::default() };
        assert!(f.matches(&expired) && !f.matches(&unknown));
        let f = Filter { time: TimeRange::new(None, Some(at)).unwrap(), ..Filter::default() };
        assert!(!f.matches(&expired));
    }

    #[test]
    fn bad_ip_is_explained() {
        assert_eq!(
            parse_ip_filter("10.0.0.300").unwrap_err().to_string(),
            "`10.0.0.300` is not an IP address or CIDR network (examples: 203.0.113.7, 2001:db8::1, 10.0.0.0/8)"
        );
    }
}
