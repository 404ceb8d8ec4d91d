//! Rows of delimited values under a field list: the W3C and plain output formats of a
//! vended delivery.
//!
//! The field list comes from the file's `#Fields:` header, or from the user when a plain
//! delivery has none. Values are separated by one delimiter byte (tab unless the
//! delivery chose another); a value that starts with `"` runs to its closing quote, so
//! a subject may hold the delimiter when it is quoted as classic lines quote it.

use memchr::memchr;

use super::{Scratch, field_for_name, set_subject_plain};
use crate::record::{Field, ParseError, Problem, Record, trim_line_end};

/// Which field each column of a row holds (`None`: an undocumented field, ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldList {
    columns: Vec<Option<Field>>,
}

/// A field list the user typed that names something other than a connection-log field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldListError {
    #[error(
        "`{0}` is not a connection-log field; give the delivery's field names in order, comma-separated, e.g. \
         time,client_ip,client_port,listener_port,tls_verify_status"
    )]
    UnknownField(String),
    #[error("`{0}` is named twice in the field list")]
    Repeated(String),
    #[error("the field list is empty; give the delivery's field names in order, e.g. time,client_ip,tls_verify_status")]
    Empty,
}

impl FieldList {
    /// The list a user typed (`--vended-fields time,client_ip,…`): every name must be a
    /// documented field.
    pub fn parse(text: &str) -> Result<FieldList, FieldListError> {
        let mut columns = Vec::new();
        for name in text.split([',', ' ', '\t']).filter(|n| !n.is_empty()) {
            let field = field_for_name(name.as_bytes()).ok_or_else(|| FieldListError::UnknownField(name.to_owned()))?;
            if columns.contains(&Some(field)) {
                return Err(FieldListError::Repeated(name.to_owned()));
            }
            columns.push(Some(field));
        }
        if columns.is_empty() {
            return Err(FieldListError::Empty);
        }
        Ok(FieldList { columns })
    }

    /// The list a `#Fields:` header line gives, or `None` when `line` is no such header.
    /// Names are separated by white space, commas or the delimiter; undocumented names
    /// hold columns that are ignored.
    pub fn from_header(line: &[u8], delimiter: u8) -> Option<FieldList> {
        Some(FieldList { columns: header_names(line, delimiter)?.map(field_for_name).collect() })
    }

    /// The fields the list delivers.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.columns.iter().flatten().copied()
    }
}

/// The names a `#Fields:` header line gives, as written, or `None` when `line` is no
/// such header.
pub(super) fn header_names(line: &[u8], delimiter: u8) -> Option<impl Iterator<Item = &[u8]>> {
    let line = trim_line_end(line);
    let rest = line.get(..8).filter(|head| head.eq_ignore_ascii_case(b"#fields:")).map(|_| &line[8..])?;
    Some(rest.split(move |&b| b.is_ascii_whitespace() || b == b',' || b == delimiter).filter(|n| !n.is_empty()))
}

/// Reads one row under `fields` into a record. `delimiter` is the delivery's; `None`
/// takes a tab when the row has one and a space otherwise. A row with fewer values than
/// the list is refused (naming the first field it lacks); values past the list's end are
/// ignored and counted.
pub fn parse_delimited<'a>(
    line: &'a [u8],
    fields: &FieldList,
    delimiter: Option<u8>,
    scratch: &'a mut Scratch,
) -> Result<Record<'a>, ParseError> {
    let line = trim_line_end(line);
    scratch.clear();
    let delimiter = delimiter.unwrap_or(if memchr(b'\t', line).is_some() { b'\t' } else { b' ' });
    let mut pos = 0;
    let mut columns = fields.columns.iter();
    let mut column = columns.next();
    while let Some(field) = column {
        let (start, end, next, quoted) = next_value(line, pos, delimiter, field.unwrap_or(Field::Timestamp))?;
        match field {
            Some(Field::LeafClientCertSubject) if quoted => scratch.set_line(Field::LeafClientCertSubject, start, end),
            Some(Field::LeafClientCertSubject) => set_subject_plain(scratch, line, start, end),
            Some(field) => scratch.set_line(*field, start, end),
            None => scratch.ignored = scratch.ignored.saturating_add(1),
        }
        column = columns.next();
        match next {
            Some(next) => pos = next,
            None => {
                if let Some(lacking) = column {
                    let field = lacking.or_else(|| columns.clone().flatten().next().copied()).unwrap_or(Field::Timestamp);
                    return Err(ParseError { field, problem: Problem::Missing });
                }
                break;
            }
        }
        if column.is_none() {
            // Values beyond the list: counted, not read.
            let extra = line[pos..].iter().filter(|&&b| b == delimiter).count() + 1;
            scratch.ignored = scratch.ignored.saturating_add(extra.min(usize::from(u16::MAX)) as u16);
        }
    }
    scratch.record(line)
}

/// The value starting at `pos`: its bounds (inside the quotes when quoted), where the
/// next value starts (`None` at the end of the row), and whether it was quoted.
fn next_value(line: &[u8], pos: usize, delimiter: u8, field: Field) -> Result<(usize, usize, Option<usize>, bool), ParseError> {
    let rest = &line[pos.min(line.len())..];
    if rest.first() == Some(&b'"') {
        let inner = pos + 1;
        let mut from = inner;
        let close = loop {
            let Some(at) = memchr(b'"', &line[from..]) else {
                return Err(ParseError { field, problem: Problem::UnterminatedQuote });
            };
            let quote = from + at;
            let backslashes = line[inner..quote].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                break quote;
            }
            from = quote + 1;
        };
        return match line.get(close + 1) {
            None => Ok((inner, close, None, true)),
            Some(&b) if b == delimiter => Ok((inner, close, Some(close + 2), true)),
            Some(_) => Err(ParseError { field, problem: Problem::TextAfterQuote }),
        };
    }
    Ok(match memchr(delimiter, rest) {
        Some(at) => (pos, pos + at, Some(pos + at + 1), false),
        None => (pos, line.len(), None, false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FieldSet;

    const CLASSIC: &str = r#"2024-04-05T18:31:29.268987Z 203.0.113.7 5 8443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.004 "CN=c,O=\"Q\" Company LLC" NotBefore=a;NotAfter=b 02 Failed:ClientCertExpired TID_1"#;

    fn every_field_but_the_last_three() -> FieldList {
        FieldList::from_header(
            b"#Fields: time client_ip client_port listener_port tls_protocol tls_cipher tls_handshake_latency leaf_client_cert_subject leaf_client_cert_validity leaf_client_cert_serial_number tls_verify_status conn_trace_id\n",
            b'\t',
        )
        .unwrap()
    }

    #[test]
    fn a_w3c_row_reads_as_the_same_classic_line() {
        let classic = Record::parse(CLASSIC.as_bytes()).unwrap();
        let fields = every_field_but_the_last_three();
        let tabbed = "2024-04-05T18:31:29.268987Z\t203.0.113.7\t5\t8443\tTLSv1.3\tTLS_AES_128_GCM_SHA256\t0.004\tCN=c,O=\"Q\" Company LLC\tNotBefore=a;NotAfter=b\t02\tFailed:ClientCertExpired\tTID_1";
        let mut scratch = Scratch::new();
        for row in [tabbed, CLASSIC] {
            let r = parse_delimited(row.as_bytes(), &fields, None, &mut scratch).unwrap();
            for field in Field::ALL {
                assert_eq!(r.field(field), classic.field(field), "{field} in {row}");
            }
            assert_eq!(r.field_count(), 12);
            assert_eq!(r.line, row.as_bytes());
        }
    }

    #[test]
    fn a_subset_in_another_order_with_undocumented_columns() {
        let fields = FieldList::from_header(b"#Fields: tls_verify_status x-extra time client_ip", b'|').unwrap();
        let mut scratch = Scratch::new();
        let r = parse_delimited(b"Success|zzz|2024-04-05T18:31:29Z|1.2.3.4|more|more", &fields, Some(b'|'), &mut scratch).unwrap();
        assert_eq!((r.status, r.client_ip.to_string(), r.ignored_fields), (&b"Success"[..], "1.2.3.4".to_owned(), 3));
        assert!(r.missing.contains(Field::LeafClientCertSubject) && r.subject.is_none());
        assert_eq!(r.missing.intersection(FieldSet::CLASSIC_CORE).iter().count(), 8);
        let typed = FieldList::parse("TIME, client_ip,tls_verify_status").unwrap();
        let r = parse_delimited(b"2024-04-05T18:31:29Z,1.2.3.4,-", &typed, Some(b','), &mut scratch).unwrap();
        assert_eq!(r.status, b"-");
    }

    #[test]
    fn short_rows_and_bad_lists_are_explained() {
        let fields = every_field_but_the_last_three();
        let mut scratch = Scratch::new();
        let short = b"2024-04-05T18:31:29Z\t1.2.3.4\t5";
        assert_eq!(
            parse_delimited(short, &fields, None, &mut scratch).unwrap_err(),
            ParseError { field: Field::ListenerPort, problem: Problem::Missing }
        );
        let unterminated = b"2024-04-05T18:31:29Z\t1.2.3.4\t5\t443\t-\t-\t-\t\"CN=x";
        assert_eq!(parse_delimited(unterminated, &fields, None, &mut scratch).unwrap_err().problem, Problem::UnterminatedQuote);
        assert_eq!(FieldList::parse("time,nope"), Err(FieldListError::UnknownField("nope".into())));
        assert_eq!(FieldList::parse("time,TIMESTAMP"), Err(FieldListError::Repeated("TIMESTAMP".into())));
        assert_eq!(FieldList::parse(" , "), Err(FieldListError::Empty));
        assert_eq!(FieldList::from_header(b"#Version: 1.0", b'\t'), None);
    }
}
