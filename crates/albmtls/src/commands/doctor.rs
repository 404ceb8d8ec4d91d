//! The mTLS doctor commands: thin wrappers that read files, call `albmtls-pki`, add the
//! remediation text for failures, and print text or JSON.

use std::path::{Path, PathBuf};

use albmtls_pki::{
    CertCheckReport, CheckOptions, CrlFormat, HeaderNames, TrustStore, check_bundle, check_client, check_key_match, convert_crl,
    crl_contains, decode_headers, inspect_crl,
};
use albmtls_report::remediation::{self, Remediation};
use anyhow::{Context, Result};
use serde::Serialize;

use super::{Exit, output_failed};
use crate::args::{BundleCommand, CertCommand, CrlCommand, HeadersCommand};
use crate::files::{read_all, write_atomically};
use crate::printer::Printer;
use crate::settings::{DoctorCommand, DoctorSettings};

pub fn run(settings: &DoctorSettings, printer: &Printer) -> Result<Exit> {
    match &settings.command {
        DoctorCommand::Bundle(BundleCommand::Check { bundle, .. }) => {
            let (name, bytes) = read_all(bundle)?;
            let report = check_bundle(&name, &bytes, settings.at);
            let exit = if report.would_reject() { Exit::NoMatch } else { Exit::Ok };
            print(printer, settings.json, &report, exit)
        }
        DoctorCommand::Cert(CertCommand::Check { client, bundle, crls, ignore_expiry, key, csr, .. }) => {
            let store = trust_store(bundle, crls)?;
            let (name, bytes) = read_all(client)?;
            let options = CheckOptions { at: settings.at, ignore_client_certificate_expiry: *ignore_expiry };
            let check = check_client(&store, &name, &bytes, &options)?;
            let key_match = match (key, csr) {
                (None, None) => None,
                _ => {
                    let key = key.as_deref().map(read_all).transpose()?;
                    let csr = csr.as_deref().map(read_all).transpose()?;
                    Some(check_key_match((&name, &bytes), borrowed(&key), borrowed(&csr))?)
                }
            };
            let exit = if check.is_success() && key_match.as_ref().is_none_or(|k| k.all_match()) { Exit::Ok } else { Exit::NoMatch };
            let verdict = Verdict { remediation: remediation_for(&check), check, key_match };
            print(printer, settings.json, &verdict, exit)
        }
        DoctorCommand::Crl(CrlCommand::Inspect { crl, bundle, .. }) => {
            let store = bundle.as_ref().map(|b| trust_store(b, &[])).transpose()?;
            let (name, bytes) = read_all(crl)?;
            let report = inspect_crl(&name, &bytes, store.as_ref(), settings.at)?;
            let exit = if report.has_errors() { Exit::NoMatch } else { Exit::Ok };
            print(printer, settings.json, &report, exit)
        }
        DoctorCommand::Crl(CrlCommand::Convert { crl, to, output }) => {
            let (name, bytes) = read_all(crl)?;
            let format = CrlFormat::from_name(to).with_context(|| format!("--to {to}: use pem or der"))?;
            let converted = convert_crl(&name, &bytes, format)?;
            match output {
                Some(path) => write_atomically(path, |out| std::io::Write::write_all(out, &converted)).map(|()| Exit::Ok),
                None => Ok(match printer.write_block(&converted).and_then(|()| printer.flush()) {
                    Ok(()) => Exit::Ok,
                    Err(err) => output_failed(printer, &err),
                }),
            }
        }
        DoctorCommand::Crl(CrlCommand::Contains { serial, crl, .. }) => {
            let (name, bytes) = read_all(crl)?;
            let report = crl_contains(&name, &bytes, serial)?;
            let exit = if report.revoked { Exit::Ok } else { Exit::NoMatch };
            print(printer, settings.json, &report, exit)
        }
        DoctorCommand::Headers(HeadersCommand::Decode { input, bundle, crls, .. }) => {
            let (name, bytes) = read_all(input)?;
            let decoded = decode_headers(&name, &bytes, &HeaderNames::default())?;
            let check = match bundle {
                Some(bundle) => Some(decoded.check(&trust_store(bundle, crls)?, &CheckOptions::at(settings.at))?),
                None => None,
            };
            let failed = decoded.has_errors() || check.as_ref().is_some_and(|c| !c.is_success());
            let exit = if failed { Exit::NoMatch } else { Exit::Ok };
            let verdict = check.map(|check| Verdict { remediation: remediation_for(&check), check, key_match: None });
            let result = Decoded { headers: decoded, check: verdict };
            print(printer, settings.json, &result, exit)
        }
    }
}

fn trust_store(bundle: &Path, crls: &[PathBuf]) -> Result<TrustStore> {
    let (name, bytes) = read_all(bundle)?;
    let mut store = TrustStore::from_bundle(&name, &bytes)?;
    for crl in crls {
        let (name, bytes) = read_all(crl)?;
        store.add_crl(&name, &bytes)?;
    }
    Ok(store)
}

fn borrowed(file: &Option<(String, Vec<u8>)>) -> Option<(&str, &[u8])> {
    file.as_ref().map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
}

fn remediation_for(check: &CertCheckReport) -> Option<&'static Remediation> {
    check.code.map(remediation::for_code)
}

/// `cert check`'s result: the verdict, what to do about it, and the key match.
#[derive(Serialize)]
struct Verdict {
    #[serde(flatten)]
    check: CertCheckReport,
    remediation: Option<&'static Remediation>,
    key_match: Option<albmtls_pki::KeyMatchReport>,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.check)?;
        if let Some(remediation) = self.remediation {
            writeln!(f, "\nWhat to do ({}):", remediation.summary)?;
            for (i, step) in remediation.steps.iter().enumerate() {
                writeln!(f, "  {}. {step}", i + 1)?;
            }
            writeln!(f, "More: albmtls explain {}", remediation.status)?;
        }
        if let Some(key_match) = &self.key_match {
            write!(f, "\n{key_match}")?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Decoded {
    #[serde(flatten)]
    headers: albmtls_pki::HeadersReport,
    check: Option<Verdict>,
}

impl std::fmt::Display for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.headers)?;
        if let Some(check) = &self.check {
            write!(f, "\n{check}")?;
        }
        Ok(())
    }
}

fn print<T: Serialize + std::fmt::Display>(printer: &Printer, json: bool, value: &T, exit: Exit) -> Result<Exit> {
    let written = printer.with_stdout(|out| {
        if json {
            serde_json::to_writer_pretty(&mut *out, value)?;
            writeln!(out)
        } else {
            let text = value.to_string();
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') { writeln!(out) } else { Ok(()) }
        }
    });
    Ok(match written.and_then(|()| printer.flush()) {
        Ok(()) => exit,
        Err(err) => output_failed(printer, &err),
    })
}
