//! One JSON object per line, the JSON output format of a vended delivery.
//!
//! A small reader for flat objects rather than a general JSON parser: the values a record
//! needs are strings or numbers at the top level, and most of them are copied nowhere
//! (they are slices of the line). Values of undocumented keys may be anything, nested
//! included; they are skipped and counted.

use memchr::memchr2;

use super::{Scratch, escape_subject_into};
use crate::record::{Field, ParseError, Problem, Record, trim_line_end};

/// Reads one line of a JSON delivery into a record; `scratch` holds what had to be
/// decoded, so the record borrows from both.
pub fn parse_json<'a>(line: &'a [u8], scratch: &'a mut Scratch) -> Result<Record<'a>, ParseError> {
    let line = trim_line_end(line);
    scratch.clear();
    read_object(line, scratch)?;
    scratch.record(line)
}

fn not_an_object() -> ParseError {
    ParseError { field: Field::Timestamp, problem: Problem::NotAnObject }
}

fn wrong_type(field: Field) -> ParseError {
    ParseError { field, problem: Problem::WrongType }
}

fn skip_ws(line: &[u8], mut pos: usize) -> usize {
    while line.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// A string's inner bytes end at the returned position (the closing quote); `escaped`
/// says whether a backslash occurs inside. `pos` is just past the opening quote.
fn string_end(line: &[u8], mut pos: usize) -> Result<(usize, bool), ParseError> {
    let mut escaped = false;
    loop {
        let rest = line.get(pos..).ok_or_else(not_an_object)?;
        let at = memchr2(b'"', b'\\', rest).ok_or_else(not_an_object)?;
        pos += at;
        if line[pos] == b'"' {
            return Ok((pos, escaped));
        }
        escaped = true;
        // A backslash and the byte it escapes.
        pos += 2;
    }
}

fn read_object(line: &[u8], scratch: &mut Scratch) -> Result<(), ParseError> {
    let mut pos = skip_ws(line, 0);
    if line.get(pos) != Some(&b'{') {
        return Err(not_an_object());
    }
    pos = skip_ws(line, pos + 1);
    if line.get(pos) == Some(&b'}') {
        return finish(line, pos + 1);
    }
    let mut key_index = 0;
    loop {
        if line.get(pos) != Some(&b'"') {
            return Err(not_an_object());
        }
        let (key_end, key_escaped) = string_end(line, pos + 1)?;
        // A key with escapes in it is no documented name.
        let field = if key_escaped { None } else { scratch.field_for_key(key_index, &line[pos + 1..key_end]) };
        pos = skip_ws(line, key_end + 1);
        if line.get(pos) != Some(&b':') {
            return Err(not_an_object());
        }
        pos = skip_ws(line, pos + 1);
        pos = match field {
            Some(field) => read_value(line, pos, field, scratch)?,
            None => {
                scratch.ignored = scratch.ignored.saturating_add(1);
                skip_value(line, pos, 0)?
            }
        };
        pos = skip_ws(line, pos);
        match line.get(pos) {
            Some(b',') => pos = skip_ws(line, pos + 1),
            Some(b'}') => return finish(line, pos + 1),
            _ => return Err(not_an_object()),
        }
        key_index += 1;
    }
}

/// Hands each top-level key of the object `line` starts with to `on_key`, in order,
/// until the object ends or stops being well formed (a line cut short still gives the
/// keys before the cut). Keys with escapes in them are no documented name and are left out.
pub(super) fn top_level_keys<'a>(line: &'a [u8], mut on_key: impl FnMut(&'a [u8])) {
    let mut pos = skip_ws(line, 0);
    if line.get(pos) != Some(&b'{') {
        return;
    }
    pos = skip_ws(line, pos + 1);
    while line.get(pos) == Some(&b'"') {
        let Ok((key_end, key_escaped)) = string_end(line, pos + 1) else { return };
        if !key_escaped {
            on_key(&line[pos + 1..key_end]);
        }
        pos = skip_ws(line, key_end + 1);
        if line.get(pos) != Some(&b':') {
            return;
        }
        let Ok(end) = skip_value(line, skip_ws(line, pos + 1), 0) else { return };
        pos = skip_ws(line, end);
        if line.get(pos) != Some(&b',') {
            return;
        }
        pos = skip_ws(line, pos + 1);
    }
}

/// Only white space may follow the object.
fn finish(line: &[u8], pos: usize) -> Result<(), ParseError> {
    if skip_ws(line, pos) == line.len() { Ok(()) } else { Err(not_an_object()) }
}

/// A documented field's value: a string, a number or `null` (absent, as `-`).
fn read_value(line: &[u8], pos: usize, field: Field, scratch: &mut Scratch) -> Result<usize, ParseError> {
    match line.get(pos) {
        Some(b'"') => {
            let (end, escaped) = string_end(line, pos + 1)?;
            let raw = &line[pos + 1..end];
            if field == Field::LeafClientCertSubject {
                // JSON escapes `"` and `\` as the classic subject does, so a subject with
                // only those escapes is already in the classic form.
                if !escaped || only_quote_escapes(raw) {
                    scratch.set_line(field, pos + 1, end);
                } else {
                    let decoded = unescape(raw)?;
                    scratch.set_own(field, |out| escape_subject_into(&decoded, out));
                }
            } else if escaped {
                let decoded = unescape(raw)?;
                scratch.set_own(field, |out| out.extend_from_slice(&decoded));
            } else {
                scratch.set_line(field, pos + 1, end);
            }
            Ok(end + 1)
        }
        Some(b'-' | b'0'..=b'9') => {
            let len = line[pos..].iter().take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')).count();
            scratch.set_line(field, pos, pos + len);
            Ok(pos + len)
        }
        Some(b'n') if line[pos..].starts_with(b"null") => {
            scratch.set_own(field, |out| out.push(b'-'));
            Ok(pos + 4)
        }
        Some(b't' | b'f' | b'{' | b'[') => {
            // Still a JSON object only if the value is well formed.
            skip_value(line, pos, 0)?;
            Err(wrong_type(field))
        }
        _ => Err(not_an_object()),
    }
}

/// How deep values may nest inside a vended line's object: deep enough for any real value;
/// deeper nesting is refused rather than recursed into.
pub const MAX_JSON_DEPTH: usize = 64;

/// Skips any JSON value, returning the position after it.
fn skip_value(line: &[u8], pos: usize, depth: usize) -> Result<usize, ParseError> {
    if depth >= MAX_JSON_DEPTH {
        return Err(ParseError { field: Field::Timestamp, problem: Problem::NestedTooDeep });
    }
    match line.get(pos) {
        Some(b'"') => Ok(string_end(line, pos + 1)?.0 + 1),
        Some(&open @ (b'{' | b'[')) => {
            let close = if open == b'{' { b'}' } else { b']' };
            let mut pos = skip_ws(line, pos + 1);
            if line.get(pos) == Some(&close) {
                return Ok(pos + 1);
            }
            loop {
                if open == b'{' {
                    if line.get(pos) != Some(&b'"') {
                        return Err(not_an_object());
                    }
                    pos = skip_ws(line, string_end(line, pos + 1)?.0 + 1);
                    if line.get(pos) != Some(&b':') {
                        return Err(not_an_object());
                    }
                    pos = skip_ws(line, pos + 1);
                }
                pos = skip_ws(line, skip_value(line, pos, depth + 1)?);
                match line.get(pos) {
                    Some(b',') => pos = skip_ws(line, pos + 1),
                    Some(&b) if b == close => return Ok(pos + 1),
                    _ => return Err(not_an_object()),
                }
            }
        }
        Some(b'-' | b'0'..=b'9') => {
            Ok(pos + line[pos..].iter().take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')).count())
        }
        _ => {
            for literal in [&b"true"[..], b"false", b"null"] {
                if line[pos.min(line.len())..].starts_with(literal) {
                    return Ok(pos + literal.len());
                }
            }
            Err(not_an_object())
        }
    }
}

fn only_quote_escapes(raw: &[u8]) -> bool {
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        if b == b'\\' && !matches!(bytes.next(), Some(b'"' | b'\\')) {
            return false;
        }
    }
    true
}

/// Decodes a JSON string's escapes (`\uXXXX` with surrogate pairs included).
fn unescape(raw: &[u8]) -> Result<Vec<u8>, ParseError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let escape = *raw.get(i + 1).ok_or_else(not_an_object)?;
        i += 2;
        let simple = match escape {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let high = hex4(raw, i)?;
                i += 4;
                let code = if (0xd800..0xdc00).contains(&high) && raw.get(i..i + 2) == Some(b"\\u") {
                    let low = hex4(raw, i + 2)?;
                    if (0xdc00..0xe000).contains(&low) {
                        i += 6;
                        0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                    } else {
                        high
                    }
                } else {
                    high
                };
                let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
            _ => return Err(not_an_object()),
        };
        out.push(simple);
    }
    Ok(out)
}

fn hex4(raw: &[u8], at: usize) -> Result<u32, ParseError> {
    let digits = raw.get(at..at + 4).ok_or_else(not_an_object)?;
    let text = std::str::from_utf8(digits).map_err(|_| not_an_object())?;
    u32::from_str_radix(text, 16).map_err(|_| not_an_object())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FieldSet;
    use crate::status::{FailureCode, VerifyStatus};

    const CLASSIC: &str = r#"2024-04-05T18:31:29.268987Z 203.0.113.7 5 8443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.004 "CN=c,O=\"Q\" Company LLC" NotBefore=a;NotAfter=b 02 Failed:ClientCertExpired TID_1"#;
    const JSON: &str = r#"{"time":"2024-04-05T18:31:29.268987Z","client_ip":"203.0.113.7","client_port":5,"listener_port":"8443","tls_protocol":"TLSv1.3","tls_cipher":"TLS_AES_128_GCM_SHA256","tls_handshake_latency":"0.004","leaf_client_cert_subject":"CN=c,O=\"Q\" Company LLC","leaf_client_cert_validity":"NotBefore=a;NotAfter=b","leaf_client_cert_serial_number":"02","tls_verify_status":"Failed:ClientCertExpired","conn_trace_id":"TID_1"}"#;

    #[test]
    fn a_json_record_reads_as_the_same_classic_line() {
        let classic = Record::parse(CLASSIC.as_bytes()).unwrap();
        let mut scratch = Scratch::new();
        let json = parse_json(JSON.as_bytes(), &mut scratch).unwrap();
        for field in Field::ALL {
            assert_eq!(json.field(field), classic.field(field), "{field}");
        }
        assert_eq!((json.time, json.client_ip, json.client_port, json.listener_port), (classic.time, classic.client_ip, 5, 8443));
        assert_eq!(json.field_count(), 12);
        assert_eq!(json.verify_status(), VerifyStatus::Failed(FailureCode::ClientCertExpired));
        assert_eq!(json.line, JSON.as_bytes());
        assert_eq!(json.missing, FieldSet::EMPTY.with(Field::TlsKeyexchange).with(Field::Elb).with(Field::IpAddress));
    }

    /// Keys are remembered by position from line to line: lines whose keys move, change
    /// or disappear must still read each value under its own name.
    #[test]
    fn one_reader_over_lines_whose_keys_change_place_reads_every_key_by_its_name() {
        let mut scratch = Scratch::new();
        let lines = [
            r#"{"time":"2024-04-05T18:31:29Z","client_ip":"192.0.2.1","tls_verify_status":"Success"}"#,
            r#"{"client_ip":"192.0.2.2","time":"2024-04-05T18:31:30Z","tls_verify_status":"Failed:ClientCertExpired"}"#,
            r#"{"extra":1,"tls_verify_status":"Success","TIME":"2024-04-05T18:31:31Z","client_ip":"192.0.2.3"}"#,
            r#"{"time":"2024-04-05T18:31:32Z","client_ip":"192.0.2.4"}"#,
        ];
        let read: Vec<(i64, String, Vec<u8>, u16, FieldSet)> = lines
            .iter()
            .map(|line| {
                let r = parse_json(line.as_bytes(), &mut scratch).unwrap();
                (r.time, r.client_ip.to_string(), r.status.to_vec(), r.ignored_fields, r.missing)
            })
            .collect();
        // Every field but the three the lines give.
        let unsent = Field::ALL
            .into_iter()
            .filter(|f| !matches!(f, Field::Timestamp | Field::ClientIp | Field::TlsVerifyStatus))
            .fold(FieldSet::EMPTY, FieldSet::with);
        assert_eq!(read[0].1, "192.0.2.1");
        assert_eq!((read[1].1.as_str(), read[1].2.as_slice()), ("192.0.2.2", &b"Failed:ClientCertExpired"[..]));
        assert_eq!((read[2].1.as_str(), read[2].2.as_slice(), read[2].3), ("192.0.2.3", &b"Success"[..], 1));
        for (i, r) in read.iter().enumerate() {
            assert_eq!(r.0 - read[0].0, i as i64 * 1_000_000, "line {i}");
        }
        for r in &read[..3] {
            assert_eq!(r.4, unsent);
        }
        assert_eq!((read[3].1.as_str(), read[3].4), ("192.0.2.4", unsent.with(Field::TlsVerifyStatus)));
    }

    #[test]
    fn names_in_any_case_unknown_keys_counted_and_escapes_decoded() {
        let line = br#"{ "TIMESTAMP" : 1712341889.268987 , "Client_IP":"2001:db8::1", "extra": {"a":[1,{"b":"}"}]}, "tls_verify_status":"Success", "leaf_client_cert_subject":"CN=caf\u00e9 \/ x", "tls_cipher": null, "other": true}"#;
        let mut scratch = Scratch::new();
        let r = parse_json(line, &mut scratch).unwrap();
        assert_eq!(r.time, Record::parse(CLASSIC.as_bytes()).unwrap().time);
        assert_eq!(r.client_ip.to_string(), "2001:db8::1");
        assert_eq!(r.subject, Some("CN=café / x".as_bytes()));
        assert_eq!((r.tls_cipher, r.ignored_fields), (&b"-"[..], 2));
        assert!(r.missing.contains(Field::LeafClientCertSerialNumber) && !r.missing.contains(Field::TlsCipher));
        let quoted = br#"{"time":"2024-04-05T18:31:29Z","leaf_client_cert_subject":"CN=\"q\\\u0041"}"#;
        assert_eq!(parse_json(quoted, &mut scratch).unwrap().subject, Some(&br#"CN=\"q\\A"#[..]));
    }

    #[test]
    fn lines_that_are_not_objects_or_values_of_the_wrong_type_are_refused() {
        let mut scratch = Scratch::new();
        let not_object = ParseError { field: Field::Timestamp, problem: Problem::NotAnObject };
        for line in [&b"[1,2]"[..], b"\"text\"", b"{\"time\":\"x\"", b"{\"time\" 1}", b"{} trailing", b"{\"a\":tru}", b"{\"time\":\"\\q\"}"]
        {
            assert_eq!(parse_json(line, &mut scratch).unwrap_err(), not_object, "{}", String::from_utf8_lossy(line));
        }
        let line = br#"{"time":"2024-04-05T18:31:29Z","client_port":{"n":1}}"#;
        assert_eq!(parse_json(line, &mut scratch).unwrap_err(), ParseError { field: Field::ClientPort, problem: Problem::WrongType });
        let line = br#"{"time":"2024-04-05T18:31:29Z","client_port":"99999"}"#;
        assert_eq!(parse_json(line, &mut scratch).unwrap_err().problem, Problem::NotAPort);
        let line = br#"{"client_ip":"1.2.3.4"}"#;
        assert_eq!(parse_json(line, &mut scratch).unwrap_err(), ParseError { field: Field::Timestamp, problem: Problem::Missing });
        assert_eq!(not_object.to_string(), "the line is not a JSON object (each line of a JSON delivery must be one {...} object)");
    }

    #[test]
    fn nesting_past_the_depth_limit_is_refused_by_name_and_up_to_it_is_read() {
        let mut scratch = Scratch::new();
        let nested = |depth: usize| format!("{{\"time\":\"2024-04-05T18:31:29Z\",\"x\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse_json(nested(MAX_JSON_DEPTH).as_bytes(), &mut scratch).is_ok());
        let err = parse_json(nested(MAX_JSON_DEPTH + 1).as_bytes(), &mut scratch).unwrap_err();
        assert_eq!(err, ParseError { field: Field::Timestamp, problem: Problem::NestedTooDeep });
        assert!(err.to_string().contains("more than 64 levels"), "{err}");
        assert!(parse_json(nested(100_000).as_bytes(), &mut scratch).is_err(), "no stack overflow");
    }
}
