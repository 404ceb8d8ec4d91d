//! One module per subcommand. Each takes its settings and the printer and returns the
//! process exit status.

pub mod athena;
pub mod doctor;
pub mod explain;
pub mod generated;
pub mod grep;
pub mod report;

/// Exit statuses, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// Nothing matched (grep), or a threshold was crossed.
    NoMatch = 1,
    /// Something could not be read or written; output covers what could be.
    Error = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// Reports an output error unless it is a closed pipe, which ends the run quietly
/// (`albmtls grep … | head -1`).
pub fn output_failed(printer: &crate::printer::Printer, err: &std::io::Error) -> Exit {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        Exit::Ok
    } else {
        printer.error(&format!("writing output failed: {err}"));
        Exit::Error
    }
}
