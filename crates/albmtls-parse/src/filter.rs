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
    /// An exact status text not in the documentation, e.g. `Failed:ClientCertRevoked`.
    Exact(Vec<u8>),
}

/// A filter value the user typed that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error(
        "unknown status `{0}`: give a code such as ClientCertExpired (list them with `albmtls explain all`), \
         `failed`, `success`, `-`, or an exact `Failed:<code>` text"
    )]
    UnknownStatus(String),
    #[error("`{0}` is not an IP address or CIDR network (examples: 203.0.113.7, 2001:db8::1, 10.0.0.0/8)")]
    BadIp(String),
}

impl StatusFilter {
    /// Understands `ClientCertExpired` (any case), `Failed:ClientCertExpired`, `failed`,
    /// `success`, `-` and any exact `Failed:<X>` text.
    pub fn parse(text: &str) -> Result<StatusFilter, FilterError> {
        if text.eq_ignore_ascii_case("failed") || text.eq_ignore_ascii_case("failure") {
            return Ok(StatusFilter::AnyFailure);
        }
        if text.eq_ignore_ascii_case("success") {
            return Ok(StatusFilter::Success);
        }
        if text == "-" {
            return Ok(StatusFilter::Absent);
        }
        if let Some(code) = text.strip_prefix("Failed:") {
            return Ok(match FailureCode::from_code(code.as_bytes()) {
                Some(code) => StatusFilter::Code(code),
                None if !code.is_empty() => StatusFilter::Exact(text.as_bytes().to_vec()),
                None => return Err(FilterError::UnknownStatus(text.to_owned())),
            });
        }
        FailureCode::from_code_ignore_case(text).map(StatusFilter::Code).ok_or_else(|| FilterError::UnknownStatus(text.to_owned()))
    }

    pub fn matches(&self, status: &VerifyStatus<'_>, raw: &[u8]) -> bool {
        match self {
            StatusFilter::AnyFailure => status.is_failure(),
            StatusFilter::Success => *status == VerifyStatus::Success,
            StatusFilter::Absent => *status == VerifyStatus::Absent,
            StatusFilter::Code(code) => *status == VerifyStatus::Failed(*code),
            StatusFilter::Exact(text) => raw == text.as_slice(),
        }
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
    /// Entry times to keep.
    pub time: TimeRange,
    pub listener_ports: Vec<u16>,
}

impl Filter {
    /// Sets the subject substring to look for.
    pub fn with_subject(mut self, needle: &str) -> Filter {
        self.subject = Some(memmem::Finder::new(needle.as_bytes()).into_owned());
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
            if finder.find(&unescape_subject(subject)).is_none() {
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
        assert_eq!(StatusFilter::parse("FAILED"), Ok(StatusFilter::AnyFailure));
        assert_eq!(StatusFilter::parse("Failed:Foo"), Ok(StatusFilter::Exact(b"Failed:Foo".to_vec())));
        assert!(matches!(StatusFilter::parse("Expired"), Err(FilterError::UnknownStatus(_))));
        assert!(StatusFilter::parse("nope").unwrap_err().to_string().contains("albmtls explain all"));
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
