//! The same lines as vended deliveries write them (CloudWatch vended logs to S3): one
//! JSON object per line, W3C rows under `#Fields:` headers, or Parquet, under the Hive
//! or destination-prefix key layouts (reference `vended-delivery.md`), optionally with a
//! subset of the fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::line::{Generation, LineFields, format_timestamp};

/// The output format of a delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// ALB's own space-separated files.
    #[default]
    Classic,
    /// One JSON object per line (values as strings, ports as numbers).
    Json,
    /// W3C: `#Version:` and `#Fields:` headers, then tab-separated rows.
    W3c,
    /// Apache Parquet, one column per field (a file is never gzip-compressed).
    Parquet,
}

impl Delivery {
    /// The file name's ending (before any `.gz`).
    pub fn extension(self) -> &'static str {
        match self {
            Delivery::Classic => "log",
            Delivery::Json => "json",
            Delivery::W3c => "log",
            Delivery::Parquet => "parquet",
        }
    }
}

/// Where a vended delivery puts its objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendedLayout {
    /// `AWSLogs/aws-account-id=…/elasticloadbalancing/region=…/year=…/month=…/day=…/`.
    #[default]
    Hive,
    /// A destination prefix: `MyLogPrefix/<region>/yyyy/mm/dd/`.
    Prefix,
}

/// The folder of a vended object delivered at `end`.
pub fn vended_folder(layout: VendedLayout, account: &str, region: &str, end: DateTime<Utc>) -> String {
    match layout {
        VendedLayout::Hive => {
            format!("AWSLogs/aws-account-id={account}/elasticloadbalancing/region={region}/{}", end.format("year=%Y/month=%m/day=%d"))
        }
        VendedLayout::Prefix => format!("MyLogPrefix/{region}/{}", end.format("%Y/%m/%d")),
    }
}

/// The documented vended field names, in classic order.
pub const VENDED_FIELDS: [&str; 15] = [
    "time",
    "client_ip",
    "client_port",
    "listener_port",
    "tls_protocol",
    "tls_cipher",
    "tls_handshake_latency",
    "leaf_client_cert_subject",
    "leaf_client_cert_validity",
    "leaf_client_cert_serial_number",
    "tls_verify_status",
    "conn_trace_id",
    "tls_keyexchange",
    "elb",
    "ip_address",
];

/// The fields a line of `generation` delivers, restricted to `subset` (in its order)
/// when one is given.
pub fn delivered_fields(generation: Generation, subset: Option<&[String]>) -> Vec<&'static str> {
    let carried = &VENDED_FIELDS[..usize::from(generation.field_count())];
    match subset {
        None => carried.to_vec(),
        Some(names) => names.iter().filter_map(|n| carried.iter().find(|c| **c == n.as_str()).copied()).collect(),
    }
}

/// One field's value as a delivery writes it: the subject unescaped (vended formats have
/// their own quoting), `-` for absent.
pub fn vended_value(f: &LineFields<'_>, name: &str) -> String {
    let opt = |v: Option<&str>| v.unwrap_or("-").to_owned();
    match name {
        "time" => format_timestamp(&f.timestamp),
        "client_ip" => f.client_ip.trim_start_matches('[').trim_end_matches(']').to_owned(),
        "client_port" => f.client_port.to_string(),
        "listener_port" => f.listener_port.to_string(),
        "tls_protocol" => opt(f.tls_protocol),
        "tls_cipher" => opt(f.tls_cipher),
        "tls_handshake_latency" => f.handshake_latency_ms.map_or("-".to_owned(), |ms| format!("{}.{:03}", ms / 1000, ms % 1000)),
        "leaf_client_cert_subject" => f.subject.map_or("-".to_owned(), unescape),
        "leaf_client_cert_validity" => opt(f.validity),
        "leaf_client_cert_serial_number" => opt(f.serial),
        "tls_verify_status" => opt(f.verify_status),
        "conn_trace_id" => opt(f.conn_trace_id),
        "tls_keyexchange" => opt(f.tls_keyexchange),
        "elb" => f.elb.to_owned(),
        "ip_address" => f.node_ip.to_owned(),
        _ => "-".to_owned(),
    }
}

/// Undoes [`crate::escape_subject`].
fn unescape(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next @ ('"' | '\\'))) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Appends one JSON object (and a newline): ports as numbers, everything else as strings.
pub fn write_json_line(out: &mut Vec<u8>, f: &LineFields<'_>, fields: &[&str]) {
    out.push(b'{');
    for (i, name) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        let value = vended_value(f, name);
        if matches!(*name, "client_port" | "listener_port") {
            out.extend_from_slice(value.as_bytes());
        } else {
            serde_json::to_writer(&mut *out, &value).expect("writing to a Vec cannot fail");
        }
    }
    out.extend_from_slice(b"}\n");
}

/// The W3C headers a file starts with.
pub fn write_w3c_header(out: &mut Vec<u8>, fields: &[&str]) {
    out.extend_from_slice(b"#Version: 1.0\n#Fields: ");
    out.extend_from_slice(fields.join(" ").as_bytes());
    out.push(b'\n');
}

/// Appends one tab-separated W3C row (and a newline).
pub fn write_w3c_row(out: &mut Vec<u8>, f: &LineFields<'_>, fields: &[&str]) {
    for (i, name) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        out.extend_from_slice(vended_value(f, name).as_bytes());
    }
    out.push(b'\n');
}

/// A record of another kind of log (access or health check) a vended delivery puts in
/// the same bucket: its fields by their vended names, in order, with their values.
pub(crate) type OtherRecord = Vec<(&'static str, String)>;

/// Records of another kind of log written as `delivery` writes them: JSON objects of
/// strings, W3C rows under their `#Fields:` header, or Parquet with the time as a
/// timestamp and everything else as text. Every record has the same fields.
pub(crate) fn write_other_records(delivery: Delivery, records: &[OtherRecord]) -> Result<Vec<u8>, albmtls_parquet::WriteError> {
    let names: Vec<&str> = records.first().map(|r| r.iter().map(|(name, _)| *name).collect()).unwrap_or_default();
    let mut out = Vec::new();
    match delivery {
        Delivery::Json => {
            for record in records {
                let object: serde_json::Map<String, serde_json::Value> =
                    record.iter().map(|(name, value)| ((*name).to_owned(), serde_json::Value::from(value.as_str()))).collect();
                serde_json::to_writer(&mut out, &object).expect("writing to a Vec cannot fail");
                out.push(b'\n');
            }
        }
        Delivery::W3c => {
            write_w3c_header(&mut out, &names);
            for record in records {
                let row: Vec<&str> = record.iter().map(|(_, value)| value.as_str()).collect();
                out.extend_from_slice(row.join("\t").as_bytes());
                out.push(b'\n');
            }
        }
        Delivery::Parquet => {
            use albmtls_parquet::{Column, ColumnType};
            let columns: Vec<Column> = names
                .iter()
                .map(|name| Column {
                    name: (*name).to_owned(),
                    kind: if *name == "time" { ColumnType::TimestampMicros } else { ColumnType::Text },
                })
                .collect();
            let rows: Vec<Vec<Option<String>>> = records.iter().map(|r| r.iter().map(|(_, v)| Some(v.clone())).collect()).collect();
            out = albmtls_parquet::write_rows(&columns, &rows, 10_000)?;
        }
        Delivery::Classic => unreachable!("classic access and health-check logs are written as ELB writes them"),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_line_as_json_and_w3c() {
        let f = LineFields { subject: Some(r#"CN=a,O=\"Q\" Corp"#), generation: Generation::Fields12, ..LineFields::example() };
        let fields = delivered_fields(f.generation, None);
        assert_eq!(fields.len(), 12);
        let mut json = Vec::new();
        write_json_line(&mut json, &f, &fields);
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["leaf_client_cert_subject"], r#"CN=a,O="Q" Corp"#);
        assert_eq!((value["client_port"].as_u64(), value["time"].as_str()), (Some(50_123), Some("2026-11-01T12:00:00.514108Z")));
        let subset = vec!["tls_verify_status".to_owned(), "time".to_owned(), "elb".to_owned()];
        let fields = delivered_fields(f.generation, Some(&subset));
        assert_eq!(fields, vec!["tls_verify_status", "time"], "a generation without elb delivers none");
        let mut row = Vec::new();
        write_w3c_row(&mut row, &f, &fields);
        assert_eq!(row, b"Success\t2026-11-01T12:00:00.514108Z\n");
        let end = Utc.with_ymd_and_hms(2026, 9, 10, 0, 5, 0).unwrap();
        assert_eq!(
            vended_folder(VendedLayout::Hive, "111122223333", "us-east-1", end),
            "AWSLogs/aws-account-id=111122223333/elasticloadbalancing/region=us-east-1/year=2026/month=09/day=10"
        );
        assert_eq!(vended_folder(VendedLayout::Prefix, "1", "us-east-1", end), "MyLogPrefix/us-east-1/2026/09/10");
    }
}
