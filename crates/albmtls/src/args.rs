//! The command line as clap sees it. Nothing here is checked beyond syntax; `settings`
//! turns it into what commands run on, and no command sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "albmtls",
    version,
    about = "Why do clients fail mutual TLS on an AWS Application Load Balancer, and what to do about it",
    long_about = "albmtls reads ALB connection logs (gzipped or plain, local files, directories or stdin), \
                  counts every tls_verify_status, shows who fails and why, and explains each failure code \
                  with the steps to fix it.",
    after_help = "Examples:\n  albmtls report sample-logs/\n  albmtls grep --ip 203.0.113.7 --status failed logs/\n  albmtls explain ClientCertExpired\n\nExit status: 0 ok, 1 nothing matched (grep), 2 an error (the report still covers what could be read)."
)]
pub struct LowArgs {
    #[command(subcommand)]
    pub command: CommandArgs,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print nothing on stderr but errors (no progress, no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Diagnostics on stderr: -v for each input and phase, -vv for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum CommandArgs {
    /// Count every verify status, who fails and when, with what to do about each failure.
    #[command(
        after_help = "Examples:\n  albmtls report logs/\n  albmtls report --since 2h --format json logs/ > report.json\n  zcat conn_log_*.gz | albmtls report -"
    )]
    Report(ReportArgs),
    /// Fold partial reports from sharded runs into one report.
    #[command(
        after_help = "Examples:\n  albmtls report --shard 0/2 --format partial -o part-0.json logs/\n  albmtls report --shard 1/2 --format partial -o part-1.json logs/\n  albmtls merge part-*.json --output report.html"
    )]
    Merge(MergeArgs),
    /// Print the log lines that match, as they are (a correct `zcat | awk` replacement).
    #[command(
        after_help = "Examples:\n  albmtls grep --ip 203.0.113.7 --status failed logs/\n  albmtls grep --status ClientCertExpired --fields timestamp,client_ip,leaf_client_cert_subject logs/\n  albmtls grep --ip 10.0.0.0/8 --count logs/"
    )]
    Grep(GrepArgs),
    /// Lint a CA bundle against the ALB trust-store rules.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Predict the tls_verify_status ALB would log for a client certificate.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Inspect, convert and search certificate revocation lists.
    #[command(subcommand)]
    Crl(CrlCommand),
    /// Decode the X-Amzn-Mtls-Clientcert* headers ALB passes to targets.
    #[command(subcommand)]
    Headers(HeadersCommand),
    /// Print the Athena DDL (all 15 fields, partition projection) and the SQL for the same report.
    #[command(
        after_help = "Examples:\n  albmtls athena --location s3://my-logs/prefix --account 123456789012 --region us-east-1\n  albmtls athena --location s3://my-logs/prefix --account 123456789012 --region us-east-1 --since 2026-11-01 --until 2026-11-02"
    )]
    Athena(AthenaArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  albmtls completions bash > /etc/bash_completion.d/albmtls\n  albmtls completions zsh > \"${fpath[1]}/_albmtls\"\n  albmtls completions fish > ~/.config/fish/completions/albmtls.fish"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print a man page (roff): albmtls's own, or a subcommand's; or write them all to a folder.
    #[command(
        after_help = "Examples:\n  albmtls man > /usr/local/share/man/man1/albmtls.1\n  albmtls man report | man -l -\n  albmtls man --dir /usr/local/share/man/man1"
    )]
    Man(ManArgs),
    /// Explain a tls_verify_status code and how to fix it.
    #[command(
        after_help = "Examples:\n  albmtls explain ClientCertExpired\n  albmtls explain Failed:ClientCertCrlHit\n  albmtls explain all"
    )]
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`report`, `bundle check`, ...); none for albmtls's own.
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,
    /// Write every page (albmtls.1, albmtls-report.1, ...) to this folder instead.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories (searched recursively for conn_log_* files), `-` for stdin, or
    /// s3://bucket/prefix (every connection log under it).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", help_heading = "Performance")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub s3: S3Args,
    #[command(flatten)]
    pub follow: FollowArgs,
    #[command(flatten)]
    pub vended: VendedArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Follow")]
pub struct FollowArgs {
    /// Keep watching: after what exists, list the paths again every --poll and read each new input once, until Ctrl-C (exit 0).
    #[arg(long)]
    pub follow: bool,
    /// Time between listings with --follow (e.g. 30s, 2m) [default: 30s].
    #[arg(long, value_name = "DURATION", requires = "follow")]
    pub poll: Option<String>,
    /// Stop following after this long (e.g. 2h).
    #[arg(long, value_name = "DURATION", requires = "follow")]
    pub follow_for: Option<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Vended deliveries")]
pub struct VendedArgs {
    /// Field list of plain (header-less) vended files, in order, comma-separated, e.g.
    /// time,client_ip,tls_verify_status. W3C files name theirs in a #Fields: header.
    #[arg(long, value_name = "FIELDS")]
    pub vended_fields: Option<String>,
    /// Byte between values in plain and W3C files: one character, or `tab`, `space`
    /// (default: a tab when a row has one, else a space).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "S3")]
pub struct S3Args {
    /// AWS profile for s3:// paths; as in the AWS CLI, it wins over AWS_ACCESS_KEY_ID in
    /// the environment (default: the standard credential chain, with AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region of the bucket.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// S3-compatible endpoint (path-style addressing), e.g. http://127.0.0.1:9000; wins
    /// over AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL and the profile's endpoint_url.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Objects downloaded at once. The default covers S3's 20-50 ms to first byte for
    /// small objects: at 128 in flight, ~2,500-6,000 objects a second.
    #[arg(long, value_name = "N", default_value_t = albmtls_s3::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Client address or CIDR network (repeatable, or comma-separated).
    #[arg(long = "ip", value_name = "ADDR|CIDR", value_delimiter = ',')]
    pub ips: Vec<String>,
    /// Status, any case: a code (ClientCertExpired, also undocumented ones), `Failed:<code>`, `failed`, `success` or `-` (repeatable, or comma-separated).
    #[arg(long = "status", value_name = "STATUS", value_delimiter = ',')]
    pub statuses: Vec<String>,
    /// Shorthand for `--status failed`.
    #[arg(long)]
    pub failed: bool,
    /// Substring of the client certificate subject.
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Match --subject ignoring case.
    #[arg(short = 'i', long, requires = "subject")]
    pub ignore_case: bool,
    /// Entries at or after this time: RFC 3339 (2026-11-02T10:00:00Z; no offset means UTC), a date (2026-11-02) or an age (2h or -2h, 30m, 1d).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Entries before this time (same forms as --since).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Listener port (repeatable, or comma-separated).
    #[arg(long = "port", value_name = "PORT", value_delimiter = ',')]
    pub ports: Vec<u16>,
    /// Load balancer: its name (my-lb), id (50dc6c495c0c9188) or app/NAME/ID; from field 14, else the file name (repeatable, or comma-separated).
    #[arg(long = "lb", value_name = "NAME|ID", value_delimiter = ',')]
    pub load_balancers: Vec<String>,
    /// TLS protocol: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 or just 1.2 (repeatable, or comma-separated).
    #[arg(long = "protocol", value_name = "PROTOCOL", value_delimiter = ',')]
    pub protocols: Vec<String>,
    /// Key exchange (field 13): a group such as X25519MLKEM768, `pq` for any ML-KEM group or `classic` (repeatable, or comma-separated).
    #[arg(long = "key-exchange", value_name = "GROUP", value_delimiter = ',')]
    pub key_exchanges: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub output: ReportOutputArgs,
    /// Read only share I of N of the inputs (0-based, e.g. 2/8), chosen by a stable hash of each name.
    #[arg(long, value_name = "I/N", conflicts_with = "shards", help_heading = "Scale-out")]
    pub shard: Option<String>,
    /// Like --shard, with I taken from AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "N", help_heading = "Scale-out")]
    pub shards: Option<u32>,
}

/// How a report is shaped and where it goes; shared by `report` and `merge`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct ReportOutputArgs {
    /// Output format (default: from --output's extension, else table).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormatArg>,
    /// Write the report to this file (atomically) or S3 object (s3://bucket/key) instead of stdout; .json, .md, .csv, .html, .prom, .txt or .partial.json.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Entries in each top list.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Timeline bucket: 1m, 5m, 15m, 1h or 1d (default: from the time span).
    #[arg(long, value_name = "WIDTH")]
    pub bucket: Option<String>,
    /// Exit 1 when a status occurs more than N times (default 0): `ClientCertExpired`, `failed>100`; or `expiring>N` (certificates in the expiry window), `legacy-tls>N` (records on TLS 1.0/1.1) (repeatable).
    #[arg(long = "fail-on", value_name = "WHAT[>N]")]
    pub fail_on: Vec<String>,
    /// The expiry window after the latest record for the expiring-certificates section, in days (14d or 14).
    #[arg(long = "expiring-within", value_name = "DAYS", default_value = "30d")]
    pub expiring_within: String,
    /// The section CSV output holds (one table per file).
    #[arg(long, value_enum, default_value_t = CsvSectionArg::Statuses)]
    pub section: CsvSectionArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvSectionArg {
    Statuses,
    LoadBalancers,
    Listeners,
    Tls,
    Latency,
    Expiring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormatArg {
    Table,
    Json,
    Csv,
    Md,
    /// One self-contained HTML page with a timeline chart per failure code.
    Html,
    /// Prometheus text format, for the node_exporter textfile collector.
    Prom,
    /// A mergeable aggregate for `albmtls merge`.
    Partial,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial files written by `albmtls report --format partial`: paths, `-` for stdin,
    /// or s3://bucket/key objects.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Merge the shards given even if some of a sharded run are missing; the report then
    /// names the shards it lacks (without it, a gap is an error).
    #[arg(long)]
    pub allow_missing: bool,
    #[command(flatten)]
    pub output: ReportOutputArgs,
    #[command(flatten)]
    pub s3: S3Args,
}

#[derive(Debug, Args)]
pub struct GrepArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Print only these fields, space-separated (names as in the AWS docs: client_ip,tls_verify_status,…).
    #[arg(help_heading = "Output", long, value_delimiter = ',', value_name = "FIELD,…", conflicts_with_all = ["json", "count"])]
    pub fields: Vec<String>,
    /// Print one JSON object per matching record.
    #[arg(help_heading = "Output", long, conflicts_with = "count")]
    pub json: bool,
    /// Print only the number of matching records.
    #[arg(help_heading = "Output", short = 'c', long)]
    pub count: bool,
    /// Prefix each line with the input name and line number.
    #[arg(help_heading = "Output", short = 'H', long)]
    pub with_filename: bool,
    /// On a terminal, print control characters in lines as they are instead of escaped (`\x1b`); output into a pipe is always byte-exact.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code (ClientCertExpired), a status (Failed:ClientCertExpired, Success, -), `unknown`, or `all`.
    #[arg(default_value = "all")]
    pub code: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options every doctor command shares.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Judge validity at this time instead of now (RFC 3339, a date, or an age like 2h).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
}

/// `--target`: whose mutual TLS rules the doctor applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// An Application Load Balancer trust store (verify mode).
    Alb,
    /// An API Gateway custom domain's truststore.
    ApiGateway,
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Describe every certificate and list every rule ALB would reject the bundle for.
    #[command(
        after_help = "Examples:\n  albmtls bundle check ca-bundle.pem\n  albmtls bundle check --format json ca-bundle.pem\n  albmtls bundle check --fix -o fixed.pem ca-bundle.pem\n  albmtls bundle check --target api-gateway truststore.pem\n\nExit status: 0 ALB accepts the bundle (with --fix: the fixed one), 1 ALB would reject it, 2 the file cannot be read."
    )]
    Check {
        /// The PEM bundle you upload to the trust store (`-` for stdin).
        bundle: PathBuf,
        /// Write the bundle with every certificate the rules refuse removed (and duplicates), to --output.
        #[arg(long, requires = "output")]
        fix: bool,
        /// Where --fix writes the fixed bundle (atomically).
        #[arg(short, long, value_name = "FILE", requires = "fix")]
        output: Option<PathBuf>,
        /// Whose rules to apply.
        #[arg(long, value_enum, default_value_t = TargetArg::Alb)]
        target: TargetArg,
        #[command(flatten)]
        doctor: DoctorArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Build the chain against a bundle (and CRLs) and print the status ALB would log.
    #[command(
        after_help = "Examples:\n  albmtls cert check --bundle ca-bundle.pem client.pem\n  albmtls cert check --bundle ca.pem --crl crl.pem --at 2026-11-02T10:00:00Z client-chain.pem\n  albmtls cert check --bundle ca.pem --key client.key client.pem\n  albmtls cert check --target api-gateway --bundle truststore.pem my_client.pem\n\nExit status: 0 Success (API Gateway: access granted), 1 a Failed: verdict, a trust store ALB refuses or a key mismatch, 2 an input cannot be read."
    )]
    Check {
        /// The client certificate, optionally followed by its intermediates (PEM).
        client: PathBuf,
        /// The trust-store CA bundle (PEM).
        #[arg(long, value_name = "CA.pem")]
        bundle: PathBuf,
        /// A CRL in the trust store (PEM or DER; repeatable).
        #[arg(long = "crl", value_name = "FILE")]
        crls: Vec<PathBuf>,
        /// Accept expired client certificates, as the listener option IgnoreClientCertificateExpiry does.
        #[arg(long)]
        ignore_expiry: bool,
        /// Check that this private key (PEM) belongs to the certificate.
        #[arg(long, value_name = "KEY.pem")]
        key: Option<PathBuf>,
        /// Check that this CSR (PEM) belongs to the certificate.
        #[arg(long, value_name = "CSR.pem")]
        csr: Option<PathBuf>,
        /// Whose rules to apply: ALB's tls_verify_status, or whether API Gateway grants access.
        #[arg(long, value_enum, default_value_t = TargetArg::Alb)]
        target: TargetArg,
        #[command(flatten)]
        doctor: DoctorArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum CrlCommand {
    /// Issuer, update times, entries, quota use, negative serials, and who signed it.
    #[command(after_help = "Examples:\n  albmtls crl inspect crl.pem\n  albmtls crl inspect --bundle ca-bundle.pem crl.der")]
    Inspect {
        /// The CRL (PEM or DER).
        crl: PathBuf,
        /// Check the CRL's signature against this bundle's CAs.
        #[arg(long, value_name = "CA.pem")]
        bundle: Option<PathBuf>,
        #[command(flatten)]
        doctor: DoctorArgs,
    },
    /// Convert a CRL between PEM and DER.
    #[command(
        after_help = "Examples:\n  albmtls crl convert --to pem crl.der > crl.pem\n  albmtls crl convert --to der -o crl.der crl.pem"
    )]
    Convert {
        /// The CRL (PEM or DER).
        crl: PathBuf,
        /// Target encoding.
        #[arg(long, value_enum, ignore_case = true)]
        to: CrlEncoding,
        /// Write here (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Is this serial (hex, as in the log's serial field) revoked by the CRL?
    #[command(
        after_help = "Examples:\n  albmtls crl contains 02 crl.pem\n  albmtls crl contains FE:F2:57:37 crl.der\n  albmtls crl contains -05 crl.pem\n\nExit status: 0 revoked (ALB refuses the certificate), 1 not in the CRL or an entry ALB ignores (negative serial), 2 the CRL cannot be read."
    )]
    Contains {
        /// Serial in hex (leading zeros, colons and case do not matter; a negative one as openssl shows it, `-05`).
        #[arg(allow_hyphen_values = true)]
        serial: String,
        /// The CRL (PEM or DER).
        crl: PathBuf,
        #[command(flatten)]
        doctor: DoctorArgs,
    },
}

/// `crl convert --to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CrlEncoding {
    Pem,
    Der,
}

#[derive(Debug, Subcommand)]
pub enum HeadersCommand {
    /// URL-decode the mTLS headers of a request (or header lines) and show the chain.
    #[command(after_help = "Examples:\n  albmtls headers decode request.txt\n  pbpaste | albmtls headers decode --bundle ca-bundle.pem -")]
    Decode {
        /// A raw HTTP request or header lines (`-` for stdin).
        #[arg(default_value = "-")]
        input: PathBuf,
        /// Also run `cert check` on the decoded chain against this bundle.
        #[arg(long, value_name = "CA.pem")]
        bundle: Option<PathBuf>,
        /// CRLs for that check (repeatable).
        #[arg(long = "crl", value_name = "FILE", requires = "bundle")]
        crls: Vec<PathBuf>,
        #[command(flatten)]
        doctor: DoctorArgs,
    },
}

#[derive(Debug, Args)]
pub struct AthenaArgs {
    /// Table name.
    #[arg(long, default_value = "alb_connection_logs")]
    pub table: String,
    /// Where the logs are: s3://bucket/prefix (the folder holding AWSLogs/).
    #[arg(long, value_name = "S3_URL")]
    pub location: String,
    /// Account id for partition projection on the date folders (with --region).
    #[arg(long, requires = "region")]
    pub account: Option<String>,
    /// Region for partition projection (with --account).
    #[arg(long, requires = "account")]
    pub region: Option<String>,
    /// First day the projection covers.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2024-01-01")]
    pub start_day: chrono::NaiveDate,
    /// The table of a CloudWatch vended delivery in this format (json or parquet), whose
    /// keys are Hive-style (aws-account-id=…/region=…/year=…/month=…/day=…).
    #[arg(long, value_name = "FORMAT", value_parser = ["json", "parquet"])]
    pub vended: Option<String>,
    /// Restrict the report SQL to entries at or after this time (RFC 3339, a date, or an age such as 2h).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Restrict the report SQL to entries before this time.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
}
