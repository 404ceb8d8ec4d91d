use crate::harness::TestDir;

#[test]
fn explains_a_code_with_steps_and_commands() {
    let run = TestDir::new().run(&["explain", "clientcertcrlhit"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("Failed:ClientCertCrlHit\n"), "{}", run.stdout);
    assert!(run.stdout.contains("How to fix it:\n  1. "));
    assert!(run.stdout.contains("Commands:\n  # "));
    assert!(run.stdout.contains("openssl crl"), "CRL remediation names the openssl command");
}

#[test]
fn all_lists_every_documented_code_and_json_matches() {
    let t = TestDir::new();
    let text = t.run(&["explain", "all"]).stdout;
    let json = t.run(&["explain", "all", "--json"]).json();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 13 + 3);
    for entry in entries {
        let status = entry["status"].as_str().unwrap();
        assert!(text.contains(&format!("{status}\n  {}", entry["summary"].as_str().unwrap())), "{status} missing from text");
    }
}

#[test]
fn an_undocumented_code_is_explained_with_the_nearest_documented_ones() {
    let run = TestDir::new().run(&["explain", "Expired"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("AWS does not document the code Expired; did you mean ClientCertExpired?"), "{}", run.stderr);
    for typed in ["ClientCertRevoked", "Failed:ClientCertRevoked", "failed:clientcertrevoked"] {
        let undocumented = TestDir::new().run(&["explain", typed]);
        assert_eq!(undocumented.code, 0, "{typed}: {}", undocumented.stderr);
        assert!(undocumented.stdout.contains("not documented") || undocumented.stdout.contains("undocumented"), "{}", undocumented.stdout);
    }
    let near = TestDir::new().run(&["explain", "Failed:ClientCertExpird"]);
    assert!(near.stderr.contains("did you mean ClientCertExpired?"), "{}", near.stderr);
}

#[test]
fn a_status_that_cannot_be_a_code_suggests_the_nearest_codes_not_the_catalogue() {
    let run = TestDir::new().run(&["explain", "Client-Cert-Expired"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown code `Client-Cert-Expired`; did you mean ClientCertExpired?"), "{}", run.stderr);
    assert!(run.stderr.lines().count() <= 2 && !run.stderr.contains("ClientCertMaxChainDepthExceeded"), "{}", run.stderr);
}
