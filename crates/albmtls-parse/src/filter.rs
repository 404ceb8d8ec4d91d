//! Which records a command keeps: by client address or network, verify status, subject
//! text, time range, listener port, load balancer, TLS protocol and key exchange. Every condition given must hold; within one
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
    #[error(
        "`{0}` is not a load balancer: give its name (my-lb), its id (50dc6c495c0c9188) or both as field 14 writes them (app/my-lb/50dc6c495c0c9188)"
    )]
    BadLoadBalancer(String),
    #[error("`{0}` is not a TLS protocol: give one as the log writes it (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3) or its version (1.2)")]
    BadProtocol(String),
    #[error(
        "`{0}` is not a key exchange: give a group as field 13 writes it (X25519MLKEM768, secp256r1), `pq` for any ML-KEM group or `classic` for any other"
    )]
    BadKeyExchange(String),
}

/// A `--lb` value: a load balancer's name, its id, or the whole `app/NAME/ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancerFilter(Vec<u8>);

impl LoadBalancerFilter {
    pub fn parse(text: &str) -> Result<LoadBalancerFilter, FilterError> {
        let ok = !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'.'));
        if ok { Ok(LoadBalancerFilter(text.as_bytes().to_vec())) } else { Err(FilterError::BadLoadBalancer(text.to_owned())) }
    }

    /// Whether `elb` (`app/NAME/ID` as field 14 writes it) is this load balancer.
    pub fn matches(&self, elb: &[u8]) -> bool {
        let wanted = self.0.as_slice();
        elb == wanted || elb.split(|&b| b == b'/').skip(1).any(|part| part == wanted)
    }
}

/// A `--protocol` value: a protocol as the log writes it, matched exactly.
pub fn parse_protocol_filter(text: &str) -> Result<Vec<u8>, FilterError> {
    let version = text.strip_prefix("TLSv").or_else(|| text.strip_prefix("tlsv")).unwrap_or(text);
    match version {
        "1" | "1.0" => Ok(b"TLSv1".to_vec()),
        "1.1" | "1.2" | "1.3" => Ok(format!("TLSv{version}").into_bytes()),
        _ => Err(FilterError::BadProtocol(text.to_owned())),
    }
}

/// A `--key-exchange` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyExchangeFilter {
    /// Any hybrid ML-KEM group.
    PostQuantum,
    /// Any group that is not post-quantum (records without field 13 do not match).
    Classic,
    /// One group, compared without regard to case.
    Exact(Vec<u8>),
}

impl KeyExchangeFilter {
    pub fn parse(text: &str) -> Result<KeyExchangeFilter, FilterError> {
        if text.eq_ignore_ascii_case("pq") || text.eq_ignore_ascii_case("post-quantum") {
            Ok(KeyExchangeFilter::PostQuantum)
        } else if text.eq_ignore_ascii_case("classic") {
            Ok(KeyExchangeFilter::Classic)
        } else if crate::tls::is_key_exchange_name(text.as_bytes()) && text != "-" {
            Ok(KeyExchangeFilter::Exact(text.as_bytes().to_vec()))
        } else {
            Err(FilterError::BadKeyExchange(text.to_owned()))
        }
    }

    /// Whether a record's field 13 (`None` when the line has none, or `-`) matches.
    pub fn matches(&self, key_exchange: Option<&[u8]>) -> bool {
        let Some(group) = key_exchange.filter(|g| *g != b"-") else { return false };
        match self {
            KeyExchangeFilter::PostQuantum => crate::tls::is_post_quantum(group),
            KeyExchangeFilter::Classic => !crate::tls::is_post_quantum(group),
            KeyExchangeFilter::Exact(wanted) => group.eq_ignore_ascii_case(wanted),
        }
    }
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
    pub load_balancers: Vec<LoadBalancerFilter>,
    /// `tls_protocol` values, exact.
    pub protocols: Vec<Vec<u8>>,
    pub key_exchanges: Vec<KeyExchangeFilter>,
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
            && self.load_balancers.is_empty()
            && self.protocols.is_empty()
            && self.key_exchanges.is_empty()
    }

    /// The fields [`Filter::matches_in`] reads.
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
        if !self.load_balancers.is_empty() {
            fields = fields.with(Field::Elb);
        }
        if !self.protocols.is_empty() {
            fields = fields.with(Field::TlsProtocol);
        }
        if !self.key_exchanges.is_empty() {
            fields = fields.with(Field::TlsKeyexchange);
        }
        fields
    }

    /// Whether `record` is kept. `input_load_balancer` is the load balancer the input's
    /// name gives (see [`crate::keys::load_balancer_of_name`]), used when the line has no
    /// field 14.
    pub fn matches_in(&self, record: &Record<'_>, input_load_balancer: Option<&[u8]>) -> bool {
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
        if !self.load_balancers.is_empty() {
            let elb = record.elb.or(input_load_balancer).unwrap_or(b"-");
            if !self.load_balancers.iter().any(|lb| lb.matches(elb)) {
                return false;
            }
        }
        if !self.protocols.is_empty() && !self.protocols.iter().any(|p| p.as_slice() == record.tls_protocol) {
            return false;
        }
        if !self.key_exchanges.is_empty() && !self.key_exchanges.iter().any(|k| k.matches(record.tls_keyexchange)) {
            return false;
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
        assert!(Filter::default().matches_in(&expired, None));
        let f = Filter { networks: vec![parse_ip_filter("203.0.113.0/24").unwrap()], ..Filter::default() };
        assert!(f.matches_in(&expired, None) && !f.matches_in(&unknown, None));
        let f = Filter { networks: vec![parse_ip_filter("[2001:db8::5]").unwrap()], ..Filter::default() };
        assert!(!f.matches_in(&expired, None) && f.matches_in(&unknown, None));
        let f = Filter { statuses: vec![StatusFilter::AnyFailure], ..Filter::default() };
        assert!(f.matches_in(&expired, None) && f.matches_in(&unknown, None));
        let f = Filter { statuses: vec![StatusFilter::parse("Failed:ClientCertRevoked").unwrap()], ..Filter::default() };
        assert!(!f.matches_in(&expired, None) && f.matches_in(&unknown, None));
        let f = Filter::default().with_subject("O=\"Q\" Company");
        assert!(f.matches_in(&expired, None) && !f.matches_in(&unknown, None));
        assert!(!Filter::default().with_subject("o=\"q\" COMPANY").matches_in(&expired, None));
        assert!(Filter::default().with_subject_ignoring_case("o=\"q\" COMPANY").matches_in(&expired, None));
        let f = Filter { listener_ports: vec![8443], ..Filter::default() };
        assert!(f.matches_in(&expired, None) && !f.matches_in(&unknown, None));
        let at = expired.time;
        let f = Filter { time: TimeRange::new(Some(at), Some(at + 1)).unwrap(), ..Filter::default() };
        assert!(f.matches_in(&expired, None) && !f.matches_in(&unknown, None));
        let f = Filter { time: TimeRange::new(None, Some(at)).unwrap(), ..Filter::default() };
        assert!(!f.matches_in(&expired, None));
    }

    #[test]
    fn load_balancer_protocol_and_key_exchange_conditions() {
        let line = format!("{EXPIRED} X25519MLKEM768 app/edge-lb/50dc6c495c0c9188 10.0.0.1");
        let (with_elb, without) = (rec(&line), rec(EXPIRED));
        let lb = |v: &str| Filter { load_balancers: vec![LoadBalancerFilter::parse(v).unwrap()], ..Filter::default() };
        for value in ["edge-lb", "50dc6c495c0c9188", "app/edge-lb/50dc6c495c0c9188"] {
            assert!(lb(value).matches_in(&with_elb, None), "{value}");
        }
        assert!(!lb("edge").matches_in(&with_elb, None) && !lb("app").matches_in(&with_elb, None));
        // A line without field 14 takes its load balancer from the input's name.
        assert!(!lb("edge-lb").matches_in(&without, None));
        assert!(lb("edge-lb").matches_in(&without, Some(b"app/edge-lb/1")));
        assert!(lb("edge-lb").matches_in(&with_elb, Some(b"app/other/1")));
        assert!(LoadBalancerFilter::parse("a b").is_err());

        let protocol = |v: &str| Filter { protocols: vec![parse_protocol_filter(v).unwrap()], ..Filter::default() };
        assert!(
            protocol("1.3").matches_in(&with_elb, None)
                && protocol("TLSv1.3").matches_in(&with_elb, None)
                && !protocol("1.2").matches_in(&with_elb, None)
        );
        assert_eq!(parse_protocol_filter("1.0").unwrap(), b"TLSv1");
        assert!(parse_protocol_filter("SSLv2").unwrap_err().to_string().contains("TLSv1.2"));

        let kx = |v: &str| Filter { key_exchanges: vec![KeyExchangeFilter::parse(v).unwrap()], ..Filter::default() };
        assert!(kx("pq").matches_in(&with_elb, None) && kx("x25519mlkem768").matches_in(&with_elb, None));
        assert!(
            !kx("classic").matches_in(&with_elb, None) && !kx("pq").matches_in(&without, None) && !kx("classic").matches_in(&without, None)
        );
        assert!(KeyExchangeFilter::parse("-").is_err() && KeyExchangeFilter::parse("a;b").is_err());
        assert!(!lb("x").keeps_everything() && Filter::default().keeps_everything());
    }

    /// Columnar readers decode only the fields a sink and the filter ask for: a filter
    /// that left out a field it reads would see `-` there and drop every record.
    #[test]
    fn fields_name_everything_the_conditions_read() {
        let lb = LoadBalancerFilter::parse("edge-lb").unwrap();
        let cases = [
            (Filter { load_balancers: vec![lb], ..Filter::default() }, Field::Elb),
            (Filter { protocols: vec![b"TLSv1.3".to_vec()], ..Filter::default() }, Field::TlsProtocol),
            (Filter { key_exchanges: vec![KeyExchangeFilter::PostQuantum], ..Filter::default() }, Field::TlsKeyexchange),
            (Filter { listener_ports: vec![443], ..Filter::default() }, Field::ListenerPort),
            (Filter { statuses: vec![StatusFilter::AnyFailure], ..Filter::default() }, Field::TlsVerifyStatus),
            (Filter::default().with_subject("CN="), Field::LeafClientCertSubject),
        ];
        for (filter, field) in cases {
            assert!(filter.fields().contains(field), "{field:?}");
            assert!(!Filter::default().fields().contains(field), "{field:?} is read only when its condition is set");
        }
    }

    #[test]
    fn bad_ip_is_explained() {
        assert_eq!(
            parse_ip_filter("10.0.0.300").unwrap_err().to_string(),
            "`10.0.0.300` is not an IP address or CIDR network (examples: 203.0.113.7, 2001:db8::1, 10.0.0.0/8)"
        );
    }
}
