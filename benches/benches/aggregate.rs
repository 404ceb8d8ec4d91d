//! Aggregation throughput: parsed records into an `Aggregate`, and merging aggregates.

use albmtls_parse::Record;
use albmtls_report::Aggregate;
use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

fn lines() -> Vec<String> {
    let statuses =
        ["Success", "Success", "Success", "Failed:ClientCertExpired", "-", "Failed:ClientCertUntrusted", "Failed:ClientCertCrlHit"];
    (0..4000u32)
        .map(|i| {
            format!(
                "2026-11-02T10:{:02}:{:02}.{:06}Z 203.0.{}.{} 1 443 TLSv1.3 X 0.01 \"CN=client-{:04}.example.com,O=Company LLC\" - 0A {} TID_{i}",
                i / 60 % 60, i % 60, i, i % 20, i % 250 + 1, i % 500, statuses[i as usize % statuses.len()]
            )
        })
        .collect()
}

#[divan::bench]
fn add_records(bencher: Bencher) {
    let lines = lines();
    let records: Vec<Record<'_>> = lines.iter().map(|l| Record::parse(l.as_bytes()).unwrap()).collect();
    bencher.counter(ItemsCount::new(records.len())).bench(|| {
        let mut aggregate = Aggregate::new();
        for record in &records {
            aggregate.add(record);
        }
        aggregate
    });
}

#[divan::bench]
fn merge_two(bencher: Bencher) {
    let lines = lines();
    let mut one = Aggregate::new();
    for line in &lines {
        one.add(&Record::parse(line.as_bytes()).unwrap());
    }
    bencher.bench(|| {
        let mut total = one.clone();
        total.merge(divan::black_box(one.clone()));
        total
    });
}
