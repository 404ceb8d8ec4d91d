//! The mTLS doctor commands: read the files named, call `albmtls-pki`, have
//! `albmtls-render` write the verdict, and turn it into an exit status.

use std::path::{Path, PathBuf};

use albmtls_pki::{
    CheckOptions, HeaderNames, Target, TrustStore, check_bundle_for, check_client, check_client_api_gateway, check_key_match, convert_crl,
    crl_contains, decode_headers, fix_bundle, inspect_crl,
};
use albmtls_render::doctor::{DoctorView, write_doctor};
use anyhow::Result;

use super::{Exit, output_failed};
use crate::files::{CERTIFICATES, CRLS, read_all, write_atomically};
use crate::printer::Printer;
use crate::settings::{DoctorSettings, DoctorTask};

pub fn run(settings: &DoctorSettings, printer: &Printer) -> Result<Exit> {
    let verdict = |failed: bool| if failed { Exit::NoMatch } else { Exit::Ok };
    match &settings.task {
        DoctorTask::BundleCheck { bundle, target, fix: None } => {
            let (name, bytes) = read_all(bundle, CERTIFICATES)?;
            let report = check_bundle_for(&name, &bytes, settings.at, *target);
            print(printer, settings.json, &DoctorView::Bundle(&report), verdict(report.would_reject()))
        }
        DoctorTask::BundleCheck { bundle, target, fix: Some(output) } => {
            let (name, bytes) = read_all(bundle, CERTIFICATES)?;
            let output_name = output.display().to_string();
            let fix = fix_bundle(&name, &bytes, settings.at, *target, &output_name);
            let written = fix.has_certificates();
            if written {
                write_atomically(output, |out| out.write_all(fix.pem()))?;
            }
            let view = DoctorView::BundleFix { fix: &fix, written_to: written.then_some(output_name.as_str()) };
            print(printer, settings.json, &view, verdict(!written || fix.fixed.would_reject()))
        }
        DoctorTask::CertCheck { client, bundle, crls, ignore_expiry, key, csr, target } => {
            let store = trust_store(bundle, crls)?;
            let (name, bytes) = read_all(client, CERTIFICATES)?;
            let key_match = match (key, csr) {
                (None, None) => None,
                _ => {
                    let key = key.as_deref().map(|path| read_all(path, CERTIFICATES)).transpose()?;
                    let csr = csr.as_deref().map(|path| read_all(path, CERTIFICATES)).transpose()?;
                    Some(check_key_match((&name, &bytes), borrowed(&key), borrowed(&csr))?)
                }
            };
            let mismatch = key_match.as_ref().is_some_and(|k| !k.all_match());
            match target {
                Target::Alb => {
                    let options = CheckOptions { at: settings.at, ignore_client_certificate_expiry: *ignore_expiry };
                    let check = check_client(&store, &name, &bytes, &options)?;
                    let view = DoctorView::CertCheck { check: &check, key_match: key_match.as_ref() };
                    print(printer, settings.json, &view, verdict(!check.passes() || mismatch))
                }
                Target::ApiGateway => {
                    let check = check_client_api_gateway(&store, &name, &bytes, settings.at)?;
                    let view = DoctorView::ApiGateway { check: &check, key_match: key_match.as_ref() };
                    print(printer, settings.json, &view, verdict(!check.is_granted() || mismatch))
                }
            }
        }
        DoctorTask::CrlInspect { crl, bundle } => {
            let store = bundle.as_ref().map(|b| trust_store(b, &[])).transpose()?;
            let (name, bytes) = read_all(crl, CRLS)?;
            let report = inspect_crl(&name, &bytes, store.as_ref(), settings.at)?;
            print(printer, settings.json, &DoctorView::Crl(&report), verdict(report.has_errors()))
        }
        DoctorTask::CrlConvert { crl, to, output } => {
            let (name, bytes) = read_all(crl, CRLS)?;
            let converted = convert_crl(&name, &bytes, *to)?;
            match output {
                Some(path) => write_atomically(path, |out| out.write_all(&converted)).map(|()| Exit::Ok),
                None => Ok(match printer.write_block(&converted).and_then(|()| printer.flush()) {
                    Ok(()) => Exit::Ok,
                    Err(err) => output_failed(printer, &err),
                }),
            }
        }
        DoctorTask::CrlContains { serial, crl } => {
            let (name, bytes) = read_all(crl, CRLS)?;
            let report = crl_contains(&name, &bytes, serial)?;
            print(printer, settings.json, &DoctorView::CrlContains(&report), verdict(!report.revokes_on_alb()))
        }
        DoctorTask::HeadersDecode { input, bundle, crls } => {
            let (name, bytes) = read_all(input, CERTIFICATES)?;
            let decoded = decode_headers(&name, &bytes, &HeaderNames::default())?;
            let check = match bundle {
                Some(bundle) => Some(decoded.check(&trust_store(bundle, crls)?, &CheckOptions::at(settings.at))?),
                None => None,
            };
            let failed = decoded.has_errors() || check.as_ref().is_some_and(|c| !c.passes());
            print(printer, settings.json, &DoctorView::Headers { headers: &decoded, check: check.as_ref() }, verdict(failed))
        }
    }
}

fn trust_store(bundle: &Path, crls: &[PathBuf]) -> Result<TrustStore> {
    let (name, bytes) = read_all(bundle, CERTIFICATES)?;
    let mut store = TrustStore::from_bundle(&name, &bytes)?;
    for crl in crls {
        let (name, bytes) = read_all(crl, CRLS)?;
        store.add_crl(&name, &bytes)?;
    }
    Ok(store)
}

fn borrowed(file: &Option<(String, Vec<u8>)>) -> Option<(&str, &[u8])> {
    file.as_ref().map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
}

fn print(printer: &Printer, json: bool, view: &DoctorView<'_>, exit: Exit) -> Result<Exit> {
    let written = printer.with_stdout(|out| write_doctor(view, json, out));
    Ok(match written.and_then(|()| printer.flush()) {
        Ok(()) => exit,
        Err(err) => output_failed(printer, &err),
    })
}
