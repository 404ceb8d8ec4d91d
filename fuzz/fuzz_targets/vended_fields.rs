//! Any bytes as a W3C or plain field-list file: the first line as its `#Fields:` header
//! (or a fixed list when it is none), every other line as a row under it, with a tab, a
//! space or the byte the input starts with as the delimiter. Records or errors, never a
//! panic; the format sniffer judges any bytes.
#![no_main]

use albmtls_parse::vended::{FieldList, Format, Scratch, parse_delimited};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Format::sniff(data, true);
    let _ = Format::sniff(data, false);
    let Some((&first, rest)) = data.split_first() else { return };
    let delimiter = match first % 3 {
        0 => None,
        1 => Some(b' '),
        _ => Some(first),
    };
    let mut lines = rest.split(|&b| b == b'\n');
    let header = lines.next().unwrap_or_default();
    let fields = FieldList::from_header(header, delimiter.unwrap_or(b'\t')).unwrap_or_else(|| {
        FieldList::parse("time,client_ip,client_port,leaf_client_cert_subject,tls_verify_status").expect("a valid list")
    });
    let mut scratch = Scratch::new();
    for line in lines {
        if let Ok(record) = parse_delimited(line, &fields, delimiter, &mut scratch) {
            assert!((11..=15).contains(&record.field_count()));
            assert_eq!(record.line, line.strip_suffix(b"\r").unwrap_or(line));
        }
    }
});
