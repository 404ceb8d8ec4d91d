//! Tokenizer throughput on decompressed text (bytes per second per core).

use albmtls_parse::Record;
use divan::Bencher;
use divan::counter::BytesCount;

fn main() {
    divan::main();
}

/// A realistic block: 15-field lines, a mix of statuses, subjects with spaces.
fn block() -> Vec<u8> {
    let statuses = ["Success", "Success", "Success", "Success", "Failed:ClientCertExpired", "-", "Failed:ClientCertUntrusted"];
    let mut out = Vec::new();
    for i in 0..4000u32 {
        let status = statuses[i as usize % statuses.len()];
        let line = format!(
            "2026-11-02T10:{:02}:{:02}.{:06}Z 203.0.{}.{} {} 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.0{:02} \"CN=client-{:04}.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2027-04-02T19:17:20Z {:X} {status} TID_{:032x} X25519MLKEM768 app/my-lb/50dc6c495c0c9188 10.0.1.5\n",
            i / 60 % 60,
            i % 60,
            i,
            i % 20,
            i % 250 + 1,
            1024 + i,
            i % 100,
            i % 500,
            i * 7919,
            u128::from(i) * 0x9e37_79b9_7f4a_7c15
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

#[divan::bench]
fn tokenize(bencher: Bencher) {
    let data = block();
    bencher.counter(BytesCount::of_slice(&data)).bench(|| {
        let mut ok = 0u32;
        for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            ok += u32::from(Record::parse(divan::black_box(line)).is_ok());
        }
        assert_eq!(ok, 4000);
        ok
    });
}
