//! Any bytes as a whole input file: sniffed, gzip-decoded (all members), cut into line
//! blocks on the reader thread and on the calling thread, and tokenized. Damage must end
//! in an error, never a panic or a hang, and both ways must deliver the same lines.
//! Whatever albmtls' own gzip reader accepts, flate2's `MultiGzDecoder` must accept too,
//! and decode to the same bytes.
#![no_main]

use std::io::Read;

use albmtls_parse::Record;
use albmtls_source::{Chunks, decode, read_chunks, spawn_chunks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let open = || decode("fuzz", Box::new(std::io::Cursor::new(data.to_vec()))).ok().map(|(_, reader)| reader);
    let (Some(inline), Some(threaded)) = (open(), open()) else { return };
    let Ok(threaded) = spawn_chunks(threaded) else { return };
    assert!(lines(read_chunks(inline)) == lines(threaded), "inline and threaded reading differ");
    agrees_with_flate2(data);
});

fn agrees_with_flate2(data: &[u8]) {
    let Some((albmtls_source::Encoding::Gzip, mut ours)) = decode("fuzz", Box::new(std::io::Cursor::new(data.to_vec()))).ok() else {
        return;
    };
    let mut decoded = Vec::new();
    if ours.read_to_end(&mut decoded).is_err() {
        return;
    }
    let mut expected = Vec::new();
    let flate2 = flate2::read::MultiGzDecoder::new(data).read_to_end(&mut expected);
    assert!(flate2.is_ok(), "albmtls accepted gzip data that flate2 refuses: {flate2:?}");
    assert!(decoded == expected, "albmtls and flate2 decode the same gzip data differently");
}

/// Every line delivered, tokenized on the way, and whether the stream ended in an error.
fn lines(chunks: Chunks) -> (Vec<u8>, bool) {
    let mut text = Vec::new();
    for chunk in chunks {
        let Ok(chunk) = chunk else { return (text, true) };
        for line in chunk.bytes().split_inclusive(|&b| b == b'\n') {
            let _ = Record::parse(line);
        }
        text.extend_from_slice(chunk.bytes());
    }
    (text, false)
}
