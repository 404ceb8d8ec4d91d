//! `albmtls grep`: print the records that pass the filters, as written or reshaped, each
//! input's output whole and in listing order.

use std::borrow::Cow;

use albmtls_parse::{Field, ParseError, Record, StatusFilter, unescape_subject};
use albmtls_render::escape::bytes_for_people;
use albmtls_scan::{FollowOptions, InputContext, Poll, Sink, follow, scan};
use anyhow::Result;
use serde::Serialize;

use super::{Exit, Span, UndocumentedCodes, no_connection_logs, none_listed_in_time_range, nothing_in_time_range, output_failed};
use crate::printer::{InListingOrder, Printer, Spool};
use crate::settings::{GrepOutput, GrepSettings};

/// Output is handed on in blocks of about this size.
const FLUSH_AT: usize = 256 * 1024;

struct GrepSink<'a> {
    settings: &'a GrepSettings,
    out: &'a InListingOrder<'a>,
    /// The input being read: its listing index and what it could not print yet.
    current: Option<(usize, Spool)>,
    buffer: Vec<u8>,
    matched: u64,
    malformed: u64,
    overlong: Overlong,
    /// Inputs that ended early: each input's name and the message about it.
    errors: Vec<(String, String)>,
    /// When the records the filters left out were written, to explain an empty result.
    filtered_span: Span,
    /// Whether the records the filters left out have the undocumented codes asked for.
    left_out_codes: UndocumentedCodes,
}

/// Lines skipped for being longer than the reader's limit: how many, and where the first
/// few are (`input:line`).
#[derive(Default)]
struct Overlong {
    lines: u64,
    first: Vec<String>,
}

/// How many overlong lines are named in the warning.
const OVERLONG_NAMED: usize = 5;

impl Overlong {
    fn merge(&mut self, other: Overlong) {
        self.lines += other.lines;
        self.first.extend(other.first);
        self.first.truncate(OVERLONG_NAMED);
    }
}

impl GrepSink<'_> {
    fn write_record(&mut self, input: &InputContext<'_>, line_number: u64, record: &Record<'_>) -> std::io::Result<()> {
        let out = &mut self.buffer;
        let escape = self.settings.escape_controls;
        let text = |out: &mut Vec<u8>, bytes: &[u8]| if escape { bytes_for_people(bytes, out) } else { out.extend_from_slice(bytes) };
        if self.settings.with_filename {
            text(out, input.name.as_bytes());
            out.push(b':');
            out.extend_from_slice(line_number.to_string().as_bytes());
            out.push(b':');
        }
        match &self.settings.output {
            GrepOutput::Count => return Ok(()),
            GrepOutput::Lines => text(out, record.line),
            GrepOutput::Fields(fields) => {
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    let value = record.field(*field);
                    if *field == Field::LeafClientCertSubject {
                        out.push(b'"');
                        text(out, value);
                        out.push(b'"');
                    } else {
                        text(out, value);
                    }
                }
            }
            GrepOutput::Json => {
                serde_json::to_writer(&mut *out, &JsonRecord::new(input.name, line_number, record))?;
            }
        }
        out.push(b'\n');
        if out.len() >= FLUSH_AT {
            self.hand_on()?;
        }
        Ok(())
    }

    /// Passes the buffered output on, to stdout or to the input's spool.
    fn hand_on(&mut self) -> std::io::Result<()> {
        let (index, spool) = self.current.as_mut().expect("records come between begin_input and end_input");
        let result = self.out.write(*index, spool, &self.buffer);
        self.buffer.clear();
        result
    }
}

impl Sink for GrepSink<'_> {
    const OUTPUT_FOLLOWS_LISTING: bool = true;

    fn begin_input(&mut self, input: &InputContext<'_>) -> std::io::Result<()> {
        self.current = Some((input.index, self.out.spool()));
        Ok(())
    }

    fn record(&mut self, input: &InputContext<'_>, line_number: u64, record: &Record<'_>) -> std::io::Result<()> {
        self.matched += 1;
        self.write_record(input, line_number, record)
    }

    fn filtered_out(&mut self, record: &Record<'_>) {
        self.filtered_span.add(record.time);
        self.left_out_codes.left_out(record);
    }

    fn malformed(&mut self, _: &InputContext<'_>, _: u64, _: &[u8], _: ParseError) {
        self.malformed += 1;
    }

    fn blank(&mut self) {}

    fn overlong(&mut self, input: &InputContext<'_>, first_line: u64, lines: u64) {
        self.overlong.lines += lines;
        for line in first_line..first_line + lines {
            if self.overlong.first.len() >= OVERLONG_NAMED {
                break;
            }
            self.overlong.first.push(format!("{}:{line}", input.name));
        }
    }

    fn end_input(&mut self, input: &InputContext<'_>, lines: u64, error: Option<String>) -> std::io::Result<()> {
        if let Some(message) = error {
            self.errors.push((input.name.to_owned(), format!("{}: {message} (after line {lines})", input.name)));
        }
        self.hand_on()?;
        let (index, spool) = self.current.take().expect("end_input follows begin_input");
        self.out.finish(index, spool)
    }

    fn not_read(&mut self, input: &InputContext<'_>) -> std::io::Result<()> {
        // Inputs print in listing order: this one's place is closed, empty.
        self.out.finish(input.index, self.out.spool())
    }

    fn records(&self) -> u64 {
        self.matched
    }

    fn merge(&mut self, other: GrepSink<'_>) {
        self.matched += other.matched;
        self.malformed += other.malformed;
        self.overlong.merge(other.overlong);
        self.errors.extend(other.errors);
        self.filtered_span.merge(other.filtered_span);
        self.left_out_codes.merge(&other.left_out_codes);
    }
}

/// One record as NDJSON: every documented field, `null` when absent.
#[derive(Serialize)]
struct JsonRecord<'a> {
    input: &'a str,
    line: u64,
    timestamp: Cow<'a, str>,
    client_ip: Option<String>,
    client_port: Option<u16>,
    listener_port: Option<u16>,
    tls_protocol: Option<Cow<'a, str>>,
    tls_cipher: Option<Cow<'a, str>>,
    tls_handshake_latency: Option<Cow<'a, str>>,
    leaf_client_cert_subject: Option<String>,
    leaf_client_cert_validity: Option<Cow<'a, str>>,
    leaf_client_cert_serial_number: Option<Cow<'a, str>>,
    tls_verify_status: Option<Cow<'a, str>>,
    conn_trace_id: Option<Cow<'a, str>>,
    tls_keyexchange: Option<Cow<'a, str>>,
    elb: Option<Cow<'a, str>>,
    ip_address: Option<Cow<'a, str>>,
}

impl<'a> JsonRecord<'a> {
    fn new(input: &'a str, line: u64, r: &Record<'a>) -> JsonRecord<'a> {
        let text = |b: &'a [u8]| String::from_utf8_lossy(b);
        let dash = |b: &'a [u8]| (b != b"-").then(|| String::from_utf8_lossy(b));
        let opt = |b: Option<&'a [u8]>| b.and_then(dash);
        // A field the input did not deliver is `null`, as an absent one is.
        let delivered = |field: Field| !r.missing.contains(field);
        JsonRecord {
            input,
            line,
            timestamp: text(r.timestamp),
            client_ip: delivered(Field::ClientIp).then(|| r.client_ip.to_string()),
            client_port: delivered(Field::ClientPort).then_some(r.client_port),
            listener_port: delivered(Field::ListenerPort).then_some(r.listener_port),
            tls_protocol: dash(r.tls_protocol),
            tls_cipher: dash(r.tls_cipher),
            tls_handshake_latency: dash(r.tls_handshake_latency),
            leaf_client_cert_subject: r.subject.map(|s| String::from_utf8_lossy(&unescape_subject(s)).into_owned()),
            leaf_client_cert_validity: dash(r.validity),
            leaf_client_cert_serial_number: dash(r.serial),
            tls_verify_status: delivered(Field::TlsVerifyStatus).then(|| text(r.status)),
            conn_trace_id: opt(r.conn_trace_id),
            tls_keyexchange: opt(r.tls_keyexchange),
            elb: opt(r.elb),
            ip_address: opt(r.ip_address),
        }
    }
}

impl<'a> GrepSink<'a> {
    fn new(settings: &'a GrepSettings, out: &'a InListingOrder<'a>) -> GrepSink<'a> {
        GrepSink {
            settings,
            out,
            current: None,
            buffer: Vec::with_capacity(FLUSH_AT + 4096),
            matched: 0,
            malformed: 0,
            overlong: Overlong::default(),
            errors: Vec::new(),
            filtered_span: Span::default(),
            left_out_codes: UndocumentedCodes::asked(&settings.scan.filter.statuses),
        }
    }
}

pub fn run(settings: &GrepSettings, printer: &Printer) -> Result<Exit> {
    if let Some(options) = &settings.follow {
        return run_followed(settings, options, printer);
    }
    let out = InListingOrder::new(printer);
    let outcome = scan(&settings.scan, printer, || GrepSink::new(settings, &out))?;
    if let Some(err) = &outcome.output_error {
        return Ok(output_failed(printer, err));
    }
    let GrepSink { matched, malformed, overlong, errors, filtered_span, left_out_codes, .. } = outcome.sink;
    let mut totals = Totals { matched, malformed, failed: !errors.is_empty() || !outcome.listing_errors.is_empty(), ..Totals::default() };
    totals.overlong.merge(overlong);
    if let Some(failed) = totals.print_count(settings, printer) {
        return Ok(failed);
    }
    for (_, error) in &errors {
        printer.error(error);
    }
    totals.warn_skipped(printer);
    let time = settings.scan.filter.time;
    if matched == 0
        && let Some(message) = nothing_in_time_range(time, filtered_span)
            .or_else(|| none_listed_in_time_range(&settings.scan.paths, time, &outcome.outside_time_range))
    {
        printer.notice(&message);
    }
    if matched == 0 {
        let unseen = settings.scan.filter.statuses.iter().filter(|status| !left_out_codes.seen(status));
        for warning in unseen.filter_map(StatusFilter::unseen_warning) {
            printer.warn(&warning);
        }
    }
    // A path that could not be listed has its own error; it need not hold no logs.
    if outcome.inputs_listed == 0 && outcome.outside_time_range.objects == 0 && outcome.listing_errors.is_empty() {
        printer.error(&no_connection_logs(&settings.scan.paths, &outcome.skipped_files));
        return Ok(Exit::Error);
    }
    Ok(if totals.failed {
        Exit::Error
    } else if matched == 0 {
        Exit::NoMatch
    } else {
        Exit::Ok
    })
}

/// `grep --follow`: matching lines of every new input as it is read, until Ctrl-C or
/// `--follow-for`. Ends 0 whether or not anything matched (2 when inputs failed, an
/// input that could not be fetched only if the last try failed too).
fn run_followed(settings: &GrepSettings, options: &FollowOptions, printer: &Printer) -> Result<Exit> {
    let out = InListingOrder::new(printer);
    let mut totals = Totals::default();
    // Whether the last poll left inputs it could not fetch, to try again.
    let mut unfetched = false;
    let mut output_error = None;
    follow(
        &settings.scan,
        options,
        printer,
        || GrepSink::new(settings, &out),
        |poll: Poll<GrepSink<'_>>| {
            // Each listing numbers its inputs from 0.
            out.start_over();
            if let Some(err) = poll.outcome.output_error {
                output_error = Some(err);
                return false;
            }
            let GrepSink { matched, malformed, overlong, errors, .. } = poll.outcome.sink;
            totals.overlong.merge(overlong);
            for (input, error) in &errors {
                if poll.read_again.contains(input) {
                    printer.error(&format!("{error}; it is read again at the next poll"));
                } else {
                    printer.error(error);
                    totals.failed = true;
                }
            }
            totals.matched += matched;
            totals.malformed += malformed;
            totals.failed |= !poll.outcome.listing_errors.is_empty();
            unfetched = !poll.read_again.is_empty();
            true
        },
    )?;
    if let Some(err) = &output_error {
        return Ok(output_failed(printer, err));
    }
    if let Some(failed) = totals.print_count(settings, printer) {
        return Ok(failed);
    }
    totals.warn_skipped(printer);
    Ok(if totals.failed || unfetched { Exit::Error } else { Exit::Ok })
}

/// What a grep run found, over all its inputs (and polls).
#[derive(Default)]
struct Totals {
    matched: u64,
    malformed: u64,
    overlong: Overlong,
    failed: bool,
}

impl Totals {
    /// Prints the count (`--count`) and flushes; `Some` when stdout failed.
    fn print_count(&self, settings: &GrepSettings, printer: &Printer) -> Option<Exit> {
        let written = match settings.output {
            GrepOutput::Count => printer.with_stdout(|out| writeln!(out, "{}", self.matched)).and_then(|()| printer.flush()),
            _ => printer.flush(),
        };
        written.err().map(|err| output_failed(printer, &err))
    }

    fn warn_skipped(&self, printer: &Printer) {
        if self.overlong.lines > 0 {
            printer.warn(&format!(
                "{} line(s) longer than {} MiB (the reader's limit; no connection-log line is that long) were skipped and counted as overlong, first at {}",
                self.overlong.lines,
                albmtls_scan::MAX_LINE >> 20,
                self.overlong.first.join(", ")
            ));
        }
        if self.malformed > 0 {
            printer
                .warn(&format!("{} line(s) are not connection-log records and were skipped; `albmtls report` lists them", self.malformed));
        }
    }
}
