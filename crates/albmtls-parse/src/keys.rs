//! What a log file's name says: which kind of ELB log it is, and for connection logs the
//! account, region, load balancer and the end of the 5-minute interval it covers.
//!
//! Local directory walks and S3 listings both decide from the path or key which files to
//! read ([`choose`]), so the rules live here once, with the counts of files passed over
//! ([`SkippedFiles`]) that reports show. Under a vended delivery's layout the names say
//! nothing: those files are read only when their content shows connection-log fields.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The kinds of file ELB writes under `AWSLogs/<account>/elasticloadbalancing/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFileKind {
    /// `conn_log_…` (as written today) or `conn_log.…` (as older documentation spells it).
    Connection,
    /// Access logs as ELB names them in the classic layout:
    /// `<account>_elasticloadbalancing_<region>_…`.
    Access,
    /// `health_check_log_…`.
    HealthCheck,
    /// `ELBConnectionLogTestFile` / `ELBAccessLogTestFile`, written once when logging is enabled.
    TestFile,
    /// Anything else.
    Other,
}

impl LogFileKind {
    /// Classifies a file by its base name (the part after the last `/`).
    pub fn of_name(path_or_key: &str) -> LogFileKind {
        let name = base_name(path_or_key);
        if name.starts_with("conn_log_") || name.starts_with("conn_log.") {
            LogFileKind::Connection
        } else if name.starts_with("health_check_log") {
            LogFileKind::HealthCheck
        } else if name.starts_with("ELBConnectionLogTestFile") || name.starts_with("ELBAccessLogTestFile") {
            LogFileKind::TestFile
        } else if name.split_once("_elasticloadbalancing_").is_some_and(|(account, _)| is_account_id(account)) {
            LogFileKind::Access
        } else {
            LogFileKind::Other
        }
    }
}

/// A location users give for their logs, split where ELB's own layout starts: the
/// prefix connection logging was set up with, and the account and region folders when
/// the location goes that deep. `s3://b/p/AWSLogs/123456789012/elasticloadbalancing/us-east-1/`
/// and `s3://b/p` both have the prefix `s3://b/p/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsLocation<'a> {
    /// Up to and including the `/` before `AWSLogs/` (or the whole location, with a `/`).
    pub prefix: String,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
}

impl<'a> LogsLocation<'a> {
    pub fn parse(location: &'a str) -> LogsLocation<'a> {
        let start = location.match_indices("AWSLogs/").map(|(i, _)| i).find(|&i| i == 0 || location[..i].ends_with('/'));
        let Some(start) = start else {
            return LogsLocation { prefix: format!("{}/", location.trim_end_matches('/')), account: None, region: None };
        };
        let mut folders = location[start + "AWSLogs/".len()..].split('/').filter(|f| !f.is_empty());
        // Vended deliveries with Hive-style keys name their folders: `aws-account-id=…`, `region=…`.
        let account = folders.next().map(|f| f.strip_prefix("aws-account-id=").unwrap_or(f));
        let region = match folders.next() {
            Some("elasticloadbalancing") => folders.next().map(|f| f.strip_prefix("region=").unwrap_or(f)),
            _ => None,
        };
        LogsLocation { prefix: location[..start].to_owned(), account, region }
    }
}

fn is_account_id(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// What a directory walk or a prefix listing does with a file it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Named as a connection log: read it.
    Read,
    /// Its name says nothing (a vended delivery's object, or a name ELB does not give):
    /// read it if its first record or header names connection-log fields, else skip and
    /// count it as the kind its fields show.
    ReadIfConnectionLog,
    /// Another kind of ELB file by its name, in the classic layout: skip and count it.
    Skip(LogFileKind),
}

/// Chooses what to do with a file found under a directory or prefix (a file or key
/// named explicitly is always read). Classic names are trusted in the classic layout;
/// under a vended layout, whose object names AWS does not document, only `conn_log_`
/// names are read without looking at the content.
pub fn choose(path_or_key: &str) -> Choice {
    match LogFileKind::of_name(path_or_key) {
        LogFileKind::Connection => Choice::Read,
        LogFileKind::Other => Choice::ReadIfConnectionLog,
        _ if is_vended_layout(path_or_key) => Choice::ReadIfConnectionLog,
        kind => Choice::Skip(kind),
    }
}

/// The folder names of Hive-style vended keys (`aws-account-id=…/region=…/year=…/…`).
const HIVE_FOLDERS: [&str; 5] = ["aws-account-id=", "region=", "year=", "month=", "day="];

/// Whether a file lies where a vended delivery puts its objects: below Hive-style
/// folders, or below `yyyy/mm/dd` day folders that are not the classic
/// `AWSLogs/<account>/elasticloadbalancing/<region>/` ones (a destination prefix such as
/// `MyLogPrefix/us-east-1/2026/09/10/`). A vended delivery without Hive keys or prefix
/// uses the classic folders and cannot be told from them by its path.
pub fn is_vended_layout(path_or_key: &str) -> bool {
    let mut folders: Vec<&str> = path_or_key.split(['/', '\\']).collect();
    folders.pop();
    if folders.iter().any(|folder| HIVE_FOLDERS.iter().any(|hive| folder.starts_with(hive))) {
        return true;
    }
    if delivery_date(path_or_key).is_none() {
        return false;
    }
    let classic = match folders.len().checked_sub(7).map(|start| &folders[start..]) {
        Some([awslogs, account, service, region, _, _, _]) => {
            *awslogs == "AWSLogs" && is_account_id(account) && *service == "elasticloadbalancing" && !region.is_empty()
        }
        _ => false,
    };
    !classic
}

/// Files a directory walk passed over, by kind, so reports can say what was not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkippedFiles {
    pub access_logs_and_other: u64,
    pub health_check_logs: u64,
    pub test_files: u64,
}

impl SkippedFiles {
    /// Counts one file of `kind` that was passed over.
    pub fn count(&mut self, kind: LogFileKind) {
        match kind {
            LogFileKind::HealthCheck => self.health_check_logs += 1,
            LogFileKind::TestFile => self.test_files += 1,
            LogFileKind::Access | LogFileKind::Other => self.access_logs_and_other += 1,
            LogFileKind::Connection => {}
        }
    }

    pub fn total(&self) -> u64 {
        self.access_logs_and_other + self.health_check_logs + self.test_files
    }

    pub fn merge(&mut self, other: &SkippedFiles) {
        self.access_logs_and_other += other.access_logs_and_other;
        self.health_check_logs += other.health_check_logs;
        self.test_files += other.test_files;
    }
}

fn base_name(path_or_key: &str) -> &str {
    path_or_key.rsplit(['/', '\\']).next().unwrap_or(path_or_key)
}

/// The parts of a connection-log file name:
/// `conn_log_<account>_elasticloadbalancing_<region>_<lb-id>_<end-time>_<node-ip>_<random>.log.gz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLogName {
    pub account: String,
    pub region: String,
    /// The load balancer id with `/` written as `.`, e.g. `app.my-lb.50dc6c495c0c9188`.
    pub load_balancer: String,
    /// End of the 5-minute interval the file covers (UTC).
    pub end_time: DateTime<Utc>,
    pub node_ip: String,
}

impl ConnLogName {
    /// Parses a connection-log name; `None` when the name does not follow the layout
    /// (such files are still read; only time pruning needs the parts).
    pub fn parse(path_or_key: &str) -> Option<ConnLogName> {
        let name = base_name(path_or_key);
        let rest = name.strip_prefix("conn_log_").or_else(|| name.strip_prefix("conn_log."))?;
        let mut parts = rest.splitn(7, '_');
        let account = parts.next()?;
        if parts.next()? != "elasticloadbalancing" {
            return None;
        }
        let region = parts.next()?;
        let load_balancer = parts.next()?;
        let end_time = parts.next()?;
        let node_ip = parts.next()?;
        parts.next()?;
        let end_time = NaiveDateTime::parse_from_str(end_time, "%Y%m%dT%H%MZ").ok()?.and_utc();
        Some(ConnLogName {
            account: account.to_owned(),
            region: region.to_owned(),
            load_balancer: load_balancer.to_owned(),
            end_time,
            node_ip: node_ip.to_owned(),
        })
    }

    /// The interval `[end_time - 5 min, end_time]` this file's entries should fall in.
    pub fn interval(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.end_time - chrono::Duration::minutes(5), self.end_time)
    }
}

/// The load balancer a connection-log file name or S3 key names, as field 14 (`elb`)
/// writes it: `…_app.my-lb.50dc6c495c0c9188_…` gives `app/my-lb/50dc6c495c0c9188`. Lines
/// of older generations carry no `elb` field; this is where their load balancer comes
/// from. Looks for a `_`-separated part of the base name of the form `app.NAME.ID`, so it
/// also works on names that do not follow the rest of the layout.
pub fn load_balancer_of_name(path_or_key: &str) -> Option<String> {
    base_name(path_or_key).split('_').find_map(|part| {
        let mut pieces = part.split('.');
        let (kind, name, id) = (pieces.next()?, pieces.next()?, pieces.next()?);
        let plausible = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        (kind == "app" && pieces.next().is_none() && plausible(name) && plausible(id)).then(|| format!("{kind}/{name}/{id}"))
    })
}

/// The delivery date of a key laid out as `…/elasticloadbalancing/<region>/yyyy/mm/dd/<file>`.
///
/// This is when ELB *delivered* the file: entries from just before midnight can land in
/// the next day's folder, so a time filter must keep the folder after its range too.
pub fn delivery_date(path_or_key: &str) -> Option<NaiveDate> {
    let mut parts = path_or_key.rsplit('/');
    parts.next()?;
    // Vended deliveries with Hive-style keys name each part: `year=2026/month=09/day=10`.
    let day = parts.next()?;
    let day = day.strip_prefix("day=").unwrap_or(day);
    let month = parts.next()?;
    let month = month.strip_prefix("month=").unwrap_or(month);
    let year = parts.next()?;
    let year = year.strip_prefix("year=").unwrap_or(year);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Whether a file whose name says it covers `interval` may hold entries in `[since, until)`.
/// A file we cannot date is always kept.
pub fn may_overlap(path_or_key: &str, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> bool {
    let Some(name) = ConnLogName::parse(path_or_key) else { return true };
    let (start, end) = name.interval();
    // ALB delivers "eventually": allow one extra interval of slack on each side.
    let slack = chrono::Duration::minutes(5);
    since.is_none_or(|s| end + slack >= s) && until.is_none_or(|u| start - slack < u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logs_location_is_read_at_its_prefix_or_its_full_depth() {
        let full = LogsLocation::parse("s3://b/p/AWSLogs/123456789012/elasticloadbalancing/us-east-1/");
        assert_eq!(full, LogsLocation { prefix: "s3://b/p/".into(), account: Some("123456789012"), region: Some("us-east-1") });
        assert_eq!(LogsLocation::parse("s3://b/p").prefix, "s3://b/p/");
        assert_eq!(LogsLocation::parse("s3://b/p/").prefix, "s3://b/p/");
        let bucket = LogsLocation::parse("s3://b/AWSLogs/1");
        assert_eq!((bucket.prefix.as_str(), bucket.account, bucket.region), ("s3://b/", Some("1"), None));
        assert_eq!(LogsLocation::parse("s3://b/MyAWSLogs/x").prefix, "s3://b/MyAWSLogs/x/");
        let hive = LogsLocation::parse("s3://b/p/AWSLogs/aws-account-id=1/elasticloadbalancing/region=eu-west-1/");
        assert_eq!((hive.prefix.as_str(), hive.account, hive.region), ("s3://b/p/", Some("1"), Some("eu-west-1")));
    }

    const REAL: &str = "AWSLogs/347414000000/elasticloadbalancing/eu-central-1/2024/02/07/conn_log_347414000000_elasticloadbalancing_eu-central-1_app.my-lb.5ede558f4b0e97a9_20240207T0955Z_10.43.1.2_b38hdhc6.log.gz";

    #[test]
    fn vended_layouts_are_dated_by_their_folders() {
        let hive = "AWSLogs/aws-account-id=111122223333/elasticloadbalancing/region=us-east-1/year=2026/month=09/day=10/x.json.gz";
        assert_eq!(delivery_date(hive), NaiveDate::from_ymd_opt(2026, 9, 10));
        let suffixed = "AWSLogs/aws-account-id=1/elasticloadbalancing/myFolder/year=2026/month=09/day=10/x.parquet";
        assert_eq!(delivery_date(suffixed), NaiveDate::from_ymd_opt(2026, 9, 10));
        assert_eq!(delivery_date("MyLogPrefix/us-east-1/2026/09/10/x.log"), NaiveDate::from_ymd_opt(2026, 9, 10));
        assert_eq!(delivery_date("p/year=2026/month=13/day=10/x"), None);
    }

    #[test]
    fn classifies_every_kind_of_elb_file() {
        assert_eq!(LogFileKind::of_name(REAL), LogFileKind::Connection);
        assert_eq!(
            LogFileKind::of_name("x/conn_log.123_elasticloadbalancing_us-east-2_app.a.b_20220215T2340Z_1.2.3.4_x.log.gz"),
            LogFileKind::Connection
        );
        assert_eq!(
            LogFileKind::of_name("x/123_elasticloadbalancing_us-east-2_app.a.b_20220215T2340Z_1.2.3.4_x.log.gz"),
            LogFileKind::Access
        );
        assert_eq!(LogFileKind::of_name("x/my_elasticloadbalancing_notes.txt"), LogFileKind::Other);
        assert_eq!(LogFileKind::of_name("x/health_check_log_123_elasticloadbalancing_x.log.gz"), LogFileKind::HealthCheck);
        assert_eq!(LogFileKind::of_name("AWSLogs/123/ELBConnectionLogTestFile"), LogFileKind::TestFile);
    }

    #[test]
    fn classic_names_are_trusted_only_outside_vended_layouts() {
        let classic = "AWSLogs/123/elasticloadbalancing/us-east-1/2026/09/10/";
        let hive = "AWSLogs/aws-account-id=123/elasticloadbalancing/region=us-east-1/year=2026/month=09/day=10/";
        let suffixed = "AWSLogs/aws-account-id=123/elasticloadbalancing/myFolder/year=2026/month=09/day=10/";
        let prefixed = "MyLogPrefix/us-east-1/2026/09/10/";
        let access = "123_elasticloadbalancing_us-east-1_app.a.b_20260910T0005Z_10.0.0.1_x.log.gz";
        let health = "health_check_log_123_elasticloadbalancing_us-east-1_app.a.b_20260910T0005Z_10.0.0.1_x.log.gz";
        let conn = "conn_log_123_elasticloadbalancing_us-east-1_app.a.b_20260910T0005Z_10.0.0.1_x.log.gz";
        assert_eq!(choose(&format!("{classic}{access}")), Choice::Skip(LogFileKind::Access));
        assert_eq!(choose(&format!("{classic}{health}")), Choice::Skip(LogFileKind::HealthCheck));
        assert_eq!(choose("AWSLogs/123/ELBConnectionLogTestFile"), Choice::Skip(LogFileKind::TestFile));
        assert_eq!(choose(&format!("{classic}{conn}")), Choice::Read);
        assert_eq!(choose(&format!("{classic}part-0001.json.gz")), Choice::ReadIfConnectionLog, "a name ELB does not give");
        for vended in [hive, suffixed, prefixed] {
            assert!(is_vended_layout(&format!("{vended}x.parquet")), "{vended}");
            assert_eq!(choose(&format!("{vended}{access}")), Choice::ReadIfConnectionLog, "{vended}");
            assert_eq!(choose(&format!("{vended}{health}")), Choice::ReadIfConnectionLog, "{vended}");
            assert_eq!(choose(&format!("{vended}{conn}")), Choice::Read, "{vended}");
        }
        assert!(!is_vended_layout(&format!("{classic}{access}")));
        assert!(!is_vended_layout("logs/conn_log_x.log.gz"));
        assert!(is_vended_layout("C:\\logs\\region=eu-west-1\\x.json"));
    }

    #[test]
    fn parses_name_parts_and_interval() {
        let n = ConnLogName::parse(REAL).unwrap();
        assert_eq!(n.account, "347414000000");
        assert_eq!(n.region, "eu-central-1");
        assert_eq!(n.load_balancer, "app.my-lb.5ede558f4b0e97a9");
        assert_eq!(n.node_ip, "10.43.1.2");
        assert_eq!(n.end_time.to_rfc3339(), "2024-02-07T09:55:00+00:00");
        assert_eq!(n.interval().0.to_rfc3339(), "2024-02-07T09:50:00+00:00");
        assert!(ConnLogName::parse("conn_log_garbage.log.gz").is_none());
    }

    #[test]
    fn load_balancer_comes_from_the_name() {
        assert_eq!(load_balancer_of_name(REAL).as_deref(), Some("app/my-lb/5ede558f4b0e97a9"));
        assert_eq!(load_balancer_of_name("logs/x_app.other-lb.0123abcd_y.log").as_deref(), Some("app/other-lb/0123abcd"));
        assert_eq!(load_balancer_of_name("app.my-lb.1/conn_log.gz"), None);
        assert_eq!(load_balancer_of_name("conn_log_1_elasticloadbalancing_eu-west-1_app.a.b.c_x"), None);
        assert_eq!(load_balancer_of_name("-"), None);
    }

    #[test]
    fn delivery_date_comes_from_the_folders() {
        assert_eq!(delivery_date(REAL), NaiveDate::from_ymd_opt(2024, 2, 7));
        assert_eq!(delivery_date("conn_log_x.log.gz"), None);
    }

    #[test]
    fn overlap_uses_the_end_time_with_slack() {
        let t = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
        assert!(may_overlap(REAL, t("2024-02-07T09:00:00Z"), t("2024-02-07T10:00:00Z")));
        assert!(!may_overlap(REAL, t("2024-02-07T10:30:00Z"), None));
        assert!(!may_overlap(REAL, None, t("2024-02-07T09:30:00Z")));
        assert!(may_overlap("conn_log_unparseable", t("2030-01-01T00:00:00Z"), None));
    }
}
