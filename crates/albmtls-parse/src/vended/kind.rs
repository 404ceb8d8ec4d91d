//! Which kind of ELB log a file holds, told by the names of its fields.
//!
//! Under a vended delivery's layout the object names are undocumented, and an ALB can
//! deliver its access, connection and health-check logs into the same bucket in the
//! same formats. What tells them apart is the record fields each kind has: the lists
//! below are the CDK's `CfnLoadBalancerAlb{Connection,Access,HealthCheck}LogsRecordFields`
//! less the fields the kinds share (`time`, `elb`, `ip_address`, `client_port`,
//! `conn_trace_id`, `type`), which say nothing.

use super::json::top_level_keys;
use super::{FieldList, Format, delimited::header_names};
use crate::keys::LogFileKind;
use crate::record::{Record, is_blank, trim_line_end};

/// Fields only connection logs carry.
const CONNECTION_ONLY: [&str; 10] = [
    "client_ip",
    "listener_port",
    "tls_protocol",
    "tls_cipher",
    "tls_handshake_latency",
    "leaf_client_cert_subject",
    "leaf_client_cert_validity",
    "leaf_client_cert_serial_number",
    "tls_verify_status",
    "tls_keyexchange",
];

/// Fields only access logs carry, with the classic access log's names for the request
/// line and user agent.
const ACCESS_ONLY: [&str; 29] = [
    "actions_executed",
    "chosen_cert_arn",
    "classification",
    "classification_reason",
    "domain_name",
    "elb_status_code",
    "error_reason",
    "matched_rule_priority",
    "received_bytes",
    "redirect_url",
    "request",
    "request_creation_time",
    "request_line",
    "request_processing_time",
    "request_transform_status",
    "response_processing_time",
    "sent_bytes",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "target_port",
    "target_port_list",
    "target_processing_time",
    "target_status_code",
    "target_status_code_list",
    "trace_id",
    "transformed_host",
    "transformed_uri",
    "user_agent",
];

/// Fields only health-check logs carry.
const HEALTH_CHECK_ONLY: [&str; 6] = ["latency", "reason_code", "status", "status_code", "target_addr", "target_group_id"];

/// The kind of log whose own fields `names` name most: a connection log wins a tie, and
/// names that only fields every kind shares (or none at all) give [`LogFileKind::Other`].
/// Names match in any case, `-` for `_`.
pub fn kind_of_fields<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> LogFileKind {
    const LONGEST: usize = 40;
    let (mut connection, mut access, mut health_check) = (0usize, 0usize, 0usize);
    for name in names {
        if name.len() > LONGEST {
            continue;
        }
        let mut lower = [0u8; LONGEST];
        for (out, &b) in lower.iter_mut().zip(name) {
            *out = if b == b'-' { b'_' } else { b.to_ascii_lowercase() };
        }
        let lower = &lower[..name.len()];
        let is = |list: &[&str]| list.iter().any(|known| known.as_bytes() == lower);
        if is(&CONNECTION_ONLY) {
            connection += 1;
        } else if is(&ACCESS_ONLY) {
            access += 1;
        } else if is(&HEALTH_CHECK_ONLY) {
            health_check += 1;
        }
    }
    if connection > 0 && connection >= access && connection >= health_check {
        LogFileKind::Connection
    } else if access > 0 && access >= health_check {
        LogFileKind::Access
    } else if health_check > 0 {
        LogFileKind::HealthCheck
    } else {
        LogFileKind::Other
    }
}

/// The kind of log a text input holds, from its first bytes (after gzip): the keys of
/// its first JSON object, the names of its `#Fields:` header, or `given` (the field list
/// the user named for header-less deliveries). A classic line is a connection log when
/// it reads as a record. Parquet is judged by its columns, not here.
pub fn kind_of_text(head: &[u8], given: Option<&FieldList>) -> LogFileKind {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut lines = head.split(|&b| b == b'\n').map(trim_line_end).filter(|line| !is_blank(line));
    let from_given = || given.map_or(LogFileKind::Other, |list| kind_of_fields(list.fields().map(|f| f.name().as_bytes())));
    match Format::sniff(head, given.is_some()) {
        Format::Json => {
            let mut keys = Vec::new();
            top_level_keys(lines.next().unwrap_or_default(), |key| keys.push(key));
            kind_of_fields(keys)
        }
        Format::FieldList => {
            for line in lines.take_while(|line| line.trim_ascii_start().starts_with(b"#")) {
                if let Some(names) = header_names(line.trim_ascii_start(), b'\t') {
                    return kind_of_fields(names);
                }
            }
            from_given()
        }
        Format::Classic => match lines.next() {
            Some(line) if Record::parse(line).is_ok() => LogFileKind::Connection,
            _ => LogFileKind::Other,
        },
        Format::Parquet => LogFileKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSIC: &[u8] = b"2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.004 \"CN=a\" NotBefore=a;NotAfter=b 0A Success TID_1\n";

    #[test]
    fn each_kind_is_told_by_its_own_fields() {
        let kind = |names: &[&str]| kind_of_fields(names.iter().map(|n| n.as_bytes()));
        assert_eq!(kind(&["time", "client_ip", "tls_verify_status"]), LogFileKind::Connection);
        assert_eq!(kind(&["TIME", "Leaf-Client-Cert-Subject"]), LogFileKind::Connection);
        assert_eq!(
            kind(&["type", "time", "elb", "client_port", "elb_status_code", "target_status_code", "user_agent"]),
            LogFileKind::Access
        );
        assert_eq!(kind(&["type", "time", "target_addr", "status", "reason_code", "latency"]), LogFileKind::HealthCheck);
        assert_eq!(kind(&["time", "elb", "conn_trace_id", "ip_address"]), LogFileKind::Other, "shared fields say nothing");
        assert_eq!(kind(&[]), LogFileKind::Other);
    }

    #[test]
    fn text_is_judged_by_its_first_record_or_header() {
        let json_connection = b"\n{\"time\":\"2026-11-02T10:00:01Z\",\"tls_verify_status\":\"Success\",\"client_ip\":\"1.2.3.4\"}\n";
        assert_eq!(kind_of_text(json_connection, None), LogFileKind::Connection);
        let json_access = b"{\"type\":\"h2\",\"time\":\"2026-11-02T10:00:01Z\",\"elb_status_code\":200,\"request_line\":\"GET / HTTP/2.0\",\"ssl_cipher\":\"-\"}\n";
        assert_eq!(kind_of_text(json_access, None), LogFileKind::Access);
        let cut_short = b"{\"time\":\"2026-11-02T10:00:01Z\",\"tls_verify_status\":\"Succ";
        assert_eq!(kind_of_text(cut_short, None), LogFileKind::Connection, "a record cut by the peek still has its first keys");
        let pretty = b"{\n  \"records\": 5\n}\n";
        assert_eq!(kind_of_text(pretty, None), LogFileKind::Other);
        let w3c = b"#Version: 1.0\n#Fields: time target_addr status reason_code\n2026-11-02T10:00:01Z\t10.0.0.1:80\thealthy\t-\n";
        assert_eq!(kind_of_text(w3c, None), LogFileKind::HealthCheck);
        let w3c = b"#Version: 1.0\n#Fields: time client_ip tls_verify_status\n";
        assert_eq!(kind_of_text(w3c, None), LogFileKind::Connection);
        assert_eq!(kind_of_text(CLASSIC, None), LogFileKind::Connection);
        assert_eq!(kind_of_text(b"Enable ConnectionLog for ELB: app/x/1 at 2026-11-02T10:00:00Z\n", None), LogFileKind::Other);
        assert_eq!(kind_of_text(b"", None), LogFileKind::Other);
        let given = FieldList::parse("tls_verify_status,time").unwrap();
        assert_eq!(kind_of_text(b"Success\t2026-11-02T10:00:01Z\n", Some(&given)), LogFileKind::Connection);
        assert_eq!(kind_of_text(b"Success\t2026-11-02T10:00:01Z\n", None), LogFileKind::Other);
    }
}
