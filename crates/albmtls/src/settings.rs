//! Checked settings: the command line after every value was validated once. Commands
//! take these and never look at raw arguments.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use albmtls_parse::{Field, Filter, Micros, StatusFilter, filter::parse_ip_filter, parse_timestamp};
use albmtls_report::{Bucket, ReportOptions, render::Format};
use albmtls_s3::S3Options;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};

use crate::args::{
    AthenaArgs, BundleCommand, CertCommand, ColorChoice, CommandArgs, CrlCommand, DoctorFormat, ExplainArgs, FilterArgs, GlobalArgs,
    GrepArgs, HeadersCommand, LowArgs, ReportArgs, ReportFormat, ReportOutputArgs, S3Args, ScanArgs,
};

pub struct Settings {
    pub command: Command,
    pub output: OutputSettings,
}

pub struct OutputSettings {
    pub color: bool,
    pub quiet: bool,
    pub progress: bool,
    /// 0: none, 1: info, 2 or more: debug.
    pub verbosity: u8,
}

pub enum Command {
    Report(ReportSettings),
    Merge(MergeSettings),
    Grep(GrepSettings),
    Explain(ExplainArgs),
    Doctor(DoctorSettings),
    Athena(AthenaArgs),
    Completions(clap_complete::Shell),
    Man,
}

/// A doctor command with its validity time resolved.
pub struct DoctorSettings {
    pub command: DoctorCommand,
    pub at: DateTime<Utc>,
    pub json: bool,
}

pub enum DoctorCommand {
    Bundle(BundleCommand),
    Cert(CertCommand),
    Crl(CrlCommand),
    Headers(HeadersCommand),
}

/// What to read and which records to keep.
pub struct ScanSettings {
    pub paths: Vec<PathBuf>,
    pub filter: Filter,
    pub threads: usize,
    pub shard: Option<Shard>,
    /// How to reach S3, used only when a path is an `s3://` URL.
    pub s3: S3Options,
}

pub struct ReportSettings {
    pub scan: ScanSettings,
    pub output: ReportOutput,
}

pub struct MergeSettings {
    pub parts: Vec<PathBuf>,
    pub output: ReportOutput,
    /// How to reach S3, used only for `s3://` parts.
    pub s3: S3Options,
}

/// What becomes of an aggregate: its shape, format, destination and alert thresholds.
pub struct ReportOutput {
    pub format: OutputFormat,
    pub destination: Option<PathBuf>,
    pub options: ReportOptions,
    pub thresholds: Vec<Threshold>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Rendered(Format),
    Html,
    Prometheus,
    Partial,
}

/// `--fail-on STATUS[>N]`: the run exits 1 when more than `above` records have `status`.
pub struct Threshold {
    pub text: String,
    pub status: StatusFilter,
    pub above: u64,
}

/// `--shard I/N`: this run reads the inputs whose name hashes to `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// A stable hash (xxh3, the same on every machine and version) of the input's name
    /// decides, so shards agree without talking to each other.
    pub fn includes(&self, name: &str) -> bool {
        xxhash_rust::xxh3::xxh3_64(name.as_bytes()) % u64::from(self.count) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

pub enum GrepOutput {
    Lines,
    Fields(Vec<Field>),
    Json,
    Count,
}

pub struct GrepSettings {
    pub scan: ScanSettings,
    pub output: GrepOutput,
    pub with_filename: bool,
}

impl Settings {
    pub fn from_args(args: LowArgs, now: DateTime<Utc>) -> Result<Settings> {
        let output = output_settings(&args.global);
        let command = match args.command {
            CommandArgs::Report(report) => Command::Report(report_settings(report, now)?),
            CommandArgs::Merge(merge) => {
                Command::Merge(MergeSettings { parts: merge.parts, output: report_output(merge.output)?, s3: s3_options(merge.s3)? })
            }
            CommandArgs::Grep(grep) => Command::Grep(grep_settings(grep, now)?),
            CommandArgs::Explain(explain) => Command::Explain(explain),
            CommandArgs::Athena(athena) => Command::Athena(athena),
            CommandArgs::Completions { shell } => Command::Completions(shell),
            CommandArgs::Man => Command::Man,
            CommandArgs::Bundle(c) => doctor(DoctorCommand::Bundle(c), now)?,
            CommandArgs::Cert(c) => doctor(DoctorCommand::Cert(c), now)?,
            CommandArgs::Crl(c) => doctor(DoctorCommand::Crl(c), now)?,
            CommandArgs::Headers(c) => doctor(DoctorCommand::Headers(c), now)?,
        };
        Ok(Settings { command, output })
    }
}

fn doctor(command: DoctorCommand, now: DateTime<Utc>) -> Result<Command> {
    let shared = match &command {
        DoctorCommand::Bundle(BundleCommand::Check { doctor, .. })
        | DoctorCommand::Cert(CertCommand::Check { doctor, .. })
        | DoctorCommand::Crl(CrlCommand::Inspect { doctor, .. } | CrlCommand::Contains { doctor, .. })
        | DoctorCommand::Headers(HeadersCommand::Decode { doctor, .. }) => Some(doctor),
        DoctorCommand::Crl(CrlCommand::Convert { .. }) => None,
    };
    let at = match shared.and_then(|d| d.at.as_deref()) {
        Some(text) => {
            let micros = parse_time(text, now).context("--at")?;
            DateTime::from_timestamp_micros(micros).context("--at: that time is out of range")?
        }
        None => now,
    };
    let json = shared.is_some_and(|d| d.format == DoctorFormat::Json);
    Ok(Command::Doctor(DoctorSettings { command, at, json }))
}

fn output_settings(global: &GlobalArgs) -> OutputSettings {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
    };
    let progress = !global.quiet && global.verbose == 0 && std::io::stderr().is_terminal();
    OutputSettings { color, quiet: global.quiet, progress, verbosity: global.verbose }
}

fn report_settings(args: ReportArgs, now: DateTime<Utc>) -> Result<ReportSettings> {
    let shard = match (args.shard, args.shards) {
        (Some(text), _) => Some(parse_shard(&text).context("--shard")?),
        (None, Some(count)) => Some(shard_from_environment(count)?),
        (None, None) => None,
    };
    let mut scan = scan_settings(args.scan, now)?;
    scan.shard = shard;
    Ok(ReportSettings { scan, output: report_output(args.output)? })
}

fn report_output(args: ReportOutputArgs) -> Result<ReportOutput> {
    let bucket = args.bucket.as_deref().map(str::parse::<Bucket>).transpose().map_err(anyhow::Error::msg).context("--bucket")?;
    let format = match (args.format, &args.output) {
        (Some(format), _) => format,
        (None, Some(path)) => format_for_extension(path)?,
        (None, None) => ReportFormat::Table,
    };
    let format = match format {
        ReportFormat::Table => OutputFormat::Rendered(Format::Table),
        ReportFormat::Json => OutputFormat::Rendered(Format::Json),
        ReportFormat::Csv => OutputFormat::Rendered(Format::Csv),
        ReportFormat::Md => OutputFormat::Rendered(Format::Markdown),
        ReportFormat::Html => OutputFormat::Html,
        ReportFormat::Prom => OutputFormat::Prometheus,
        ReportFormat::Partial => OutputFormat::Partial,
    };
    let thresholds = args.fail_on.iter().map(|t| parse_threshold(t)).collect::<Result<_>>().context("--fail-on")?;
    Ok(ReportOutput { format, destination: args.output, options: ReportOptions { top: args.top, bucket }, thresholds })
}

fn format_for_extension(path: &std::path::Path) -> Result<ReportFormat> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    Ok(match name.rsplit('.').next() {
        _ if name.ends_with(".partial.json") => ReportFormat::Partial,
        Some("json") => ReportFormat::Json,
        Some("md") => ReportFormat::Md,
        Some("csv") => ReportFormat::Csv,
        Some("html" | "htm") => ReportFormat::Html,
        Some("prom") => ReportFormat::Prom,
        Some("txt") => ReportFormat::Table,
        _ => bail!(
            "--output {}: cannot tell the format from the extension; name it .json, .md, .csv, .html, .prom, .txt or .partial.json, or pass --format",
            path.display()
        ),
    })
}

/// `ClientCertExpired`, `failed>100`, `Failed:ClientCertCrlHit>5`.
fn parse_threshold(text: &str) -> Result<Threshold> {
    let (status, above) = match text.split_once('>') {
        Some((status, n)) => (status, n.trim().parse::<u64>().with_context(|| format!("`{text}`: `{n}` is not a whole number"))?),
        None => (text, 0),
    };
    Ok(Threshold { text: text.to_owned(), status: StatusFilter::parse(status.trim())?, above })
}

fn parse_shard(text: &str) -> Result<Shard> {
    let usage = || format!("`{text}` is not I/N with 0 <= I < N (e.g. 0/4, 3/4)");
    let (index, count) = text.split_once('/').with_context(usage)?;
    let (index, count): (u32, u32) = (index.trim().parse().with_context(usage)?, count.trim().parse().with_context(usage)?);
    if count == 0 || index >= count {
        bail!(usage());
    }
    Ok(Shard { index, count })
}

/// AWS Batch array jobs set AWS_BATCH_JOB_ARRAY_INDEX; Kubernetes Indexed Jobs set
/// JOB_COMPLETION_INDEX. Both count from 0.
fn shard_from_environment(count: u32) -> Result<Shard> {
    for variable in ["AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"] {
        if let Ok(value) = std::env::var(variable) {
            return parse_shard(&format!("{value}/{count}")).with_context(|| format!("--shards {count} with {variable}={value}"));
        }
    }
    bail!("--shards {count}: neither AWS_BATCH_JOB_ARRAY_INDEX nor JOB_COMPLETION_INDEX is set; pass --shard I/{count} instead")
}

fn grep_settings(args: GrepArgs, now: DateTime<Utc>) -> Result<GrepSettings> {
    let output = if args.count {
        GrepOutput::Count
    } else if args.json {
        GrepOutput::Json
    } else if !args.fields.is_empty() {
        let fields = args
            .fields
            .iter()
            .map(|name| {
                Field::from_name(name.trim()).with_context(|| {
                    let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                    format!("--fields: unknown field `{name}`; fields are: {}", known.join(", "))
                })
            })
            .collect::<Result<_>>()?;
        GrepOutput::Fields(fields)
    } else {
        GrepOutput::Lines
    };
    Ok(GrepSettings { scan: scan_settings(args.scan, now)?, output, with_filename: args.with_filename })
}

fn scan_settings(args: ScanArgs, now: DateTime<Utc>) -> Result<ScanSettings> {
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
    };
    Ok(ScanSettings { paths: args.paths, filter: filter(args.filter, now)?, threads, shard: None, s3: s3_options(args.s3)? })
}

fn s3_options(args: S3Args) -> Result<S3Options> {
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    Ok(S3Options {
        profile: args.profile,
        region: args.region,
        endpoint_url: args.endpoint_url,
        concurrency: args.concurrency,
        ..S3Options::default()
    })
}

fn filter(args: FilterArgs, now: DateTime<Utc>) -> Result<Filter> {
    let mut statuses: Vec<StatusFilter> =
        args.statuses.iter().map(|s| StatusFilter::parse(s)).collect::<Result<_, _>>().context("--status")?;
    if args.failed {
        statuses.push(StatusFilter::AnyFailure);
    }
    let mut filter = Filter {
        networks: args.ips.iter().map(|ip| parse_ip_filter(ip)).collect::<Result<_, _>>().context("--ip")?,
        statuses,
        since: args.since.as_deref().map(|t| parse_time(t, now)).transpose().context("--since")?,
        until: args.until.as_deref().map(|t| parse_time(t, now)).transpose().context("--until")?,
        listener_ports: args.ports,
        subject: None,
    };
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && since >= until
    {
        bail!("--since must be earlier than --until");
    }
    if let Some(subject) = &args.subject {
        filter = filter.with_subject(subject);
    }
    Ok(filter)
}

/// RFC 3339 (`2026-11-02T10:00:00Z`, any offset), a date (`2026-11-02`, midnight UTC)
/// or an age before `now` (`2h`, `30m`, `1d 12h`).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<Micros> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    if let Some(t) = parse_timestamp(text.as_bytes()) {
        return Ok(t);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_micros());
    }
    if let Ok(age) = humantime::parse_duration(text) {
        let age = chrono::Duration::from_std(age).context("that age is too large")?;
        return Ok((now - age).timestamp_micros());
    }
    bail!("`{text}` is not a time: use RFC 3339 (2026-11-02T10:00:00Z), a date (2026-11-02) or an age (2h, 30m, 1d)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_forms_users_type() {
        let now = DateTime::parse_from_rfc3339("2026-11-02T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |s: &str| parse_time(s, now).unwrap();
        assert_eq!(at("2026-11-02T10:00:00Z"), now.timestamp_micros() - 2 * 3_600_000_000);
        assert_eq!(at("2026-11-02T12:00:00+02:00"), at("2026-11-02T10:00:00Z"));
        assert_eq!(at("2h"), at("2026-11-02T10:00:00Z"));
        assert_eq!(at("1d"), at("2026-11-01T12:00:00Z"));
        assert_eq!(at("2026-11-02"), at("2026-11-02T00:00:00Z"));
        assert!(parse_time("yesterday", now).unwrap_err().to_string().contains("RFC 3339"));
    }

    #[test]
    fn shards_partition_every_name_exactly_once() {
        let shards: Vec<Shard> = (0..4).map(|i| parse_shard(&format!("{i}/4")).unwrap()).collect();
        for n in 0..500 {
            let name = format!("AWSLogs/1/elasticloadbalancing/us-east-1/2026/11/02/conn_log_{n}.log.gz");
            assert_eq!(shards.iter().filter(|s| s.includes(&name)).count(), 1, "{name}");
        }
        let sizes: Vec<usize> = shards.iter().map(|s| (0..500).filter(|n| s.includes(&format!("k{n}"))).count()).collect();
        assert!(sizes.iter().all(|&n| n > 80), "shards are roughly balanced: {sizes:?}");
        for bad in ["4/4", "1", "a/2", "0/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn thresholds_users_type() {
        let t = parse_threshold("failed>100").unwrap();
        assert_eq!((t.status, t.above), (StatusFilter::AnyFailure, 100));
        assert_eq!(parse_threshold("ClientCertExpired").unwrap().above, 0);
        assert!(parse_threshold("failed>lots").is_err());
    }
}
