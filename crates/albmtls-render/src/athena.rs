//! Amazon Athena SQL for connection logs: the `CREATE EXTERNAL TABLE` statement for all 15
//! fields, and the queries that produce the albmtls report (`albmtls report`) inside
//! Athena, for log volumes better scanned where they are stored.
//!
//! Two SQL dialects meet here. DDL is parsed by Athena's Hive-derived parser: identifiers
//! are quoted with backticks and string literals are backslash-escaped (`\\` is one
//! backslash), which matters for the SerDe regex. Queries run on Trino: identifiers are
//! quoted with double quotes and string literals only double their single quotes.

use albmtls_parse::{Micros, TimeRange};
use albmtls_report::{Bucket, ReportOptions};
use chrono::{DateTime, Days, NaiveDate, Utc};

/// Partition projection over the S3 date folders ALB writes connection logs to:
/// `…/AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/MM/dd/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// The AWS account id in the key, e.g. `123456789012`.
    pub account: String,
    /// The load balancer's region, e.g. `us-east-1`.
    pub region: String,
    /// The first date folder to project; partitions run from here to today.
    pub start_day: NaiveDate,
}

/// The SerDe regex as Java's engine receives it (before Hive string escaping): one group
/// per field.
///
/// - Fields 1–11 are always there; 12–15 (`conn_trace_id`, `tls_keyexchange`, `elb`,
///   `ip_address`) are optional groups, so lines of every generation (11, 12, 13 and 15
///   fields) match and the missing columns are NULL.
/// - `(?: .*)?` swallows anything after field 15: AWS adds fields at the end and asks
///   readers to ignore those they do not know.
/// - The subject is the only quoted field. Unlike AWS's own regex (`[^"]*`) this one
///   accepts backslash-escaped quotes inside it, as albmtls does. Its repetitions are
///   possessive (`*+`): Java recurses once per repetition of a group it may backtrack
///   into, and a subject with a thousand escaped quotes overflowed the stack, failing
///   the whole query, where possessive loops run flat. Possessive and greedy match the
///   same here, as the classes are disjoint and never need to give text back.
/// - Ports must be digits: a line whose ports are not numbers is malformed, as in albmtls.
const LINE_REGEX: &str = concat!(
    r#"([^ ]*) ([^ ]*) ([0-9]*) ([0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) "#,
    r#""([^"\\]*+(?:\\.[^"\\]*+)*+)" "#,
    r#"([^ ]*) ([^ ]*) ([^ ]*)"#,
    r#"(?: ([^ ]*))?(?: ([^ ]*))?(?: ([^ ]*))?(?: ([^ ]*))?"#,
    r#"(?: .*)?"#,
);

/// Columns in line order, named as in AWS's Athena table (`time` for field 1), with the
/// three fields it leaves out (13–15) added.
const COLUMNS: [(&str, &str); 15] = [
    ("`time`", "string"),
    ("client_ip", "string"),
    ("client_port", "int"),
    ("listener_port", "int"),
    ("tls_protocol", "string"),
    ("tls_cipher", "string"),
    ("tls_handshake_latency", "double"),
    ("leaf_client_cert_subject", "string"),
    ("leaf_client_cert_validity", "string"),
    ("leaf_client_cert_serial_number", "string"),
    ("tls_verify_status", "string"),
    ("conn_trace_id", "string"),
    ("tls_keyexchange", "string"),
    ("elb", "string"),
    ("ip_address", "string"),
];

/// The `CREATE EXTERNAL TABLE` statement for connection logs, all 15 fields.
///
/// `table` may be `name` or `database.name`. Without `projection`, `location` is the S3
/// folder to read, as is (`s3://bucket/prefix/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/02/`).
/// With `projection`, `location` is the bucket and prefix connection logging was set up
/// with (`s3://bucket/prefix`) and the table gets a `day` partition column, projected
/// over the date folders below `AWSLogs/<account>/elasticloadbalancing/<region>/`;
/// [`report_sql`] needs that column to limit what it reads.
pub fn ddl(table: &str, location: &str, projection: Option<Projection>) -> String {
    let mut sql = String::new();
    sql.push_str(&format!("CREATE EXTERNAL TABLE IF NOT EXISTS {} (\n", ddl_identifier(table)));
    sql.push_str("  -- ALB connection logs, all 15 fields (AWS's own table stops at 12). Lines carry\n");
    sql.push_str("  -- 11, 12, 13 or 15 fields depending on when ALB wrote them: absent trailing fields\n");
    sql.push_str("  -- are NULL, and anything after field 15 is ignored. tls_handshake_latency is NULL\n");
    sql.push_str("  -- when the handshake failed (the log writes -).\n");
    let columns: Vec<String> = COLUMNS.iter().map(|(name, ty)| format!("  {name} {ty}")).collect();
    sql.push_str(&columns.join(",\n"));
    sql.push_str("\n)\n");
    if projection.is_some() {
        sql.push_str("PARTITIONED BY (\n");
        sql.push_str("  -- The S3 date folder, yyyy/MM/dd. It is the date the file was *delivered*, not the\n");
        sql.push_str("  -- date of its entries: a file covering 23:55-24:00 lands in the next day's folder.\n");
        sql.push_str("  -- A query for a date range must also read the following day's partition, and then\n");
        sql.push_str("  -- filter on the parsed time for the exact range.\n");
        sql.push_str("  `day` string\n");
        sql.push_str(")\n");
    }
    sql.push_str("ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'\n");
    sql.push_str("WITH SERDEPROPERTIES (\n");
    sql.push_str("  -- Written as a Hive string literal: \\\\ stands for one backslash, \\\" for a quote.\n");
    sql.push_str("  -- Lines that do not match (access and health-check logs sharing the folder, damaged\n");
    sql.push_str("  -- lines) come back as rows of NULLs.\n");
    sql.push_str("  'serialization.format' = '1',\n");
    sql.push_str(&format!("  'input.regex' = {}\n", hive_string(LINE_REGEX)));
    sql.push_str(")\n");
    match projection {
        None => sql.push_str(&format!("LOCATION {}", hive_string(&folder(location)))),
        Some(p) => {
            let base = format!("{}AWSLogs/{}/elasticloadbalancing/{}/", folder(location), p.account, p.region);
            write_day_projection(&mut sql, &base, &p.start_day.format("%Y/%m/%d").to_string(), "yyyy/MM/dd");
        }
    }
    sql.push_str(";\n");
    sql
}

/// The queries that give, in Athena, the report `albmtls report` prints: a summary, records
/// by `tls_verify_status`, each failure code's counts, its top clients and top subjects,
/// and the timeline. Athena runs one statement at a time: each is separated by `;` and
/// headed by a comment.
///
/// With a bounded `range`, the queries read only the `day` partitions that can hold it
/// (the table must come from [`ddl`] with a projection) and then filter on the parsed
/// entry time. The timeline bucket is chosen from the range as albmtls chooses it from
/// the data; it is an hour when the range is open.
pub fn report_sql(table: &str, range: TimeRange) -> String {
    report_sql_for(table, range, None)
}

/// [`report_sql`] for a table from [`vended_ddl`]: every object under the location is a
/// connection log, and the `day` partition is written the Hive way.
pub fn vended_report_sql(table: &str, range: TimeRange, format: VendedTable) -> String {
    report_sql_for(table, range, Some(format))
}

fn report_sql_for(table: &str, range: TimeRange, vended: Option<VendedTable>) -> String {
    let since = range.since().and_then(DateTime::from_timestamp_micros);
    let until = range.until().and_then(DateTime::from_timestamp_micros);
    let bucket = match (since, until) {
        (Some(s), Some(u)) => Bucket::for_span((u - s).num_microseconds().unwrap_or(Micros::MAX)),
        _ => Bucket::Hour,
    };
    let ctes = common_table_expressions(table, since, until, vended);
    let top = ReportOptions::default().top;
    let mut sql = String::new();

    sql.push_str("-- albmtls report, as Athena queries. Run each statement on its own.\n");
    sql.push_str(&format!("-- Range: {}.\n\n", describe_range(since, until)));

    sql.push_str("-- 1. Summary. Malformed lines are those the table's regex or the time format rejects.\n");
    sql.push_str(&ctes);
    sql.push_str(
        "SELECT\n  count_if(counted) AS records,\n  count_if(counted AND tls_verify_status LIKE 'Failed:%') AS failed,\n  \
         count_if(ts IS NULL OR tls_verify_status IS NULL) AS malformed_lines,\n  min(IF(counted, \"time\")) AS first_seen,\n  \
         max(IF(counted, \"time\")) AS last_seen\nFROM lines;\n\n",
    );

    sql.push_str("-- 2. Records by tls_verify_status.\n");
    sql.push_str(&ctes);
    sql.push_str(
        "SELECT\n  tls_verify_status AS status,\n  count(*) AS records,\n  \
         round(100 * CAST(count(*) AS double) / sum(count(*)) OVER (), 2) AS share_percent\nFROM records\n\
         GROUP BY tls_verify_status\nORDER BY records DESC, status;\n\n",
    );

    sql.push_str("-- 3. Failures by code.\n");
    sql.push_str(&ctes);
    sql.push_str(
        "SELECT\n  tls_verify_status AS status,\n  count(*) AS records,\n  count(DISTINCT client) AS distinct_clients,\n  \
         count(DISTINCT subject) AS distinct_subjects,\n  min(\"time\") AS first_seen,\n  max(\"time\") AS last_seen\n\
         FROM records\nWHERE tls_verify_status LIKE 'Failed:%'\nGROUP BY tls_verify_status\nORDER BY records DESC, status;\n\n",
    );

    // Ties are broken as albmtls breaks them: addresses in numeric order, IPv4 first (how
    // Trino orders its ipaddress type), subjects as text.
    for (number, column, what, tie_break) in
        [(4, "client", "clients", "TRY_CAST(client AS ipaddress), client"), (5, "subject", "subjects", "subject")]
    {
        sql.push_str(&format!("-- {number}. Top {top} {what} of each failure code.\n"));
        sql.push_str(&ctes);
        sql.push_str(&format!(
            "SELECT status, {column}, records\nFROM (\n  SELECT\n    tls_verify_status AS status,\n    {column},\n    \
             count(*) AS records,\n    row_number() OVER (PARTITION BY tls_verify_status ORDER BY count(*) DESC, {tie_break}) AS place\n  \
             FROM records\n  WHERE tls_verify_status LIKE 'Failed:%'\n  GROUP BY tls_verify_status, {column}\n)\n\
             WHERE place <= {top}\nORDER BY status, place;\n\n"
        ));
    }

    sql.push_str(&format!("-- 6. Timeline: records by status per {bucket} bucket (UTC).\n"));
    sql.push_str(&ctes);
    sql.push_str(&format!(
        "SELECT\n  format_datetime({}, 'yyyy-MM-dd''T''HH:mm:ss''Z''') AS bucket_start,\n  \
         tls_verify_status AS status,\n  count(*) AS records\nFROM records\nGROUP BY 1, 2\nORDER BY 1, 2;\n",
        bucket_start(bucket),
    ));
    sql
}

/// `lines`: every line of the connection-log files in the partitions read, with its
/// parsed time and whether it is a record inside the time range (`counted`); `records`:
/// the counted lines, with the client address and subject in the form albmtls shows them.
fn common_table_expressions(
    table: &str,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    vended: Option<VendedTable>,
) -> String {
    let day_format = if vended.is_some() { HIVE_DAY } else { "%Y/%m/%d" };
    let mut partitions = String::new();
    if let Some(s) = since {
        partitions.push_str(&format!("\n    AND \"day\" >= '{}'", s.format(day_format)));
    }
    if let Some(u) = until {
        // The folder is the delivery date: entries of `until`'s day may be in the next folder.
        let last = u.date_naive().checked_add_days(Days::new(1)).unwrap_or(u.date_naive());
        partitions.push_str(&format!("\n    AND \"day\" <= '{}'", last.format(day_format)));
    }
    let (time, source) = match vended {
        None => (
            r#"try(parse_datetime("time", 'yyyy-MM-dd''T''HH:mm:ss.SSSSSS''Z'''))"#.to_owned(),
            format!(r#"  WHERE regexp_like("$path", '/conn_log[._][^/]*$'){partitions}"#),
        ),
        // A vended delivery has a prefix of its own, and its times may carry fewer digits.
        Some(_) => (r#"try(from_iso8601_timestamp("time"))"#.to_owned(), format!("  WHERE true{partitions}")),
    };
    let mut range = String::new();
    if let Some(s) = since {
        range.push_str(&format!("\n      AND ts >= from_iso8601_timestamp('{}')", iso(s)));
    }
    if let Some(u) = until {
        range.push_str(&format!("\n      AND ts < from_iso8601_timestamp('{}')", iso(u)));
    }
    let table = dml_identifier(table);
    [
        "WITH parsed AS (",
        "  SELECT",
        "    *,",
        "    -- Athena compares times to the millisecond.",
        &format!("    {time} AS ts"),
        &format!("  FROM {table}"),
        "  -- Only connection logs: access and health-check logs share the date folders.",
        &source,
        "),",
        "lines AS (",
        "  SELECT",
        "    *,",
        &format!("    ts IS NOT NULL AND tls_verify_status IS NOT NULL{range} AS counted"),
        "  FROM parsed",
        "),",
        "records AS (",
        "  SELECT",
        "    *,",
        "    -- IPv6 clients may be written in brackets, which albmtls drops.",
        "    replace(replace(client_ip, '['), ']') AS client,",
        r#"    -- Subjects as albmtls shows them: \" and \\ escapes undone."#,
        r#"    regexp_replace(leaf_client_cert_subject, '\\(["\\])', '$1') AS subject"#,
        "  FROM lines",
        "  WHERE counted",
        ")",
        "",
    ]
    .join("\n")
}

/// The start of `ts`'s bucket, as a Trino expression.
fn bucket_start(bucket: Bucket) -> String {
    match bucket {
        Bucket::Minute => "date_trunc('minute', ts)".to_owned(),
        Bucket::FiveMinutes | Bucket::FifteenMinutes => {
            format!("date_add('minute', -(minute(ts) % {0}), date_trunc('minute', ts))", bucket.minutes())
        }
        Bucket::Hour => "date_trunc('hour', ts)".to_owned(),
        Bucket::Day => "date_trunc('day', ts)".to_owned(),
    }
}

fn describe_range(since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> String {
    match (since, until) {
        (None, None) => "every entry; no time range was given, so every day partition is read".to_owned(),
        (Some(s), None) => format!("entries at or after {}", iso(s)),
        (None, Some(u)) => format!("entries before {}", iso(u)),
        (Some(s), Some(u)) => format!("entries at or after {} and before {}", iso(s), iso(u)),
    }
}

/// The output format of a vended (CloudWatch) delivery to S3 that Athena can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendedTable {
    Json,
    Parquet,
}

/// A Hive-style day folder (`year=2026/month=09/day=10`) as chrono writes it.
const HIVE_DAY: &str = "year=%Y/month=%m/day=%d";

/// The `CREATE EXTERNAL TABLE` statement for a vended delivery of connection logs in
/// `format`, the same 15 columns as [`ddl`]. With `projection`, `location` is the
/// delivery's bucket and prefix and the `day` partition is projected over the Hive-style
/// keys `AWSLogs/aws-account-id=<account>/elasticloadbalancing/region=<region>/year=…/month=…/day=…/`;
/// without, `location` is read as is. Columns are matched by name, so a delivery of a
/// subset of fields leaves the others NULL.
pub fn vended_ddl(table: &str, location: &str, format: VendedTable, projection: Option<Projection>) -> String {
    let mut sql = String::new();
    sql.push_str(&format!("CREATE EXTERNAL TABLE IF NOT EXISTS {} (\n", ddl_identifier(table)));
    sql.push_str("  -- ALB connection logs delivered as CloudWatch vended logs. No real vended record is\n");
    sql.push_str("  -- public: the names are the documented record fields in lower case, and a delivery that\n");
    sql.push_str("  -- chose a subset of fields leaves the other columns NULL.\n");
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, ty)| {
            // Text in JSON whatever it holds; Parquet keeps the writer's types.
            let ty = if format == VendedTable::Json || *name == "tls_handshake_latency" { "string" } else { ty };
            format!("  {name} {ty}")
        })
        .collect();
    sql.push_str(&columns.join(",\n"));
    sql.push_str("\n)\n");
    if projection.is_some() {
        sql.push_str("PARTITIONED BY (\n");
        sql.push_str("  -- The delivery day folder, year=yyyy/month=MM/day=dd (the day the object was delivered).\n");
        sql.push_str("  `day` string\n");
        sql.push_str(")\n");
    }
    match format {
        VendedTable::Json => {
            sql.push_str("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n");
            sql.push_str("WITH SERDEPROPERTIES (\n");
            sql.push_str("  -- Names match in any case, and a line that is not JSON becomes a row of NULLs.\n");
            sql.push_str("  'case.insensitive' = 'true',\n");
            sql.push_str("  'ignore.malformed.json' = 'true'\n");
            sql.push_str(")\n");
        }
        VendedTable::Parquet => sql.push_str("STORED AS PARQUET\n"),
    }
    match projection {
        None => sql.push_str(&format!("LOCATION {}", hive_string(&folder(location)))),
        Some(p) => {
            let base = format!("{}AWSLogs/aws-account-id={}/elasticloadbalancing/region={}/", folder(location), p.account, p.region);
            write_day_projection(&mut sql, &base, &p.start_day.format(HIVE_DAY).to_string(), "'year='yyyy'/month='MM'/day='dd");
        }
    }
    sql.push_str(";\n");
    sql
}

/// `LOCATION` and the partition projection of a `day` column over the day folders under
/// `base`, from `first_day` (written as the folders are) to now.
fn write_day_projection(sql: &mut String, base: &str, first_day: &str, day_format: &str) {
    sql.push_str(&format!("LOCATION {}\n", hive_string(base)));
    sql.push_str("TBLPROPERTIES (\n");
    let properties = [
        ("projection.enabled", "true".to_owned()),
        ("projection.day.type", "date".to_owned()),
        ("projection.day.range", format!("{first_day},NOW")),
        ("projection.day.format", day_format.to_owned()),
        ("projection.day.interval", "1".to_owned()),
        ("projection.day.interval.unit", "DAYS".to_owned()),
        ("storage.location.template", format!("{base}${{day}}")),
    ];
    let properties: Vec<String> =
        properties.iter().map(|(key, value)| format!("  {} = {}", hive_string(key), hive_string(value))).collect();
    sql.push_str(&properties.join(",\n"));
    sql.push_str("\n)");
}

/// Millisecond precision: what Athena's timestamps hold.
fn iso(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `s3://bucket/prefix` → `s3://bucket/prefix/`: Athena wants folders with the slash.
fn folder(location: &str) -> String {
    format!("{}/", location.trim_end_matches('/'))
}

/// A Hive string literal: backslash and quotes escaped with a backslash. Double quotes
/// are escaped too, as in AWS's own DDL, though single-quoted strings do not need it.
fn hive_string(value: &str) -> String {
    let mut literal = String::with_capacity(value.len() + 8);
    literal.push('\'');
    for c in value.chars() {
        match c {
            '\\' => literal.push_str("\\\\"),
            '\'' => literal.push_str("\\'"),
            '"' => literal.push_str("\\\""),
            c => literal.push(c),
        }
    }
    literal.push('\'');
    literal
}

/// `db.name` → `` `db`.`name` `` for DDL.
fn ddl_identifier(name: &str) -> String {
    let parts: Vec<String> = name.split('.').map(|part| format!("`{}`", part.replace('`', "``"))).collect();
    parts.join(".")
}

/// `db.name` → `"db"."name"` for queries.
fn dml_identifier(name: &str) -> String {
    let parts: Vec<String> = name.split('.').map(|part| format!("\"{}\"", part.replace('"', "\"\""))).collect();
    parts.join(".")
}
