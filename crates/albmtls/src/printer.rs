//! The one owner of stdout, stderr, colour and progress. Commands write through it;
//! nothing else prints. [`InListingOrder`] puts the output of inputs read in parallel back
//! in the order they were listed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Stdout, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::settings::OutputSettings;

pub struct Printer {
    stdout: Mutex<BufWriter<Stdout>>,
    pub color: bool,
    /// See [`OutputSettings::table_width`].
    pub table_width: Option<u16>,
    quiet: bool,
    progress: Option<ProgressBar>,
}

impl Printer {
    pub fn new(settings: &OutputSettings) -> Printer {
        Printer {
            stdout: Mutex::new(BufWriter::with_capacity(256 * 1024, io::stdout())),
            color: settings.color,
            table_width: settings.table_width,
            quiet: settings.quiet,
            progress: settings.progress.then(ProgressBar::hidden),
        }
    }

    /// Writes a block to stdout at once.
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

    /// Something the user asked to hear about, such as a crossed `--fail-on` threshold
    /// (suppressed by `--quiet`; the exit status says it too).
    pub fn notice(&self, message: &str) {
        if !self.quiet {
            self.eprint("notice", message);
        }
    }

    /// An error on stderr (always shown).
    pub fn error(&self, message: &str) {
        self.eprint("error", message);
    }

    fn eprint(&self, level: &str, message: &str) {
        // Messages quote input names, S3 keys, subjects and malformed text; a message's
        // own line breaks are kept.
        let message: Vec<_> = message.split('\n').map(albmtls_render::escape::for_people).collect();
        let message = message.join("\n");
        let line = if self.color {
            let colour = match level {
                "error" => "31",
                "warning" => "33",
                _ => "36",
            };
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
    ///
    /// `-v` and `-vv` show albmtls' own events (and only warnings of the AWS SDK and the
    /// HTTP stack, whose debug output is long); `-vvv` shows everything at debug level.
    /// Never trace level: the SDK logs request bodies there, which may carry tokens.
    pub fn start_diagnostics(&self, verbosity: u8) {
        use tracing_subscriber::filter::{LevelFilter, Targets};
        use tracing_subscriber::layer::SubscriberExt;
        let (ours, theirs) = match verbosity {
            0 => return,
            1 => (LevelFilter::INFO, LevelFilter::WARN),
            2 => (LevelFilter::DEBUG, LevelFilter::WARN),
            _ => (LevelFilter::DEBUG, LevelFilter::DEBUG),
        };
        let filter = Targets::new().with_default(theirs).with_target("albmtls", ours);
        let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(self.color).with_target(verbosity > 2);
        let subscriber = tracing_subscriber::registry().with(layer).with(filter);
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

impl albmtls_scan::Progress for Printer {
    fn listing_error(&self, error: &albmtls_scan::ListingError) {
        self.error(&error.to_string());
    }

    fn start(&self, inputs: u64) {
        self.start_progress(inputs);
    }

    fn input_done(&self, records: u64, downloaded: Option<u64>) {
        self.progress_input_done(records, downloaded);
    }

    fn finish(&self) {
        self.finish_progress();
    }
}

/// Output held in memory up to this size per input, then spilled to disk.
const SPOOL_IN_MEMORY: usize = 8 * 1024 * 1024;
/// Output held in memory by all waiting inputs together: many small inputs that finish
/// while a large one ahead of them is read must not add up to unbounded memory.
const SPOOLS_IN_MEMORY: usize = 64 * 1024 * 1024;

/// The output of one input that cannot be printed yet: inputs listed before it are still
/// being read. Its bytes are in memory while the budgets allow, then in the run's spill
/// file; once spilled, every later byte of the input goes there too, so order is kept.
pub struct Spool {
    memory: Vec<u8>,
    /// Ranges of the spill file, in order.
    spilled: Vec<(u64, u64)>,
}

impl Spool {
    fn new() -> Spool {
        Spool { memory: Vec::new(), spilled: Vec::new() }
    }
}

/// The waiting inputs' output, kept within memory budgets.
struct Waiting {
    per_input: usize,
    total: usize,
    /// Bytes all spools hold in memory now.
    in_memory: usize,
    /// One anonymous file for the whole run (the OS removes it when it is closed, or if
    /// albmtls dies), so spilling inputs do not each hold a file open.
    spill: Option<File>,
    spill_len: u64,
}

impl Waiting {
    fn new(per_input: usize, total: usize) -> Waiting {
        Waiting { per_input, total, in_memory: 0, spill: None, spill_len: 0 }
    }

    fn hold(&mut self, spool: &mut Spool, bytes: &[u8]) -> io::Result<()> {
        let fits =
            spool.spilled.is_empty() && spool.memory.len() + bytes.len() <= self.per_input && self.in_memory + bytes.len() <= self.total;
        if fits {
            spool.memory.extend_from_slice(bytes);
            self.in_memory += bytes.len();
            return Ok(());
        }
        let memory = std::mem::take(&mut spool.memory);
        self.in_memory -= memory.len();
        self.spill_out(spool, &memory)?;
        self.spill_out(spool, bytes)
    }

    fn spill_out(&mut self, spool: &mut Spool, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let file = match &mut self.spill {
            Some(file) => file,
            None => self.spill.insert(tempfile::tempfile()?),
        };
        let start = self.spill_len;
        file.seek(io::SeekFrom::Start(start))?;
        file.write_all(bytes)?;
        self.spill_len += bytes.len() as u64;
        match spool.spilled.last_mut() {
            Some((_, end)) if *end == start => *end = self.spill_len,
            _ => spool.spilled.push((start, self.spill_len)),
        }
        Ok(())
    }

    /// Writes out what `spool` holds and lets go of its memory.
    fn release(&mut self, spool: Spool, out: &mut dyn Write) -> io::Result<()> {
        self.in_memory -= spool.memory.len();
        out.write_all(&spool.memory)?;
        if spool.spilled.is_empty() {
            return Ok(());
        }
        let file = self.spill.as_mut().expect("a spool with spilled ranges has a spill file");
        for (start, end) in spool.spilled {
            file.seek(io::SeekFrom::Start(start))?;
            io::copy(&mut Read::by_ref(file).take(end - start), out)?;
        }
        Ok(())
    }
}

/// Stdout for inputs read in parallel whose output must follow the listing (grep): each
/// input's output is printed whole, inputs in listing order, whatever order they finish
/// in and however many workers read them. The input next in line writes straight
/// through; the others wait in memory up to [`SPOOL_IN_MEMORY`] each and
/// [`SPOOLS_IN_MEMORY`] together, and on disk past that, so memory stays bounded.
pub struct InListingOrder<'p> {
    printer: &'p Printer,
    state: Mutex<Order>,
}

struct Order {
    /// The listing index whose output is printed now.
    next: usize,
    /// Inputs finished before their turn.
    finished: BTreeMap<usize, Spool>,
    waiting: Waiting,
}

impl<'p> InListingOrder<'p> {
    pub fn new(printer: &'p Printer) -> InListingOrder<'p> {
        let order = Order { next: 0, finished: BTreeMap::new(), waiting: Waiting::new(SPOOL_IN_MEMORY, SPOOLS_IN_MEMORY) };
        InListingOrder { printer, state: Mutex::new(order) }
    }

    /// A new listing begins (a followed run's next poll): its inputs are numbered from 0
    /// again. Every input of the previous listing is finished.
    pub fn start_over(&self) {
        let mut state = self.lock();
        debug_assert!(state.finished.is_empty(), "every input of a listing is finished before the next");
        state.next = 0;
        state.finished.clear();
    }

    /// A spool for the input about to be read.
    pub fn spool(&self) -> Spool {
        Spool::new()
    }

    /// Output of input `index`: printed now if its turn has come (with what it spooled
    /// before), else added to its spool.
    pub fn write(&self, index: usize, spool: &mut Spool, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.lock();
        if state.next != index {
            return state.waiting.hold(spool, bytes);
        }
        let spooled = std::mem::replace(spool, Spool::new());
        let waiting = &mut state.waiting;
        self.printer.with_stdout(|out| {
            waiting.release(spooled, out)?;
            out.write_all(bytes)
        })
    }

    /// Input `index` is finished: printed now with every later input that finished
    /// already, or kept until its turn.
    pub fn finish(&self, index: usize, spool: Spool) -> io::Result<()> {
        let mut state = self.lock();
        if state.next != index {
            state.finished.insert(index, spool);
            return Ok(());
        }
        let order = &mut *state;
        order.next += 1;
        let mut ready = vec![spool];
        while let Some(next) = order.finished.remove(&order.next) {
            ready.push(next);
            order.next += 1;
        }
        let waiting = &mut order.waiting;
        self.printer.with_stdout(|out| ready.into_iter().try_for_each(|spool| waiting.release(spool, out)))?;
        self.printer.flush()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Order> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(seed: usize, len: usize) -> Vec<u8> {
        (0..len).map(|i| ((i * 31 + seed * 7) % 251) as u8).collect()
    }

    #[test]
    fn a_spool_gives_back_what_it_was_given_in_memory_and_past_it_on_disk() {
        for total in [0, 1000, SPOOL_IN_MEMORY, SPOOL_IN_MEMORY + 1, 3 * SPOOL_IN_MEMORY] {
            let written = pattern(total, total);
            let mut waiting = Waiting::new(SPOOL_IN_MEMORY, SPOOLS_IN_MEMORY);
            let mut spool = Spool::new();
            for piece in written.chunks(64 * 1024 + 7) {
                waiting.hold(&mut spool, piece).unwrap();
            }
            assert_eq!(!spool.spilled.is_empty(), total > SPOOL_IN_MEMORY, "{total} bytes");
            let mut read = Vec::new();
            waiting.release(spool, &mut read).unwrap();
            assert!(read == written, "{total} bytes come back as written");
            assert_eq!(waiting.in_memory, 0);
        }
    }

    /// Many inputs waiting behind a slow first one: together they never hold more memory
    /// than the shared budget, share one spill file, and each comes back exactly.
    #[test]
    fn waiting_inputs_share_one_memory_budget_and_one_spill_file() {
        let (per_input, total) = (4000, 10_000);
        let mut waiting = Waiting::new(per_input, total);
        let mut spools: Vec<(Spool, Vec<u8>)> = Vec::new();
        for input in 0..200 {
            let written = pattern(input, 50 + input * 37 % 6000);
            let mut spool = Spool::new();
            for piece in written.chunks(333) {
                waiting.hold(&mut spool, piece).unwrap();
                assert!(waiting.in_memory <= total, "{} bytes in memory", waiting.in_memory);
            }
            spools.push((spool, written));
        }
        assert!(waiting.spill.is_some() && waiting.in_memory > total / 2, "the budget is used, then the spill file");
        for (spool, written) in spools {
            let mut read = Vec::new();
            waiting.release(spool, &mut read).unwrap();
            assert!(read == written);
        }
        assert_eq!(waiting.in_memory, 0);
    }
}
