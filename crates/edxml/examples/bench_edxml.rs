//! edXML benchmark: signed packages built per second, and packages parsed + verified per
//! second, with one attachment of 1 MB and of 20 MB, and the peak resident memory (VmHWM) of each
//! case. Every case runs in a fresh child process so its VmHWM is its own.
//!
//!   cargo run --release -p edxml --example bench_edxml [-- --seconds N]

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use edxml::{AttachmentSource, DiscardSink, Package, Signer, TrustStore, read_package, verify, write_package};
use rcgen::{CertificateParams, DnType, KeyPair};
use sha2::{Digest, Sha256};

const MB: u64 = 1024 * 1024;

/// Pseudo-random bytes made on demand, so the attachment itself never sits in memory.
struct Generated {
    left: u64,
    state: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        for b in &mut buf[..n] {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *b = (self.state >> 24) as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn generated(size: u64) -> Generated {
    Generated { left: size, state: 0x2545_F491_4F6C_DD1D }
}

fn identity() -> (Signer, TrustStore) {
    let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/test_rsa2048.pk8.pem")).expect("test key");
    let key = KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, "Bench signer");
    let cert = params.self_signed(&key).expect("certificate");
    let signer = Signer::from_pem(key.serialize_pem().as_bytes(), cert.der()).expect("signer");
    let mut trust = TrustStore::new();
    trust.add(cert.der()).expect("trust");
    (signer, trust)
}

fn package() -> Package {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small_attachment.xml");
    let bytes = std::fs::read(path).expect("fixture");
    read_package(bytes.as_slice(), &mut DiscardSink).expect("fixture parses").package
}

fn source(size: u64, sha256: [u8; 32]) -> AttachmentSource {
    AttachmentSource { content_id: "cv7.pdf".into(), sha256, reader: Box::new(generated(size)) }
}

fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

/// Runs one case in this process and prints `ops_per_s<TAB>mb_per_s<TAB>vm_hwm_kb`.
fn run_case(case: &str, size: u64, seconds: u64) {
    let (signer, trust) = identity();
    let pkg = package();
    let sha256: [u8; 32] = {
        let mut h = Sha256::new();
        std::io::copy(&mut generated(size), &mut h).expect("hash");
        h.finalize().into()
    };
    let file = std::env::temp_dir().join(format!("bench_edxml_{}_{size}.xml", std::process::id()));
    if case == "parse+verify" {
        let out = BufWriter::new(File::create(&file).expect("temp file"));
        write_package(out, &pkg, &mut [source(size, sha256)], Some(&signer)).expect("build");
    }
    let budget = Duration::from_secs(seconds);
    let started = Instant::now();
    let mut n = 0u64;
    while n < 3 || started.elapsed() < budget {
        match case {
            "build" => {
                let mut sink = std::io::sink();
                write_package(&mut sink, &pkg, &mut [source(size, sha256)], Some(&signer)).expect("build");
            }
            _ => {
                let input = BufReader::with_capacity(64 * 1024, File::open(&file).expect("open"));
                let parsed = read_package(input, &mut DiscardSink).expect("parse");
                verify(&parsed, &trust).expect("verify");
            }
        }
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    let _ = writeln!(std::io::stdout(), "{:.2}\t{:.1}\t{}", n as f64 / secs, (n * size) as f64 / MB as f64 / secs, vm_hwm_kb());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds = args.iter().position(|a| a == "--seconds").and_then(|i| args.get(i + 1)).and_then(|s| s.parse().ok()).unwrap_or(3);
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let case = &args[i + 1];
        let size: u64 = args[i + 2].parse().expect("size");
        run_case(case, size, seconds);
        return;
    }
    let exe = std::env::current_exe().expect("current exe");
    println!("edXML package benchmark: RSA-2048 signature, one attachment, {seconds} s per case, each case in its own process");
    println!();
    println!("| case                        | attachment | packages/s | attachment MB/s | peak RSS (VmHWM) |");
    println!("|-----------------------------|-----------:|-----------:|----------------:|-----------------:|");
    for size in [MB, 20 * MB] {
        for (case, label) in [("build", "build + sign"), ("parse+verify", "parse + verify signature")] {
            let out = Command::new(&exe)
                .args(["--case", case, &size.to_string(), "--seconds", &seconds.to_string()])
                .output()
                .expect("child runs");
            let line = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = line.trim().split('\t').collect();
            if !out.status.success() || f.len() != 3 {
                eprintln!("case {case} {size} failed: {}", String::from_utf8_lossy(&out.stderr));
                std::process::exit(1);
            }
            let rss_mb = f[2].parse::<f64>().unwrap_or(0.0) / 1024.0;
            println!("| {label:<27} | {:>7} MB | {:>10} | {:>15} | {:>13.1} MB |", size / MB, f[0], f[1], rss_mb);
        }
    }
}
