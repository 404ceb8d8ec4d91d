//! Decodes every input the way albmtls does, counts lines and bytes, and parses nothing:
//! the floor under any albmtls command on the same files.

use std::path::PathBuf;
use std::process::ExitCode;

use albmtls_source::{decode, expand_paths, spawn_chunks};
use rayon::prelude::*;

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: decode-only PATH...");
        return ExitCode::from(2);
    }
    let expansion = expand_paths(&paths);
    let (bytes, lines) = expansion
        .inputs
        .par_iter()
        .map(|input| {
            let name = input.display_name();
            let Ok((_, reader)) = input.open().and_then(|raw| decode(&name, raw)) else { return (0, 0) };
            let Ok(chunks) = spawn_chunks(reader) else { return (0, 0) };
            chunks.flatten().fold((0u64, 0u64), |(b, l), chunk| (b + chunk.bytes().len() as u64, l + memchr_count(chunk.bytes())))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("{lines} lines, {bytes} bytes");
    ExitCode::SUCCESS
}

/// Counting lines touches every byte once, as any line-oriented tool must.
fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
