//! What each command runs on: the clap arguments ([`crate::args`]) checked and resolved
//! once into one settings type per command. Command code sees only these types, never
//! clap's. Values users type (times, durations, statuses, networks, shards) are read by
//! the one parser each has in the library crates.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use albmtls_parse::keys::LogsLocation;
use albmtls_parse::remediation::{self, Remediation};
use albmtls_parse::vended::FieldList;
use albmtls_parse::{
    FailureCode, Field, Filter, FilterError, KeyExchangeFilter, LoadBalancerFilter, Micros, StatusFilter, TimeRange,
    filter::{parse_ip_filter, parse_protocol_filter},
    parse_duration, parse_user_time,
};
use albmtls_pki::{CrlFormat, Target};
use albmtls_render::athena::{Projection, VendedTable};
use albmtls_render::{CsvSection, ReportFormat};
use albmtls_report::{Bucket, ReportOptions};
use albmtls_s3::{S3Location, S3Options};
use albmtls_scan::{FollowOptions, ScanOptions, Shard, VendedOptions};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

use crate::args::{
    AthenaArgs, BundleCommand, CertCommand, ColorChoice, CommandArgs, CrlCommand, CrlEncoding, CsvSectionArg, DoctorArgs, DoctorFormat,
    ExplainArgs, FilterArgs, GlobalArgs, GrepArgs, HeadersCommand, LowArgs, MergeArgs, OutputFormatArg, ReportArgs, ReportOutputArgs,
    S3Args, ScanArgs, TargetArg, VendedArgs,
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
    /// The width tables on stdout must fit in; `None` into a pipe (tables keep their width).
    pub table_width: Option<u16>,
}

impl OutputSettings {
    /// Plain stderr, for errors found before the settings are known.
    pub const PLAIN: OutputSettings = OutputSettings { color: false, quiet: false, progress: false, verbosity: 0, table_width: None };
}

pub enum Command {
    Report(ReportSettings),
    Merge(MergeSettings),
    Grep(GrepSettings),
    Explain(ExplainSettings),
    Doctor(DoctorSettings),
    Athena(AthenaSettings),
    Completions(clap_complete::Shell),
    Man(ManSettings),
}

/// `albmtls man`: one page to stdout (albmtls's own or a subcommand's), or all to a folder.
pub enum ManSettings {
    Page(Vec<String>),
    All(PathBuf),
}

pub struct ReportSettings {
    pub scan: ScanOptions,
    pub output: ReportOutput,
    /// `--follow`: how the report is shown after each poll.
    pub follow: Option<(FollowOptions, FollowView)>,
}

/// How a followed report shows each poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowView {
    /// The tables, redrawn in place on the terminal.
    Redraw,
    /// One JSON object per poll on stdout, for scripts and dashboards.
    JsonLines,
    /// The file or object of `--output` rewritten after each poll.
    Rewrite,
}

pub struct MergeSettings {
    pub parts: Vec<PathBuf>,
    /// Merge a sharded run with shards missing (`--allow-missing`).
    pub allow_missing: bool,
    pub output: ReportOutput,
    /// How to reach S3, used only for `s3://` parts.
    pub s3: S3Options,
}

/// What becomes of an aggregate: its shape, format, destination and alert thresholds.
pub struct ReportOutput {
    pub format: ReportFormat,
    pub destination: Destination,
    pub options: ReportOptions,
    pub thresholds: Vec<Threshold>,
    pub csv_section: CsvSection,
}

/// Where a finished report goes.
pub enum Destination {
    Stdout,
    /// A local file, written atomically.
    File(PathBuf),
    /// An S3 object, stored with one PutObject once the report is complete.
    S3(S3Location),
}

/// `--fail-on WHAT[>N]`: the run exits 1 when more than `above` of `what` are counted.
pub struct Threshold {
    pub text: String,
    pub what: Counted,
    pub above: u64,
}

/// What a threshold counts.
pub enum Counted {
    /// Records with a status.
    Status(StatusFilter),
    /// Certificates in the expiry window.
    Expiring,
    /// Records on TLS 1.0 or 1.1.
    LegacyTls,
}

pub enum GrepOutput {
    Lines,
    Fields(Vec<Field>),
    Json,
    Count,
}

pub struct GrepSettings {
    pub scan: ScanOptions,
    pub output: GrepOutput,
    pub with_filename: bool,
    /// Show control characters in printed lines escaped: stdout is a terminal, where
    /// an escape sequence from a log line would act, and `--raw` was not given.
    pub escape_controls: bool,
    pub follow: Option<FollowOptions>,
}

/// `albmtls explain`: the catalogue entries asked for.
pub struct ExplainSettings {
    pub entries: Vec<&'static Remediation>,
    /// Said on stderr first: the code asked about is not documented.
    pub warning: Option<String>,
    pub json: bool,
}

/// `albmtls athena`: the table to define and the range the report queries cover.
pub struct AthenaSettings {
    pub table: String,
    pub location: String,
    pub projection: Option<Projection>,
    pub range: TimeRange,
    /// The table of a vended delivery in this format, rather than of classic files.
    pub vended: Option<VendedTable>,
}

/// A doctor command with its validity time resolved.
pub struct DoctorSettings {
    pub task: DoctorTask,
    pub at: DateTime<Utc>,
    pub json: bool,
}

/// What the doctor is asked to do, with its inputs.
pub enum DoctorTask {
    BundleCheck {
        bundle: PathBuf,
        target: Target,
        /// Where `--fix` writes the fixed bundle; `None` without `--fix`.
        fix: Option<PathBuf>,
    },
    CertCheck {
        client: PathBuf,
        bundle: PathBuf,
        crls: Vec<PathBuf>,
        ignore_expiry: bool,
        key: Option<PathBuf>,
        csr: Option<PathBuf>,
        target: Target,
    },
    CrlInspect {
        crl: PathBuf,
        bundle: Option<PathBuf>,
    },
    CrlConvert {
        crl: PathBuf,
        to: CrlFormat,
        output: Option<PathBuf>,
    },
    CrlContains {
        serial: String,
        crl: PathBuf,
    },
    HeadersDecode {
        input: PathBuf,
        bundle: Option<PathBuf>,
        crls: Vec<PathBuf>,
    },
}

impl Settings {
    pub fn from_args(args: LowArgs, now: DateTime<Utc>) -> Result<Settings> {
        let output = output_settings(&args.global);
        let now_micros = now.timestamp_micros();
        let command = match args.command {
            CommandArgs::Report(report) => Command::Report(report_settings(report, now_micros)?),
            CommandArgs::Merge(merge) => Command::Merge(merge_settings(merge)?),
            CommandArgs::Grep(grep) => Command::Grep(grep_settings(grep, now_micros)?),
            CommandArgs::Explain(explain) => Command::Explain(explain_settings(explain)?),
            CommandArgs::Athena(athena) => Command::Athena(athena_settings(athena, now_micros)?),
            CommandArgs::Completions { shell } => Command::Completions(shell),
            CommandArgs::Man(man) => Command::Man(match man.dir {
                Some(dir) => ManSettings::All(dir),
                None => ManSettings::Page(man.command),
            }),
            CommandArgs::Bundle(command) => Command::Doctor(doctor_settings(DoctorArgsOf::Bundle(command), now)?),
            CommandArgs::Cert(command) => Command::Doctor(doctor_settings(DoctorArgsOf::Cert(command), now)?),
            CommandArgs::Crl(command) => Command::Doctor(doctor_settings(DoctorArgsOf::Crl(command), now)?),
            CommandArgs::Headers(command) => Command::Doctor(doctor_settings(DoctorArgsOf::Headers(command), now)?),
        };
        let mut output = output;
        if command.follow().is_some() {
            // A bar per poll would flash every few seconds and tear a redrawn report.
            output.progress = false;
        }
        Ok(Settings { command, output })
    }
}

impl Command {
    /// The follow options, for the commands that can follow and were asked to.
    pub fn follow(&self) -> Option<&FollowOptions> {
        match self {
            Command::Report(report) => report.follow.as_ref().map(|(options, _)| options),
            Command::Grep(grep) => grep.follow.as_ref(),
            _ => None,
        }
    }
}

fn output_settings(global: &GlobalArgs) -> OutputSettings {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
    };
    let progress = !global.quiet && global.verbose == 0 && std::io::stderr().is_terminal();
    let terminal = std::io::stdout().is_terminal().then(|| terminal_size::terminal_size().map(|(w, _)| w.0));
    let columns = std::env::var("COLUMNS").ok();
    let table_width = table_width(terminal, columns.as_deref());
    OutputSettings { color, quiet: global.quiet, progress, verbosity: global.verbose, table_width }
}

/// Tables fit a terminal (`terminal`: `Some` when stdout is one, with the width it
/// reports), or the width `COLUMNS` asks for; a width of 0 (some terminals and CI
/// runners report 0x0) or an unknown one means the classic 80 columns. Into a pipe
/// without `COLUMNS`, tables keep their natural width.
fn table_width(terminal: Option<Option<u16>>, columns: Option<&str>) -> Option<u16> {
    const FALLBACK: u16 = 80;
    let nonzero = |w: u16| if w == 0 { FALLBACK } else { w };
    if let Some(columns) = columns.map(str::trim).filter(|c| !c.is_empty()) {
        return Some(columns.parse::<u16>().map_or(FALLBACK, nonzero));
    }
    terminal.map(|size| size.map_or(FALLBACK, nonzero))
}

fn report_settings(args: ReportArgs, now: Micros) -> Result<ReportSettings> {
    let shard = match (args.shard, args.shards) {
        (Some(text), _) => Some(Shard::parse(&text).context("--shard")?),
        (None, Some(count)) => Some(shard_from_environment(count)?),
        (None, None) => None,
    };
    let follow = follow_options(&args.scan)?;
    let mut scan = scan_options(args.scan, now)?;
    scan.shard = shard;
    let output = report_output(args.output)?;
    let follow = match follow {
        None => None,
        Some(options) => Some((options, follow_view(&output)?)),
    };
    Ok(ReportSettings { scan, output, follow })
}

/// Where each poll of `report --follow` goes: a terminal gets the tables redrawn, a pipe
/// one JSON object per poll, a file or object is rewritten.
fn follow_view(output: &ReportOutput) -> Result<FollowView> {
    Ok(match (&output.destination, output.format) {
        (Destination::File(_) | Destination::S3(_), _) => FollowView::Rewrite,
        (Destination::Stdout, ReportFormat::Json) => FollowView::JsonLines,
        (Destination::Stdout, ReportFormat::Table) if std::io::stdout().is_terminal() => FollowView::Redraw,
        (Destination::Stdout, ReportFormat::Table) => FollowView::JsonLines,
        (Destination::Stdout, format) => bail!(
            "--follow writes the tables to a terminal and one JSON object per poll to a pipe; for --format {} name a file with -o, which is rewritten after every poll",
            format.name()
        ),
    })
}

/// `--follow`, `--poll` and `--follow-for`, checked against the paths to follow.
fn follow_options(args: &ScanArgs) -> Result<Option<FollowOptions>> {
    let follow = &args.follow;
    if !follow.follow {
        return Ok(None);
    }
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        bail!("--follow reads directories, files and s3:// prefixes again and again; stdin (`-`) can be read only once");
    }
    let poll = match &follow.poll {
        Some(text) => parse_duration(text).context("--poll")?,
        None => Duration::from_secs(30),
    };
    if poll < Duration::from_secs(1) {
        bail!("--poll {}: poll at most once a second (ALB delivers a file per node every 5 minutes)", follow.poll.as_deref().unwrap_or(""));
    }
    let follow_for = follow.follow_for.as_deref().map(parse_duration).transpose().context("--follow-for")?;
    Ok(Some(FollowOptions { poll, follow_for, stop: Arc::new(AtomicBool::new(false)) }))
}

fn merge_settings(args: MergeArgs) -> Result<MergeSettings> {
    Ok(MergeSettings {
        parts: args.parts,
        allow_missing: args.allow_missing,
        output: report_output(args.output)?,
        s3: s3_options(args.s3)?,
    })
}

fn report_output(args: ReportOutputArgs) -> Result<ReportOutput> {
    let bucket = args.bucket.as_deref().map(bucket).transpose().context("--bucket")?;
    let destination = match &args.output {
        None => Destination::Stdout,
        Some(path) => match path.to_str() {
            Some(url) if url.starts_with("s3://") => {
                let location = S3Location::parse(url).context("--output")?;
                if location.prefix().is_empty() || location.prefix().ends_with('/') {
                    bail!("--output {url}: name the object to write, e.g. s3://{}/reports/report.html", location.bucket());
                }
                Destination::S3(location)
            }
            _ => Destination::File(path.clone()),
        },
    };
    let format = match (args.format, &args.output) {
        (Some(format), _) => format.into(),
        (None, Some(path)) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ReportFormat::for_file_name(&name).with_context(|| {
                format!(
                    "--output {}: cannot tell the format from the extension; name it .json, .md, .csv, .html, .prom, .txt or .partial.json, or pass --format",
                    path.display()
                )
            })?
        }
        (None, None) => ReportFormat::Table,
    };
    let thresholds = args.fail_on.iter().map(|t| threshold(t)).collect::<Result<_>>().context("--fail-on")?;
    let expiring_within_days = expiring_within(&args.expiring_within)?;
    let csv_section = match args.section {
        CsvSectionArg::Statuses => CsvSection::Statuses,
        CsvSectionArg::LoadBalancers => CsvSection::LoadBalancers,
        CsvSectionArg::Listeners => CsvSection::Listeners,
        CsvSectionArg::Tls => CsvSection::Tls,
        CsvSectionArg::Latency => CsvSection::Latency,
        CsvSectionArg::Expiring => CsvSection::Expiring,
    };
    if csv_section != CsvSection::Statuses && format != ReportFormat::Csv {
        bail!("--section chooses the table of CSV output; add --format csv (or an .csv --output)");
    }
    Ok(ReportOutput {
        format,
        destination,
        options: ReportOptions { top: args.top, bucket, expiring_within_days },
        thresholds,
        csv_section,
    })
}

impl From<OutputFormatArg> for ReportFormat {
    fn from(format: OutputFormatArg) -> ReportFormat {
        match format {
            OutputFormatArg::Table => ReportFormat::Table,
            OutputFormatArg::Json => ReportFormat::Json,
            OutputFormatArg::Csv => ReportFormat::Csv,
            OutputFormatArg::Md => ReportFormat::Markdown,
            OutputFormatArg::Html => ReportFormat::Html,
            OutputFormatArg::Prom => ReportFormat::Prometheus,
            OutputFormatArg::Partial => ReportFormat::Partial,
        }
    }
}

/// A timeline bucket: one of the widths reports use, typed as any duration.
fn bucket(text: &str) -> Result<Bucket> {
    let duration = parse_duration(text)?;
    Bucket::of_duration(duration).with_context(|| format!("unknown bucket `{text}`: use one of 1m, 5m, 15m, 1h, 1d"))
}

/// `ClientCertExpired`, `failed>100`, `Failed:ClientCertCrlHit>5`.
fn threshold(text: &str) -> Result<Threshold> {
    let (status, above) = match text.split_once('>') {
        Some((status, n)) => (status, n.trim().parse::<u64>().with_context(|| format!("`{text}`: `{n}` is not a whole number"))?),
        None => (text, 0),
    };
    let what = match status.trim() {
        "expiring" => Counted::Expiring,
        "legacy-tls" => Counted::LegacyTls,
        status => Counted::Status(StatusFilter::parse(status).context("give a status, `expiring` or `legacy-tls`")?),
    };
    Ok(Threshold { text: text.to_owned(), what, above })
}

/// `--expiring-within`: `14d`, `14` (days) or any whole number of days as a duration.
fn expiring_within(text: &str) -> Result<u32> {
    const DAY: u64 = 86_400;
    let seconds = match text.trim().parse::<u32>() {
        Ok(days) => u64::from(days) * DAY,
        Err(_) => parse_duration(text)?.as_secs(),
    };
    if !seconds.is_multiple_of(DAY) {
        bail!("--expiring-within {text}: give whole days, such as 14d or 30");
    }
    u32::try_from(seconds / DAY).with_context(|| format!("--expiring-within {text}: too many days"))
}

/// AWS Batch array jobs set AWS_BATCH_JOB_ARRAY_INDEX; Kubernetes Indexed Jobs set
/// JOB_COMPLETION_INDEX. Both count from 0.
fn shard_from_environment(count: u32) -> Result<Shard> {
    for variable in ["AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"] {
        if let Ok(value) = std::env::var(variable) {
            return Shard::parse(&format!("{value}/{count}")).with_context(|| format!("--shards {count} with {variable}={value}"));
        }
    }
    bail!("--shards {count}: neither AWS_BATCH_JOB_ARRAY_INDEX nor JOB_COMPLETION_INDEX is set; pass --shard I/{count} instead")
}

fn grep_settings(args: GrepArgs, now: Micros) -> Result<GrepSettings> {
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
    let follow = follow_options(&args.scan)?;
    let escape_controls = !args.raw && std::io::stdout().is_terminal();
    Ok(GrepSettings { scan: scan_options(args.scan, now)?, output, with_filename: args.with_filename, escape_controls, follow })
}

fn scan_options(args: ScanArgs, now: Micros) -> Result<ScanOptions> {
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
    };
    Ok(ScanOptions {
        paths: args.paths,
        filter: filter(args.filter, now)?,
        threads,
        shard: None,
        s3: s3_options(args.s3)?,
        vended: vended_options(args.vended)?,
    })
}

fn vended_options(args: VendedArgs) -> Result<VendedOptions> {
    let fields = args.vended_fields.map(|text| FieldList::parse(&text).with_context(|| "--vended-fields")).transpose()?;
    let delimiter = match args.delimiter.as_deref() {
        None => None,
        Some("tab" | "\\t") => Some(b'\t'),
        Some("space") => Some(b' '),
        Some(one) if one.len() == 1 && one != "\"" && one != "\n" => Some(one.as_bytes()[0]),
        Some(other) => bail!("--delimiter `{other}`: give one ASCII character (other than a quote), `tab` or `space`"),
    };
    Ok(VendedOptions { fields, delimiter })
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

fn filter(args: FilterArgs, now: Micros) -> Result<Filter> {
    let mut statuses: Vec<StatusFilter> =
        args.statuses.iter().map(|s| StatusFilter::parse(s)).collect::<Result<_, _>>().context("--status")?;
    if args.failed {
        statuses.push(StatusFilter::AnyFailure);
    }
    let filter = Filter {
        networks: args.ips.iter().map(|ip| parse_ip_filter(ip)).collect::<Result<_, _>>().context("--ip")?,
        statuses,
        time: time_range(args.since.as_deref(), args.until.as_deref(), now)?,
        listener_ports: args.ports,
        load_balancers: args.load_balancers.iter().map(|lb| LoadBalancerFilter::parse(lb)).collect::<Result<_, _>>().context("--lb")?,
        protocols: args.protocols.iter().map(|p| parse_protocol_filter(p)).collect::<Result<_, _>>().context("--protocol")?,
        key_exchanges: args
            .key_exchanges
            .iter()
            .map(|k| KeyExchangeFilter::parse(k))
            .collect::<Result<_, _>>()
            .context("--key-exchange")?,
        subject: None,
        subject_ignore_case: false,
    };
    Ok(match &args.subject {
        Some(subject) if args.ignore_case => filter.with_subject_ignoring_case(subject),
        Some(subject) => filter.with_subject(subject),
        None => filter,
    })
}

/// `--since` and `--until`, as every command that takes them reads them.
fn time_range(since: Option<&str>, until: Option<&str>, now: Micros) -> Result<TimeRange> {
    let since = since.map(|t| parse_user_time(t, now)).transpose().context("--since")?;
    let until = until.map(|t| parse_user_time(t, now)).transpose().context("--until")?;
    TimeRange::new(since, until).map_err(|_| anyhow::anyhow!("--since must be earlier than --until"))
}

fn explain_settings(args: ExplainArgs) -> Result<ExplainSettings> {
    let (entries, warning) = explained(&args.code)?;
    Ok(ExplainSettings { entries, warning, json: args.json })
}

/// The entries `code` names: `all`, `unknown`, or a status as `--status` reads it; with
/// a warning when the code is not one AWS documents.
fn explained(code: &str) -> Result<(Vec<&'static Remediation>, Option<String>)> {
    let code = code.trim();
    let failures = || FailureCode::ALL.iter().map(|c| remediation::for_code(*c));
    if code.eq_ignore_ascii_case("all") {
        let mut all: Vec<&Remediation> = failures().collect();
        all.extend([remediation::unknown_failure(), remediation::success(), remediation::absent()]);
        return Ok((all, None));
    }
    if code.eq_ignore_ascii_case("unknown") {
        return Ok((vec![remediation::unknown_failure()], None));
    }
    let status = StatusFilter::parse(code).map_err(|err| match err {
        FilterError::UnknownStatus { nearest, .. } => anyhow::anyhow!(
            "unknown code `{code}`{}; `albmtls explain all` shows every code, or use `success`, `-` or `unknown`",
            albmtls_parse::filter::did_you_mean(&nearest)
        ),
        other => other.into(),
    })?;
    Ok(match status {
        StatusFilter::Success => (vec![remediation::success()], None),
        StatusFilter::Absent => (vec![remediation::absent()], None),
        StatusFilter::Code(code) => (vec![remediation::for_code(code)], None),
        StatusFilter::Undocumented(undocumented) => {
            let nearest = FailureCode::nearest(&undocumented);
            let warning = format!(
                "AWS does not document the code {undocumented}{}; what follows holds for any undocumented code",
                albmtls_parse::filter::did_you_mean(&nearest)
            );
            (vec![remediation::unknown_failure()], Some(warning))
        }
        StatusFilter::AnyFailure => (failures().chain([remediation::unknown_failure()]).collect(), None),
    })
}

fn athena_settings(args: AthenaArgs, now: Micros) -> Result<AthenaSettings> {
    let range = time_range(args.since.as_deref(), args.until.as_deref(), now)?;
    let vended = match args.vended.as_deref() {
        Some("json") => Some(VendedTable::Json),
        Some("parquet") => Some(VendedTable::Parquet),
        _ => None,
    };
    let (account, region) = match (args.account, args.region) {
        (Some(account), Some(region)) => (account, region),
        _ => return Ok(AthenaSettings { table: args.table, location: args.location, projection: None, range, vended }),
    };
    // The projection's folders are built below the logging prefix; a location given down
    // to AWSLogs/<account>/elasticloadbalancing/<region>/ (as `report` takes it) names
    // the same prefix, and must agree with --account and --region.
    let logs = LogsLocation::parse(&args.location);
    for (option, given, in_location) in [("--account", &account, logs.account), ("--region", &region, logs.region)] {
        if let Some(in_location) = in_location
            && in_location != given
        {
            bail!(
                "--location {} is under {in_location} but {option} is {given}: give the prefix logging was set up with (the part before AWSLogs/), or matching values",
                args.location
            );
        }
    }
    let projection = Some(Projection { account, region, start_day: args.start_day });
    Ok(AthenaSettings { table: args.table, location: logs.prefix, projection, range, vended })
}

/// The doctor's subcommands, as clap gives them.
enum DoctorArgsOf {
    Bundle(BundleCommand),
    Cert(CertCommand),
    Crl(CrlCommand),
    Headers(HeadersCommand),
}

fn doctor_settings(command: DoctorArgsOf, now: DateTime<Utc>) -> Result<DoctorSettings> {
    let (task, shared): (DoctorTask, Option<DoctorArgs>) = match command {
        DoctorArgsOf::Bundle(BundleCommand::Check { bundle, fix, output, target, doctor }) => {
            let fix = if fix { output } else { None };
            (DoctorTask::BundleCheck { bundle, target: target.into(), fix }, Some(doctor))
        }
        DoctorArgsOf::Cert(CertCommand::Check { client, bundle, crls, ignore_expiry, key, csr, target, doctor }) => {
            let target = Target::from(target);
            if ignore_expiry && target == Target::ApiGateway {
                bail!(
                    "--ignore-expiry is an ALB listener option; API Gateway does not check expiry at all, so leave it out with --target api-gateway"
                );
            }
            (DoctorTask::CertCheck { client, bundle, crls, ignore_expiry, key, csr, target }, Some(doctor))
        }
        DoctorArgsOf::Crl(CrlCommand::Inspect { crl, bundle, doctor }) => (DoctorTask::CrlInspect { crl, bundle }, Some(doctor)),
        DoctorArgsOf::Crl(CrlCommand::Convert { crl, to, output }) => {
            let to = match to {
                CrlEncoding::Pem => CrlFormat::Pem,
                CrlEncoding::Der => CrlFormat::Der,
            };
            (DoctorTask::CrlConvert { crl, to, output }, None)
        }
        DoctorArgsOf::Crl(CrlCommand::Contains { serial, crl, doctor }) => (DoctorTask::CrlContains { serial, crl }, Some(doctor)),
        DoctorArgsOf::Headers(HeadersCommand::Decode { input, bundle, crls, doctor }) => {
            (DoctorTask::HeadersDecode { input, bundle, crls }, Some(doctor))
        }
    };
    let at = match shared.as_ref().and_then(|d| d.at.as_deref()) {
        Some(text) => {
            let micros = parse_user_time(text, now.timestamp_micros()).context("--at")?;
            DateTime::from_timestamp_micros(micros).context("--at: that time is out of range")?
        }
        None => now,
    };
    let json = shared.is_some_and(|d| d.format == DoctorFormat::Json);
    Ok(DoctorSettings { task, at, json })
}

impl From<TargetArg> for Target {
    fn from(target: TargetArg) -> Target {
        match target {
            TargetArg::Alb => Target::Alb,
            TargetArg::ApiGateway => Target::ApiGateway,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_polls_every_30_seconds_unless_told_otherwise() {
        use clap::Parser;
        let poll = |args: &[&str]| {
            let args = LowArgs::try_parse_from(args).unwrap();
            Settings::from_args(args, Utc::now()).unwrap().command.follow().map(|follow| follow.poll)
        };
        assert_eq!(poll(&["albmtls", "grep", "--follow", "logs"]), Some(Duration::from_secs(30)));
        assert_eq!(poll(&["albmtls", "report", "--follow", "--format", "json", "logs"]), Some(Duration::from_secs(30)));
        assert_eq!(poll(&["albmtls", "grep", "--follow", "--poll", "2m", "logs"]), Some(Duration::from_secs(120)));
        assert_eq!(poll(&["albmtls", "grep", "logs"]), None);
    }

    #[test]
    fn tables_fit_the_terminal_and_a_0x0_terminal_means_80_columns() {
        assert_eq!(table_width(Some(Some(120)), None), Some(120));
        assert_eq!(table_width(Some(Some(0)), None), Some(80));
        assert_eq!(table_width(Some(None), None), Some(80));
        assert_eq!(table_width(None, None), None);
        assert_eq!(table_width(None, Some("100")), Some(100));
        assert_eq!(table_width(Some(Some(120)), Some("0")), Some(80));
        assert_eq!(table_width(None, Some("wide")), Some(80));
    }

    #[test]
    fn thresholds_users_type() {
        let t = threshold("failed>100").unwrap();
        assert!(matches!(t.what, Counted::Status(StatusFilter::AnyFailure)) && t.above == 100);
        assert_eq!(threshold("ClientCertExpired").unwrap().above, 0);
        assert!(threshold("failed>lots").is_err());
        assert!(matches!(threshold("expiring>3").unwrap(), Threshold { what: Counted::Expiring, above: 3, .. }));
        assert!(matches!(threshold("legacy-tls").unwrap(), Threshold { what: Counted::LegacyTls, above: 0, .. }));
        assert_eq!((expiring_within("14d").unwrap(), expiring_within("30").unwrap()), (14, 30));
        assert!(expiring_within("36h").is_err());
    }

    #[test]
    fn buckets_are_durations_of_the_widths_reports_use() {
        assert_eq!(bucket("5m").unwrap(), Bucket::FiveMinutes);
        assert_eq!(bucket("60min").unwrap(), Bucket::Hour);
        assert_eq!(bucket("1d").unwrap(), Bucket::Day);
        assert!(bucket("7m").unwrap_err().to_string().contains("use one of 1m, 5m, 15m, 1h, 1d"));
    }

    #[test]
    fn explain_reads_statuses_as_status_filters_do() {
        let status = |code: &str| explained(code).unwrap().0.iter().map(|e| e.status).collect::<Vec<_>>();
        assert_eq!(status("clientcertcrlhit"), ["Failed:ClientCertCrlHit"]);
        assert_eq!(status("Failed:ClientCertCrlHit"), ["Failed:ClientCertCrlHit"]);
        assert_eq!(status("Success"), ["Success"]);
        assert_eq!(status("-"), ["-"]);
        assert_eq!(status("Failed:ClientCertRevoked"), [remediation::unknown_failure().status]);
        assert_eq!(status("ClientCertRevoked"), [remediation::unknown_failure().status]);
        assert_eq!(status("failed:clientcertcrlhit"), ["Failed:ClientCertCrlHit"]);
        assert_eq!(explained("all").unwrap().0.len(), FailureCode::ALL.len() + 3);
        let warning = explained("ClientCertExpird").unwrap().1.unwrap();
        assert!(warning.contains("did you mean ClientCertExpired?"), "{warning}");
        let error = explained("Client-Cert-Expired").unwrap_err().to_string();
        assert!(error.contains("unknown code `Client-Cert-Expired`; did you mean ClientCertExpired?"), "{error}");
        assert!(error.len() < 200, "the nearest codes, not the catalogue: {error}");
    }
}
