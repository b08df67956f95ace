//! Key authentication, commands and their output against a real OpenSSH server.

mod common;

use acceptance_tests::sshd::{KeyType, Sshd, SshdOptions};
use ssh_exec::{Session, SshError};

#[tokio::test]
async fn runs_a_command_and_captures_stdout_stderr_and_status() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    assert_eq!(
        session.destination(),
        format!("{}@{}:{}", sshd.user(), sshd.host(), sshd.port())
    );

    let out = session.run("echo out; echo err >&2; exit 3").await.unwrap();
    assert_eq!(out.exit_status, 3);
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");

    let whoami = session.run("id -un").await.unwrap().check("id").unwrap();
    assert_eq!(whoami.stdout.trim(), sshd.user());
    session.close().await;
}

#[tokio::test]
async fn nonzero_status_becomes_command_failed_with_stderr() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    let err = session
        .run("echo 'k3s: unknown flag --bogus' >&2; exit 1")
        .await
        .unwrap()
        .check("k3s install on node-1")
        .unwrap_err();
    assert!(
        matches!(err, SshError::CommandFailed { status: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "k3s install on node-1 failed with exit status 1: k3s: unknown flag --bogus"
    );
    session.close().await;
}

#[tokio::test]
async fn stdin_reaches_the_command_and_commands_share_one_connection() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    let out = session
        .run_with_stdin("tr a-z A-Z", b"token-value\n")
        .await
        .unwrap();
    assert_eq!(out.stdout, "TOKEN-VALUE\n");
    // Two commands at once on the same connection.
    let (a, b) = tokio::join!(session.run("sleep 0.2; echo a"), session.run("echo b"));
    assert_eq!(
        (a.unwrap().stdout, b.unwrap().stdout),
        ("a\n".into(), "b\n".into())
    );
    session.close().await;
}

#[tokio::test]
async fn an_ecdsa_and_an_rsa_client_key_authenticate_too() {
    for client_key in [KeyType::Ecdsa, KeyType::Rsa] {
        let sshd = Sshd::start_with(SshdOptions {
            client_key,
            ..SshdOptions::default()
        });
        let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
        let out = session.run("echo ok").await.unwrap();
        assert_eq!(out.stdout, "ok\n", "{client_key:?}");
        session.close().await;
    }
}

#[tokio::test]
async fn a_command_killed_by_a_signal_reports_255_and_the_signal() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    let out = session.run("echo started; kill -TERM $$").await.unwrap();
    assert_eq!(out.stdout, "started\n");
    assert_eq!(out.exit_status, 255);
    assert_eq!(out.stderr, "(killed by signal TERM)");
    session.close().await;
}

#[tokio::test]
async fn megabytes_through_stdin_and_stdout_at_once_do_not_deadlock() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    // `cat` writes back while it still reads: both directions must flow at the same time.
    let input: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
    let out = session
        .run_with_stdin("cat", input.as_bytes())
        .await
        .unwrap();
    assert_eq!(out.exit_status, 0);
    assert_eq!(out.stdout.len(), input.len());
    assert!(out.stdout == input, "echoed bytes differ");
    session.close().await;
}
