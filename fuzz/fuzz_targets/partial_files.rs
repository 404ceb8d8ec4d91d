//! Any bytes as a partial file given to `albmtls merge`: refused with an error, or read
//! into an aggregate that merges exactly (twice the file is twice its counts) and renders
//! in every format without a panic.
#![no_main]

use albmtls_render::{CsvSection, ReportFormat, ReportView, TableStyle, write_report};
use albmtls_report::{Aggregate, Partial, Report, ReportOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(partial) = Partial::from_json("fuzz.partial.json", data) else { return };
    let mut twice = Aggregate::new();
    twice.merge(partial.aggregate.clone());
    twice.merge(partial.aggregate.clone());
    if let Some(doubled) = partial.aggregate.records.checked_mul(2) {
        assert_eq!(twice.records, doubled, "merging a file with itself doubles its records");
    }
    let report = Report::build(&twice, ReportOptions::default());
    for format in [
        ReportFormat::Table,
        ReportFormat::Markdown,
        ReportFormat::Csv,
        ReportFormat::Json,
        ReportFormat::Html,
        ReportFormat::Prometheus,
        ReportFormat::Partial,
    ] {
        for csv_section in [
            CsvSection::Statuses,
            CsvSection::LoadBalancers,
            CsvSection::Listeners,
            CsvSection::Tls,
            CsvSection::Latency,
            CsvSection::Expiring,
        ] {
            let view = ReportView {
                report: &report,
                aggregate: &twice,
                run: &partial.run,
                shard: None,
                style: TableStyle::default(),
                made: None,
                csv_section,
            };
            write_report(&view, format, &mut std::io::sink()).expect("writing to a sink cannot fail");
        }
    }
});
