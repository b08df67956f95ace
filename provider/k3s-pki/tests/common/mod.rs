//! Helpers shared by the integration tests: generating a PKI and running the real `openssl`.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::process::Command;

use k3s_pki::{ClusterPki, KeyAlgorithm, PkiOptions};

pub fn options(key_algorithm: KeyAlgorithm) -> PkiOptions {
    PkiOptions {
        cluster_name: "test-cluster".into(),
        key_algorithm,
        ca_validity_days: 3650,
        client_validity_days: 365,
    }
}

pub fn generate(key_algorithm: KeyAlgorithm) -> ClusterPki {
    ClusterPki::generate(&options(key_algorithm)).expect("generate PKI")
}

/// Writes every `server/tls` file under `dir` (creating `etcd/`).
pub fn write_tls_files(pki: &ClusterPki, dir: &Path) {
    for (rel, content) in pki.server_tls_files() {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

pub struct Outcome {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the system `openssl` in `dir`; panics with install advice when it is missing.
pub fn openssl(dir: &Path, args: &[&str]) -> Outcome {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl not installed: apt-get install openssl");
    Outcome {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `openssl x509 -text` of the first certificate in `pem`.
pub fn x509_text(dir: &Path, pem: &str) -> String {
    let path = dir.join("inspect.pem");
    std::fs::write(&path, pem).unwrap();
    let out = openssl(dir, &["x509", "-noout", "-text", "-in", "inspect.pem"]);
    assert!(out.success, "openssl x509 failed: {}", out.stderr);
    out.stdout
}
