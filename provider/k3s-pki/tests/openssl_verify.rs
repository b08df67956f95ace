//! The generated files checked with the real `openssl` binary.

mod common;

use std::collections::BTreeSet;

use common::{generate, openssl, write_tls_files, x509_text};
use k3s_pki::{ca_hash, issue_serving_cert, secure_token, KeyAlgorithm};

const LEAF_CAS: [&str; 5] = [
    "client",
    "server",
    "request-header",
    "etcd/peer",
    "etcd/server",
];

#[test]
fn file_layout_matches_the_custom_ca_script() {
    let pki = generate(KeyAlgorithm::EcdsaP256);
    let names: BTreeSet<String> = pki.server_tls_files().into_keys().collect();
    let mut expected: BTreeSet<String> = [
        "root-ca.pem",
        "root-ca.crt",
        "intermediate-ca.pem",
        "intermediate-ca.crt",
        "service.key",
    ]
    .map(String::from)
    .into();
    for ca in LEAF_CAS {
        for ext in ["pem", "crt", "key"] {
            expected.insert(format!("{ca}-ca.{ext}"));
        }
    }
    assert_eq!(names, expected);
    let files = pki.server_tls_files();
    assert_eq!(files["server-ca.crt"], pki.server_ca_bundle());
    assert_eq!(
        files["server-ca.crt"].matches("BEGIN CERTIFICATE").count(),
        3,
        "server-ca + intermediate + root"
    );
    assert_eq!(
        files["server-ca.crt"],
        format!(
            "{}{}{}",
            files["server-ca.pem"], files["intermediate-ca.pem"], files["root-ca.pem"]
        )
    );
    assert_eq!(
        files["intermediate-ca.crt"],
        format!("{}{}", files["intermediate-ca.pem"], files["root-ca.pem"])
    );
    assert_eq!(files["root-ca.crt"], files["root-ca.pem"]);
}

#[test]
fn every_ca_and_the_admin_cert_verify_against_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let pki = generate(KeyAlgorithm::EcdsaP256);
    write_tls_files(&pki, dir.path());
    for ca in LEAF_CAS {
        let file = format!("{ca}-ca.pem");
        let out = openssl(
            dir.path(),
            &[
                "verify",
                "-x509_strict",
                "-CAfile",
                "root-ca.pem",
                "-untrusted",
                "intermediate-ca.pem",
                &file,
            ],
        );
        assert!(
            out.success && out.stdout.contains(": OK"),
            "{file}: {} {}",
            out.stdout,
            out.stderr
        );
    }
    std::fs::write(dir.path().join("admin.crt"), &pki.admin.cert_pem).unwrap();
    let out = openssl(
        dir.path(),
        &[
            "verify",
            "-x509_strict",
            "-purpose",
            "sslclient",
            "-CAfile",
            "root-ca.pem",
            "-untrusted",
            "client-ca.crt",
            "admin.crt",
        ],
    );
    assert!(
        out.success && out.stdout.contains("admin.crt: OK"),
        "{} {}",
        out.stdout,
        out.stderr
    );

    // The admin certificate is for clients only, and only from this cluster's CA.
    let as_server = openssl(
        dir.path(),
        &[
            "verify",
            "-purpose",
            "sslserver",
            "-CAfile",
            "root-ca.pem",
            "-untrusted",
            "client-ca.crt",
            "admin.crt",
        ],
    );
    assert!(
        !as_server.success,
        "a client-only certificate passed as a server: {}",
        as_server.stdout
    );
    let other = generate(KeyAlgorithm::EcdsaP256);
    std::fs::write(dir.path().join("other-root.pem"), &other.root_ca.cert_pem).unwrap();
    let foreign = openssl(
        dir.path(),
        &[
            "verify",
            "-CAfile",
            "other-root.pem",
            "-untrusted",
            "client-ca.crt",
            "admin.crt",
        ],
    );
    assert!(
        !foreign.success,
        "admin cert verified against another cluster's root: {}",
        foreign.stdout
    );
}

#[test]
fn every_key_file_belongs_to_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = generate(KeyAlgorithm::Rsa2048);
    write_tls_files(&pki, dir.path());
    for ca in LEAF_CAS {
        let from_key = openssl(
            dir.path(),
            &["pkey", "-pubout", "-in", &format!("{ca}-ca.key")],
        );
        let from_cert = openssl(
            dir.path(),
            &["x509", "-pubkey", "-noout", "-in", &format!("{ca}-ca.pem")],
        );
        assert!(
            from_key.success && from_cert.success,
            "{} {}",
            from_key.stderr,
            from_cert.stderr
        );
        assert_eq!(
            from_key.stdout, from_cert.stdout,
            "{ca}-ca.key does not match {ca}-ca.pem"
        );
    }
}

#[test]
fn ca_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let pki = generate(KeyAlgorithm::EcdsaP256);
    for (name, ca) in [
        ("root", &pki.root_ca),
        ("intermediate", &pki.intermediate_ca),
        ("server", &pki.server_ca),
    ] {
        let text = x509_text(dir.path(), &ca.cert_pem);
        assert!(
            text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE"),
            "{name}: {text}"
        );
        assert!(
            text.contains("Certificate Sign, CRL Sign"),
            "{name}: {text}"
        );
        assert!(
            text.contains("X509v3 Subject Key Identifier"),
            "{name}: {text}"
        );
        assert!(
            text.contains("X509v3 Authority Key Identifier"),
            "{name}: {text}"
        );
        assert!(text.contains("O = test-cluster"), "{name}: {text}");
        assert!(
            text.contains(&format!("CN = k3s-{name}-ca@")),
            "{name}: {text}"
        );
    }
}

#[test]
fn admin_and_serving_certificate_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let pki = generate(KeyAlgorithm::Rsa2048);
    let admin = x509_text(dir.path(), &pki.admin.cert_pem);
    assert!(
        admin.contains("Subject: O = system:masters, CN = system:admin"),
        "{admin}"
    );
    assert!(admin.contains("CA:FALSE"), "{admin}");
    assert!(
        admin.contains("Digital Signature, Key Encipherment"),
        "RSA leaf needs keyEncipherment: {admin}"
    );
    assert!(admin.contains("TLS Web Client Authentication"), "{admin}");
    assert!(!admin.contains("TLS Web Server Authentication"), "{admin}");

    let sans = [
        "kubernetes.default.svc".to_string(),
        "10.43.0.1".to_string(),
        "::1".to_string(),
    ];
    let serving = issue_serving_cert(&pki.server_ca, "kube-apiserver", &sans, 30).unwrap();
    let text = x509_text(dir.path(), &serving.cert_pem);
    assert!(
        text.contains(
            "DNS:kubernetes.default.svc, IP Address:10.43.0.1, IP Address:0:0:0:0:0:0:0:1"
        ),
        "{text}"
    );
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    assert!(text.contains("Subject: CN = kube-apiserver"), "{text}");

    let ec = generate(KeyAlgorithm::EcdsaP256);
    let ec_admin = x509_text(dir.path(), &ec.admin.cert_pem);
    assert!(ec_admin.contains("Digital Signature\n"), "{ec_admin}");
    assert!(
        !ec_admin.contains("Key Encipherment"),
        "ECDSA keys cannot encipher: {ec_admin}"
    );
}

#[test]
fn service_key_is_a_traditional_rsa_key() {
    let dir = tempfile::tempdir().unwrap();
    let pki = generate(KeyAlgorithm::EcdsaP384);
    write_tls_files(&pki, dir.path());
    assert!(pki
        .service_account_key_pem
        .starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    let out = openssl(
        dir.path(),
        &["rsa", "-check", "-noout", "-text", "-in", "service.key"],
    );
    assert!(
        out.success && out.stdout.contains("RSA key ok"),
        "{} {}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("Private-Key: (2048 bit"),
        "{}",
        out.stdout
    );
}

/// k3s hashes the DER of the bundle's root, not the file, once the bundle holds a chain.
#[test]
fn token_hash_is_the_sha256_of_the_root_der() {
    let dir = tempfile::tempdir().unwrap();
    let pki = generate(KeyAlgorithm::EcdsaP256);
    write_tls_files(&pki, dir.path());
    let out = openssl(
        dir.path(),
        &[
            "x509",
            "-in",
            "root-ca.pem",
            "-outform",
            "DER",
            "-out",
            "root.der",
        ],
    );
    assert!(out.success, "{}", out.stderr);
    let digest = openssl(dir.path(), &["dgst", "-sha256", "-r", "root.der"]);
    let expected = digest.stdout.split_whitespace().next().unwrap().to_string();
    assert_eq!(ca_hash(&pki.server_ca_bundle()).unwrap(), expected);
    assert!(
        secure_token(&pki.server_ca_bundle(), "s").starts_with(&format!("K10{expected}::server:"))
    );

    // A single certificate is hashed as the file's bytes.
    let single = std::fs::read_to_string(dir.path().join("root-ca.pem")).unwrap();
    let file_digest = openssl(dir.path(), &["dgst", "-sha256", "-r", "root-ca.pem"]);
    assert_eq!(
        ca_hash(&single).unwrap(),
        file_digest.stdout.split_whitespace().next().unwrap()
    );
}
