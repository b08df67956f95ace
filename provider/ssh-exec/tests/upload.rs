//! Atomic uploads against a real OpenSSH server.

mod common;

use acceptance_tests::sshd::Sshd;
use sha2::{Digest, Sha256};
use ssh_exec::{Session, SshError};

#[tokio::test]
async fn upload_creates_parent_dirs_sets_mode_and_leaves_no_temp_file() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    let dir = sshd.dir().join("new/nested dir/it's");
    let path = dir.join("config.yaml");
    let path = path.to_str().unwrap();

    session
        .upload(path, b"token: first\n", 0o600)
        .await
        .unwrap();
    session
        .upload(path, b"token: second\n", 0o640)
        .await
        .unwrap();

    let quoted = format!("\"{}\"", path.replace('"', "\\\""));
    let content = session.run(&format!("cat {quoted}")).await.unwrap();
    assert_eq!(content.check("cat").unwrap().stdout, "token: second\n");
    let mode = session.run(&format!("stat -c %a {quoted}")).await.unwrap();
    assert_eq!(mode.stdout.trim(), "640");
    let listing = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(listing, ["config.yaml"]);

    session.upload(path, b"", 0o600).await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"");
    let mode = session.run(&format!("stat -c %a {quoted}")).await.unwrap();
    assert_eq!(mode.stdout.trim(), "600");
    session.close().await;
}

#[tokio::test]
async fn large_binary_upload_arrives_intact() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    let content = pseudo_random_bytes(8 * 1024 * 1024 + 13);
    let path = sshd.dir().join("images/k3s-airgap.tar");
    let path = path.to_str().unwrap();

    session.upload(path, &content, 0o644).await.unwrap();

    let remote = session.run(&format!("sha256sum {path}")).await.unwrap();
    let remote_digest = remote.check("sha256sum").unwrap().stdout;
    let local_digest = format!("{:x}", Sha256::digest(&content));
    assert_eq!(
        remote_digest.split_whitespace().next(),
        Some(local_digest.as_str())
    );
    session.close().await;
}

#[tokio::test]
async fn a_failing_upload_names_path_and_host_and_keeps_the_old_file() {
    let sshd = Sshd::start();
    let session = Session::connect(&common::target_for(&sshd)).await.unwrap();
    // A regular file where a parent directory should be.
    let blocker = sshd.dir().join("blocker");
    std::fs::write(&blocker, "keep").unwrap();
    let path = format!("{}/sub/file", blocker.display());
    let err = session.upload(&path, b"data", 0o600).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, SshError::CommandFailed { .. }), "{err:?}");
    assert!(
        message.starts_with(&format!("upload of {path} to {}", session.destination())),
        "{message}"
    );
    assert!(message.contains("Not a directory"), "{message}");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "keep");

    let relative = session
        .upload("relative/file", b"data", 0o600)
        .await
        .unwrap_err();
    assert!(
        relative.to_string().starts_with("invalid path:"),
        "{relative}"
    );
    session.close().await;
}

/// Deterministic bytes covering every value (xorshift64).
fn pseudo_random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}
