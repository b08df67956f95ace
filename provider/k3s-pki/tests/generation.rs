//! Every key algorithm generates a complete set; options and tokens behave at the edges.

mod common;

use common::{generate, options, x509_text};
use k3s_pki::{
    check_token_ca, issue_client_cert, parse_token, random_secret, secure_token, ClusterPki,
    KeyAlgorithm, PkiError, PkiOptions, TokenError,
};

fn key_description(alg: KeyAlgorithm) -> &'static str {
    match alg {
        KeyAlgorithm::EcdsaP256 => "ASN1 OID: prime256v1",
        KeyAlgorithm::EcdsaP384 => "ASN1 OID: secp384r1",
        KeyAlgorithm::Rsa2048 => "Public-Key: (2048 bit)",
        KeyAlgorithm::Rsa3072 => "Public-Key: (3072 bit)",
        KeyAlgorithm::Rsa4096 => "Public-Key: (4096 bit)",
    }
}

#[test]
fn every_algorithm_generates_keys_of_its_type() {
    let dir = tempfile::tempdir().unwrap();
    for alg in KeyAlgorithm::ALL {
        let pki = generate(alg);
        for cert in [
            &pki.root_ca,
            &pki.intermediate_ca,
            &pki.server_ca,
            &pki.etcd_peer_ca,
            &pki.admin,
        ] {
            let text = x509_text(dir.path(), &cert.cert_pem);
            assert!(text.contains(key_description(alg)), "{alg}: {text}");
        }
        assert!(pki.not_after() > time::OffsetDateTime::now_utc() + time::Duration::days(364));
    }
}

#[test]
fn not_after_is_the_admin_expiry() {
    let pki = ClusterPki::generate(&PkiOptions {
        client_validity_days: 10,
        ..options(KeyAlgorithm::EcdsaP256)
    })
    .unwrap();
    let days_left = (pki.not_after() - time::OffsetDateTime::now_utc()).whole_days();
    assert_eq!(days_left, 9, "10 days from now minus the running second");
    assert!(
        pki.not_after_rfc3339().ends_with('Z'),
        "{}",
        pki.not_after_rfc3339()
    );
}

#[test]
fn bad_options_name_the_field() {
    let cases = [
        (
            PkiOptions {
                cluster_name: " ".into(),
                ..options(KeyAlgorithm::EcdsaP256)
            },
            "cluster_name: must not be empty",
        ),
        (
            PkiOptions {
                ca_validity_days: 0,
                ..options(KeyAlgorithm::EcdsaP256)
            },
            "ca_validity_days: must be at least 1",
        ),
        (
            PkiOptions {
                client_validity_days: 4000,
                ..options(KeyAlgorithm::EcdsaP256)
            },
            "client_validity_days: 4000 exceeds ca_validity_days (3650)",
        ),
    ];
    for (opts, expected) in cases {
        let err = ClusterPki::generate(&opts).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{err}");
    }
}

#[test]
fn issuing_from_a_non_ca_or_mismatched_key_fails() {
    let pki = generate(KeyAlgorithm::EcdsaP256);
    let err = issue_client_cert(&pki.admin, "x", &[], 1).unwrap_err();
    assert!(
        matches!(err, PkiError::InvalidCa(ref m) if m.contains("not a CA")),
        "{err}"
    );
    let mut wrong_key = pki.client_ca.clone();
    wrong_key.key_pem = pki.server_ca.key_pem.clone();
    let err = issue_client_cert(&wrong_key, "x", &[], 1).unwrap_err();
    assert!(
        err.to_string().contains("private key does not belong"),
        "{err}"
    );
    let err =
        issue_client_cert(&pki.client_ca, "x", &["a", "b", "c"].map(String::from), 1).unwrap_err();
    assert!(err.to_string().starts_with("organizations:"), "{err}");
}

#[test]
fn token_round_trip_and_ca_mismatch() {
    let (pki, other) = (
        generate(KeyAlgorithm::EcdsaP256),
        generate(KeyAlgorithm::EcdsaP256),
    );
    let secret = random_secret();
    let token = secure_token(&pki.server_ca_bundle(), &secret);
    let parsed = parse_token(&token).unwrap();
    assert_eq!(parsed.username.as_deref(), Some("server"));
    assert_eq!(parsed.password, secret);
    check_token_ca(&token, &pki.server_ca_bundle()).unwrap();

    let err = check_token_ca(&token, &other.server_ca_bundle()).unwrap_err();
    let TokenError::CaMismatch {
        ref token_hash,
        ref cluster_hash,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(Some(token_hash.clone()), parsed.ca_hash);
    assert_ne!(token_hash, cluster_hash);
    assert!(err.to_string().starts_with(&format!(
        "token's CA hash {token_hash} does not match the cluster CA ("
    )));

    // A short token pins no CA; a bundle without certificates is an error, not a match.
    check_token_ca(&secret, &other.server_ca_bundle()).unwrap();
    assert_eq!(
        check_token_ca(&token, "not pem"),
        Err(TokenError::NoCertificate)
    );
}

#[test]
fn renewing_the_server_ca_under_the_same_root_keeps_the_token_valid() {
    let pki = generate(KeyAlgorithm::EcdsaP256);
    let token = secure_token(&pki.server_ca_bundle(), "s");
    let renewed = k3s_pki::issue_client_cert(&pki.intermediate_ca, "unused", &[], 1).unwrap();
    // A different first certificate chaining to the same root hashes the same, as in k3s.
    let bundle = format!("{}{}", renewed.cert_pem, pki.intermediate_ca.cert_pem);
    check_token_ca(&token, &bundle).unwrap();
}

#[test]
fn debug_output_never_shows_private_keys() {
    let shown = format!("{:?}", generate(KeyAlgorithm::EcdsaP256));
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    assert!(shown.contains("BEGIN CERTIFICATE"));
}
