//! Filters on vended deliveries: a sink that reads only the filter's own fields still
//! gets exactly the records the filter keeps, and records whose delivery has no `elb`
//! take their load balancer from the input's name, as classic lines do.

use std::path::{Path, PathBuf};

use albmtls_parquet::{Column, ColumnType, write_rows};
use albmtls_parse::{FieldSet, Filter, KeyExchangeFilter, LoadBalancerFilter, ParseError, Record};
use albmtls_scan::{InputContext, ListingError, Progress, ScanOptions, Sink, VendedOptions, scan};

/// Counts records and reads nothing from them: Parquet inputs then decode only the
/// columns the filter asks for.
#[derive(Default)]
struct CountOnly {
    kept: u64,
    filtered_out: u64,
    malformed: u64,
}

impl Sink for CountOnly {
    const OUTPUT_FOLLOWS_LISTING: bool = false;

    fn fields_needed(&self) -> FieldSet {
        FieldSet::EMPTY
    }

    fn record(&mut self, _: &InputContext<'_>, _: u64, _: &Record<'_>) -> std::io::Result<()> {
        self.kept += 1;
        Ok(())
    }

    fn filtered_out(&mut self, _: &Record<'_>) {
        self.filtered_out += 1;
    }

    fn malformed(&mut self, _: &InputContext<'_>, _: u64, _: &[u8], _: ParseError) {
        self.malformed += 1;
    }

    fn blank(&mut self) {}

    fn overlong(&mut self, _: &InputContext<'_>, _: u64, _: u64) {}

    fn end_input(&mut self, _: &InputContext<'_>, _: u64, error: Option<String>) -> std::io::Result<()> {
        assert_eq!(error, None);
        Ok(())
    }

    fn records(&self) -> u64 {
        self.kept
    }

    fn merge(&mut self, other: CountOnly) {
        self.kept += other.kept;
        self.filtered_out += other.filtered_out;
        self.malformed += other.malformed;
    }
}

struct Quiet;

impl Progress for Quiet {
    fn listing_error(&self, error: &ListingError) {
        panic!("{error}");
    }
    fn start(&self, _: u64) {}
    fn input_done(&self, _: u64, _: Option<u64>) {}
    fn finish(&self) {}
}

/// (time, protocol, key exchange, elb): two records of each of two load balancers
/// (neither the one the file name gives).
const ROWS: [(&str, &str, &str, &str); 4] = [
    ("2026-11-02T10:00:01.000000Z", "TLSv1.3", "X25519MLKEM768", "app/edge-a/1111aaaa"),
    ("2026-11-02T10:00:02.000000Z", "TLSv1.2", "secp256r1", "app/edge-a/1111aaaa"),
    ("2026-11-02T10:00:03.000000Z", "TLSv1.1", "x25519", "app/edge-c/3333cccc"),
    ("2026-11-02T10:00:04.000000Z", "TLSv1.3", "SecP384r1MLKEM1024", "app/edge-c/3333cccc"),
];

const NAME: &str = "123456789012_elasticloadbalancing_us-east-1_app.edge-b.2222bbbb_20261102T1005Z_10.0.0.2_abcd";

/// [`ROWS`] as Parquet, with the `elb` column or without it.
fn parquet(dir: &Path, with_elb: bool) -> PathBuf {
    let mut columns = vec![
        ("time", ColumnType::TimestampMicros),
        ("client_ip", ColumnType::Text),
        ("listener_port", ColumnType::Int32),
        ("tls_protocol", ColumnType::Text),
        ("tls_verify_status", ColumnType::Text),
        ("tls_keyexchange", ColumnType::Text),
    ];
    if with_elb {
        columns.push(("elb", ColumnType::Text));
    }
    let columns: Vec<Column> = columns.into_iter().map(|(name, kind)| Column { name: name.to_owned(), kind }).collect();
    let rows: Vec<Vec<Option<String>>> = ROWS
        .iter()
        .map(|(time, protocol, group, elb)| {
            [*time, "203.0.113.7", "443", protocol, "Success", group, elb]
                .iter()
                .take(columns.len())
                .map(|v| Some((*v).to_owned()))
                .collect()
        })
        .collect();
    let path = dir.join(format!("{NAME}{}.parquet", if with_elb { "" } else { "_no-elb" }));
    std::fs::write(&path, write_rows(&columns, &rows, 2).unwrap()).unwrap();
    path
}

/// [`ROWS`] as JSON lines whose delivery left `elb` out.
fn json_without_elb(dir: &Path) -> PathBuf {
    let text: String = ROWS
        .iter()
        .map(|(time, protocol, group, _)| {
            format!(
                "{{\"time\":\"{time}\",\"client_ip\":\"203.0.113.7\",\"listener_port\":443,\"tls_protocol\":\"{protocol}\",\"tls_verify_status\":\"Success\",\"tls_keyexchange\":\"{group}\"}}\n"
            )
        })
        .collect();
    let path = dir.join(format!("{NAME}.json"));
    std::fs::write(&path, text).unwrap();
    path
}

fn kept(path: &Path, filter: Filter) -> u64 {
    let options = ScanOptions {
        paths: vec![path.to_owned()],
        filter,
        threads: 1,
        shard: None,
        s3: Default::default(),
        vended: VendedOptions::default(),
    };
    let outcome = scan(&options, &Quiet, CountOnly::default).unwrap();
    let sink = outcome.sink;
    assert_eq!((sink.malformed, sink.kept + sink.filtered_out), (0, ROWS.len() as u64), "{}", path.display());
    sink.kept
}

fn lb(name: &str) -> Filter {
    Filter { load_balancers: vec![LoadBalancerFilter::parse(name).unwrap()], ..Filter::default() }
}

#[test]
fn a_sink_reading_no_fields_gets_what_the_filter_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let file = parquet(dir.path(), true);
    assert_eq!(kept(&file, lb("edge-a")), 2);
    assert_eq!(kept(&file, lb("edge-b")), 0, "field 14, when delivered, wins over the file name");
    assert_eq!(kept(&file, Filter { protocols: vec![b"TLSv1.3".to_vec()], ..Filter::default() }), 2);
    assert_eq!(kept(&file, Filter { key_exchanges: vec![KeyExchangeFilter::PostQuantum], ..Filter::default() }), 2);
    assert_eq!(kept(&file, Filter { key_exchanges: vec![KeyExchangeFilter::Classic], ..Filter::default() }), 2);
}

#[test]
fn vended_records_without_elb_match_the_load_balancer_of_their_file_name() {
    let dir = tempfile::tempdir().unwrap();
    for file in [parquet(dir.path(), false), json_without_elb(dir.path())] {
        assert_eq!(kept(&file, lb("edge-b")), 4, "{}", file.display());
        assert_eq!(kept(&file, lb("2222bbbb")), 4, "{}", file.display());
        assert_eq!(kept(&file, lb("edge-a")), 0, "{}", file.display());
    }
}
