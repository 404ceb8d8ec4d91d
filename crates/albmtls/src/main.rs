//! The albmtls command line: parses arguments into one checked settings type per command,
//! runs the command on the library crates, and turns outcomes into exit statuses.
//!
//! This crate is deliberately thin: it owns clap, the settings, the printer (stdout,
//! stderr, colour, progress) and exit codes. Reading, parsing, counting and rendering live
//! in the library crates (`albmtls-scan`, `albmtls-report`, `albmtls-render`,
//! `albmtls-pki`) and must not be re-implemented here.

mod args;
mod commands;
mod files;
mod generated;
mod printer;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::commands::Exit;
use crate::printer::Printer;
use crate::settings::{Command, OutputSettings, Settings};

fn main() -> ExitCode {
    quiet_parquet_crate_panics();
    let args = args::LowArgs::parse();
    let settings = match Settings::from_args(args, chrono::Utc::now()) {
        Ok(settings) => settings,
        Err(err) => {
            let printer = Printer::new(&OutputSettings::PLAIN);
            printer.error(&format!("{err:#}"));
            return Exit::Error.into();
        }
    };
    let printer = Printer::new(&settings.output);
    printer.start_diagnostics(settings.output.verbosity);
    files::handle_interrupts(settings.command.follow().map(|follow| std::sync::Arc::clone(&follow.stop)));
    let outcome = match &settings.command {
        Command::Report(report) => commands::report::run(report, &printer),
        Command::Merge(merge) => commands::report::merge(merge, &printer),
        Command::Grep(grep) => commands::grep::run(grep, &printer),
        Command::Explain(explain) => commands::explain::run(explain, &printer),
        Command::Doctor(doctor) => commands::doctor::run(doctor, &printer),
        Command::Athena(athena) => commands::athena::run(athena, &printer),
        Command::Completions(shell) => commands::generated::completions(*shell, &printer),
        Command::Man(man) => commands::generated::man(man, &printer),
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(err) => {
            printer.error(&format!("{err:#}"));
            Exit::Error.into()
        }
    }
}

/// The parquet crate panics on some malformed files; albmtls-parquet catches those panics
/// and reports the file as an unreadable input, so the default hook's "thread panicked"
/// text would only repeat that error in a form that looks like a crash of albmtls.
/// Every other panic still reaches the default hook.
fn quiet_parquet_crate_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !albmtls_parquet::panic_raised_by_parquet_crate(info) {
            default_hook(info);
        }
    }));
}
