//! One connection-log line, tokenized without copying.
//!
//! Fields are separated by single spaces. Only field 8 (the leaf certificate subject) is
//! quoted; it may hold spaces, commas and backslash-escaped quotes (`\"`). Lines carry
//! 11, 12, 13 or 15 fields depending on when they were written; anything after field 15
//! is ignored, as AWS asks parsers to do.

use std::fmt;
use std::net::IpAddr;

use memchr::memchr;

use crate::digits::top_digits_value;
use crate::ip::parse_client_ip;
use crate::simd::{Baseline, Simd};
use crate::spaces::{Spaces, find_byte};
use crate::status::VerifyStatus;
use crate::time::{Micros, parse_timestamp};

/// The documented fields, in line order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Timestamp,
    ClientIp,
    ClientPort,
    ListenerPort,
    TlsProtocol,
    TlsCipher,
    TlsHandshakeLatency,
    LeafClientCertSubject,
    LeafClientCertValidity,
    LeafClientCertSerialNumber,
    TlsVerifyStatus,
    ConnTraceId,
    TlsKeyexchange,
    Elb,
    IpAddress,
}

impl Field {
    /// Every field, in line order.
    pub const ALL: [Field; 15] = [
        Field::Timestamp,
        Field::ClientIp,
        Field::ClientPort,
        Field::ListenerPort,
        Field::TlsProtocol,
        Field::TlsCipher,
        Field::TlsHandshakeLatency,
        Field::LeafClientCertSubject,
        Field::LeafClientCertValidity,
        Field::LeafClientCertSerialNumber,
        Field::TlsVerifyStatus,
        Field::ConnTraceId,
        Field::TlsKeyexchange,
        Field::Elb,
        Field::IpAddress,
    ];

    /// The name AWS documents (and Athena uses) for the field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Timestamp => "timestamp",
            Field::ClientIp => "client_ip",
            Field::ClientPort => "client_port",
            Field::ListenerPort => "listener_port",
            Field::TlsProtocol => "tls_protocol",
            Field::TlsCipher => "tls_cipher",
            Field::TlsHandshakeLatency => "tls_handshake_latency",
            Field::LeafClientCertSubject => "leaf_client_cert_subject",
            Field::LeafClientCertValidity => "leaf_client_cert_validity",
            Field::LeafClientCertSerialNumber => "leaf_client_cert_serial_number",
            Field::TlsVerifyStatus => "tls_verify_status",
            Field::ConnTraceId => "conn_trace_id",
            Field::TlsKeyexchange => "tls_keyexchange",
            Field::Elb => "elb",
            Field::IpAddress => "ip_address",
        }
    }

    /// 1-based position in the line.
    pub fn position(self) -> usize {
        self as usize + 1
    }

    /// Looks a field up by its documented name.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field {} ({})", self.position(), self.name())
    }
}

/// A set of fields, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FieldSet(u16);

impl FieldSet {
    pub const EMPTY: FieldSet = FieldSet(0);
    pub const ALL: FieldSet = FieldSet((1 << Field::ALL.len()) - 1);
    /// The eleven fields every classic line carries; the later four are told apart by
    /// the record's generation ([`Record::field_count`]) instead.
    pub const CLASSIC_CORE: FieldSet = FieldSet((1 << 11) - 1);

    pub const fn with(self, field: Field) -> FieldSet {
        FieldSet(self.0 | (1 << field as u16))
    }

    pub const fn contains(self, field: Field) -> bool {
        self.0 & (1 << field as u16) != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn union(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }

    pub const fn intersection(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 & other.0)
    }

    /// The fields in the set, in line order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> FieldSet {
        iter.into_iter().fold(FieldSet::EMPTY, FieldSet::with)
    }
}

/// Why a line could not be read as a connection-log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The line ends before this field.
    Missing,
    /// Two spaces in a row: the field is empty.
    Empty,
    NotATimestamp,
    NotAnIpAddress,
    NotAPort,
    /// The subject neither starts with `"` nor is a bare `-`.
    SubjectNotQuoted,
    /// The subject's opening quote is never closed.
    UnterminatedQuote,
    /// Something other than a space follows the subject's closing quote.
    TextAfterQuote,
    /// A vended value of the wrong JSON or Parquet type (an object, array or boolean
    /// where text or a number belongs).
    WrongType,
    /// A line of a JSON delivery that is not one JSON object. Concerns the whole line,
    /// so it is filed under the first field.
    NotAnObject,
    /// A JSON line whose values nest deeper than the reader follows
    /// ([`crate::vended::MAX_JSON_DEPTH`]). Concerns the whole line.
    NestedTooDeep,
    /// A field-list (plain or W3C) row with no field list to read it by: the file has no
    /// `#Fields:` header and `--vended-fields` was not given. Filed under the first field.
    NoFieldList,
    /// A Parquet file or row group that cannot be decoded (truncated, corrupt, or a
    /// column of a type that cannot hold the field). Filed under the field concerned, or
    /// the first field when the file as a whole is unreadable.
    Unreadable,
}

impl Problem {
    pub fn describe(self) -> &'static str {
        match self {
            Problem::Missing => "missing (the line ends too early)",
            Problem::Empty => "empty (two spaces in a row)",
            Problem::NotATimestamp => "not a timestamp like 2024-04-05T18:31:29.268987Z",
            Problem::NotAnIpAddress => "not an IPv4 or IPv6 address",
            Problem::NotAPort => "not a port number (0-65535)",
            Problem::SubjectNotQuoted => "not quoted (expected \"...\" or \"-\")",
            Problem::UnterminatedQuote => "has an opening quote that is never closed",
            Problem::TextAfterQuote => "is followed by text other than a space after its closing quote",
            Problem::WrongType => "of the wrong type (expected text or a number)",
            Problem::NotAnObject => "not a JSON object (each line of a JSON delivery must be one {...} object)",
            Problem::NestedTooDeep => {
                "nested more than 64 levels deep (the most albmtls follows in a JSON line; no connection-log value is nested)"
            }
            Problem::NoFieldList => "in a row with no field list (the file has no #Fields: header: pass --vended-fields and --delimiter)",
            Problem::Unreadable => "unreadable (the Parquet data is truncated or corrupt; re-download the file)",
        }
    }

    /// Whether the problem concerns the whole line or file rather than one field.
    pub fn is_whole_line(self) -> bool {
        matches!(self, Problem::NotAnObject | Problem::NestedTooDeep | Problem::NoFieldList)
    }
}

/// A line that is not a connection-log record: which field is wrong and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseError {
    pub field: Field,
    pub problem: Problem,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problem.is_whole_line() {
            write!(f, "the line is {}", self.problem.describe())
        } else {
            write!(f, "{} is {}", self.field, self.problem.describe())
        }
    }
}

impl std::error::Error for ParseError {}

/// The longest line a record is read from. No connection-log line comes near it (the
/// longest fields, a certificate subject and the TLS names, come to a few KiB); readers
/// skip and count longer lines instead of buffering them, so a file of one 1 GB line (a
/// gzip bomb of one byte) costs a few MiB of memory.
pub const MAX_LINE: usize = 1024 * 1024;

/// One tokenized line. Every slice borrows from the line; nothing is copied or decoded
/// beyond what filters and aggregates need (time, client address, ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The whole line without its line terminator.
    pub line: &'a [u8],
    pub timestamp: &'a [u8],
    pub time: Micros,
    pub client_ip: IpAddr,
    /// The client address as written, without brackets.
    pub client_ip_text: &'a [u8],
    pub client_port: u16,
    pub client_port_text: &'a [u8],
    pub listener_port: u16,
    pub listener_port_text: &'a [u8],
    pub tls_protocol: &'a [u8],
    pub tls_cipher: &'a [u8],
    pub tls_handshake_latency: &'a [u8],
    /// The subject as written between the quotes (escapes kept), `None` when absent.
    pub subject: Option<&'a [u8]>,
    pub validity: &'a [u8],
    pub serial: &'a [u8],
    pub status: &'a [u8],
    pub conn_trace_id: Option<&'a [u8]>,
    pub tls_keyexchange: Option<&'a [u8]>,
    pub elb: Option<&'a [u8]>,
    pub ip_address: Option<&'a [u8]>,
    /// Fields the input did not deliver (a vended delivery may choose a subset). Always
    /// empty for classic lines, whose generations leave out only the trailing fields
    /// (those read as `None`). A missing field reads as absent (`-`, port 0, address
    /// `0.0.0.0`); aggregates consult this set instead of counting those values.
    pub missing: FieldSet,
    /// Values of undocumented fields the record carried and that were ignored (vended
    /// records only: classic lines are read up to field 15, as AWS asks).
    pub ignored_fields: u16,
}

impl<'a> Record<'a> {
    /// Tokenizes one line (with or without its `\n` / `\r\n`).
    #[inline(always)]
    pub fn parse(line: &'a [u8]) -> Result<Record<'a>, ParseError> {
        Record::parse_with(Baseline, line)
    }

    /// [`Record::parse`] with the vector instructions `simd` vouches for. Gives the same
    /// result; it is faster when inlined into a loop compiled for those instructions
    /// (see [`crate::simd`]).
    #[inline(always)]
    pub fn parse_with(simd: impl Simd, line: &'a [u8]) -> Result<Record<'a>, ParseError> {
        let line = trim_line_end(line);
        let mut cursor = Cursor::new(simd, line);
        let timestamp = cursor.plain(Field::Timestamp)?;
        let time = parse_timestamp(timestamp).ok_or_else(|| not_a_record(Field::Timestamp, Problem::NotATimestamp))?;
        let client_ip_start = cursor.pos;
        let client_ip_field = cursor.plain(Field::ClientIp)?;
        let (client_ip_start, client_ip_text) = match client_ip_field.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")) {
            Some(bare) => (client_ip_start + 1, bare),
            None => (client_ip_start, client_ip_field),
        };
        let client_ip = parse_client_ip(simd, line, client_ip_start, client_ip_start + client_ip_text.len())
            .ok_or_else(|| not_a_record(Field::ClientIp, Problem::NotAnIpAddress))?;
        let client_port_start = cursor.pos;
        let client_port_text = cursor.plain(Field::ClientPort)?;
        let client_port = parse_port(line, client_port_start, client_port_text, Field::ClientPort)?;
        let listener_port_start = cursor.pos;
        let listener_port_text = cursor.plain(Field::ListenerPort)?;
        let listener_port = parse_port(line, listener_port_start, listener_port_text, Field::ListenerPort)?;
        let tls_protocol = cursor.plain(Field::TlsProtocol)?;
        let tls_cipher = cursor.plain(Field::TlsCipher)?;
        let tls_handshake_latency = cursor.plain(Field::TlsHandshakeLatency)?;
        let subject = cursor.subject()?;
        let validity = cursor.plain(Field::LeafClientCertValidity)?;
        let serial = cursor.plain(Field::LeafClientCertSerialNumber)?;
        let status = cursor.plain(Field::TlsVerifyStatus)?;
        let conn_trace_id = cursor.optional(Field::ConnTraceId)?;
        let tls_keyexchange = cursor.optional(Field::TlsKeyexchange)?;
        let elb = cursor.optional(Field::Elb)?;
        let ip_address = cursor.optional(Field::IpAddress)?;
        Ok(Record {
            line,
            timestamp,
            time,
            client_ip,
            client_ip_text,
            client_port,
            client_port_text,
            listener_port,
            listener_port_text,
            tls_protocol,
            tls_cipher,
            tls_handshake_latency,
            subject,
            validity,
            serial,
            status,
            conn_trace_id,
            tls_keyexchange,
            elb,
            ip_address,
            missing: FieldSet::EMPTY,
            ignored_fields: 0,
        })
    }

    /// Builds a record from the values of a vended delivery, by field (`None`: not
    /// delivered). `line` is the record as written, for grep. Values are checked as the
    /// classic tokenizer checks them; the subject must already be in the classic escaped
    /// form (`\"`, `\\`), without quotes, `-` when absent. The time may also be written
    /// as a number of seconds, milliseconds or microseconds since the epoch.
    pub fn from_values(line: &'a [u8], values: &[Option<&'a [u8]>; 15], ignored_fields: u16) -> Result<Record<'a>, ParseError> {
        let mut missing = FieldSet::EMPTY;
        for field in Field::ALL {
            if values[field as usize].is_none() {
                missing = missing.with(field);
            }
        }
        let value = |field: Field| values[field as usize];
        let text = |field: Field| -> Result<&'a [u8], ParseError> {
            match value(field) {
                Some([]) => Err(not_a_record(field, Problem::Empty)),
                Some(v) => Ok(v),
                None => Ok(b"-"),
            }
        };
        let timestamp = value(Field::Timestamp).ok_or_else(|| not_a_record(Field::Timestamp, Problem::Missing))?;
        let time = parse_timestamp(timestamp)
            .or_else(|| parse_epoch(timestamp))
            .ok_or_else(|| not_a_record(Field::Timestamp, Problem::NotATimestamp))?;
        // An address or port written as `-` (a JSON null) is as good as not delivered.
        for field in [Field::ClientIp, Field::ClientPort, Field::ListenerPort] {
            if value(field) == Some(b"-") {
                missing = missing.with(field);
            }
        }
        let value = |field: Field| values[field as usize].filter(|v| !(missing.contains(field) && *v == b"-"));
        let (client_ip, client_ip_text) = match value(Field::ClientIp) {
            None => (IpAddr::from([0, 0, 0, 0]), &b"-"[..]),
            Some(raw) => {
                let bare = raw.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")).unwrap_or(raw);
                let ip =
                    parse_client_ip(Baseline, bare, 0, bare.len()).ok_or_else(|| not_a_record(Field::ClientIp, Problem::NotAnIpAddress))?;
                (ip, bare)
            }
        };
        let port = |field: Field| -> Result<(u16, &'a [u8]), ParseError> {
            match value(field) {
                None => Ok((0, b"-")),
                Some(raw) => Ok((parse_port(raw, 0, raw, field)?, raw)),
            }
        };
        let (client_port, client_port_text) = port(Field::ClientPort)?;
        let (listener_port, listener_port_text) = port(Field::ListenerPort)?;
        let subject = text(Field::LeafClientCertSubject)?;
        let optional = |field: Field| -> Result<Option<&'a [u8]>, ParseError> {
            match value(field) {
                Some([]) => Err(not_a_record(field, Problem::Empty)),
                other => Ok(other),
            }
        };
        Ok(Record {
            line,
            timestamp,
            time,
            client_ip,
            client_ip_text,
            client_port,
            client_port_text,
            listener_port,
            listener_port_text,
            tls_protocol: text(Field::TlsProtocol)?,
            tls_cipher: text(Field::TlsCipher)?,
            tls_handshake_latency: text(Field::TlsHandshakeLatency)?,
            subject: (subject != b"-").then_some(subject),
            validity: text(Field::LeafClientCertValidity)?,
            serial: text(Field::LeafClientCertSerialNumber)?,
            status: text(Field::TlsVerifyStatus)?,
            conn_trace_id: optional(Field::ConnTraceId)?,
            tls_keyexchange: optional(Field::TlsKeyexchange)?,
            elb: optional(Field::Elb)?,
            ip_address: optional(Field::IpAddress)?,
            missing,
            ignored_fields,
        })
    }

    pub fn verify_status(&self) -> VerifyStatus<'a> {
        VerifyStatus::parse(self.status)
    }

    /// How many documented fields the line carries: 11, 12, 13, 14 or 15.
    pub fn field_count(&self) -> usize {
        11 + [self.conn_trace_id, self.tls_keyexchange, self.elb, self.ip_address].iter().filter(|f| f.is_some()).count()
    }

    /// A field's raw text as written in the line (the subject without its quotes,
    /// absent optional fields as `-`).
    pub fn field(&self, field: Field) -> &'a [u8] {
        match field {
            Field::Timestamp => self.timestamp,
            Field::ClientIp => self.client_ip_text,
            Field::ClientPort => self.client_port_text,
            Field::ListenerPort => self.listener_port_text,
            Field::TlsProtocol => self.tls_protocol,
            Field::TlsCipher => self.tls_cipher,
            Field::TlsHandshakeLatency => self.tls_handshake_latency,
            Field::LeafClientCertSubject => self.subject.unwrap_or(b"-"),
            Field::LeafClientCertValidity => self.validity,
            Field::LeafClientCertSerialNumber => self.serial,
            Field::TlsVerifyStatus => self.status,
            Field::ConnTraceId => self.conn_trace_id.unwrap_or(b"-"),
            Field::TlsKeyexchange => self.tls_keyexchange.unwrap_or(b"-"),
            Field::Elb => self.elb.unwrap_or(b"-"),
            Field::IpAddress => self.ip_address.unwrap_or(b"-"),
        }
    }
}

/// Removes `\r\n` or `\n`.
pub fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether a line holds nothing but white space; such lines are skipped, not malformed.
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Undoes the backslash escaping of a quoted subject (`\"` → `"`, `\\` → `\`).
pub fn unescape_subject(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if memchr(b'\\', raw).is_none() {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match (b, bytes.as_slice().first()) {
            (b'\\', Some(&next @ (b'"' | b'\\'))) => {
                out.push(next);
                bytes.next();
            }
            _ => out.push(b),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Walks a line field by field. `pos` is where the next field starts; it is past the end
/// once the line is used up.
struct Cursor<'a, M: Simd> {
    simd: M,
    line: &'a [u8],
    pos: usize,
    spaces: Spaces<'a, M>,
}

impl<'a, M: Simd> Cursor<'a, M> {
    #[inline(always)]
    fn new(simd: M, line: &'a [u8]) -> Cursor<'a, M> {
        Cursor { simd, line, pos: 0, spaces: Spaces::new(simd, line) }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// The next space-delimited field.
    #[inline(always)]
    fn plain(&mut self, field: Field) -> Result<&'a [u8], ParseError> {
        if self.at_end() {
            return Err(not_a_record(field, Problem::Missing));
        }
        // Every space before `pos` has been handed out (or skipped) and none after it, so
        // the next space is this field's end.
        let end = self.spaces.next().unwrap_or(self.line.len());
        let value = &self.line[self.pos..end];
        if value.is_empty() {
            return Err(not_a_record(field, Problem::Empty));
        }
        self.pos = end + 1;
        Ok(value)
    }

    /// A trailing field that older generations do not write.
    #[inline(always)]
    fn optional(&mut self, field: Field) -> Result<Option<&'a [u8]>, ParseError> {
        if self.at_end() { Ok(None) } else { self.plain(field).map(Some) }
    }

    /// Field 8: `"…"` with `\"` escapes, or `"-"` / `-` for absent.
    #[inline(always)]
    fn subject(&mut self) -> Result<Option<&'a [u8]>, ParseError> {
        const FIELD: Field = Field::LeafClientCertSubject;
        let rest = self.line.get(self.pos..).unwrap_or_default();
        let Some(inner) = rest.strip_prefix(b"\"") else {
            let value = self.plain(FIELD)?;
            return if value == b"-" { Ok(None) } else { Err(not_a_record(FIELD, Problem::SubjectNotQuoted)) };
        };
        // A quote closes the subject unless an odd run of backslashes precedes it (`\"`
        // is an escaped quote, `\\"` an escaped backslash and then the closing quote).
        let mut from = 0;
        let close = loop {
            let Some(quote) = find_byte(self.simd, inner, from, b'"') else {
                return Err(not_a_record(FIELD, Problem::UnterminatedQuote));
            };
            let backslashes = inner[..quote].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                break quote;
            }
            from = quote + 1;
        };
        let value = &inner[..close];
        // The closing quote sits at `pos + 1 + close`; a space (or the line's end) must follow.
        let after = self.pos + close + 2;
        match self.line.get(after) {
            None => self.pos = after,
            Some(b' ') => self.pos = after + 1,
            Some(_) => return Err(not_a_record(FIELD, Problem::TextAfterQuote)),
        }
        self.spaces.skip_to(self.pos);
        Ok(if value == b"-" { None } else { Some(value) })
    }
}

/// A time written as a number since the epoch, its unit told by its size: seconds (up to
/// 11 digits before any fraction), milliseconds (up to 14) or microseconds.
fn parse_epoch(text: &[u8]) -> Option<Micros> {
    let (whole, fraction) = match memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if whole.is_empty() || whole.len() > 17 || !whole.iter().chain(fraction).all(u8::is_ascii_digit) {
        return None;
    }
    let whole_value: i64 = std::str::from_utf8(whole).ok()?.parse().ok()?;
    let scale: i64 = match whole.len() {
        0..=11 => 1_000_000,
        12..=14 => 1_000,
        _ => 1,
    };
    let mut micros = whole_value.checked_mul(scale)?;
    // Fraction digits down to the microsecond.
    let mut unit = scale / 10;
    for &digit in fraction {
        if unit == 0 {
            break;
        }
        micros += i64::from(digit - b'0') * unit;
        unit /= 10;
    }
    Some(micros)
}

/// A port: 1 to 5 digits, at most 65535. `text` starts at `start` in `line`.
#[inline(always)]
fn parse_port(line: &[u8], start: usize, text: &[u8], field: Field) -> Result<u16, ParseError> {
    let len = text.len();
    if !(1..=5).contains(&len) {
        return Err(not_a_record(field, Problem::NotAPort));
    }
    // Eight bytes from the field's start. A record has more fields after its ports, so
    // only a line cut short needs its port copied out first.
    let word = match line.get(start..start + 8) {
        Some(window) => u64::from_le_bytes(window.try_into().expect("8 bytes")),
        None => {
            let mut padded = [0; 8];
            padded[..len].copy_from_slice(text);
            u64::from_le_bytes(padded)
        }
    };
    top_digits_value(word << (64 - 8 * len), len as u32)
        .and_then(|value| u16::try_from(value).ok())
        .ok_or_else(|| not_a_record(field, Problem::NotAPort))
}

/// Every parse error is made here. Out of line and cold on purpose: a call to it marks
/// its branch unlikely, so the compiler lays the tokenizer out for good lines, as a
/// profile-guided build does.
#[cold]
#[inline(never)]
fn not_a_record(field: Field, problem: Problem) -> ParseError {
    ParseError { field, problem }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::FailureCode;

    const DOC_SUCCESS: &str = "2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 \"CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US\" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Success TID_3180a73013c8ca4bac2f731159d4b0fe";

    /// What a port field means, read a byte at a time.
    fn port_by_bytes(text: &[u8]) -> Option<u16> {
        if text.is_empty() || text.len() > 5 || !text.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(text).ok()?.parse().ok()
    }

    #[test]
    fn ports_read_as_a_word_agree_with_a_byte_by_byte_reading() {
        const ALPHABET: &[u8] = b"0159/: a";
        for len in 1..=6u32 {
            for n in 0..ALPHABET.len().pow(len) {
                let text: Vec<u8> = (0..len).map(|i| ALPHABET[n / ALPHABET.len().pow(i) % ALPHABET.len()]).collect();
                let expected = port_by_bytes(&text);
                // Alone, the field is copied out; inside a line, it is read in place.
                assert_eq!(parse_port(&text, 0, &text, Field::ClientPort).ok(), expected, "{text:?}");
                let line = [&b"1 "[..], &text, b" 443 TLSv1.3"].concat();
                assert_eq!(parse_port(&line, 2, &line[2..2 + text.len()], Field::ClientPort).ok(), expected, "{text:?}");
            }
        }
        for value in 0..100_000u32 {
            for text in [value.to_string(), format!("{value:05}")] {
                let read = parse_port(text.as_bytes(), 0, text.as_bytes(), Field::ListenerPort).ok();
                assert_eq!(read, u16::try_from(value).ok(), "{text}");
            }
        }
    }

    #[test]
    fn tokenizes_the_documented_example() {
        let r = Record::parse(DOC_SUCCESS.as_bytes()).unwrap();
        assert_eq!(r.client_ip, "203.0.113.1".parse::<IpAddr>().unwrap());
        assert_eq!((r.client_port, r.listener_port), (36280, 443));
        assert_eq!(r.subject, Some(&b"CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US"[..]));
        assert_eq!(r.serial, b"FEF257372D5C14D4");
        assert_eq!(r.verify_status(), VerifyStatus::Success);
        assert_eq!(r.conn_trace_id, Some(&b"TID_3180a73013c8ca4bac2f731159d4b0fe"[..]));
        assert_eq!(r.field_count(), 12);
        assert_eq!(r.field(Field::ListenerPort), b"443");
    }

    #[test]
    fn every_generation_and_extra_trailing_fields() {
        let eleven =
            "2024-04-05T18:31:29.268987Z 198.51.100.2 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=a b\" - - Failed:ClientCertExpired";
        let r = Record::parse(eleven.as_bytes()).unwrap();
        assert_eq!((r.field_count(), r.conn_trace_id), (11, None));
        assert_eq!(r.verify_status(), VerifyStatus::Failed(FailureCode::ClientCertExpired));
        let thirteen = format!("{eleven} TID_1 X25519MLKEM768");
        assert_eq!(Record::parse(thirteen.as_bytes()).unwrap().tls_keyexchange, Some(&b"X25519MLKEM768"[..]));
        let fifteen = format!("{thirteen} app/my-lb/50dc6c495c0c9188 10.0.0.1");
        let r = Record::parse(fifteen.as_bytes()).unwrap();
        assert_eq!((r.field_count(), r.elb, r.ip_address), (15, Some(&b"app/my-lb/50dc6c495c0c9188"[..]), Some(&b"10.0.0.1"[..])));
        let future = format!("{fifteen} - some-new-field\r\n");
        assert_eq!(Record::parse(future.as_bytes()).unwrap().ip_address, Some(&b"10.0.0.1"[..]));
    }

    #[test]
    fn quoted_subject_with_spaces_and_escaped_quotes() {
        let line = br#"2024-04-05T18:31:29.268987Z 203.0.113.7 5 443 TLSv1.3 X - "CN=x,O=\"Quoted\" Corp LLC,C=US" NotBefore=a;NotAfter=b 02 Failed:ClientCertExpired TID_1"#;
        let r = Record::parse(line).unwrap();
        assert_eq!(r.subject, Some(&br#"CN=x,O=\"Quoted\" Corp LLC,C=US"#[..]));
        assert_eq!(&*unescape_subject(r.subject.unwrap()), br#"CN=x,O="Quoted" Corp LLC,C=US"#);
        assert_eq!(r.serial, b"02");
        let trailing_backslash = br#"2024-04-05T18:31:29Z 203.0.113.7 5 443 - - - "CN=a\\" - - -"#;
        assert_eq!(Record::parse(trailing_backslash).unwrap().subject, Some(&br"CN=a\\"[..]));
    }

    #[test]
    fn absent_subject_quoted_or_bare_and_ipv6_clients() {
        let http = "2024-11-01T00:00:00.000001Z 2001:db8::1 80 80 - - - \"-\" - - - TID_aa";
        let r = Record::parse(http.as_bytes()).unwrap();
        assert_eq!((r.subject, r.verify_status()), (None, VerifyStatus::Absent));
        assert!(r.client_ip.is_ipv6());
        let bare = "2024-11-01T00:00:00Z [2001:db8::2] 80 80 - - - - - - -";
        let r = Record::parse(bare.as_bytes()).unwrap();
        assert_eq!(r.client_ip, "2001:db8::2".parse::<IpAddr>().unwrap());
        assert_eq!(r.field(Field::ClientIp), b"2001:db8::2");
    }

    #[test]
    fn errors_name_the_field_and_problem() {
        let cases: [(&[u8], Field, Problem); 8] = [
            (b"not-a-time 1.2.3.4 1 443 - - - \"-\" - - -", Field::Timestamp, Problem::NotATimestamp),
            (b"2024-11-01T00:00:00Z host 1 443 - - - \"-\" - - -", Field::ClientIp, Problem::NotAnIpAddress),
            (b"2024-11-01T00:00:00Z 1.2.3.4 99999 443 - - - \"-\" - - -", Field::ClientPort, Problem::NotAPort),
            (b"2024-11-01T00:00:00Z 1.2.3.4 1 443 - - - CN=x - - -", Field::LeafClientCertSubject, Problem::SubjectNotQuoted),
            (b"2024-11-01T00:00:00Z 1.2.3.4 1 443 - - - \"CN=x - - -", Field::LeafClientCertSubject, Problem::UnterminatedQuote),
            (b"2024-11-01T00:00:00Z 1.2.3.4 1 443 - - - \"CN=x\"y - - -", Field::LeafClientCertSubject, Problem::TextAfterQuote),
            (b"2024-11-01T00:00:00Z 1.2.3.4 1 443 - - - \"-\" - -", Field::TlsVerifyStatus, Problem::Missing),
            (b"2024-11-01T00:00:00Z 1.2.3.4 1 443 -  - \"-\" - - -", Field::TlsCipher, Problem::Empty),
        ];
        for (line, field, problem) in cases {
            assert_eq!(Record::parse(line), Err(ParseError { field, problem }), "{}", String::from_utf8_lossy(line));
        }
        let e = ParseError { field: Field::ClientPort, problem: Problem::NotAPort };
        assert_eq!(e.to_string(), "field 3 (client_port) is not a port number (0-65535)");
    }

    #[test]
    fn non_utf8_bytes_are_carried_not_rejected() {
        let line = b"2024-11-01T00:00:00Z 1.2.3.4 1 443 TLSv1.2 c 0.1 \"CN=\xff\xfe caf\xc3\xa9\" - 0A Success TID_1";
        assert_eq!(Record::parse(line).unwrap().subject, Some(&b"CN=\xff\xfe caf\xc3\xa9"[..]));
    }
}
