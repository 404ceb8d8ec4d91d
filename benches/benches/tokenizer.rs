//! Tokenizer throughput on decompressed text (bytes per second per core), through the
//! engine's own line loop (`albmtls_scan::read_block`) with the SIMD kind this CPU runs.

use albmtls_parse::{Filter, ParseError, Record, SimdLevel};
use albmtls_scan::{InputContext, Sink, read_block};
use divan::Bencher;
use divan::counter::BytesCount;

fn main() {
    divan::main();
}

/// A realistic block: 15-field lines, a mix of statuses, subjects with spaces.
fn block() -> Vec<u8> {
    let statuses = ["Success", "Success", "Success", "Success", "Failed:ClientCertExpired", "-", "Failed:ClientCertUntrusted"];
    let mut out = Vec::new();
    for i in 0..4000u32 {
        let status = statuses[i as usize % statuses.len()];
        let line = format!(
            "2026-11-02T10:{:02}:{:02}.{:06}Z 203.0.{}.{} {} 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.0{:02} \"CN=client-{:04}.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2027-04-02T19:17:20Z {:X} {status} TID_{:032x} X25519MLKEM768 app/my-lb/50dc6c495c0c9188 10.0.1.5\n",
            i / 60 % 60,
            i % 60,
            i,
            i % 20,
            i % 250 + 1,
            1024 + i,
            i % 100,
            i % 500,
            i * 7919,
            u128::from(i) * 0x9e37_79b9_7f4a_7c15
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// The realistic mix the comparison corpus uses: all four generations, IPv6 clients,
/// subjects with spaces and escaped quotes, every failure code.
fn corpus_mix() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let spec = albmtls_corpus::CorpusSpec {
        files: 1,
        lines_per_file: 20_000,
        members_per_file: 1,
        plain: true,
        include_other_logs: false,
        ..albmtls_corpus::CorpusSpec::realistic()
    };
    albmtls_corpus::generate(&spec, dir.path()).expect("corpus");
    // The same directory walk the commands use finds the connection log.
    let inputs = albmtls_source::expand_paths(&[dir.path().to_path_buf()]).inputs;
    let Some(albmtls_source::LocalInput::File(file)) = inputs.first().map(|found| &found.input) else {
        panic!("the corpus holds no connection log")
    };
    std::fs::read(file).expect("readable corpus file")
}

#[divan::bench]
fn tokenize(bencher: Bencher) {
    tokenize_lines(bencher, &block());
}

#[divan::bench]
fn tokenize_corpus_mix(bencher: Bencher) {
    tokenize_lines(bencher, &corpus_mix());
}

/// Counts records; the compiler cannot drop the parse, whose fields it reads.
#[derive(Default)]
struct Parsed {
    records: u64,
    bytes: u64,
}

impl Sink for Parsed {
    const OUTPUT_FOLLOWS_LISTING: bool = false;

    #[inline(always)]
    fn record(&mut self, _: &InputContext<'_>, _: u64, record: &Record<'_>) -> std::io::Result<()> {
        self.records += 1;
        self.bytes += record.status.len() as u64 + u64::from(record.listener_port);
        Ok(())
    }
    fn filtered_out(&mut self, _: &Record<'_>) {}
    fn malformed(&mut self, _: &InputContext<'_>, _: u64, _: &[u8], _: ParseError) {}
    fn blank(&mut self) {}
    fn overlong(&mut self, _: &InputContext<'_>, _: u64, _: u64) {}
    fn end_input(&mut self, _: &InputContext<'_>, _: u64, _: Option<String>) -> std::io::Result<()> {
        Ok(())
    }
    fn records(&self) -> u64 {
        self.records
    }
    fn merge(&mut self, other: Parsed) {
        self.records += other.records;
    }
}

fn tokenize_lines(bencher: Bencher, data: &[u8]) {
    let expected = memchr::memchr_iter(b'\n', data).count() as u64;
    let simd = SimdLevel::detect();
    let filter = Filter::default();
    let input = InputContext { index: 0, name: "bench", load_balancer: None };
    bencher.counter(BytesCount::of_slice(data)).bench(|| {
        let mut sink = Parsed::default();
        read_block(simd, divan::black_box(data), 0, &input, &filter, &mut sink).expect("nothing is written");
        assert_eq!(sink.records, expected, "every line is a record");
        sink.bytes
    });
}
