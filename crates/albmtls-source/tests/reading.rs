//! Reading real files: gzip members, damage, plain text, directory walks.

use std::io::Write;
use std::path::{Path, PathBuf};

use albmtls_source::{
    Chunks, Encoding, Folders, FoundInput, LocalInput, MAX_LINE, SourceError, decode, expand_paths, read_chunks, sort_largest_first,
    spawn_chunks,
};
use flate2::Compression;
use flate2::write::GzEncoder;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn lines(n: usize, tag: &str) -> Vec<u8> {
    (0..n).map(|i| format!("{tag} line {i:08} with some padding to make it longer\n")).collect::<String>().into_bytes()
}

/// The file decoded and split into blocks both ways: on this thread and on a reader thread.
fn both_ways(path: &Path) -> [(Encoding, Chunks); 2] {
    let open = || {
        let input = LocalInput::File(path.to_path_buf());
        decode(&input.display_name(), input.open(&mut Folders::default()).unwrap()).unwrap()
    };
    let (inline_encoding, inline) = open();
    let (threaded_encoding, threaded) = open();
    [(inline_encoding, read_chunks(inline)), (threaded_encoding, spawn_chunks(threaded).unwrap())]
}

/// Reads a file through decode + chunks; returns the bytes and the error, if any, after
/// checking that both ways of reading agree.
fn read_all(path: &Path) -> (Encoding, Vec<u8>, Option<albmtls_source::ChunkError>) {
    let [inline, threaded] = both_ways(path).map(|(encoding, chunks)| {
        let mut out = Vec::new();
        let mut error = None;
        for chunk in chunks {
            assert!(error.is_none(), "nothing may follow an error");
            match chunk {
                Ok(chunk) => out.extend_from_slice(chunk.bytes()),
                Err(err) => error = Some(err),
            }
        }
        (encoding, out, error)
    });
    assert!(inline.0 == threaded.0 && inline.1 == threaded.1, "inline and threaded reading differ");
    assert_eq!(inline.2.as_ref().map(|e| e.decoded_bytes), threaded.2.as_ref().map(|e| e.decoded_bytes));
    threaded
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn every_gzip_member_is_read_and_blocks_hold_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (lines(20_000, "a"), lines(1, "b"), lines(15_000, "c"));
    let mut data = gzip(&a);
    data.extend(gzip(&b));
    data.extend(gzip(&c));
    let path = write(dir.path(), "multi.log.gz", &data);
    for (_, chunks) in both_ways(&path) {
        let mut total = Vec::new();
        let mut blocks = 0;
        for chunk in chunks {
            let chunk = chunk.unwrap();
            assert!(chunk.bytes().ends_with(b"\n"), "a block must end at a line end");
            total.extend_from_slice(chunk.bytes());
            blocks += 1;
        }
        assert!(blocks > 3, "expected several blocks, got {blocks}");
        assert!(total == [&a[..], &b, &c].concat(), "read {} bytes", total.len());
    }
}

#[test]
fn plain_files_are_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines(10, "plain");
    let path = write(dir.path(), "looks-compressed.log.gz", &text);
    let (encoding, out, error) = read_all(&path);
    assert_eq!((encoding, out, error.is_none()), (Encoding::Plain, text, true));
    let gz = write(dir.path(), "no-suffix", &gzip(b"x 1\ny 2"));
    let (encoding, out, _) = read_all(&gz);
    assert_eq!((encoding, out), (Encoding::Gzip, b"x 1\ny 2".to_vec()), "a last line without newline is kept");
}

#[test]
fn truncated_gzip_keeps_the_lines_before_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines(50_000, "t");
    let full = gzip(&text);
    let path = write(dir.path(), "cut.log.gz", &full[..full.len() / 2]);
    let (_, out, error) = read_all(&path);
    let error = error.expect("a truncated file must report an error");
    assert!(out.len() > text.len() / 4, "most of the first half decodes, got {} bytes", out.len());
    assert!(text.starts_with(&out), "what was delivered is exactly a prefix of the original");
    assert!(out.ends_with(b"\n"), "only whole lines are delivered");
    assert_eq!(error.decoded_bytes, out.len() as u64);
}

#[test]
fn trailing_garbage_after_the_last_member_is_an_error_after_all_data() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines(100, "g");
    let mut data = gzip(&text);
    data.extend_from_slice(b"this is not gzip");
    let path = write(dir.path(), "garbage.log.gz", &data);
    let (_, out, error) = read_all(&path);
    assert_eq!(out, text);
    assert!(error.is_some(), "garbage after the gzip data must be reported");
}

#[test]
fn empty_file_yields_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty", b"");
    let (_, out, error) = read_all(&path);
    assert!(out.is_empty() && error.is_none());
}

#[test]
fn overlong_lines_are_skipped_and_counted_not_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = b"first\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    data.extend_from_slice(b"\nlast\n");
    let path = write(dir.path(), "long", &data);
    for (_, chunks) in both_ways(&path) {
        let (mut text, mut overlong) = (Vec::new(), 0);
        for chunk in chunks {
            let chunk = chunk.unwrap();
            overlong += chunk.overlong_lines_before;
            text.extend_from_slice(chunk.bytes());
        }
        assert!(text == b"first\nlast\n", "kept {} bytes", text.len());
        assert_eq!(overlong, 1);
    }
}

#[test]
fn other_compressions_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "x.log.zst", &[0x28, 0xb5, 0x2f, 0xfd, 0, 0]);
    let err = decode("x.log.zst", LocalInput::File(path).open(&mut Folders::default()).unwrap()).err().unwrap();
    assert!(matches!(err, SourceError::UnsupportedCompression { format: "zstd", .. }), "{err}");
}

#[test]
fn directory_walks_read_connection_logs_only_but_named_files_always() {
    let dir = tempfile::tempdir().unwrap();
    let day = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/02";
    let conn = write(
        dir.path(),
        &format!("{day}/conn_log_123456789012_elasticloadbalancing_us-east-1_app.lb.1_20261102T0005Z_10.0.0.1_abcdefgh.log.gz"),
        b"",
    );
    let old = write(
        dir.path(),
        &format!("{day}/conn_log.123456789012_elasticloadbalancing_us-east-1_app.lb.1_20261102T0000Z_10.0.0.1_abcdefgh.log.gz"),
        b"",
    );
    let access = write(
        dir.path(),
        &format!("{day}/123456789012_elasticloadbalancing_us-east-1_app.lb.1_20261102T0005Z_10.0.0.1_abcdefgh.log.gz"),
        b"",
    );
    write(
        dir.path(),
        &format!("{day}/health_check_log_123456789012_elasticloadbalancing_us-east-1_app.lb.1_20261102T0005Z_10.0.0.1_x.log.gz"),
        b"",
    );
    write(dir.path(), "AWSLogs/123456789012/ELBConnectionLogTestFile", b"");
    // Under a vended layout names say nothing: every file is for its content to decide.
    let hive = "AWSLogs/aws-account-id=123456789012/elasticloadbalancing/region=us-east-1/year=2026/month=11/day=02";
    let vended = write(dir.path(), &format!("{hive}/part-0001.json.gz"), b"");
    let vended_health = write(dir.path(), &format!("{hive}/health_check_log_x.log.gz"), b"");
    let expansion = expand_paths(&[dir.path().to_path_buf(), access.clone(), PathBuf::from("-")]);
    assert!(expansion.errors.is_empty());
    let found = |input, content_check| FoundInput { input, content_check };
    assert_eq!(
        expansion.inputs,
        vec![
            found(LocalInput::File(old), false),
            found(LocalInput::File(conn), false),
            found(LocalInput::File(vended_health), true),
            found(LocalInput::File(vended), true),
            found(LocalInput::File(access), false),
            found(LocalInput::Stdin, false),
        ]
    );
    let mut skipped = albmtls_parse::keys::SkippedFiles::default();
    expansion.skipped.iter().for_each(|(_, kind)| skipped.count(*kind));
    assert_eq!((skipped.access_logs_and_other, skipped.health_check_logs, skipped.test_files), (1, 1, 1));
}

#[test]
fn a_walk_lists_each_folders_entries_in_byte_order_of_their_names_depth_first() {
    let dir = tempfile::tempdir().unwrap();
    // Written out of order, many per folder, so the folder's own order (a hash on ext4)
    // is unlikely to be the answer; '-' (0x2d) and '.' (0x2e) sort before '/' (0x2f), so
    // a sort of whole paths by bytes without siblings' shared folder would put `a-b`
    // before `a/x`.
    let names: Vec<String> = (0..64).rev().map(|i| format!("conn_log_{i:02}")).collect();
    for name in &names {
        write(dir.path(), &format!("b/{name}"), b"");
    }
    for name in ["conn_log.z", "a/conn_log_x", "conn_log-b", "a/conn_log_a", "conn_log"] {
        write(dir.path(), name, b"");
    }
    std::fs::create_dir(dir.path().join("conn_log.d")).unwrap();
    write(dir.path(), "conn_log.d/conn_log_in", b"");
    let expansion = expand_paths(&[dir.path().to_path_buf()]);
    let listed: Vec<String> = expansion
        .inputs
        .iter()
        .map(|found| match &found.input {
            LocalInput::File(path) => path.strip_prefix(dir.path()).unwrap().to_string_lossy().into_owned(),
            LocalInput::Stdin => unreachable!("no stdin was named"),
        })
        .collect();
    let mut expected: Vec<String> = ["a/conn_log_a", "a/conn_log_x"].map(String::from).to_vec();
    expected.extend(names.iter().rev().map(|name| format!("b/{name}")));
    expected.extend(["conn_log", "conn_log-b", "conn_log.d/conn_log_in", "conn_log.z"].map(String::from));
    assert_eq!(listed, expected);
}

#[test]
fn missing_paths_and_symlink_loops_are_errors_that_do_not_stop_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let conn = write(dir.path(), "logs/conn_log_a", b"");
    std::os::unix::fs::symlink(dir.path().join("logs"), dir.path().join("logs/loop")).unwrap();
    let missing = dir.path().join("nope");
    let expansion = expand_paths(&[dir.path().join("logs"), missing.clone()]);
    assert_eq!(expansion.inputs, vec![FoundInput { input: LocalInput::File(conn), content_check: false }]);
    let messages: Vec<String> = expansion.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("symbolic link loop")), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with(&missing.display().to_string()) && m.contains("check the path")), "{messages:?}");
}

#[test]
fn largest_inputs_sort_first_with_stdin_before_all_and_ties_in_listing_order() {
    let dir = tempfile::tempdir().unwrap();
    let small = write(dir.path(), "small.log", b"1\n");
    let large = write(dir.path(), "large.log", &[b'x'; 300]);
    let tie_a = write(dir.path(), "tie-a.log", &[b'y'; 100]);
    let tie_b = write(dir.path(), "tie-b.log", &[b'z'; 100]);
    let mut inputs: Vec<LocalInput> =
        [&small, &tie_a, &large, &tie_b].into_iter().map(|p| LocalInput::File(p.clone())).chain([LocalInput::Stdin]).collect();
    sort_largest_first(&mut inputs, |input| match input {
        LocalInput::Stdin => None,
        LocalInput::File(path) => Some(std::fs::metadata(path).unwrap().len()),
    });
    let expected = [LocalInput::Stdin, LocalInput::File(large), LocalInput::File(tie_a), LocalInput::File(tie_b), LocalInput::File(small)];
    assert_eq!(inputs, expected);
}

/// The block buffer of an input read inline is reused by the next input on the thread:
/// bytes left in it from a longer input never leak into a shorter one's blocks.
#[test]
fn inputs_read_one_after_another_on_a_thread_see_only_their_own_bytes() {
    let inputs: [(&str, usize, usize); 4] = [("long", 30_000, 0), ("short", 3, 0), ("partial", 2, 17), ("long2", 12_000, 5)];
    for (tag, n, unterminated) in inputs {
        let mut data = lines(n, tag);
        data.extend(std::iter::repeat_n(b'x', unterminated));
        let mut read = Vec::new();
        for chunk in read_chunks(Box::new(std::io::Cursor::new(data.clone()))) {
            read.extend_from_slice(chunk.unwrap().bytes());
        }
        assert!(read == data, "{tag}: read {} bytes of {}", read.len(), data.len());
    }
}

/// Read buffers and block buffers are reused from one input to the next on a
/// thread: gzip and plain inputs of different sizes, one after another, each read whole.
#[test]
fn decoded_inputs_one_after_another_on_a_thread_see_only_their_own_bytes() {
    let inputs: [(&str, usize, bool); 5] =
        [("big", 40_000, true), ("plain", 5, false), ("tiny", 1, true), ("mid", 7_000, false), ("gz", 900, true)];
    for (tag, n, gzipped) in inputs {
        let data = lines(n, tag);
        let raw = if gzipped { gzip(&data) } else { data.clone() };
        let (encoding, reader) = decode(tag, Box::new(std::io::Cursor::new(raw))).unwrap();
        assert_eq!(encoding, if gzipped { Encoding::Gzip } else { Encoding::Plain });
        let mut read = Vec::new();
        for chunk in read_chunks(reader) {
            read.extend_from_slice(chunk.unwrap().bytes());
        }
        assert!(read == data, "{tag}: read {} bytes of {}", read.len(), data.len());
    }
}
