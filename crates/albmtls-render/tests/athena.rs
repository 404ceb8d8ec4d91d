//! Athena SQL: the SerDe regex in the DDL, taken out of the generated statement and run
//! against lines of every generation; snapshots of the DDL and the report queries.

use std::io::Read;
use std::path::PathBuf;

use albmtls_parse::{Field, Record, TimeError, TimeRange, parse_user_time};
use albmtls_render::athena::{Projection, VendedTable, ddl, report_sql, vended_ddl, vended_report_sql};
use chrono::NaiveDate;
use regex::Regex;

/// "Now" for times typed as ages.
const NOW: &str = "2026-11-02T12:00:00Z";

/// A range as users type it.
fn range(since: Option<&str>, until: Option<&str>) -> Result<TimeRange, TimeError> {
    let now = parse_user_time(NOW, 0).unwrap();
    let at = |text: Option<&str>| text.map(|t| parse_user_time(t, now)).transpose();
    TimeRange::new(at(since)?, at(until)?)
}

fn projection() -> Projection {
    Projection {
        account: "123456789012".to_owned(),
        region: "us-east-1".to_owned(),
        start_day: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    }
}

/// Takes the `input.regex` literal out of the DDL and undoes Hive's string escaping the
/// way Hive's parser does for the escapes the DDL uses; any other escape fails the test,
/// since Hive would silently drop its backslash.
fn serde_regex(ddl: &str) -> String {
    let start = ddl.find("'input.regex' = '").expect("the DDL sets input.regex") + "'input.regex' = '".len();
    let mut regex = String::new();
    let mut chars = ddl[start..].chars();
    loop {
        match chars.next().expect("the literal is closed") {
            '\'' => return regex,
            '\\' => match chars.next() {
                Some(c @ ('\\' | '\'' | '"')) => regex.push(c),
                other => panic!("escape \\{other:?} would lose its backslash in Hive"),
            },
            c => regex.push(c),
        }
    }
}

/// RegexSerDe uses `Matcher.matches()`: the whole line must match.
///
/// The subject's loops are possessive (`*+`) for Java's sake; the `regex` crate has no
/// possessive quantifiers (it does not backtrack, so it needs none) and they become
/// greedy, which matches the same lines: each loop's class is disjoint from what follows
/// it, so a greedy loop never gives text back either.
fn line_regex() -> Regex {
    let java = serde_regex(&ddl("t", "s3://b/", Some(projection())));
    assert_eq!(java.matches("*+").count(), 3, "the subject's loops are possessive");
    Regex::new(&format!("^(?:{})$", java.replace("*+", "*"))).unwrap()
}

/// The 15 groups of a line, `None` for groups that did not take part (NULL columns).
fn groups(regex: &Regex, line: &str) -> Option<Vec<Option<String>>> {
    let captures = regex.captures(line)?;
    assert_eq!(captures.len(), 16, "one group per field");
    Some((1..=15).map(|i| captures.get(i).map(|m| m.as_str().to_owned())).collect())
}

fn expect(fields: &[&str]) -> Vec<Option<String>> {
    let mut expected: Vec<Option<String>> = fields.iter().map(|f| Some((*f).to_owned())).collect();
    expected.resize(15, None);
    expected
}

#[test]
fn the_regex_reads_every_generation() {
    let regex = line_regex();
    let head = ["2026-11-02T07:20:00.000000Z", "192.0.2.10", "1111", "443", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "-"];
    let subject = "CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US";
    let cert = ["NotBefore=2025-10-15T08:00:00Z;NotAfter=2026-10-15T08:00:00Z", "02", "Failed:ClientCertExpired"];
    let eleven = format!("{} \"{subject}\" {}", head.join(" "), cert.join(" "));
    let mut fields11: Vec<&str> = head.to_vec();
    fields11.push(subject);
    fields11.extend(cert);

    // 11 fields, and a subject with spaces.
    assert_eq!(groups(&regex, &eleven), Some(expect(&fields11)));
    // 12 fields.
    let mut fields12 = fields11.clone();
    fields12.push("TID_3180a73013c8ca4bac2f731159d4b0fe");
    assert_eq!(groups(&regex, &format!("{eleven} TID_3180a73013c8ca4bac2f731159d4b0fe")), Some(expect(&fields12)));
    // 13 fields.
    let mut fields13 = fields12.clone();
    fields13.push("X25519MLKEM768");
    assert_eq!(groups(&regex, &format!("{eleven} TID_3180a73013c8ca4bac2f731159d4b0fe X25519MLKEM768")), Some(expect(&fields13)));
    // 15 fields.
    let tail15 = "TID_3180a73013c8ca4bac2f731159d4b0fe X25519MLKEM768 app/my-lb/50dc6c495c0c9188 10.0.1.10";
    let mut fields15 = fields13.clone();
    fields15.extend(["app/my-lb/50dc6c495c0c9188", "10.0.1.10"]);
    assert_eq!(groups(&regex, &format!("{eleven} {tail15}")), Some(expect(&fields15)));
    // Fields AWS adds later, and the `-` that may precede them, are ignored.
    assert_eq!(groups(&regex, &format!("{eleven} {tail15} -")), Some(expect(&fields15)));
    assert_eq!(groups(&regex, &format!("{eleven} {tail15} new-field \"with space\"")), Some(expect(&fields15)));

    // No certificate: the subject is a quoted `-`; plain HTTP: everything else `-` too.
    let http = "2026-11-01T23:55:14.281617Z 203.0.113.11 18286 80 - - - \"-\" - - - TID_5c51";
    assert_eq!(
        groups(&regex, http),
        Some(expect(&["2026-11-01T23:55:14.281617Z", "203.0.113.11", "18286", "80", "-", "-", "-", "-", "-", "-", "-", "TID_5c51"]))
    );
    // A quote escaped inside the subject stays inside it (the column keeps the escape).
    let escaped = format!("{} \"CN=a \\\"quoted\\\" \\\\ name,O=x\" {}", head.join(" "), cert.join(" "));
    assert_eq!(groups(&regex, &escaped).unwrap()[7].as_deref(), Some(r#"CN=a \"quoted\" \\ name,O=x"#));
    // A bracketed IPv6 client is kept as written.
    let ipv6 = eleven.replace("192.0.2.10", "[2001:db8:1::11]");
    assert_eq!(groups(&regex, &ipv6).unwrap()[1].as_deref(), Some("[2001:db8:1::11]"));
}

#[test]
fn the_regex_rejects_what_is_not_a_connection_log_line() {
    let regex = line_regex();
    for line in [
        // An access-log line from the same folder.
        "https 2026-11-02T07:30:00.000000Z app/my-lb/50dc6c495c0c9188 192.0.2.1:443 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET https://example.com:443/ HTTP/1.1\" \"curl/8.0\" - - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1 \"Root=1-1\" \"-\" \"-\" 0 2026-11-02T07:30:00.000000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\" TID_1",
        // A subject without quotes.
        "2026-11-02T07:30:00.000000Z 192.0.2.1 1 443 TLSv1.2 X - CN=unquoted - - Success",
        // Cut short before tls_verify_status.
        "2026-11-02T07:30:00.000000Z 192.0.2.1 1 443 TLSv1.2 X - \"-\" - -",
        // A port that is not a number.
        "2026-11-02T07:30:00.000000Z 192.0.2.1 http 443 TLSv1.2 X - \"-\" - - Success",
        // An unterminated subject.
        "2026-11-02T07:30:00.000000Z 192.0.2.1 1 443 TLSv1.2 X - \"CN=open - - Success",
    ] {
        assert!(groups(&regex, line).is_none(), "{line}");
    }
}

/// Every line of the bundled sample logs: where albmtls's tokenizer reads a record, the
/// regex reads the same 15 fields.
#[test]
fn the_regex_agrees_with_the_tokenizer_on_the_sample_logs() {
    let regex = line_regex();
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../sample-logs"));
    let expansion = albmtls_source::expand_paths(&[root]);
    assert!(expansion.errors.is_empty());
    let mut records = 0;
    for input in expansion.inputs.iter().map(|found| &found.input) {
        let name = input.display_name();
        let (_, mut reader) = albmtls_source::decode(&name, input.open(&mut albmtls_source::Folders::default()).unwrap()).unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        for line in text.lines() {
            let Ok(record) = Record::parse(line.as_bytes()) else { continue };
            let groups = groups(&regex, line).unwrap_or_else(|| panic!("{name}: the regex refuses {line}"));
            for field in Field::ALL {
                let expected = match field {
                    // The tokenizer strips IPv6 brackets; the column keeps them.
                    Field::ClientIp => line.split(' ').nth(1).map(str::to_owned),
                    Field::ConnTraceId | Field::TlsKeyexchange | Field::Elb | Field::IpAddress
                        if (record.field_count()) < field.position() =>
                    {
                        None
                    }
                    _ => Some(String::from_utf8(record.field(field).to_vec()).unwrap()),
                };
                assert_eq!(groups[field as usize], expected, "{name}: {field} of {line}");
            }
            records += 1;
        }
    }
    assert_eq!(records, 3600, "every sample line is a record");
}

#[test]
fn ddl_with_projection() {
    insta::assert_snapshot!(ddl("mtls.alb_connection_logs", "s3://my-log-bucket/prefix/", Some(projection())));
}

#[test]
fn ddl_for_one_folder() {
    let sql = ddl("alb_connection_logs", "s3://my-log-bucket/prefix/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/02", None);
    assert!(!sql.contains("PARTITIONED BY") && !sql.contains("projection"));
    assert!(sql.contains("LOCATION 's3://my-log-bucket/prefix/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/02/';"));
    insta::assert_snapshot!(sql);
}

#[test]
fn ddl_has_every_field_once() {
    let sql = ddl("t", "s3://b", Some(projection()));
    for field in Field::ALL {
        let column = if field == Field::Timestamp { "`time`" } else { field.name() };
        assert_eq!(sql.matches(&format!("  {column} ")).count(), 1, "{column}");
    }
    assert!(sql.contains("'storage.location.template' = 's3://b/AWSLogs/123456789012/elasticloadbalancing/us-east-1/${day}'"));
    assert!(sql.contains("'projection.day.range' = '2026/01/01,NOW'"));
    assert!(sql.contains("'projection.day.format' = 'yyyy/MM/dd'"));
    assert!(sql.contains("next day's folder"), "explains the delivery date");
    assert_eq!(sql.matches(';').count(), 1, "one statement, and no `;` in comments to trip statement splitters");
}

#[test]
fn names_and_locations_are_quoted() {
    let sql = ddl("my db.odd`name", "s3://b/it's\\here", None);
    assert!(sql.contains("CREATE EXTERNAL TABLE IF NOT EXISTS `my db`.`odd``name` ("));
    assert!(sql.contains(r"LOCATION 's3://b/it\'s\\here/';"));
    let sql = report_sql("db.odd\"name", TimeRange::ALL);
    assert!(sql.contains(r#"FROM "db"."odd""name""#));
}

#[test]
fn report_sql_for_a_range() {
    let sql = report_sql("mtls.alb_connection_logs", range(Some("2026-11-01T22:00:00Z"), Some("2026-11-02T08:00:00Z")).unwrap());
    // Partitions: from the first day to the day after the last, for late deliveries.
    assert!(sql.contains("AND \"day\" >= '2026/11/01'\n    AND \"day\" <= '2026/11/03'"));
    assert!(sql.contains("ts >= from_iso8601_timestamp('2026-11-01T22:00:00.000Z')"));
    assert!(sql.contains("ts < from_iso8601_timestamp('2026-11-02T08:00:00.000Z')"));
    // Ten hours give 5-minute buckets, as albmtls would choose.
    assert!(sql.contains("per 5m bucket"));
    assert_eq!(sql.matches(';').count(), 6, "six statements");
    insta::assert_snapshot!(sql);
}

#[test]
fn report_sql_without_a_range() {
    let sql = report_sql("alb_connection_logs", TimeRange::ALL);
    assert!(!sql.contains("\"day\""), "no partition column is needed");
    assert!(sql.contains("every day partition is read"));
    assert!(sql.contains("date_trunc('hour', ts)"));
    insta::assert_snapshot!(sql);
}

#[test]
fn report_sql_time_forms() {
    // A date is midnight UTC; offsets are converted to UTC.
    let sql = report_sql("t", range(Some("2026-11-02"), None).unwrap());
    assert!(sql.contains("from_iso8601_timestamp('2026-11-02T00:00:00.000Z')"));
    assert!(sql.contains("\"day\" >= '2026/11/02'"));
    let sql = report_sql("t", range(None, Some("2026-11-02T01:30:00.123456+02:00")).unwrap());
    assert!(sql.contains("ts < from_iso8601_timestamp('2026-11-01T23:30:00.123Z')"));
    assert!(sql.contains("\"day\" <= '2026/11/02'"));
}

#[test]
fn report_sql_takes_times_as_every_command_does() {
    // An age counts back from now, as for `report --since`.
    let sql = report_sql("t", range(Some("2h"), None).unwrap());
    assert!(sql.contains("ts >= from_iso8601_timestamp('2026-11-02T10:00:00.000Z')"), "{sql}");
    for bad in ["yesterday", "2026-13-01", "2026-11-02 10:00:00", "'; DROP TABLE t; --", ""] {
        assert!(matches!(range(Some(bad), None), Err(TimeError::NotATime(_))), "{bad}");
    }
    assert!(matches!(range(Some("2026-11-02"), Some("2026-11-02")), Err(TimeError::EmptyRange { .. })));
}

#[test]
fn vended_tables_project_the_hive_day_folders() {
    for format in [VendedTable::Json, VendedTable::Parquet] {
        let sql = vended_ddl("t", "s3://b/p", format, Some(projection()));
        for field in Field::ALL {
            let column = if field == Field::Timestamp { "`time`" } else { field.name() };
            assert_eq!(sql.matches(&format!("  {column} ")).count(), 1, "{column}");
        }
        assert!(sql.contains("LOCATION 's3://b/p/AWSLogs/aws-account-id=123456789012/elasticloadbalancing/region=us-east-1/'"));
        assert!(sql.contains("'projection.day.range' = 'year=2026/month=01/day=01,NOW'"));
        assert!(sql.contains("'projection.day.format' = '\\'year=\\'yyyy\\'/month=\\'MM\\'/day=\\'dd'"), "{sql}");
        assert!(sql.contains("region=us-east-1/${day}'"));
        assert_eq!(sql.matches(';').count(), 1);
        let report = vended_report_sql("t", range(Some("2026-11-01T22:00:00Z"), Some("2026-11-02T08:00:00Z")).unwrap(), format);
        assert!(report.contains("AND \"day\" >= 'year=2026/month=11/day=01'\n    AND \"day\" <= 'year=2026/month=11/day=03'"));
        assert!(!report.contains("conn_log"), "vended object names are not documented");
    }
    assert!(vended_ddl("t", "s3://b", VendedTable::Json, None).contains("org.openx.data.jsonserde.JsonSerDe"));
    assert!(vended_ddl("t", "s3://b", VendedTable::Parquet, None).contains("STORED AS PARQUET\nLOCATION 's3://b/';"));
}
