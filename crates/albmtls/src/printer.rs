//! The one owner of stdout, stderr, colour and progress. Commands write through it;
//! nothing else prints.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::settings::OutputSettings;

pub struct Printer {
    stdout: Mutex<BufWriter<Stdout>>,
    pub color: bool,
    quiet: bool,
    progress: Option<ProgressBar>,
}

impl Printer {
    pub fn new(settings: &OutputSettings) -> Printer {
        Printer {
            stdout: Mutex::new(BufWriter::with_capacity(256 * 1024, io::stdout())),
            color: settings.color,
            quiet: settings.quiet,
            progress: settings.progress.then(ProgressBar::hidden),
        }
    }

    /// Writes a block of whole lines to stdout, so blocks from parallel workers never
    /// split a line.
    pub fn write_block(&self, block: &[u8]) -> io::Result<()> {
        let mut out = self.stdout.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        out.write_all(block)
    }

    /// Runs `f` with exclusive access to stdout.
    pub fn with_stdout<T>(&self, f: impl FnOnce(&mut dyn Write) -> io::Result<T>) -> io::Result<T> {
        let mut out = self.stdout.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut *out)
    }

    pub fn flush(&self) -> io::Result<()> {
        self.stdout.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).flush()
    }

    /// A warning on stderr (suppressed by `--quiet`).
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            self.eprint("warning", message);
        }
    }

    /// An error on stderr (always shown).
    pub fn error(&self, message: &str) {
        self.eprint("error", message);
    }

    fn eprint(&self, level: &str, message: &str) {
        let line = if self.color {
            let colour = if level == "error" { "31" } else { "33" };
            format!("albmtls: \x1b[1;{colour}m{level}\x1b[0m: {message}")
        } else {
            format!("albmtls: {level}: {message}")
        };
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Sends `tracing` diagnostics to stderr at the level `-v` asked for; the library
    /// crates emit events, only this decides whether and where they appear.
    pub fn start_diagnostics(&self, verbosity: u8) {
        let level = match verbosity {
            0 => return,
            1 => tracing::Level::INFO,
            _ => tracing::Level::DEBUG,
        };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_ansi(self.color)
            .with_target(verbosity > 2)
            .finish();
        // Only fails if a subscriber is already set, which would be a programming error
        // in tests; diagnostics are best-effort either way.
        let _ = tracing::subscriber::set_global_default(subscriber);
    }

    /// Starts the progress bar over `total` inputs, if progress is shown.
    pub fn start_progress(&self, total: u64) {
        if let Some(bar) = &self.progress {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_length(total);
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos}/{len} inputs  {msg}  [{elapsed}]").expect("the progress template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
        }
    }

    /// One input finished; `records` and `downloaded` (S3 bytes) are running totals.
    pub fn progress_input_done(&self, records: u64, downloaded: Option<u64>) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
            match downloaded {
                Some(bytes) => bar.set_message(format!("{records} records, {} downloaded", indicatif::HumanBytes(bytes))),
                None => bar.set_message(format!("{records} records")),
            }
        }
    }

    pub fn finish_progress(&self) {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
    }
}
