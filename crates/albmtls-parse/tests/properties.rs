//! Properties of the tokenizer over arbitrary input.

use albmtls_parse::{Record, unescape_subject};
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
}
