//! Real Parquet files, written with the `parquet` crate, read back into records.

use albmtls_parquet::{Column, ColumnType, ParquetSource, ReadError, RowLines, read_records, write_rows};
use albmtls_parse::{Field, FieldSet, ParseError, Problem, Record};

const LINES: [&str; 3] = [
    r#"2024-04-05T18:31:29.268987Z 203.0.113.7 5 8443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.004 "CN=c,O=\"Q\" Company LLC" NotBefore=a;NotAfter=b 02 Failed:ClientCertExpired TID_1 X25519MLKEM768 app/lb/1 10.0.0.1"#,
    r#"2024-04-05T18:31:30.000001Z 2001:db8::1 6 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 0.010 "-" - - - TID_2 - app/lb/1 10.0.0.2"#,
    r#"2024-04-05T18:32:00.5Z 198.51.100.9 7 443 TLSv1.3 TLS_AES_256_GCM_SHA384 0.002 "CN=ok" NotBefore=a;NotAfter=b 0A Success TID_3 secp256r1 app/lb/1 10.0.0.3"#,
];

fn kind(field: Field) -> ColumnType {
    match field {
        Field::Timestamp => ColumnType::TimestampMicros,
        Field::ClientPort | Field::ListenerPort => ColumnType::Int32,
        _ => ColumnType::Text,
    }
}

/// The lines as a Parquet file with one column per field in `fields`, in that order.
fn parquet_of(fields: &[Field], row_group_rows: usize) -> Vec<u8> {
    let columns: Vec<Column> = fields
        .iter()
        .map(|&f| Column { name: if f == Field::Timestamp { "time".into() } else { f.name().into() }, kind: kind(f) })
        .collect();
    let rows: Vec<Vec<Option<String>>> = LINES
        .iter()
        .map(|line| {
            let r = Record::parse(line.as_bytes()).unwrap();
            fields
                .iter()
                .map(|&f| {
                    let value = match f {
                        Field::LeafClientCertSubject => {
                            r.subject.map(|s| albmtls_parse::unescape_subject(s).into_owned()).unwrap_or(b"-".to_vec())
                        }
                        _ => r.field(f).to_vec(),
                    };
                    Some(String::from_utf8(value).unwrap())
                })
                .collect()
        })
        .collect();
    write_rows(&columns, &rows, row_group_rows).unwrap()
}

/// Every row as (row number, classic-shaped line, each field's text, missing fields).
type Row = (u64, String, Vec<Vec<u8>>, FieldSet);

/// What reading a file gave: the outcome, the good rows, the bad rows with their number.
type Read = (Result<u64, ReadError>, Vec<Row>, Vec<(u64, ParseError)>);

fn read(bytes: Vec<u8>, wanted: FieldSet) -> Read {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let result = read_records(ParquetSource::Bytes(bytes.into()), wanted, RowLines::Every, |n, line, record| {
        match record {
            Ok(r) => rows.push((
                n,
                String::from_utf8_lossy(line).into_owned(),
                Field::ALL.iter().map(|&f| r.field(f).to_vec()).collect(),
                r.missing,
            )),
            Err(e) => bad.push((n, e)),
        }
        Ok(())
    });
    (result, rows, bad)
}

#[test]
fn every_field_reads_back_as_the_classic_line_across_row_groups() {
    let mut shuffled = Field::ALL.to_vec();
    shuffled.reverse();
    let (result, rows, bad) = read(parquet_of(&shuffled, 2), FieldSet::ALL);
    assert_eq!((result.unwrap(), bad.len()), (3, 0));
    for ((n, line, fields, missing), classic) in rows.iter().zip(LINES) {
        let expected = Record::parse(classic.as_bytes()).unwrap();
        let parsed = Record::parse(line.as_bytes()).unwrap();
        for (i, field) in Field::ALL.into_iter().enumerate() {
            // Times come back in ALB's six-digit layout.
            if field != Field::Timestamp {
                assert_eq!(fields[i], expected.field(field), "row {n} {field}");
                assert_eq!(parsed.field(field), expected.field(field), "row {n} {field}");
            }
        }
        assert_eq!(parsed.time, expected.time);
        assert_eq!(*missing, FieldSet::EMPTY);
    }
    assert_eq!(rows[2].1.split(' ').next(), Some("2024-04-05T18:32:00.500000Z"));
}

#[test]
fn only_wanted_columns_are_decoded_and_a_subset_delivery_says_what_it_lacks() {
    let wanted: FieldSet = [Field::Timestamp, Field::TlsVerifyStatus].into_iter().collect();
    let (result, rows, _) = read(parquet_of(&Field::ALL, 10), wanted);
    assert_eq!(result.unwrap(), 3);
    let (_, line, fields, missing) = &rows[0];
    assert_eq!(line, "2024-04-05T18:31:29.268987Z Failed:ClientCertExpired");
    // Delivered but not wanted: `-`, and not reported as lacking.
    assert_eq!(fields[Field::LeafClientCertSubject as usize].as_slice(), b"-");
    assert!(!missing.contains(Field::LeafClientCertSubject) && !missing.contains(Field::Elb));
    let subset = [Field::Timestamp, Field::ClientIp, Field::TlsVerifyStatus];
    let (result, rows, bad) = read(parquet_of(&subset, 10), FieldSet::ALL);
    assert_eq!((result.unwrap(), bad), (3, vec![]));
    let missing = rows[0].3;
    assert!(missing.contains(Field::LeafClientCertSubject) && !missing.contains(Field::ClientIp));
}

#[test]
fn a_truncated_file_is_an_error_not_a_panic() {
    let bytes = parquet_of(&Field::ALL, 1);
    for cut in [bytes.len() - 1, bytes.len() / 2, 8, 3] {
        let (result, rows, _) = read(bytes[..cut].to_vec(), FieldSet::ALL);
        let Err(ReadError::Unreadable(message)) = result else { panic!("cut at {cut}: {result:?}") };
        assert!(message.contains("truncated"), "{message}");
        assert!(rows.is_empty());
    }
}

#[test]
fn a_row_group_destroyed_mid_file_is_named_and_the_groups_before_it_are_read() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    // One row per row group: group 1 holds the second line.
    let bytes = parquet_of(&Field::ALL, 1);
    let footer = SerializedFileReader::new(bytes::Bytes::from(bytes.clone())).unwrap();
    let group = footer.metadata().row_group(1);
    let (start, _) = group.column(0).byte_range();
    let end = group.columns().iter().map(|c| c.byte_range()).map(|(start, len)| start + len).max().unwrap();
    assert!(end <= footer.metadata().row_group(2).column(0).byte_range().0, "row groups lie one after the other");
    let mut corrupt = bytes.clone();
    corrupt[start as usize..end as usize].fill(0xff);
    let (result, rows, _) = read(corrupt, FieldSet::ALL);
    let Err(ReadError::Unreadable(message)) = result else { panic!("a destroyed row group must be an error: {result:?}") };
    assert!(message.contains("row group 1 cannot be decoded"), "{message}");
    assert_eq!(rows.len(), 1, "the row of group 0 is read");
    assert_eq!(rows[0].1.split(' ').nth(1), Some("203.0.113.7"));
}

#[test]
fn a_column_of_the_wrong_type_makes_its_rows_malformed() {
    let columns =
        vec![Column { name: "time".into(), kind: ColumnType::Text }, Column { name: "client_port".into(), kind: ColumnType::Int32 }];
    let rows = vec![vec![Some("2024-04-05T18:31:29Z".into()), Some("99999".into())], vec![Some("yesterday".into()), Some("1".into())]];
    let (result, good, bad) = read(write_rows(&columns, &rows, 10).unwrap(), FieldSet::ALL);
    assert_eq!((result.unwrap(), good.len()), (2, 0));
    assert_eq!(
        bad,
        vec![
            (1, ParseError { field: Field::ClientPort, problem: Problem::NotAPort }),
            (2, ParseError { field: Field::Timestamp, problem: Problem::NotATimestamp })
        ]
    );
}

/// The vended_parquet fuzz target's first find: a footer whose column chunk starts at a
/// negative offset made the parquet crate panic ("column start and length should not be
/// negative"); it is an unreadable row group.
#[test]
fn a_column_chunk_with_a_negative_byte_range_is_unreadable_not_a_panic() {
    let err = read_hostile(include_bytes!("../../../fuzz/corpus/vended_parquet/regression-negative-column-range.parquet"));
    assert!(err.to_string().contains("impossible byte range"), "{err}");
}

/// The vended_parquet fuzz target's second find: a dictionary-encoded page without its
/// dictionary page makes the parquet crate panic ("Decoder for dict should have been
/// set"); the file is unreadable, the run goes on.
#[test]
fn a_page_without_its_dictionary_is_unreadable_not_a_panic() {
    let err = read_hostile(include_bytes!("../../../fuzz/corpus/vended_parquet/regression-dictionary-page-missing.parquet"));
    assert!(err.to_string().contains("cannot be decoded"), "{err}");
}

/// A file refused for Thrift that is not as Parquet writes it, in a page header or (since
/// footers are checked too, and fuzzed files have odd footers) in the footer.
fn assert_refused_as_thrift(err: &albmtls_parquet::ReadError) {
    let err = err.to_string();
    assert!(err.contains("not a readable Thrift header") || err.contains("not Thrift as Parquet writes it"), "{err}");
}

/// Reads a hostile file the fuzzer found, which must be refused, not read.
fn read_hostile(bytes: &[u8]) -> albmtls_parquet::ReadError {
    let read = albmtls_parquet::read_records(
        albmtls_parquet::ParquetSource::Bytes(bytes.to_vec().into()),
        albmtls_parse::FieldSet::ALL,
        RowLines::Every,
        |_, _, _| Ok(()),
    );
    read.expect_err("the file cannot be read")
}

/// The vended_parquet fuzz target's out-of-memory find: a 2 KiB file whose page header
/// claims ~1.4 GB uncompressed made the parquet crate allocate that much before
/// decompressing (1.4 GB peak for `albmtls report`). The header is read first, and the
/// column is refused by the limit on a page's size.
#[test]
fn a_page_that_claims_gigabytes_uncompressed_is_refused_before_it_is_allocated() {
    let err = read_hostile(include_bytes!("../../../fuzz/corpus/vended_parquet/regression-page-claims-gigabytes.parquet"));
    assert!(err.to_string().contains("over the limit of 64 MiB per page"), "{err}");
}

/// The same campaign's crash in albmtls' own page-header reader: lists nested hundreds
/// deep in a page header overflowed its depth count (a stack overflow in a release
/// build). Lists and maps now count against the nesting limit as structs do.
#[test]
fn a_page_header_of_lists_nested_hundreds_deep_is_unreadable_not_an_overflow() {
    let err = read_hostile(include_bytes!("../../../fuzz/corpus/vended_parquet/regression-page-header-lists-nested-deep.parquet"));
    assert_refused_as_thrift(&err);
}

/// The campaign's third find: a page the parquet crate slices out of range, which panics
/// inside the `bytes` crate ("range end out of bounds"); the row group is unreadable,
/// and the fuzz target's hook now lets that panic reach the catch as the CLI's does.
#[test]
fn a_page_sliced_out_of_range_inside_the_parquet_crate_is_unreadable_not_a_crash() {
    let err = read_hostile(include_bytes!("../../../fuzz/corpus/vended_parquet/regression-page-sliced-out-of-range.parquet"));
    assert!(err.to_string().contains("cannot be decoded"), "{err}");
}

/// The campaign's slow inputs (19 s and 74 s in the fuzz target, minutes in `albmtls
/// report`): page headers whose sets and maps claim millions of boolean elements in a few
/// bytes, which the parquet crate skips at zero bytes each. albmtls' header check, which
/// gave such an element its one byte, passed them; it now refuses collections of
/// booleans, which no page header holds.
#[test]
fn a_page_header_with_collections_of_booleans_is_refused_before_the_parquet_crate_loops_on_it() {
    for hostile in [
        &include_bytes!("../../../fuzz/corpus/vended_parquet/regression-page-header-collections-of-booleans-a.parquet")[..],
        include_bytes!("../../../fuzz/corpus/vended_parquet/regression-page-header-collections-of-booleans-b.parquet"),
        // The same in the footer: the fuzz target's timeout after the page-header fix.
        include_bytes!("../../../fuzz/corpus/vended_parquet/regression-footer-collections-of-booleans.parquet"),
    ] {
        assert_refused_as_thrift(&read_hostile(hostile));
    }
}

/// The campaign's slow footer: lists claiming billions of booleans in a field the parquet
/// crate skips, which it skips at zero bytes each (the same flaw as in page headers, in
/// the file metadata it reads when the file is opened). Built here: the footer of a real
/// file with such a list appended as an unknown field of the file metadata.
#[test]
fn a_footer_with_a_list_of_billions_of_booleans_is_refused_before_the_parquet_crate_skips_it() {
    let real = parquet_of(&Field::ALL, 2);
    assert!(read(real.clone(), FieldSet::ALL).0.is_ok());
    // The footer ends with the struct's stop byte; before it, field 100 (unknown to the
    // format): a list of 2^31 - 1 booleans in 6 bytes.
    let footer_len = u32::from_le_bytes(real[real.len() - 8..real.len() - 4].try_into().unwrap()) as usize;
    let footer_end = real.len() - 8;
    assert_eq!(real[footer_end - 1], 0x00);
    let mut hostile = real[..footer_end - 1].to_vec();
    hostile.extend_from_slice(&[0x09, 0xC8, 0x01, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00]);
    hostile.extend_from_slice(&((footer_len + 9) as u32).to_le_bytes());
    hostile.extend_from_slice(b"PAR1");
    let err = read_hostile(&hostile);
    assert!(err.to_string().contains("not Thrift as Parquet writes it"), "{err}");
    // The same list of one-byte integers is an unknown field like any other.
    let integers =
        [&hostile[..footer_end - 1], &[0x09, 0xC8, 0x01, 0x23, 0x01, 0x02, 0x00], &((footer_len + 6) as u32).to_le_bytes(), b"PAR1"]
            .concat();
    assert_eq!(read(integers, FieldSet::ALL).0.unwrap(), 3);
}

/// A Parquet file of one required INT32 column named `name` holding 443, 8443 and 443,
/// and the same file whose footer claims 63 rows.
fn required_column_file(name: &str) -> (Vec<u8>, Vec<u8>) {
    use parquet::data_type::Int32Type;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let schema = parquet::schema::parser::parse_message_type(&format!("message m {{ required int32 {name}; }}")).unwrap();
    let mut bytes = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut bytes, Arc::new(schema), Default::default()).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    column.typed::<Int32Type>().write_batch(&[443, 8443, 443], None, None).unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();

    // Every i64 3 that follows its field's predecessor (the row counts among them) becomes
    // 63, one byte as before.
    let mut claiming = bytes.clone();
    let footer_len = u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap()) as usize;
    let mut patched = 0;
    for at in bytes.len() - 8 - footer_len..bytes.len() - 9 {
        if bytes[at..at + 2] == [0x16, 0x06] {
            claiming[at + 1] = 0x7E;
            patched += 1;
        }
    }
    assert!(patched >= 2, "the row counts were not found");
    (bytes, claiming)
}

/// A footer claiming more rows than a required column holds (nothing marks a missing
/// value there, unlike an optional column's nulls) made each row past the values a bad
/// row: billions of them for a few bytes. The rows the columns hold are read, and the row
/// group is reported as not whole.
#[test]
fn a_required_column_holding_fewer_values_than_its_row_group_claims_is_refused() {
    let (real, claiming) = required_column_file("listener_port");
    assert_eq!(read(real, FieldSet::ALL).0.unwrap(), 3);
    let (outcome, rows, bad) = read(claiming, FieldSet::ALL);
    let err = outcome.unwrap_err().to_string();
    assert!(err.contains("row group 0 is not whole: its columns hold 3 rows for the 63 it claims"), "{err}");
    // Rows of a port alone, without a time: bad rows, each counted.
    assert_eq!((rows.len(), bad.len()), (0, 3));
}

/// The fuzz target's timeout after that: with no wanted column delivered, nothing was
/// decoded, and the rows were whatever the footer claimed (billions, as records of
/// nothing). A delivered column is decoded for its count, and a file with no column of a
/// connection log cannot back any row.
#[test]
fn rows_are_backed_by_a_decoded_column_even_when_no_wanted_column_is_delivered() {
    let client_ip_only = FieldSet::EMPTY.with(Field::ClientIp);
    let (real, claiming) = required_column_file("listener_port");
    let (outcome, rows, _) = read(real, client_ip_only);
    assert_eq!(outcome.unwrap(), 3);
    // Delivered, not wanted: read as not decoded, not as its value.
    assert!(rows.iter().all(|(_, _, fields, _)| fields[Field::ListenerPort as usize] == b"0"));
    let err = read(claiming, client_ip_only).0.unwrap_err().to_string();
    assert!(err.contains("its columns hold 3 rows for the 63 it claims"), "{err}");

    let (_, unknown_claiming) = required_column_file("not_a_log_field");
    let err = read(unknown_claiming, FieldSet::ALL).0.unwrap_err().to_string();
    assert!(err.contains("claims 63 rows, but the file has no column of a connection log"), "{err}");
}

/// A column of one value repeated is a few bytes for any number of rows (run-length
/// encoding): rows beyond 64 per byte of the row group's columns are refused, as is the
/// fuzz target's file claiming ten billion rows in 40 bytes.
#[test]
fn a_row_group_claiming_more_rows_than_its_bytes_can_hold_is_refused() {
    use parquet::data_type::Int32Type;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let schema = parquet::schema::parser::parse_message_type("message m { required int32 listener_port; }").unwrap();
    let mut bytes = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut bytes, Arc::new(schema), Default::default()).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    column.typed::<Int32Type>().write_batch(&vec![443; 200_000], None, None).unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();
    assert!(bytes.len() < 2_000, "{} bytes", bytes.len());
    let err = read(bytes, FieldSet::ALL).0.unwrap_err().to_string();
    assert!(err.contains("it claims 200000 rows in") && err.contains("over the limit of 64 rows per byte"), "{err}");

    let err = read_hostile(include_bytes!("../../../fuzz/corpus/vended_parquet/regression-rows-claimed-without-columns.parquet"));
    assert!(err.to_string().contains("claims 10850596461 rows in 40 bytes of columns"), "{err}");
}

/// `report` reads no record's line: with lines for bad rows only, records come without
/// one (the same values as with lines), and a bad row still has its line for its sample.
#[test]
fn lines_for_bad_rows_only_leave_records_without_a_line_and_give_bad_rows_theirs() {
    let columns = vec![Column { name: "time".into(), kind: ColumnType::Text }, Column { name: "client_ip".into(), kind: ColumnType::Text }];
    let rows =
        vec![vec![Some("2024-04-05T18:31:29Z".into()), Some("203.0.113.7".into())], vec![Some("yesterday".into()), Some("::1".into())]];
    let bytes = write_rows(&columns, &rows, 10).unwrap();
    let mut seen = Vec::new();
    read_records(ParquetSource::Bytes(bytes.into()), FieldSet::ALL, RowLines::BadRowsOnly, |n, line, record| {
        seen.push((
            n,
            String::from_utf8(line.to_vec()).unwrap(),
            record.map(|r| (r.client_ip.to_string(), r.line.len())).map_err(|e| e.field),
        ));
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, vec![(1, String::new(), Ok(("203.0.113.7".to_owned(), 0))), (2, "yesterday ::1".to_owned(), Err(Field::Timestamp)),]);
}

/// A file of one row group per row of `subjects`, each a time and a byte-array subject
/// column with the `annotation` given (`""` or `" (STRING)"`).
fn subjects_file(annotation: &str, subjects: &[&[u8]]) -> Vec<u8> {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let schema = format!("message m {{ required binary time (STRING); required binary leaf_client_cert_subject{annotation}; }}");
    let schema = parquet::schema::parser::parse_message_type(&schema).unwrap();
    let mut bytes = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut bytes, Arc::new(schema), Default::default()).unwrap();
    for subject in subjects {
        let mut group = writer.next_row_group().unwrap();
        for value in [&b"2024-04-05T18:31:29.268987Z"[..], subject] {
            let mut column = group.next_column().unwrap().unwrap();
            column.typed::<ByteArrayType>().write_batch(&[ByteArray::from(value.to_vec())], None, None).unwrap();
            column.close().unwrap();
        }
        group.close().unwrap();
    }
    writer.close().unwrap();
    bytes
}

/// Parquet requires a `STRING` column to hold UTF-8, and arrow-rs' reader checks it: a
/// row group whose subject is not UTF-8 is an input error naming it, after the groups
/// before it. A byte column without that annotation holds any bytes, read as they are.
#[test]
fn a_string_column_that_is_not_utf8_makes_its_row_group_unreadable_and_bytes_are_read_as_they_are() {
    let subjects: [&[u8]; 3] = [b"CN=ok", b"CN=\xff\xfe", b"CN=after"];
    let (outcome, rows, bad) = read(subjects_file("", &subjects), FieldSet::ALL);
    assert_eq!((outcome.unwrap(), bad.len()), (3, 0));
    let read_subjects: Vec<&[u8]> = rows.iter().map(|(_, _, fields, _)| &fields[Field::LeafClientCertSubject as usize][..]).collect();
    assert_eq!(read_subjects, subjects);

    let (outcome, rows, bad) = read(subjects_file(" (STRING)", &subjects), FieldSet::ALL);
    let err = outcome.unwrap_err().to_string();
    assert!(err.contains("row group 1 cannot be decoded") && err.contains("utf-8"), "{err}");
    assert_eq!((rows.len(), bad.len()), (1, 0));
}

/// A file of one row group holding a time and `statuses`, its pages compressed with
/// `codec`, each column in one page of version `page_version`.
fn statuses_file(statuses: &[&[u8]], codec: parquet::basic::Compression, page_version: u8) -> Vec<u8> {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let schema = "message m { required binary time (STRING); required binary tls_verify_status (STRING); }";
    let schema = Arc::new(parquet::schema::parser::parse_message_type(schema).unwrap());
    let version = if page_version == 2 { WriterVersion::PARQUET_2_0 } else { WriterVersion::PARQUET_1_0 };
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(codec)
            .set_dictionary_enabled(false)
            .set_writer_version(version)
            .set_data_page_size_limit(usize::MAX)
            .build(),
    );
    let mut bytes = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut bytes, schema, properties).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let times = vec![ByteArray::from(&b"2024-04-05T18:31:29.268987Z"[..]); statuses.len()];
    let status_values: Vec<ByteArray> = statuses.iter().map(|s| ByteArray::from(s.to_vec())).collect();
    for values in [times, status_values] {
        let mut column = group.next_column().unwrap().unwrap();
        column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
        column.close().unwrap();
    }
    group.close().unwrap();
    let metadata = writer.close().unwrap();
    assert_eq!(metadata.row_group(0).column(1).compression(), codec, "written with {codec}");
    bytes
}

/// The delivery's codec is not documented, and writers default to different ones: a file
/// written with each codec albmtls reads (all the parquet crate writes but brotli), in
/// either page version, reads back to the same records.
#[test]
fn every_codec_a_writer_may_choose_reads_back_the_same_records() {
    use parquet::basic::{Compression, GzipLevel, ZstdLevel};

    let statuses: Vec<&[u8]> = (0..2000).map(|i| if i % 7 == 0 { &b"Failed:ClientCertExpired"[..] } else { b"Success" }).collect();
    let codecs = [
        Compression::UNCOMPRESSED,
        Compression::SNAPPY,
        Compression::GZIP(GzipLevel::default()),
        Compression::ZSTD(ZstdLevel::default()),
        Compression::LZ4,
        Compression::LZ4_RAW,
    ];
    for codec in codecs {
        for page_version in [1, 2] {
            let (outcome, rows, bad) = read(statuses_file(&statuses, codec, page_version), FieldSet::ALL);
            assert_eq!((outcome.unwrap(), bad.len()), (2000, 0), "{codec} v{page_version}");
            let read_statuses: Vec<&[u8]> = rows.iter().map(|(_, _, fields, _)| &fields[Field::TlsVerifyStatus as usize][..]).collect();
            assert_eq!(read_statuses, statuses, "{codec} v{page_version}");
        }
    }
}

/// The parquet crate reads a gzip page (and an LZ4 page in frames) to the end of its
/// stream, whatever size its header claims: a few KiB could inflate to gigabytes. Such a
/// page is inflated first, into a fixed buffer, and refused once it passes its claim. The
/// page here holds one status of 100,000 bytes; its header's claim is lowered to 8,192
/// (the same length of varint, so the file stays whole). An LZ4 page as the crate writes
/// it (Hadoop's framing) is decoded into the claimed size only, and refused by the crate.
#[test]
fn a_gzip_page_that_inflates_past_its_claimed_size_is_refused_before_the_parquet_crate_inflates_it() {
    use parquet::basic::{Compression, GzipLevel};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let long = vec![b'x'; 100_000];
    for codec in [Compression::GZIP(GzipLevel::default()), Compression::LZ4] {
        for page_version in [1, 2] {
            let bytes = statuses_file(&[&long[..]], codec, page_version);
            let footer = SerializedFileReader::new(bytes::Bytes::from(bytes.clone())).unwrap();
            let page = footer.metadata().row_group(0).column(1).data_page_offset() as usize;
            // PageHeader: field 1 (type, i32: 0x15 and one byte), then field 2, the
            // uncompressed size (0x15 and a zigzag varint of three bytes).
            assert_eq!((bytes[page], bytes[page + 2]), (0x15, 0x15), "{codec} v{page_version}");
            let claim = &bytes[page + 3..page + 6];
            assert!(claim[0] & 0x80 != 0 && claim[1] & 0x80 != 0 && claim[2] & 0x80 == 0, "a varint of three bytes");
            let mut lowered = bytes.clone();
            lowered[page + 3..page + 6].copy_from_slice(&[0x80, 0x80, 0x01]); // zigzag 16,384: 8,192
            let err = read(lowered, FieldSet::ALL).0.unwrap_err().to_string();
            if codec == Compression::LZ4 {
                assert!(err.contains("row group 0 cannot be decoded"), "{err}");
            } else {
                assert!(
                    err.contains("column tls_verify_status: the page at byte")
                        && err.contains("decompresses to more than the 8192 bytes its header claims"),
                    "{err}"
                );
            }
            assert_eq!(read(bytes, FieldSet::ALL).0.unwrap(), 1, "{codec} v{page_version}: the page as written is read");
        }
    }
}

/// Files another writer made (DuckDB 2.0, `COPY ... (FORMAT parquet, COMPRESSION c)`, kept
/// as fuzz seeds): each codec gives the same two rows.
#[test]
fn duckdb_files_in_every_codec_read_the_same() {
    let files: [(&str, &[u8]); 4] = [
        ("snappy", include_bytes!("../../../fuzz/corpus/vended_parquet/duckdb-snappy.parquet")),
        ("zstd", include_bytes!("../../../fuzz/corpus/vended_parquet/duckdb-zstd.parquet")),
        ("gzip", include_bytes!("../../../fuzz/corpus/vended_parquet/duckdb-gzip.parquet")),
        ("lz4", include_bytes!("../../../fuzz/corpus/vended_parquet/duckdb-lz4.parquet")),
    ];
    let (outcome, expected, bad) = read(files[0].1.to_vec(), FieldSet::ALL);
    assert_eq!((outcome.unwrap(), bad.len()), (2, 0));
    assert_eq!(expected[0].2[Field::TlsVerifyStatus as usize], b"Failed:ClientCertExpired");
    for (codec, bytes) in &files[1..] {
        let (outcome, rows, bad) = read(bytes.to_vec(), FieldSet::ALL);
        assert_eq!((outcome.unwrap(), bad.len()), (2, 0), "{codec}");
        assert_eq!(rows, expected, "{codec}");
    }
}
