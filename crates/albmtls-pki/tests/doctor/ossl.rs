//! PKIs made by openssl in a temporary directory, for what rcgen cannot make (negative
//! serials, v1 and extension-less CRLs, stale CRLs, arbitrary key usages) and so that
//! every verdict is checked on certificates a real CA tool wrote. openssl must be on
//! PATH: these tests fail, never skip, without it.

use std::process::Command;

use crate::pki::require_openssl;

/// The time the tests check openssl-made certificates at: one for the whole run, so that
/// every report of a test states the same one, and ten minutes ahead, so that every
/// certificate the run makes (valid from the second openssl wrote it) is valid by then.
pub fn check_time() -> chrono::DateTime<chrono::Utc> {
    static AT: std::sync::OnceLock<chrono::DateTime<chrono::Utc>> = std::sync::OnceLock::new();
    *AT.get_or_init(|| chrono::Utc::now() + chrono::Duration::minutes(10))
}

/// Which key a certificate gets.
#[derive(Clone, Copy)]
pub enum Key {
    P256,
    Rsa(u32),
}

/// A temporary directory openssl writes a PKI into. Names are file stems: `root` means
/// `root.pem` (certificate) and `root.key`.
pub struct Ossl {
    dir: tempfile::TempDir,
}

impl Ossl {
    pub fn new() -> Ossl {
        require_openssl();
        let ossl = Ossl { dir: tempfile::tempdir().unwrap() };
        // A config of our own, so the system's openssl.cnf adds no extensions.
        ossl.write("req.cnf", "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n");
        ossl
    }

    pub fn path(&self, file: &str) -> String {
        self.dir.path().join(file).to_string_lossy().into_owned()
    }

    pub fn write(&self, file: &str, text: &str) -> String {
        std::fs::write(self.dir.path().join(file), text).unwrap();
        self.path(file)
    }

    pub fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(file)).unwrap()
    }

    pub fn text(&self, file: &str) -> String {
        String::from_utf8(self.read(file)).unwrap()
    }

    /// Runs openssl in the directory; `(succeeded, stdout + stderr)`.
    pub fn try_run(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("openssl").args(args).current_dir(self.dir.path()).output().unwrap();
        (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }

    /// Runs openssl and requires it to succeed.
    pub fn run(&self, args: &[&str]) -> String {
        let (ok, out) = self.try_run(args);
        assert!(ok, "openssl {}: {out}", args.join(" "));
        out
    }

    fn new_key(&self, name: &str, key: Key) {
        let key_file = format!("{name}.key");
        match key {
            Key::P256 => self.run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &key_file]),
            Key::Rsa(bits) => {
                self.run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", &format!("rsa_keygen_bits:{bits}"), "-out", &key_file])
            }
        };
    }

    /// A self-signed certificate `name.pem` with exactly the extensions in `extensions`
    /// (openssl.cnf lines), valid for `days` from now.
    pub fn root(&self, name: &str, key: Key, extensions: &[&str], days: u32) -> &Self {
        self.new_key(name, key);
        let (key_file, subject, days, out) = (format!("{name}.key"), format!("/CN={name}"), days.to_string(), format!("{name}.pem"));
        let mut args = vec![
            "req", "-x509", "-new", "-config", "req.cnf", "-key", &key_file, "-subj", &subject, "-days", &days, "-sha256", "-out", &out,
        ];
        for extension in extensions {
            args.extend(["-addext", extension]);
        }
        self.run(&args);
        self
    }

    /// A CA: `root` with CA:TRUE, keyCertSign and cRLSign.
    pub fn ca(&self, name: &str) -> &Self {
        self.root(name, Key::P256, &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"], 3650)
    }

    /// `name.pem` issued by `issuer` with `serial` (openssl's syntax: `-5`, `0x1001`) and
    /// the given extensions, valid for `days` from now, signed with `digest`.
    pub fn issue(&self, name: &str, issuer: &str, serial: &str, extensions: &[&str], days: u32, digest: &str) -> &Self {
        self.new_key(name, Key::P256);
        self.write(&format!("{name}.ext"), &format!("[ext]\n{}\n", extensions.join("\n")));
        let csr = format!("{name}.csr");
        self.run(&["req", "-new", "-config", "req.cnf", "-key", &format!("{name}.key"), "-subj", &format!("/CN={name}"), "-out", &csr]);
        self.run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-set_serial",
            serial,
            "-days",
            &days.to_string(),
            &format!("-{digest}"),
            "-extfile",
            &format!("{name}.ext"),
            "-extensions",
            "ext",
            "-out",
            &format!("{name}.pem"),
        ]);
        self
    }

    /// A client certificate for TLS client authentication.
    pub fn client(&self, name: &str, issuer: &str, serial: &str) -> &Self {
        self.issue(name, issuer, serial, &CLIENT_EXTENSIONS, 365, "sha256")
    }

    /// An intermediate CA.
    pub fn intermediate(&self, name: &str, issuer: &str, serial: &str) -> &Self {
        self.issue(name, issuer, serial, &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"], 3650, "sha256")
    }

    /// `name` (a `.pem` file) from `openssl ca -gencrl` by `issuer`, revoking `serials`
    /// (hex as in openssl's index, `-05` for a negative one).
    pub fn crl(&self, name: &str, issuer: &str, serials: &[&str], form: CrlForm) -> &Self {
        let db = format!("{name}.db");
        std::fs::create_dir_all(self.dir.path().join(&db)).unwrap();
        let index: String =
            serials.iter().map(|serial| format!("R\t301231235959Z\t250101000000Z\t{serial}\tunknown\t/CN=revoked {serial}\n")).collect();
        self.write(&format!("{db}/index.txt"), &index);
        let mut config = format!("[ca]\ndefault_ca = d\n[d]\ndatabase = {db}/index.txt\ndefault_md = sha256\ndefault_crl_days = 30\n");
        if form != CrlForm::Version1 && form != CrlForm::Version2WithoutExtensions {
            self.write(&format!("{db}/crlnumber"), "01\n");
            config.push_str(&format!("crlnumber = {db}/crlnumber\n"));
        }
        config.push_str("[empty]\n");
        self.write(&format!("{db}/ca.cnf"), &config);
        let (config, cert, key, out) = (format!("{db}/ca.cnf"), format!("{issuer}.pem"), format!("{issuer}.key"), format!("{name}.pem"));
        let mut args = vec!["ca", "-gencrl", "-config", &config, "-cert", &cert, "-keyfile", &key, "-out", &out];
        match form {
            CrlForm::Current | CrlForm::Version1 => {}
            CrlForm::Version2WithoutExtensions => args.extend(["-crlexts", "empty"]),
            CrlForm::Stale => args.extend(["-crl_lastupdate", "20240101000000Z", "-crl_nextupdate", "20240201000000Z"]),
        }
        self.run(&args);
        self
    }

    /// `openssl verify` of `client` against `ca_file`, with `extra` options; `(ok, output)`.
    pub fn verify(&self, ca_file: &str, untrusted: Option<&str>, client: &str, extra: &[&str]) -> (bool, String) {
        let mut args = vec!["verify", "-purpose", "sslclient", "-CAfile", ca_file];
        if let Some(chain) = untrusted {
            args.extend(["-untrusted", chain]);
        }
        args.extend(extra);
        args.push(client);
        self.try_run(&args)
    }

    /// Concatenates files into `name`.
    pub fn cat(&self, name: &str, files: &[&str]) -> String {
        let text: String = files.iter().map(|f| self.text(f)).collect();
        self.write(name, &text)
    }

    /// The DER size of a PEM certificate file, as `openssl x509 -outform DER | wc -c` gives it.
    pub fn der_size(&self, file: &str) -> usize {
        let out = Command::new("openssl").args(["x509", "-in", file, "-outform", "DER"]).current_dir(self.dir.path()).output().unwrap();
        assert!(out.status.success());
        out.stdout.len()
    }
}

/// What [`Ossl::crl`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CrlForm {
    /// v2 with a CRL number, next update in 30 days.
    Current,
    /// Next update 2024-02-01: stale.
    Stale,
    /// v1: no extensions, no version field.
    Version1,
    /// v2 with no extensions at all.
    Version2WithoutExtensions,
}

pub const CLIENT_EXTENSIONS: [&str; 3] = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"];
