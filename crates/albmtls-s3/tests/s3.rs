//! Listing and streaming against a real S3-compatible server (s3s-fs) on 127.0.0.1.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use albmtls_s3::{S3Client, S3Error, S3Location, S3Object};
use albmtls_testkit::gzip;
use albmtls_testkit::s3_server::{self as support, TestServer};
use chrono::{DateTime, Utc};
use rayon::prelude::*;

const ACCOUNT: &str = "123456789012";
const REGION_DIR: &str = "elb/AWSLogs/123456789012/elasticloadbalancing/us-east-1/";
const LB: &str = "app.my-lb.50dc6c495c0c9188";
/// Tiny connection logs in one folder, more than one listing page holds.
const MANY: usize = 1_100;

fn conn_key(folder: &str, end: &str, node: u32, random: &str) -> String {
    format!("{REGION_DIR}{folder}/conn_log_{ACCOUNT}_elasticloadbalancing_us-east-1_{LB}_{end}_10.0.1.{node}_{random}.log.gz")
}

fn lines(key: &str) -> String {
    format!(
        "2024-02-07T11:58:12.345678Z 203.0.113.5 51234 443 TLSv1.3 ECDHE-RSA-AES128-GCM-SHA256 12 \"CN=client\" - Success - 1 {key}\n\
         2024-02-07T11:58:13.000001Z 203.0.113.6 51240 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 9 - - Success - 1 {key}\n"
    )
}

/// The bucket `logs`: days 2024-02-05..09 with four connection logs each, a file for the
/// last minutes of each day delivered into the next day's folder, access and health-check
/// logs beside them, the test file, and [`MANY`] tiny connection logs on 2024-02-01.
fn layout() -> Vec<(String, Vec<u8>)> {
    let mut objects = Vec::new();
    for day in 5..=9 {
        let folder = format!("2024/02/{day:02}");
        let date = format!("202402{day:02}");
        for (end, node) in [("0005", 1), ("1200", 1), ("1200", 2), ("2355", 1)] {
            objects.push(conn_key(&folder, &format!("{date}T{end}Z"), node, "a1b2c3d4"));
        }
        objects.push(conn_key(&format!("2024/02/{:02}", day + 1), &format!("202402{:02}T0000Z", day + 1), 3, "spill000"));
        objects.push(format!("{REGION_DIR}{folder}/{ACCOUNT}_elasticloadbalancing_us-east-1_{LB}_{date}T1200Z_10.0.1.1_acc00000.log.gz"));
        objects.push(format!(
            "{REGION_DIR}{folder}/health_check_log_{ACCOUNT}_elasticloadbalancing_us-east-1_{LB}_{date}T1200Z_10.0.1.1_hc000000.log.gz"
        ));
    }
    for i in 0..MANY {
        objects.push(conn_key("2024/02/01", &format!("20240201T{:02}{:02}Z", i / 60 % 24, i % 60), 9, &format!("{i:08}")));
    }
    objects.push(format!("elb/AWSLogs/{ACCOUNT}/ELBConnectionLogTestFile"));
    objects
        .into_iter()
        .map(|key| {
            let body = if key.contains("/2024/02/01/") { gzip("") } else { gzip(&lines(&key)) };
            (key, body)
        })
        .collect()
}

struct Shared {
    server: TestServer,
    uploaded: BTreeMap<String, Vec<u8>>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let server = TestServer::start();
    server.create_bucket("logs");
    let objects = layout();
    server.put_all("logs", &objects);
    Shared { server, uploaded: objects.into_iter().collect() }
});

fn t(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn loc(url: &str) -> S3Location {
    S3Location::parse(url).unwrap()
}

fn keys(objects: &[S3Object]) -> Vec<&str> {
    objects.iter().map(|o| o.key.as_str()).collect()
}

/// The `prefix=` of every ListObjectsV2 request to `bucket` whose prefix starts with
/// `starting`, with its continuation token if any.
fn list_requests(server: &TestServer, bucket: &str, starting: &str) -> Vec<(String, bool)> {
    let starting = starting.replace('/', "%2F");
    server
        .requests()
        .iter()
        .filter_map(|line| {
            let query = line.strip_prefix(&format!("GET /{bucket}/?"))?;
            let params: Vec<&str> = query.split('&').collect();
            params.contains(&"list-type=2").then_some(())?;
            let prefix = params.iter().find_map(|p| p.strip_prefix("prefix="))?;
            prefix.starts_with(&starting).then(|| (prefix.replace("%2F", "/"), params.iter().any(|p| p.starts_with("continuation-token="))))
        })
        .collect()
}

fn read_all(input: albmtls_s3::S3Input) -> (String, std::io::Result<Vec<u8>>) {
    let (name, mut reader) = input.into_parts();
    let mut bytes = Vec::new();
    let result = reader.read_to_end(&mut bytes).map(|_| bytes);
    (name, result)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn lists_only_connection_logs_across_pages() {
    let shared = &*SHARED;
    let listing = shared.server.client().list(&loc("s3://logs/elb/"), None, None).unwrap();

    let expected: Vec<&str> = shared.uploaded.keys().map(String::as_str).filter(|k| k.contains("/conn_log_")).collect();
    assert_eq!(expected.len(), 5 * 5 + MANY);
    assert_eq!(keys(&listing.objects), expected, "sorted by key, connection logs only");
    for object in &listing.objects {
        assert_eq!(object.bucket, "logs");
        assert_eq!(object.size, shared.uploaded[&object.key].len() as u64, "{}", object.key);
    }
    let mut skipped = albmtls_parse::keys::SkippedFiles::default();
    listing.skipped.iter().for_each(|(url, kind)| {
        assert!(url.starts_with("s3://logs/"), "{url}");
        skipped.count(*kind);
    });
    assert_eq!((skipped.access_logs_and_other, skipped.health_check_logs, skipped.test_files), (5, 5, 1));
    assert_eq!(listing.outside_time_range.objects, 0);

    let pages = list_requests(&shared.server, "logs", "elb/");
    let pages: Vec<_> = pages.iter().filter(|(prefix, _)| prefix == "elb/").collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(pages.iter().filter(|(_, continued)| *continued).count(), 1, "second page by continuation token");
}

#[test]
fn prunes_by_day_folders_and_by_the_end_time_in_the_key() {
    let shared = &*SHARED;
    let client = shared.server.client();
    let (since, until) = (t("2024-02-07T00:00:00Z"), t("2024-02-08T00:00:00Z"));
    let listing = client.list(&loc(&format!("s3://logs/{}", REGION_DIR.trim_end_matches('/'))), since, until).unwrap();

    let expected = [
        conn_key("2024/02/07", "20240207T0000Z", 3, "spill000"),
        conn_key("2024/02/07", "20240207T0005Z", 1, "a1b2c3d4"),
        conn_key("2024/02/07", "20240207T1200Z", 1, "a1b2c3d4"),
        conn_key("2024/02/07", "20240207T1200Z", 2, "a1b2c3d4"),
        conn_key("2024/02/07", "20240207T2355Z", 1, "a1b2c3d4"),
        // The day after `until`: the file for 23:55-00:00 is delivered there...
        conn_key("2024/02/08", "20240208T0000Z", 3, "spill000"),
        // ...and one interval of slack for late entries.
        conn_key("2024/02/08", "20240208T0005Z", 1, "a1b2c3d4"),
    ];
    assert_eq!(keys(&listing.objects), expected);
    assert_eq!(listing.outside_time_range.objects, 3, "02/08 12:00 (two nodes) and 23:55");

    // Only the two day folders were listed, one request each: not the 1,100 keys of 02/01.
    let listed = list_requests(&shared.server, "logs", &format!("{REGION_DIR}2024/"));
    let mut prefixes: Vec<_> = listed.iter().map(|(p, _)| p.strip_prefix(REGION_DIR).unwrap()).collect();
    prefixes.sort_unstable();
    assert_eq!(prefixes, ["2024/02/07/", "2024/02/08/"]);

    // Above the region folder the whole prefix is listed, and the same rules apply.
    let wide = client.list(&loc("s3://logs/elb/AWSLogs/"), since, until).unwrap();
    assert_eq!(wide.objects, listing.objects);
}

#[test]
fn open_ranges_list_from_or_up_to_a_folder() {
    let shared = &*SHARED;
    let client = shared.server.client();
    let region = loc(&format!("s3://logs/{REGION_DIR}"));

    let from = client.list(&region, t("2024-02-09T00:00:00Z"), None).unwrap();
    let expected = [
        conn_key("2024/02/09", "20240209T0000Z", 3, "spill000"),
        conn_key("2024/02/09", "20240209T0005Z", 1, "a1b2c3d4"),
        conn_key("2024/02/09", "20240209T1200Z", 1, "a1b2c3d4"),
        conn_key("2024/02/09", "20240209T1200Z", 2, "a1b2c3d4"),
        conn_key("2024/02/09", "20240209T2355Z", 1, "a1b2c3d4"),
        conn_key("2024/02/10", "20240210T0000Z", 3, "spill000"),
    ];
    assert_eq!(keys(&from.objects), expected);

    let up_to = client.list(&region, None, t("2024-02-05T00:00:00Z")).unwrap();
    assert_eq!(up_to.objects.len(), MANY + 1);
    assert_eq!(up_to.objects.last().unwrap().key, conn_key("2024/02/05", "20240205T0005Z", 1, "a1b2c3d4"));
    assert!(up_to.objects[..MANY].iter().all(|o| o.key.contains("/2024/02/01/")));
}

#[test]
fn a_time_range_whose_folders_hold_nothing_still_counts_the_connection_logs_outside_it() {
    let shared = &*SHARED;
    let client = shared.server.client();
    let region = loc(&format!("s3://logs/{REGION_DIR}"));
    let (since, until) = (t("2030-01-01T00:00:00Z"), t("2030-01-02T00:00:00Z"));
    let listing = client.list(&region, since, until).unwrap();
    assert!(listing.objects.is_empty());
    // One page of the region folder, from its first key: the connection logs of 02/01.
    let outside = listing.outside_time_range;
    assert!((1..=MANY as u64).contains(&outside.objects), "{outside:?}");
    assert_eq!(outside.named_span.map(|(first, _)| first), t("2024-01-31T23:55:00Z"), "the interval the first key names");
    // A location without connection logs has nothing outside the range either.
    let empty = client.list(&loc("s3://logs/elb/AWSLogs/999999999999/elasticloadbalancing/us-east-1/"), since, until).unwrap();
    assert_eq!((empty.objects.len(), empty.outside_time_range), (0, albmtls_s3::OutsideTimeRange::default()));
}

/// Pseudo-random text: compresses about 2:1, so bodies span many chunks.
fn noise(seed: u64, len: usize) -> String {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len / 16)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            format!("{:015x}\n", state >> 4)
        })
        .collect()
}

#[test]
fn streams_bodies_equal_to_the_uploads_from_several_threads() {
    let server = &SHARED.server;
    server.create_bucket("streams");
    let mut uploads: Vec<(String, Vec<u8>)> = (0..12u32)
        .map(|i| {
            let key = conn_key("2024/03/01", &format!("20240301T{:02}00Z", i), i, "stream00");
            // Multi-member gzip, sizes from a few bytes to about 2 MB.
            let mut body = gzip(&noise(u64::from(i), 1 << (i + 10).min(22)));
            body.extend(gzip(&lines(&key)));
            (key, body)
        })
        .collect();
    uploads.push((conn_key("2024/03/01", "20240301T2300Z", 99, "empty000"), Vec::new()));
    server.put_all("streams", &uploads);
    let total: u64 = uploads.iter().map(|(_, b)| b.len() as u64).sum();

    let client = server.client();
    let listing = client.list(&loc("s3://streams/"), None, None).unwrap();
    assert_eq!(listing.objects.len(), uploads.len());
    let inputs = client.open_all(listing.objects);

    let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    let read: BTreeMap<String, Vec<u8>> =
        pool.install(|| inputs.into_par_iter().map(read_all).map(|(name, bytes)| (name, bytes.unwrap())).collect());
    let expected: BTreeMap<String, Vec<u8>> = uploads.into_iter().map(|(key, body)| (format!("s3://streams/{key}"), body)).collect();
    assert_eq!(read.len(), expected.len());
    for (name, body) in &expected {
        assert!(read[name] == *body, "{name}: {} bytes read, {} uploaded", read[name].len(), body.len());
    }
    let stats = client.stats();
    assert_eq!((stats.objects_done(), stats.objects_failed(), stats.bytes_downloaded()), (13, 0, total));
}

#[test]
fn downloads_run_ahead_of_the_readers_but_at_most_concurrency_objects() {
    let server = &SHARED.server;
    server.create_bucket("ahead");
    let uploads: Vec<(String, Vec<u8>)> = (0..10u32)
        .map(|i| {
            let key = conn_key("2024/03/02", &format!("20240302T{i:02}00Z"), i, "ahead000");
            let body = gzip(&lines(&key));
            (key, body)
        })
        .collect();
    server.put_all("ahead", &uploads);
    let mut options = server.options();
    options.concurrency = 3;
    let client = S3Client::connect(options).unwrap();
    let stats = client.stats();
    let mut inputs = client.open_all(client.list(&loc("s3://ahead/"), None, None).unwrap().objects).into_iter();

    // Nobody reads yet, and still three downloads complete...
    wait_for("three prefetched objects", || stats.objects_done() == 3);
    std::thread::sleep(Duration::from_millis(300));
    // ...but no more: each holds its slot until its reader is done with it.
    assert_eq!(stats.objects_done(), 3);
    let gets = || server.requests().iter().filter(|l| l.starts_with("GET /ahead/") && l.contains("x-id=GetObject")).count();
    assert_eq!(gets(), 3);

    let (name, body) = read_all(inputs.next().unwrap());
    assert_eq!(body.unwrap(), uploads[0].1, "{name}");
    wait_for("the next object to start", || stats.objects_done() == 4);

    // The tenth input, read before the prefetcher reaches it, starts its own download.
    let (_, body) = read_all(inputs.next_back().unwrap());
    assert_eq!(body.unwrap(), uploads[9].1);
    assert_eq!(stats.objects_done(), 5);
}

#[test]
fn an_object_deleted_after_listing_fails_alone_naming_its_key() {
    let server = &SHARED.server;
    server.create_bucket("gone");
    let uploads: Vec<(String, Vec<u8>)> = (0..3u32)
        .map(|i| {
            let key = conn_key("2024/03/03", &format!("20240303T{i:02}00Z"), i, "gone0000");
            let body = gzip(&lines(&key));
            (key, body)
        })
        .collect();
    server.put_all("gone", &uploads);
    let client = server.client();
    let listing = client.list(&loc("s3://gone/"), None, None).unwrap();
    server.delete("gone", &uploads[1].0);

    let results: Vec<_> = client.open_all(listing.objects).into_iter().map(read_all).collect();
    assert_eq!(results[0].1.as_ref().unwrap(), &uploads[0].1);
    assert_eq!(results[2].1.as_ref().unwrap(), &uploads[2].1);
    let err = results[1].1.as_ref().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(err.to_string(), format!("`s3://gone/{}` no longer exists (deleted after it was listed?)", uploads[1].0));
    let typed = err.get_ref().and_then(|e| e.downcast_ref::<S3Error>());
    assert!(matches!(typed, Some(S3Error::NoSuchKey { url }) if url.ends_with(&uploads[1].0)), "{typed:?}");
    assert_eq!(client.stats().objects_failed(), 1);
}

#[test]
fn a_body_that_breaks_off_resumes_from_the_byte_reached() {
    let server = &SHARED.server;
    server.create_bucket("flaky");
    let key = conn_key("2024/03/04", "20240304T0000Z", 1, "flaky000");
    let body = gzip(&noise(7, 1 << 20));
    assert!(body.len() > 300_000);
    server.put_all("flaky", &[(key.clone(), body.clone())]);
    server.cut_bodies("flaky", &key, 100_000, 1);

    let client = server.client();
    let objects = client.list(&loc("s3://flaky/"), None, None).unwrap().objects;
    let (_, read) = read_all(client.open_all(objects).into_iter().next().unwrap());
    assert!(read.unwrap() == body, "the resumed body differs from the upload");
    assert_eq!(client.stats().resumed(), 1);
    let gets: Vec<_> = server.requests().into_iter().filter(|l| l.contains("x-id=GetObject")).collect();
    let gets: Vec<_> = gets.iter().filter(|l| l.starts_with("GET /flaky/")).collect();
    assert_eq!(gets.len(), 2, "{gets:?}");
    assert!(!gets[0].contains("bytes="), "{gets:?}");
    assert!(gets[1].ends_with(" bytes=100000-"), "{gets:?}");
}

#[test]
fn a_body_that_keeps_breaking_off_fails_naming_the_key() {
    let server = &SHARED.server;
    server.create_bucket("broken");
    let key = conn_key("2024/03/05", "20240305T0000Z", 1, "broken00");
    let body = gzip(&noise(8, 1 << 20));
    server.put_all("broken", &[(key.clone(), body)]);
    server.cut_bodies("broken", &key, 50_000, 100);

    let client = server.client(); // three attempts
    let objects = client.list(&loc("s3://broken/"), None, None).unwrap().objects;
    let (name, read) = read_all(client.open_all(objects).into_iter().next().unwrap());
    let err = read.unwrap_err();
    let gets: Vec<_> = server.requests().into_iter().filter(|l| l.starts_with("GET /broken/") && l.contains("x-id=GetObject")).collect();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{err}: {gets:#?}");
    let message = err.to_string();
    // Each attempt got 50,000 bytes further.
    assert!(message.starts_with(&format!("`{name}`: download broke off at byte 150000 and failed 3 times (")), "{message}");
    assert_eq!(gets.len(), 3, "{gets:#?}");
    assert_eq!((client.stats().resumed(), client.stats().objects_failed()), (2, 1));
}

#[test]
fn wrong_credentials_get_one_clear_message() {
    let server = &SHARED.server;
    for (access, secret) in [("test", "wrong-secret"), ("nobody", "test")] {
        let client = S3Client::connect(server.options_with_keys(access, secret)).unwrap();
        let err = client.list(&loc("s3://logs/elb/"), None, None).unwrap_err();
        assert!(matches!(err, S3Error::BadCredentials { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.starts_with("S3 rejected the AWS credentials ("), "{message}");
        assert!(message.ends_with("): check the access key and secret, the session token, or whether the session has expired"));
    }
}

#[test]
fn a_missing_bucket_gets_one_clear_message() {
    let err = SHARED.server.client().list(&loc("s3://no-such-bucket/AWSLogs/"), None, None).unwrap_err();
    assert_eq!(err.to_string(), "bucket `no-such-bucket` does not exist (region us-east-1): check the bucket name and --region");
}

#[test]
fn no_access_gets_one_clear_message() {
    let server = &SHARED.server;
    // The bucket exists (s3s-fs keeps a bucket as a directory) but the access check denies it.
    let key = conn_key("2024/03/06", "20240306T0000Z", 1, "private0");
    server.put_all(support::PRIVATE, &[(key, gzip("x"))]);
    let err = server.client().list(&loc("s3://private/elb/"), None, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "access denied to `s3://private/elb/` (region us-east-1): check that the credentials are allowed \
         s3:ListBucket there, in both their IAM policy and the bucket policy"
    );
}

#[test]
fn an_unreachable_endpoint_gets_one_clear_message() {
    // A port that was just free on the loopback interface: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut options = SHARED.server.options();
    options.endpoint_url = Some(format!("http://127.0.0.1:{port}"));
    options.max_attempts = 1;
    let err = S3Client::connect(options).unwrap().list(&loc("s3://logs/"), None, None).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with(&format!("cannot reach S3 at http://127.0.0.1:{port} (")), "{message}");
    assert!(
        message.ends_with(
            "): check the network, --endpoint-url (or AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url) and any proxy settings"
        ),
        "{message}"
    );
}

#[test]
fn a_malformed_endpoint_is_refused_before_any_request() {
    let mut options = SHARED.server.options();
    options.endpoint_url = Some("127.0.0.1:9000".to_owned());
    let err = S3Client::connect(options).err().unwrap();
    assert!(matches!(err, S3Error::InvalidEndpoint { .. }), "{err:?}");
}

#[test]
fn a_paused_reader_holds_back_its_download() {
    let server = &SHARED.server;
    server.create_bucket("slow");
    let key = conn_key("2024/03/07", "20240307T0000Z", 1, "slow0000");
    let body = gzip(&noise(9, 8 << 20));
    assert!(body.len() > 6_000_000);
    server.put_all("slow", &[(key, body.clone())]);
    let client = server.client();
    let objects = client.list(&loc("s3://slow/"), None, None).unwrap().objects;
    let (_, mut reader) = client.open_all(objects).into_iter().next().unwrap().into_parts();
    let mut first = [0u8; 1];
    reader.read_exact(&mut first).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    // A few chunks wait in the object's channel; the rest stays with the server (or in
    // socket buffers), not in this process's memory.
    let buffered = client.stats().bytes_downloaded();
    assert!(buffered < 2_000_000, "{buffered} bytes pulled ahead of a paused reader");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!([&first[..], &rest].concat() == body);
}
