//! `albmtls grep`: print the records that pass the filters, as written or reshaped, each
//! input's output whole and in listing order.

use std::borrow::Cow;

use albmtls_parse::{Field, ParseError, Record, unescape_subject};
use albmtls_scan::{InputContext, Sink, scan};
use anyhow::Result;
use serde::Serialize;

use super::{Exit, output_failed};
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
    errors: Vec<String>,
}

impl GrepSink<'_> {
    fn write_record(&mut self, input: &InputContext<'_>, line_number: u64, record: &Record<'_>) -> std::io::Result<()> {
        let out = &mut self.buffer;
        if self.settings.with_filename {
            out.extend_from_slice(input.name.as_bytes());
            out.push(b':');
            out.extend_from_slice(line_number.to_string().as_bytes());
            out.push(b':');
        }
        match &self.settings.output {
            GrepOutput::Count => return Ok(()),
            GrepOutput::Lines => out.extend_from_slice(record.line),
            GrepOutput::Fields(fields) => {
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    let value = record.field(*field);
                    if *field == Field::LeafClientCertSubject {
                        out.push(b'"');
                        out.extend_from_slice(value);
                        out.push(b'"');
                    } else {
                        out.extend_from_slice(value);
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

    fn filtered_out(&mut self) {}

    fn malformed(&mut self, _: &InputContext<'_>, _: u64, _: &[u8], _: ParseError) {
        self.malformed += 1;
    }

    fn blank(&mut self) {}

    fn overlong(&mut self, lines: u64) {
        self.malformed += lines;
    }

    fn end_input(&mut self, input: &InputContext<'_>, lines: u64, error: Option<String>) -> std::io::Result<()> {
        if let Some(message) = error {
            self.errors.push(format!("{}: {message} (after line {lines})", input.name));
        }
        self.hand_on()?;
        let (index, spool) = self.current.take().expect("end_input follows begin_input");
        self.out.finish(index, spool)
    }

    fn records(&self) -> u64 {
        self.matched
    }

    fn merge(&mut self, other: GrepSink<'_>) {
        self.matched += other.matched;
        self.malformed += other.malformed;
        self.errors.extend(other.errors);
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

pub fn run(settings: &GrepSettings, printer: &Printer) -> Result<Exit> {
    let out = InListingOrder::new(printer);
    let outcome = scan(&settings.scan, printer, || GrepSink {
        settings,
        out: &out,
        current: None,
        buffer: Vec::with_capacity(FLUSH_AT + 4096),
        matched: 0,
        malformed: 0,
        errors: Vec::new(),
    })?;
    if let Some(err) = &outcome.output_error {
        return Ok(output_failed(printer, err));
    }
    let GrepSink { matched, malformed, errors, .. } = outcome.sink;
    if let GrepOutput::Count = settings.output {
        let written = printer.with_stdout(|out| writeln!(out, "{matched}")).and_then(|()| printer.flush());
        if let Err(err) = written {
            return Ok(output_failed(printer, &err));
        }
    } else if let Err(err) = printer.flush() {
        return Ok(output_failed(printer, &err));
    }
    for error in &errors {
        printer.error(error);
    }
    if malformed > 0 {
        printer.warn(&format!("{malformed} line(s) are not connection-log records and were skipped; `albmtls report` lists them"));
    }
    Ok(if !errors.is_empty() || !outcome.listing_errors.is_empty() {
        Exit::Error
    } else if matched == 0 {
        Exit::NoMatch
    } else {
        Exit::Ok
    })
}
