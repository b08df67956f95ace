//! Authentication through ssh-agent. One test in its own binary: it sets SSH_AUTH_SOCK for the
//! whole process, so the steps run in sequence.

mod common;

use acceptance_tests::sshd::{generate_key, KeyType, SshAgent, Sshd};
use ssh_exec::{Auth, Session, SshError};

#[tokio::test]
async fn agent_authenticates_and_its_absence_is_reported() {
    let sshd = Sshd::start();
    let agent = SshAgent::start(&sshd.client_key_path());
    let mut target = common::target_for(&sshd);
    target.auth = Auth {
        agent: true,
        ..Auth::default()
    };

    // The agent's key, no private key in Auth.
    std::env::set_var("SSH_AUTH_SOCK", agent.socket_path());
    let session = Session::connect(&target).await.unwrap();
    assert_eq!(
        session.run("echo via-agent").await.unwrap().stdout,
        "via-agent\n"
    );
    session.close().await;

    // Agent gone, nothing else configured: the agent is named.
    drop(agent);
    let err = Session::connect(&target)
        .await
        .expect_err("no agent any more");
    assert!(matches!(err, SshError::Agent { .. }), "{err:?}");
    let message = err.to_string();
    let expected_start = format!(
        "ssh-agent (SSH_AUTH_SOCK) for user {} at 127.0.0.1:{}: ",
        sshd.user(),
        sshd.port()
    );
    assert!(message.starts_with(&expected_start), "{message}");

    // A refused key and no agent: both attempts are listed.
    let stranger = generate_key(sshd.dir(), "stranger", KeyType::Ed25519);
    target.auth.private_key = Some(std::fs::read_to_string(stranger).unwrap());
    let err = Session::connect(&target).await.unwrap_err();
    assert!(matches!(err, SshError::AuthFailed { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("tried: private_key ssh-ed25519 SHA256:"),
        "{message}"
    );
    assert!(message.contains(", ssh-agent (unavailable: "), "{message}");
}
