//! Checked settings: the command line after every value was validated once. Commands
//! take these and never look at raw arguments.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use albmtls_parse::{Field, Filter, Micros, StatusFilter, filter::parse_ip_filter, parse_timestamp};
use albmtls_report::{Bucket, ReportOptions, render::Format};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};

use crate::args::{
    BundleCommand, CertCommand, ColorChoice, CommandArgs, CrlCommand, DoctorFormat, ExplainArgs, HeadersCommand, FilterArgs, GlobalArgs, GrepArgs, LowArgs, ReportArgs, ReportFormat, ScanArgs,
};

pub struct Settings {
    pub command: Command,
    pub output: OutputSettings,
}

pub struct OutputSettings {
    pub color: bool,
    pub quiet: bool,
    pub progress: bool,
}

pub enum Command {
    Report(ReportSettings),
    Grep(GrepSettings),
    Explain(ExplainArgs),
    Doctor(DoctorSettings),
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
}

pub struct ReportSettings {
    pub scan: ScanSettings,
    pub format: Format,
    pub options: ReportOptions,
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
            CommandArgs::Grep(grep) => Command::Grep(grep_settings(grep, now)?),
            CommandArgs::Explain(explain) => Command::Explain(explain),
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
    OutputSettings { color, quiet: global.quiet, progress: !global.quiet && std::io::stderr().is_terminal() }
}

fn report_settings(args: ReportArgs, now: DateTime<Utc>) -> Result<ReportSettings> {
    let bucket = args.bucket.as_deref().map(str::parse::<Bucket>).transpose().map_err(anyhow::Error::msg).context("--bucket")?;
    let format = match args.format {
        ReportFormat::Table => Format::Table,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Md => Format::Markdown,
    };
    Ok(ReportSettings { scan: scan_settings(args.scan, now)?, format, options: ReportOptions { top: args.top, bucket } })
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
    Ok(ScanSettings { paths: args.paths, filter: filter(args.filter, now)?, threads })
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
}
