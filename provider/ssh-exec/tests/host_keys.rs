//! Host key checking: fingerprints, known_hosts files (plain and hashed), insecure mode.

mod common;

use std::process::Command;
use std::time::Duration;

use acceptance_tests::sshd::Sshd;
use ssh_exec::{fingerprint_sha256, HostKeyCheck, Session, SshError};

#[tokio::test]
async fn fingerprint_helper_agrees_with_ssh_keygen() {
    let sshd = Sshd::start();
    assert_eq!(
        fingerprint_sha256(&sshd.host_public_key()).unwrap(),
        sshd.host_key_fingerprint()
    );
}

#[tokio::test]
async fn right_fingerprint_connects_and_a_wrong_one_is_refused_without_retrying() {
    let sshd = Sshd::start();
    let mut target = common::target_for(&sshd);
    Session::connect(&target).await.unwrap().close().await;

    let wrong = fingerprint_sha256(&sshd.client_public_key()).unwrap();
    target.host_key = HostKeyCheck::Fingerprints(vec![wrong.clone()]);
    target.retry_for = Duration::from_secs(60);
    let started = std::time::Instant::now();
    let err = Session::connect(&target)
        .await
        .expect_err("a wrong fingerprint must be refused");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "a host key mismatch must not be retried"
    );
    assert!(matches!(err, SshError::HostKeyMismatch { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{}", sshd.port())),
        "{message}"
    );
    assert!(message.contains(&sshd.host_key_fingerprint()), "{message}");
    assert!(message.contains(&wrong), "{message}");
}

#[tokio::test]
async fn malformed_fingerprint_is_rejected_before_connecting() {
    let sshd = Sshd::start();
    let mut target = common::target_for(&sshd);
    target.host_key = HostKeyCheck::Fingerprints(vec!["MD5:12:34".into()]);
    let message = Session::connect(&target).await.unwrap_err().to_string();
    assert!(
        message.starts_with("invalid host_key fingerprints: \"MD5:12:34\""),
        "{message}"
    );
}

#[tokio::test]
async fn known_hosts_file_plain_and_hashed() {
    let sshd = Sshd::start();
    let known_hosts = sshd.dir().join("known_hosts");
    let mut target = common::target_for(&sshd);
    target.host_key = HostKeyCheck::KnownHosts(known_hosts.clone());

    let other = "[10.9.9.9]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    std::fs::write(
        &known_hosts,
        format!("# comment\n{other}\n{}\n", sshd.known_hosts_line()),
    )
    .unwrap();
    Session::connect(&target).await.unwrap().close().await;

    // `ssh-keygen -H` replaces host names by |1|salt|hash entries, as HashKnownHosts does.
    let hashed = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&known_hosts)
        .output()
        .unwrap();
    assert!(
        hashed.status.success(),
        "{}",
        String::from_utf8_lossy(&hashed.stderr)
    );
    let text = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(
        text.contains("|1|") && !text.contains("127.0.0.1"),
        "{text}"
    );
    Session::connect(&target).await.unwrap().close().await;
}

#[tokio::test]
async fn known_hosts_without_the_host_or_with_another_key_is_refused() {
    let sshd = Sshd::start();
    let known_hosts = sshd.dir().join("known_hosts");
    let mut target = common::target_for(&sshd);
    target.host_key = HostKeyCheck::KnownHosts(known_hosts.clone());

    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    std::fs::write(&known_hosts, format!("[10.9.9.9]:22 {key}\n")).unwrap();
    let err = Session::connect(&target).await.unwrap_err();
    assert!(matches!(err, SshError::UnknownHostKey { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("is not listed in known_hosts file"),
        "{err}"
    );

    std::fs::write(&known_hosts, format!("[127.0.0.1]:{} {key}\n", sshd.port())).unwrap();
    let err = Session::connect(&target).await.unwrap_err();
    assert!(matches!(err, SshError::HostKeyMismatch { .. }), "{err:?}");

    target.host_key = HostKeyCheck::KnownHosts(sshd.dir().join("no-such-file"));
    let err = Session::connect(&target).await.unwrap_err();
    assert!(matches!(err, SshError::KnownHostsFile { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-file"), "{err}");
}

#[tokio::test]
async fn insecure_mode_accepts_any_host_key() {
    let sshd = Sshd::start();
    let mut target = common::target_for(&sshd);
    target.host_key = HostKeyCheck::Insecure;
    let session = Session::connect(&target).await.unwrap();
    assert_eq!(session.run("echo hi").await.unwrap().stdout, "hi\n");
    session.close().await;
}
