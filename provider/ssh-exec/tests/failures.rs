//! Unreachable hosts, refused keys and bad keys: clear errors naming host, port and user.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use acceptance_tests::sshd::{generate_key, KeyType, Sshd};
use ssh_exec::{Auth, Endpoint, HostKeyCheck, Session, SshError, Target};

#[tokio::test]
async fn closed_port_is_retried_until_retry_for_then_unreachable() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut target = Target::new(
        Endpoint::new("127.0.0.1", port, "root"),
        Auth {
            agent: true,
            ..Auth::default()
        },
        HostKeyCheck::Insecure,
    );
    target.retry_for = Duration::from_secs(2);

    let started = Instant::now();
    let err = Session::connect(&target)
        .await
        .expect_err("nothing listens there");
    let waited = started.elapsed();

    assert!(waited >= target.retry_for, "gave up after {waited:?}");
    let SshError::Unreachable { attempts, .. } = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert!(*attempts >= 3, "only {attempts} attempts in {waited:?}");
    let message = err.to_string();
    let expected_start = format!("host 127.0.0.1:{port} (user root) did not answer within 2.");
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(
        message.contains(&format!("({attempts} attempts; last error: ")),
        "{message}"
    );
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
}

#[tokio::test]
async fn a_key_the_server_does_not_know_fails_naming_the_user_even_after_retrying() {
    let sshd = Sshd::start();
    let stranger = generate_key(sshd.dir(), "stranger", KeyType::Ed25519);
    let stranger_key = std::fs::read_to_string(&stranger).unwrap();
    let mut target = common::target_for(&sshd);
    target.auth.private_key = Some(stranger_key.clone());
    // A refused key is retried (cloud-init may install it late) but stays the answer.
    target.retry_for = Duration::from_secs(1);

    let err = Session::connect(&target)
        .await
        .expect_err("unknown key must be refused");
    assert!(
        matches!(err, SshError::AuthFailed { .. }),
        "{err:?} LOG {}",
        sshd.log()
    );
    let message = err.to_string();
    let expected_start = format!(
        "authentication of user {} at 127.0.0.1:{} failed (tried: private_key ssh-ed25519 SHA256:",
        sshd.user(),
        sshd.port()
    );
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(
        message.contains("the server accepts: publickey"),
        "{message}"
    );
    assert_no_key_material(&message, &stranger_key);
}

#[tokio::test]
async fn bad_private_key_text_is_rejected_without_quoting_it() {
    let sshd = Sshd::start();
    let good = sshd.client_private_key();
    let mut target = common::target_for(&sshd);

    target.auth.private_key = Some("ssh-ed25519 AAAA this is a public key".into());
    let message = Session::connect(&target).await.unwrap_err().to_string();
    assert!(
        message.starts_with("invalid private_key: not an OpenSSH or PEM private key"),
        "{message}"
    );

    // A damaged key: a byte in the middle of the base64 body changed.
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    lines[2] = lines[2].chars().rev().collect();
    let damaged = lines.join("\n");
    target.auth.private_key = Some(damaged.clone());
    let err = Session::connect(&target).await.unwrap_err();
    assert!(matches!(err, SshError::BadPrivateKey { .. }), "{err:?}");
    assert_no_key_material(&err.to_string(), &damaged);
    assert_no_key_material(&format!("{err:?}"), &damaged);
}

#[tokio::test]
async fn encrypted_key_needs_its_passphrase() {
    let sshd = Sshd::start();
    let key_path = sshd.client_key_path();
    let reencrypt = std::process::Command::new("ssh-keygen")
        .args(["-p", "-q", "-P", "", "-N", "s3cret", "-f"])
        .arg(&key_path)
        .output()
        .unwrap();
    assert!(reencrypt.status.success(), "{reencrypt:?}");
    let mut target = common::target_for(&sshd);
    target.auth.private_key = Some(sshd.client_private_key());

    let message = Session::connect(&target).await.unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid private_key: the key is encrypted: set passphrase"
    );

    target.auth.passphrase = Some("wrong-passphrase".into());
    let message = Session::connect(&target).await.unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid private_key: the key could not be decrypted: wrong passphrase"
    );

    target.auth.passphrase = Some("s3cret".into());
    let session = Session::connect(&target).await.unwrap();
    assert!(!format!("{target:?}").contains("s3cret"));
    session.close().await;
}

#[tokio::test]
async fn missing_credentials_and_bad_endpoint_fields_are_named() {
    let target = |host: &str, port, user: &str, auth| {
        Target::new(
            Endpoint::new(host, port, user),
            auth,
            HostKeyCheck::Insecure,
        )
    };
    let agent = Auth {
        agent: true,
        ..Auth::default()
    };
    let cases = [
        (target("", 22, "root", agent.clone()), "invalid host:"),
        (target("h", 0, "root", agent.clone()), "invalid port:"),
        (target("h", 22, "", agent), "invalid user:"),
        (
            target("h", 22, "root", Auth::default()),
            "invalid private_key: no credentials",
        ),
    ];
    for (target, expected) in cases {
        let message = Session::connect(&target).await.unwrap_err().to_string();
        assert!(message.starts_with(expected), "{message}");
    }
}

/// No line of the key's body may appear in a message.
fn assert_no_key_material(message: &str, key: &str) {
    for line in key
        .lines()
        .filter(|l| l.len() > 20 && !l.starts_with("-----"))
    {
        assert!(!message.contains(line), "key material in: {message}");
    }
}
