//! Writing a corpus tree: connection-log files in the S3 key layout, the other files a
//! shared bucket prefix holds, and `truth.json`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Duration, DurationRound, Utc};
use fastrand::Rng;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::CorpusError;
use crate::line::{FAILURE_CODES, Generation, LineFields, UNMAPPED, format_timestamp, push_trace_id, write_line};
use crate::population::{Population, STATUS_NONE, STATUS_SUCCESS, STATUS_UNKNOWN, code_status};
use crate::spec::CorpusSpec;
use crate::truth::{FileTruth, LineOrigin, Tally, Truth};
use crate::vended::{
    Delivery, OtherRecord, VENDED_FIELDS, delivered_fields, vended_folder, write_json_line, write_other_records, write_w3c_header,
    write_w3c_row,
};

/// Microseconds in one 5-minute interval.
const INTERVAL_MICROS: u64 = 300_000_000;
/// Lines are batched into this many bytes before each write to the encoder.
const BATCH: usize = 128 * 1024;

/// The result of [`generate`].
#[derive(Debug, Clone)]
pub struct Generated {
    pub truth: Truth,
    /// Size on disk of every file written, `truth.json` excluded.
    pub bytes_on_disk: u64,
}

/// Writes the corpus described by `spec` under `out` (`out/AWSLogs/…` and `out/truth.json`)
/// and returns its ground truth.
pub fn generate(spec: &CorpusSpec, out: &Path) -> Result<Generated, CorpusError> {
    spec.validate()?;
    let start = interval_floor(spec.start);
    let rounds = spec.files.div_ceil(spec.nodes);
    let end = start + interval() * (rounds as i32 - 1) * spec.interval_stride as i32 + interval();
    let pop = Population::new(spec, end);
    let gen_ctx = LineGen::new(spec, &pop);
    let load_balancers: Vec<(&str, u32)> = spec.load_balancers().collect();
    let lb_pattern = weighted_pattern(&load_balancers.iter().map(|(_, w)| *w).collect::<Vec<_>>());
    let mut tally = Tally::new(&pop, load_balancers.len());
    let mut files = Vec::with_capacity(spec.files);
    let mut bytes_on_disk = 0;
    // Date folder → (end time, node ip) of its first file, for the other log kinds.
    let mut folders: BTreeMap<String, (DateTime<Utc>, String)> = BTreeMap::new();

    for f in 0..spec.files {
        let mut rng = Rng::with_seed(file_seed(spec.seed, f as u64));
        let interval_start = start + interval() * (f / spec.nodes) as i32 * spec.interval_stride as i32;
        let interval_end = interval_start + interval();
        let lb = lb_pattern[f % lb_pattern.len()];
        let elb = load_balancers[lb].0;
        // Each load balancer has nodes of its own; the first keeps the addresses it had
        // when corpora had one load balancer.
        let node_ip = node_ip(lb * spec.nodes + f % spec.nodes);
        let folder = folder(spec, interval_end);
        // Vended object names are undocumented; these only need to be unique.
        let name = format!(
            "{prefix}{acct}_elasticloadbalancing_{region}_{lb}_{end}_{node_ip}_{rand}.{ext}{gz}",
            prefix = if spec.delivery == Delivery::Classic { "conn_log_" } else { "" },
            acct = spec.account,
            region = spec.region,
            lb = elb.replace('/', "."),
            end = interval_end.format("%Y%m%dT%H%MZ"),
            rand = random_name(&mut rng),
            ext = spec.delivery.extension(),
            gz = if plain_file(spec) { "" } else { ".gz" },
        );
        let path = format!("{folder}/{name}");
        folders.entry(folder).or_insert_with(|| (interval_end, node_ip.clone()));
        let generation = spec.generations.for_file(f, spec.files);
        let first_line = f as u64 * spec.lines_per_file as u64;
        let fields = delivered_fields(generation, spec.vended_fields.as_deref());
        let file = FileJob { interval_start, generation, lb, elb, node_ip: &node_ip, lines: spec.lines_per_file, first_line, fields };
        let written = write_conn_file(spec, &out.join(&path), &gen_ctx, &file, &mut rng, &mut tally)?;
        bytes_on_disk += written.bytes;
        files.push(FileTruth {
            path,
            lines: spec.lines_per_file as u64,
            members: written.members,
            generation,
            first_timestamp: written.first.as_ref().map(format_timestamp),
            last_timestamp: written.last.as_ref().map(format_timestamp),
        });
    }

    let mut other_files = Vec::new();
    if spec.include_other_logs {
        bytes_on_disk += write_other_logs(spec, out, &folders, &mut other_files)?;
    }
    let truth = tally.into_truth(spec, &pop, &load_balancers, files, other_files);
    let truth_path = out.join("truth.json");
    let mut json = serde_json::to_vec_pretty(&truth).map_err(|e| CorpusError::InvalidTruth(e.to_string()))?;
    json.push(b'\n');
    std::fs::write(&truth_path, json).map_err(|source| CorpusError::Io { path: truth_path, source })?;
    Ok(Generated { truth, bytes_on_disk })
}

/// Indices into `weights`, each as often as its weight, spread evenly (smooth weighted
/// round robin): `[4, 2, 1]` gives `0 1 0 2 0 1 0`.
fn weighted_pattern(weights: &[u32]) -> Vec<usize> {
    let total: i64 = weights.iter().map(|&w| i64::from(w)).sum();
    let mut current = vec![0i64; weights.len()];
    (0..total)
        .map(|_| {
            for (c, &w) in current.iter_mut().zip(weights) {
                *c += i64::from(w);
            }
            let best = (0..weights.len()).max_by_key(|&i| (current[i], std::cmp::Reverse(i))).expect("at least one load balancer");
            current[best] -= total;
            best
        })
        .collect()
}

fn interval() -> Duration {
    Duration::minutes(5)
}

fn interval_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(interval()).unwrap_or(t)
}

/// splitmix64 of the seed and file index: independent per-file streams, so a file's bytes
/// do not depend on how many lines earlier files had.
fn file_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn node_ip(node: usize) -> String {
    format!("10.0.{}.{}", node % 250 + 1, 10 + (node * 37) % 240)
}

/// The delivery-date folder: the date of the interval's *end*, so a file ending at 00:00
/// lands in the next day's folder.
fn folder(spec: &CorpusSpec, end: DateTime<Utc>) -> String {
    if spec.delivery != Delivery::Classic {
        return vended_folder(spec.vended_layout, &spec.account, &spec.region, end);
    }
    format!("AWSLogs/{}/elasticloadbalancing/{}/{}", spec.account, spec.region, end.format("%Y/%m/%d"))
}

fn random_name(rng: &mut Rng) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..8).map(|_| ALPHABET[rng.usize(0..ALPHABET.len())] as char).collect()
}

fn create(path: &Path) -> Result<BufWriter<File>, CorpusError> {
    let io = |source| CorpusError::Io { path: path.to_owned(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    Ok(BufWriter::with_capacity(1 << 20, File::create(path).map_err(io)?))
}

fn finish(path: &Path, mut w: BufWriter<File>) -> Result<u64, CorpusError> {
    let io = |source| CorpusError::Io { path: path.to_owned(), source };
    w.flush().map_err(io)?;
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    Ok(file.metadata().map_err(io)?.len())
}

struct FileJob<'a> {
    interval_start: DateTime<Utc>,
    generation: Generation,
    /// The file's load balancer: its index in [`CorpusSpec::load_balancers`], and its id.
    lb: usize,
    elb: &'a str,
    node_ip: &'a str,
    lines: usize,
    /// Lines written before this file, in the whole corpus.
    first_line: u64,
    /// The fields a vended delivery writes, in order.
    fields: Vec<&'static str>,
}

/// Whether the files are written uncompressed: when asked, and always for Parquet (it
/// compresses its own pages).
fn plain_file(spec: &CorpusSpec) -> bool {
    spec.plain || spec.delivery == Delivery::Parquet
}

struct Written {
    bytes: u64,
    members: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

fn write_conn_file(
    spec: &CorpusSpec,
    path: &Path,
    gen_ctx: &LineGen<'_>,
    job: &FileJob<'_>,
    rng: &mut Rng,
    tally: &mut Tally,
) -> Result<Written, CorpusError> {
    let io = |source| CorpusError::Io { path: path.to_owned(), source };
    let mut w = create(path)?;
    let n = job.lines as u64;
    let members = if plain_file(spec) { 0 } else { spec.members_per_file.min(job.lines.max(1)) as u64 };
    let mut buf = Vec::with_capacity(BATCH + 4096);
    if spec.delivery == Delivery::W3c {
        write_w3c_header(&mut buf, &job.fields);
    }
    let mut scratch = Vec::with_capacity(40);
    let (mut first, mut last) = (None, None);
    let mut line_no = 0u64;
    // Each line gets its own slot of the interval, so timestamps never decrease.
    let mut next_line = |buf: &mut Vec<u8>, rng: &mut Rng, tally: &mut Tally| {
        let lo = line_no * INTERVAL_MICROS / n;
        let hi = (line_no + 1) * INTERVAL_MICROS / n;
        let offset = lo + rng.u64(0..(hi - lo).max(1));
        let ts = job.interval_start + Duration::microseconds(offset as i64);
        first.get_or_insert(ts);
        last = Some(ts);
        let corpus_line = job.first_line + line_no;
        line_no += 1;
        let before = buf.len();
        gen_ctx.line(buf, &mut scratch, rng, (ts, corpus_line), job, tally);
        tally.raw_bytes += (buf.len() - before) as u64;
    };
    if spec.delivery == Delivery::Parquet {
        // Rows are drawn as W3C rows (tab-separated; no generated value holds a tab),
        // then written as columns.
        for _ in 0..n {
            next_line(&mut buf, rng, tally);
        }
        let bytes =
            parquet_of(&buf, &job.fields).map_err(|e| CorpusError::Io { path: path.to_owned(), source: std::io::Error::other(e) })?;
        w.write_all(&bytes).map_err(io)?;
    } else if spec.plain {
        for _ in 0..n {
            next_line(&mut buf, rng, tally);
            if buf.len() >= BATCH {
                w.write_all(&buf).map_err(io)?;
                buf.clear();
            }
        }
        w.write_all(&buf).map_err(io)?;
    } else {
        let level = Compression::new(spec.compression_level);
        for m in 0..members {
            let lines = (m + 1) * n / members - m * n / members;
            let mut enc = GzEncoder::new(&mut w, level);
            for _ in 0..lines {
                next_line(&mut buf, rng, tally);
                if buf.len() >= BATCH {
                    enc.write_all(&buf).map_err(io)?;
                    buf.clear();
                }
            }
            enc.write_all(&buf).map_err(io)?;
            buf.clear();
            enc.finish().map_err(io)?;
        }
    }
    Ok(Written { bytes: finish(path, w)?, members, first, last })
}

/// The tab-separated rows in `rows` as a Parquet file with a column per field: the time
/// as a timestamp, ports as integers, the rest as text; row groups of 10,000 rows.
fn parquet_of(rows: &[u8], fields: &[&str]) -> Result<Vec<u8>, albmtls_parquet::WriteError> {
    use albmtls_parquet::{Column, ColumnType};
    let columns: Vec<Column> = fields
        .iter()
        .map(|name| Column {
            name: (*name).to_owned(),
            kind: match *name {
                "time" => ColumnType::TimestampMicros,
                "client_port" | "listener_port" => ColumnType::Int32,
                _ => ColumnType::Text,
            },
        })
        .collect();
    let rows: Vec<Vec<Option<String>>> = rows
        .split(|&b| b == b'\n')
        .filter(|row| !row.is_empty())
        .map(|row| row.split(|&b| b == b'\t').map(|v| Some(String::from_utf8_lossy(v).into_owned())).collect())
        .collect();
    debug_assert!(fields.iter().all(|f| VENDED_FIELDS.contains(f)));
    albmtls_parquet::write_rows(&columns, &rows, 10_000)
}

/// Draws one line's outcome and writes it.
struct LineGen<'a> {
    delivery: Delivery,
    pop: &'a Population,
    plain_http_rate: f64,
    unknown_code_rate: f64,
    failure_rate: f64,
    /// Cumulative failure weights in [`FAILURE_CODES`] order.
    code_cdf: [u32; 13],
    unique_identities: bool,
}

impl<'a> LineGen<'a> {
    fn new(spec: &'a CorpusSpec, pop: &'a Population) -> LineGen<'a> {
        let mut code_cdf = [0; 13];
        let mut total = 0;
        for (c, w) in spec.failure_weights.iter().enumerate() {
            total += w;
            code_cdf[c] = total;
        }
        LineGen {
            delivery: spec.delivery,
            pop,
            plain_http_rate: spec.plain_http_rate,
            unknown_code_rate: spec.unknown_code_rate,
            failure_rate: spec.failure_rate,
            code_cdf,
            unique_identities: spec.unique_identities,
        }
    }

    fn pick_code(&self, rng: &mut Rng) -> usize {
        let u = rng.u32(0..self.code_cdf[12].max(1));
        self.code_cdf.partition_point(|&c| c <= u).min(FAILURE_CODES.len() - 1)
    }

    /// (identity, status id, whether the line is plain HTTP) of line `corpus_line`.
    fn outcome(&self, rng: &mut Rng, corpus_line: u64) -> (u32, u16, bool) {
        if self.unique_identities {
            let id = (corpus_line % self.pop.identities.len() as u64) as u32;
            let cert = self.pop.identities[id as usize].cert as usize;
            let status = self.pop.fates[cert].map_or(STATUS_SUCCESS, code_status);
            return (id, status, false);
        }
        let mut r = rng.f64();
        for actor in &self.pop.actors {
            if r < actor.share {
                return (actor.identity, actor.status, false);
            }
            r -= actor.share;
        }
        let good = |rng: &mut Rng| self.pop.good.pick(rng);
        if r < self.plain_http_rate {
            return (good(rng), STATUS_NONE, true);
        }
        r -= self.plain_http_rate;
        if r < self.unknown_code_rate {
            return (good(rng), STATUS_UNKNOWN, false);
        }
        r -= self.unknown_code_rate;
        if r < self.failure_rate {
            let code = self.pick_code(rng);
            let id = match &self.pop.by_code[code] {
                Some(pool) => pool.pick(rng),
                None => good(rng),
            };
            return (id, code_status(code), false);
        }
        (good(rng), STATUS_SUCCESS, false)
    }

    /// Writes the line at `(ts, corpus_line)`: its time, and its place in the corpus.
    fn line(
        &self,
        buf: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
        rng: &mut Rng,
        (ts, corpus_line): (DateTime<Utc>, u64),
        job: &FileJob<'_>,
        tally: &mut Tally,
    ) {
        let (id, status, plain_http) = self.outcome(rng, corpus_line);
        let identity = &self.pop.identities[id as usize];
        let client_ip = &self.pop.clients[identity.client as usize];
        let client_port = rng.u16(1024..=65535);
        scratch.clear();
        push_trace_id(scratch, rng.u128(..));
        let trace_id = std::str::from_utf8(scratch).expect("trace id is ASCII");
        let mut fields = LineFields {
            generation: job.generation,
            timestamp: ts,
            client_ip,
            client_port,
            listener_port: 80,
            tls_protocol: None,
            tls_cipher: None,
            handshake_latency_ms: None,
            subject: None,
            validity: None,
            serial: None,
            verify_status: None,
            conn_trace_id: Some(trace_id),
            tls_keyexchange: None,
            elb: job.elb,
            node_ip: job.node_ip,
        };
        let mut cert_written = None;
        if !plain_http {
            fields.listener_port = identity.listener;
            let tls = self.pop.tls(identity);
            fields.tls_protocol = Some(tls.protocol);
            fields.tls_cipher = Some(tls.cipher);
            fields.tls_keyexchange = Some(tls.keyexchange);
            fields.verify_status = Some(&self.pop.statuses[usize::from(status)]);
            if status == STATUS_SUCCESS {
                fields.handshake_latency_ms = Some(latency_ms(rng));
            }
            // A client that sent no certificate (UnmappedConnectionError) has no subject.
            if status != code_status(UNMAPPED)
                && let Some(cert) = self.pop.cert(identity)
            {
                fields.subject = Some(&cert.escaped);
                fields.validity = Some(&cert.validity);
                fields.serial = Some(&cert.serial);
                cert_written = Some(identity.cert);
            }
        }
        match self.delivery {
            Delivery::Classic => write_line(buf, &fields),
            Delivery::Json => write_json_line(buf, &fields, &job.fields),
            Delivery::W3c | Delivery::Parquet => write_w3c_row(buf, &fields, &job.fields),
        }
        let origin =
            LineOrigin { status, client: identity.client, cert: cert_written, tls: (!plain_http).then_some(identity.tls), lb: job.lb };
        tally.record(self.pop, &fields, origin);
    }
}

/// mTLS handshakes: mostly tens of milliseconds, a long tail, and the odd multi-second one.
fn latency_ms(rng: &mut Rng) -> u32 {
    if rng.u32(0..100) == 0 { rng.u32(1_000..4_500) } else { 3 + (rng.f64().powi(3) * 400.0) as u32 }
}

/// One access log and one health-check log per date folder, and the test file ELB writes
/// when logging is enabled. Readers must skip all of them: by name in the classic layout,
/// by their fields in a vended one.
fn write_other_logs(
    spec: &CorpusSpec,
    out: &Path,
    folders: &BTreeMap<String, (DateTime<Utc>, String)>,
    written: &mut Vec<String>,
) -> Result<u64, CorpusError> {
    let mut rng = Rng::with_seed(file_seed(spec.seed, u64::MAX));
    let mut bytes = 0;
    if spec.delivery != Delivery::Classic {
        for (folder, (end, node)) in folders {
            bytes += write_vended_other_logs(spec, out, folder, (*end, node), &mut rng, written)?;
        }
        return Ok(bytes + write_test_file(spec, out, written)?);
    }
    let lb = spec.elb.replace('/', ".");
    let ext = if spec.plain { "log" } else { "log.gz" };
    for (folder, (end, node)) in folders {
        let tail = format!("{}_elasticloadbalancing_{}_{lb}_{}_{node}", spec.account, spec.region, end.format("%Y%m%dT%H%MZ"));
        let access = format!("{folder}/{tail}_{}.{ext}", random_name(&mut rng));
        let health = format!("{folder}/health_check_log_{tail}_{}.{ext}", random_name(&mut rng));
        let begin = *end - interval();
        let mut text = Vec::new();
        for i in 0..5u32 {
            let t = format_timestamp(&(begin + Duration::seconds(i64::from(i) * 47 + 3)));
            let tid = crate::line::format_trace_id(rng.u128(..));
            text.extend_from_slice(
                format!(
                    "https {t} {elb} 203.0.113.{c}:{port} 10.0.2.15:8080 0.001 0.0{ms:02} 0.000 200 200 312 1024 \
                 \"GET https://api.example.com:443/v1/items/{i} HTTP/1.1\" \"curl/8.5.0\" TLS_AES_128_GCM_SHA256 TLSv1.3 \
                 arn:aws:elasticloadbalancing:{region}:{acct}:targetgroup/my-targets/73e2d6bc24d8a067 \
                 \"Root=1-6724a3b0-{root:024x}\" \"api.example.com\" \
                 \"arn:aws:acm:{region}:{acct}:certificate/12345678-1234-1234-1234-123456789012\" 0 {t} \"forward\" \"-\" \"-\" \
                 \"10.0.2.15:8080\" \"200\" \"-\" \"-\" {tid}\n",
                    elb = spec.elb,
                    c = 10 + i,
                    port = rng.u16(1024..=65535),
                    ms = rng.u32(1..99),
                    region = spec.region,
                    acct = spec.account,
                    root = rng.u128(..) & ((1u128 << 96) - 1),
                )
                .as_bytes(),
            );
        }
        bytes += write_small(spec, &out.join(&access), &text)?;
        written.push(access);
        text.clear();
        for i in 0..5u32 {
            let t = format_timestamp(&(begin + Duration::seconds(i64::from(i) * 30)));
            let state = if i == 3 { "unhealthy 503" } else { "healthy 200" };
            text.extend_from_slice(format!("{t} {elb} {node} 10.0.2.15:8080 HTTP /healthz {state} 0.004\n", elb = spec.elb).as_bytes());
        }
        bytes += write_small(spec, &out.join(&health), &text)?;
        written.push(health);
    }
    Ok(bytes + write_test_file(spec, out, written)?)
}

/// The test file ELB writes when logging is enabled.
fn write_test_file(spec: &CorpusSpec, out: &Path, written: &mut Vec<String>) -> Result<u64, CorpusError> {
    let test_file = format!("AWSLogs/{}/ELBConnectionLogTestFile", spec.account);
    let text = format!("Enable ConnectionLog for ELB: {} at {}\n", spec.elb, format_timestamp(&interval_floor(spec.start)));
    let path = out.join(&test_file);
    let mut w = create(&path)?;
    w.write_all(text.as_bytes()).map_err(|source| CorpusError::Io { path: path.clone(), source })?;
    let bytes = finish(&path, w)?;
    written.push(test_file);
    Ok(bytes)
}

/// An access log and a health-check log delivered as the connection logs are (same
/// format, same folder, undocumented names), with the record fields vended access and
/// health-check logs have.
fn write_vended_other_logs(
    spec: &CorpusSpec,
    out: &Path,
    folder: &str,
    (end, node): (DateTime<Utc>, &str),
    rng: &mut Rng,
    written: &mut Vec<String>,
) -> Result<u64, CorpusError> {
    let begin = end - interval();
    let access: Vec<OtherRecord> = (0..5u32)
        .map(|i| {
            let t = format_timestamp(&(begin + Duration::seconds(i64::from(i) * 47 + 3)));
            vec![
                ("type", "h2".to_owned()),
                ("time", t),
                ("elb", spec.elb.clone()),
                ("client_port", format!("203.0.113.{}:{}", 10 + i, rng.u16(1024..=65535))),
                ("target_port", "10.0.2.15:8080".to_owned()),
                ("request_processing_time", "0.001".to_owned()),
                ("target_processing_time", format!("0.0{:02}", rng.u32(1..99))),
                ("response_processing_time", "0.000".to_owned()),
                ("elb_status_code", "200".to_owned()),
                ("target_status_code", "200".to_owned()),
                ("received_bytes", "312".to_owned()),
                ("sent_bytes", "1024".to_owned()),
                ("request_line", format!("GET https://api.example.com:443/v1/items/{i} HTTP/2.0")),
                ("user_agent", "curl/8.5.0".to_owned()),
                ("ssl_cipher", "TLS_AES_128_GCM_SHA256".to_owned()),
                ("ssl_protocol", "TLSv1.3".to_owned()),
                ("domain_name", "api.example.com".to_owned()),
                ("conn_trace_id", crate::line::format_trace_id(rng.u128(..))),
            ]
        })
        .collect();
    let health: Vec<OtherRecord> = (0..5u32)
        .map(|i| {
            let t = format_timestamp(&(begin + Duration::seconds(i64::from(i) * 30)));
            let (status, code, reason) = if i == 3 { ("unhealthy", "503", "Target.ResponseCodeMismatch") } else { ("healthy", "200", "-") };
            vec![
                ("type", "http".to_owned()),
                ("time", t),
                ("elb", spec.elb.clone()),
                ("ip_address", node.to_owned()),
                ("target_addr", "10.0.2.15:8080".to_owned()),
                ("target_group_id", "73e2d6bc24d8a067".to_owned()),
                ("status", status.to_owned()),
                ("status_code", code.to_owned()),
                ("latency", "0.004".to_owned()),
                ("reason_code", reason.to_owned()),
            ]
        })
        .collect();
    let mut bytes = 0;
    for records in [access, health] {
        let name = format!("{folder}/{}.{}{}", random_name(rng), spec.delivery.extension(), if plain_file(spec) { "" } else { ".gz" });
        let content = write_other_records(spec.delivery, &records)
            .map_err(|e| CorpusError::Io { path: out.join(&name), source: std::io::Error::other(e) })?;
        bytes += write_small(spec, &out.join(&name), &content)?;
        written.push(name);
    }
    Ok(bytes)
}

fn write_small(spec: &CorpusSpec, path: &Path, text: &[u8]) -> Result<u64, CorpusError> {
    let io = |source| CorpusError::Io { path: path.to_owned(), source };
    let mut w = create(path)?;
    if plain_file(spec) {
        w.write_all(text).map_err(io)?;
    } else {
        let mut enc = GzEncoder::new(&mut w, Compression::new(spec.compression_level));
        enc.write_all(text).map_err(io)?;
        enc.finish().map_err(io)?;
    }
    finish(path, w)
}
