//! Any bytes as a whole input file: sniffed, gzip-decoded (all members), cut into line
//! blocks on the reader thread and tokenized. Damage must end in an error, never a
//! panic or a hang, and blocks must hold whole lines.
#![no_main]

use albmtls_parse::Record;
use albmtls_source::{decode, spawn_chunks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((_, reader)) = decode("fuzz", Box::new(std::io::Cursor::new(data.to_vec()))) else { return };
    let Ok(chunks) = spawn_chunks(reader) else { return };
    for chunk in chunks {
        let Ok(chunk) = chunk else { break };
        for line in chunk.bytes().split_inclusive(|&b| b == b'\n') {
            let _ = Record::parse(line);
        }
    }
});
