//! Properties of the tokenizer and the line splitter over arbitrary input.

use albmtls_parse::simd::Baseline;
#[cfg(target_arch = "x86_64")]
use albmtls_parse::simd::{Avx2, Avx512};
use albmtls_parse::{Field, ParseError, Problem, Record, lines, unescape_subject};
use proptest::prelude::*;

fn escape(subject: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in subject {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Record::parse(&bytes);
    }

    #[test]
    fn never_panics_on_mutated_valid_lines(pos in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
        let mut line = br#"2024-04-05T18:31:29.268987Z 203.0.113.7 5 443 TLSv1.3 X - "CN=x,O=\"Q\" C" NotBefore=a;NotAfter=b 02 Failed:ClientCertExpired TID_1 x25519 app/a/b 10.0.0.1"#.to_vec();
        let pos = pos % line.len();
        line[pos] = byte;
        line.truncate(cut.max(pos));
        let _ = Record::parse(&line);
    }

    #[test]
    fn client_addresses_parse_like_std(a in any::<u8>(), b in any::<u8>(), c in any::<u8>(), d in any::<u8>(), v6 in any::<u128>()) {
        for ip in [std::net::IpAddr::from([a, b, c, d]), std::net::IpAddr::from(v6.to_be_bytes())] {
            let line = format!("2024-04-05T18:31:29.268987Z {ip} 5 443 - - - \"-\" - - -");
            prop_assert_eq!(Record::parse(line.as_bytes()).unwrap().client_ip, ip);
        }
    }

    #[test]
    fn any_subject_round_trips_through_quoting(
        subject in proptest::collection::vec(any::<u8>().prop_filter("no line breaks", |b| *b != b'\n' && *b != b'\r'), 1..120),
        status in "(Success|-|Failed:[A-Za-z]{1,30})",
        extra in 0usize..5,
    ) {
        prop_assume!(subject != b"-");
        let mut line = b"2024-04-05T18:31:29.268987Z 203.0.113.7 5 443 TLSv1.3 X - \"".to_vec();
        line.extend_from_slice(&escape(&subject));
        line.extend_from_slice(b"\" - 0A ");
        line.extend_from_slice(status.as_bytes());
        for field in ["TID_1", "x25519", "app/a/b", "10.0.0.1", "-"].iter().take(extra) {
            line.push(b' ');
            line.extend_from_slice(field.as_bytes());
        }
        let record = Record::parse(&line).unwrap();
        prop_assert_eq!(&*unescape_subject(record.subject.unwrap()), &subject[..]);
        prop_assert_eq!(record.status, status.as_bytes());
        prop_assert_eq!(record.field_count(), 11 + extra.min(4));
    }

    #[test]
    fn every_simd_kind_parses_like_the_baseline(line in line_like(), cut in 0usize..400) {
        let line = &line[..cut.min(line.len())];
        let baseline = Record::parse(line);
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(avx2) = Avx2::detect() {
                prop_assert_eq!(Record::parse_with(avx2, line), baseline);
            }
            if let Some(avx512) = Avx512::detect() {
                prop_assert_eq!(Record::parse_with(avx512, line), baseline);
            }
        }
    }

    #[test]
    fn every_simd_kind_cuts_lines_like_split_inclusive(
        bytes in proptest::collection::vec(prop_oneof![8 => any::<u8>(), 1 => Just(b'\n')], 0..1500),
        skip in 0usize..70,
    ) {
        let block = &bytes[skip.min(bytes.len())..];
        let expected: Vec<&[u8]> = block.split_inclusive(|&b| b == b'\n').collect();
        prop_assert_eq!(lines(Baseline, block).collect::<Vec<_>>(), expected.clone());
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(avx2) = Avx2::detect() {
                prop_assert_eq!(lines(avx2, block).collect::<Vec<_>>(), expected.clone());
            }
            if let Some(avx512) = Avx512::detect() {
                prop_assert_eq!(lines(avx512, block).collect::<Vec<_>>(), expected);
            }
        }
    }

    #[test]
    fn fields_match_a_byte_by_byte_split(line in line_like(), cut in 0usize..400) {
        let line = &line[..cut.min(line.len())];
        match (Record::parse(line), split_by_bytes(line)) {
            (Ok(record), Ok(fields)) => {
                for (i, field) in Field::ALL.iter().enumerate() {
                    let expected = fields.get(i).copied().unwrap_or(b"-");
                    prop_assert_eq!(record.field(*field), expected, "{}", field);
                }
            }
            // Value checks (time, address, port) may refuse a line the split accepts,
            // but never at a field after the first structural problem.
            (Err(error), Ok(_)) => prop_assert!(matches!(error.problem, Problem::NotATimestamp | Problem::NotAnIpAddress | Problem::NotAPort)),
            (Err(error), Err(structural)) => prop_assert!(error == structural || error.field < structural.field, "{} vs {}", error, structural),
            (Ok(_), Err(structural)) => prop_assert!(false, "accepted a line with {}", structural),
        }
    }
}

/// Lines built from connection-log-like pieces, with doubled spaces, stray quotes and
/// backslashes, and lengths that cross the tokenizer's 64-byte blocks.
fn line_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"2024-04-05T18:31:29.268987Z".to_vec()),
        Just(b"203.0.113.7".to_vec()),
        Just(b"[2001:db8::1]".to_vec()),
        Just(b"443".to_vec()),
        Just(b"-".to_vec()),
        Just(b"\"-\"".to_vec()),
        Just(b"".to_vec()),
        "\"[ a-zA-Z=,\\\\\"]{0,90}\"".prop_map(String::into_bytes),
        "[A-Za-z0-9:;=_.\\\\\"-]{1,70}".prop_map(String::into_bytes),
    ];
    let valid_start = Just(b"2024-04-05T18:31:29.268987Z 203.0.113.7 5 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.012".to_vec());
    let start = prop_oneof![4 => valid_start, 1 => Just(Vec::new())];
    let subject = prop_oneof![Just(b"-".to_vec()), Just(b"\"-\"".to_vec()), "\"[ a-zA-Z=,\\\\\"]{0,90}\"".prop_map(String::into_bytes)];
    let plain = "[A-Za-z0-9:;=_.-]{1,40}".prop_map(String::into_bytes);
    let record_tail = (subject, proptest::collection::vec(plain, 3..10)).prop_map(|(subject, rest)| [vec![subject], rest].concat());
    let tail = prop_oneof![2 => record_tail, 1 => proptest::collection::vec(token, 0..18)];
    (start, tail).prop_map(|(start, tokens)| {
        let rest = tokens.join(&b' ');
        if start.is_empty() { rest } else { [start, rest].join(&b' ') }
    })
}

/// The obvious tokenizer: walk the line byte by byte. Returns the fields as written (the
/// subject without its quotes) or the first structural problem.
fn split_by_bytes(line: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    let mut fields = Vec::new();
    let mut pos = 0;
    for (i, &field) in Field::ALL.iter().enumerate() {
        let error = |problem| Err(ParseError { field, problem });
        if pos >= line.len() {
            return if i >= 11 { Ok(fields) } else { error(Problem::Missing) };
        }
        if field == Field::LeafClientCertSubject && line[pos] == b'"' {
            let mut at = pos + 1;
            loop {
                match line.get(at) {
                    None => return error(Problem::UnterminatedQuote),
                    Some(b'\\') => at += 2,
                    Some(b'"') => break,
                    Some(_) => at += 1,
                }
            }
            if at > line.len() {
                return error(Problem::UnterminatedQuote);
            }
            let value = &line[pos + 1..at];
            match line.get(at + 1) {
                None | Some(b' ') => pos = at + 2,
                Some(_) => return error(Problem::TextAfterQuote),
            }
            fields.push(if value.is_empty() { &b""[..] } else { value });
            continue;
        }
        let end = line[pos..].iter().position(|&b| b == b' ').map_or(line.len(), |i| pos + i);
        let value = &line[pos..end];
        if value.is_empty() {
            return error(Problem::Empty);
        }
        if field == Field::LeafClientCertSubject && value != b"-" {
            return error(Problem::SubjectNotQuoted);
        }
        fields.push(value);
        pos = end + 1;
    }
    Ok(fields)
}
