//! `albmtls-corpus`: writes a synthetic connection-log tree and its `truth.json`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use albmtls_corpus::{CorpusSpec, Delivery, VendedLayout, generate};

/// Write a deterministic synthetic ALB connection-log corpus (S3 layout) and truth.json.
///
/// Defaults follow the `realistic` preset; the flags override it.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Connection-log files to write.
    #[arg(long)]
    files: Option<usize>,
    /// Lines per file.
    #[arg(long)]
    lines: Option<usize>,
    /// PRNG seed: the same seed and flags give byte-identical output.
    #[arg(long)]
    seed: Option<u64>,
    /// Distinct client IPs.
    #[arg(long)]
    clients: Option<usize>,
    /// Distinct certificate subjects.
    #[arg(long)]
    subjects: Option<usize>,
    /// Zipf exponent of client popularity: 0 = uniform, 1 = classic Zipf (default 1.1).
    /// Flatter popularity makes files less compressible.
    #[arg(long)]
    client_skew: Option<f64>,
    /// Pad certificate subjects to at least this many bytes.
    #[arg(long)]
    subject_length: Option<usize>,
    /// Every line a new client and a new subject, all but one subject failing (a large
    /// IoT fleet); --clients and --subjects follow the number of lines. The truth keeps
    /// distinct counts only.
    #[arg(long)]
    fleet: bool,
    /// Gzip members per file.
    #[arg(long)]
    members: Option<usize>,
    /// Fraction of lines with a documented Failed: code.
    #[arg(long)]
    failure_rate: Option<f64>,
    /// Deflate level 0-9 (default 1, the fastest that still compresses).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=9))]
    level: Option<u32>,
    /// Put all files × lines into one connection-log file (one 5-minute interval).
    #[arg(long)]
    single_file: bool,
    /// Write uncompressed .log files.
    #[arg(long)]
    plain: bool,
    /// Skip access, health-check and test files.
    #[arg(long)]
    no_other_logs: bool,
    /// Write the files as a vended delivery: json, w3c or parquet (default: classic).
    #[arg(long, value_parser = ["classic", "json", "w3c", "parquet"])]
    delivery: Option<String>,
    /// Key layout of a vended delivery: hive (default) or prefix.
    #[arg(long, value_parser = ["hive", "prefix"])]
    vended_layout: Option<String>,
    /// The fields a vended delivery chose, in order, comma-separated (a delivery of a
    /// subset of fields), e.g. time,client_ip,tls_verify_status. Default: every field of
    /// each line's format.
    #[arg(long, value_delimiter = ',')]
    vended_fields: Option<Vec<String>>,
    /// Write the bundled sample tree (the `sample` preset; other flags still override it).
    #[arg(long)]
    sample: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut spec = if args.sample { CorpusSpec::sample() } else { CorpusSpec::realistic() };
    spec.files = args.files.unwrap_or(spec.files);
    spec.lines_per_file = args.lines.unwrap_or(spec.lines_per_file);
    spec.seed = args.seed.unwrap_or(spec.seed);
    spec.clients = args.clients.unwrap_or(spec.clients);
    spec.subjects = args.subjects.unwrap_or(spec.subjects);
    spec.members_per_file = args.members.unwrap_or(spec.members_per_file);
    spec.failure_rate = args.failure_rate.unwrap_or(spec.failure_rate);
    spec.compression_level = args.level.unwrap_or(spec.compression_level);
    spec.plain |= args.plain;
    spec.include_other_logs &= !args.no_other_logs;
    spec.delivery = match args.delivery.as_deref() {
        Some("json") => Delivery::Json,
        Some("w3c") => Delivery::W3c,
        Some("parquet") => Delivery::Parquet,
        _ => spec.delivery,
    };
    if args.vended_layout.as_deref() == Some("prefix") {
        spec.vended_layout = VendedLayout::Prefix;
    }
    if args.vended_fields.is_some() {
        anyhow::ensure!(spec.delivery != Delivery::Classic, "--vended-fields needs --delivery json, w3c or parquet");
        spec.vended_fields = args.vended_fields;
    }
    spec.client_skew = args.client_skew.unwrap_or(spec.client_skew);
    spec.subject_length = args.subject_length.or(spec.subject_length);
    if args.single_file {
        spec = spec.into_single_file();
    }
    if args.fleet {
        spec = spec.into_fleet();
    }
    let started = Instant::now();
    let done = generate(&spec, &args.out).with_context(|| format!("writing corpus to {}", args.out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    let mb = |b: u64| b as f64 / 1e6;
    let t = &done.truth;
    eprintln!(
        "albmtls-corpus: {} files, {} lines, {:.1} MB raw, {:.1} MB on disk, {} failed, in {:.2}s ({:.0} MB/s raw) -> {}",
        t.files.len() + t.other_files.len(),
        t.records,
        mb(t.raw_bytes),
        mb(done.bytes_on_disk),
        t.failed(),
        secs,
        mb(t.raw_bytes) / secs.max(1e-9),
        args.out.display()
    );
    Ok(())
}
