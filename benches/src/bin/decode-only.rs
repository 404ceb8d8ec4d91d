//! Decodes every input the way albmtls report does (largest first, same parallel split,
//! same line blocks), counts lines and bytes, and parses nothing: the floor under any
//! albmtls command on the same files.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::atomic::{AtomicUsize, Ordering};

use albmtls_source::{LocalInput, chunks_in_run, decode, expand_paths, sort_largest_first};
use rayon::prelude::*;

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: decode-only PATH...");
        return ExitCode::from(2);
    }
    let mut expansion = expand_paths(&paths);
    sort_largest_first(&mut expansion.inputs, LocalInput::size);
    let started = AtomicUsize::new(0);
    let (bytes, lines) = expansion
        .inputs
        .iter()
        .par_bridge()
        .map(|input| {
            let inputs_left = expansion.inputs.len() - started.fetch_add(1, Ordering::Relaxed);
            let name = input.display_name();
            let Ok((_, reader)) = input.open().and_then(|raw| decode(&name, raw)) else { return (0, 0) };
            let Ok(chunks) = chunks_in_run(reader, inputs_left, rayon::current_num_threads()) else { return (0, 0) };
            chunks.flatten().fold((0u64, 0u64), |(b, l), chunk| {
                (b + chunk.bytes().len() as u64, l + memchr::memchr_iter(b'\n', chunk.bytes()).count() as u64)
            })
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("{lines} lines, {bytes} bytes");
    ExitCode::SUCCESS
}
