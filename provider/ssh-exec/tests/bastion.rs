//! Jump host: the target is reached through a direct-tcpip tunnel of a second sshd.

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use acceptance_tests::sshd::{Sshd, SshdOptions};
use ssh_exec::{Endpoint, Session, SshError, Target};

fn target_sshd() -> Sshd {
    Sshd::start_with(SshdOptions {
        listen_address: Ipv4Addr::new(127, 0, 0, 2),
        ..SshdOptions::default()
    })
}

#[tokio::test]
async fn target_is_reached_through_the_bastion_and_depends_on_it() {
    let bastion = Sshd::start();
    let inner = target_sshd();
    let mut target = common::target_for(&inner);
    target.bastion = Some(Box::new(common::target_for(&bastion)));

    let session = Session::connect(&target).await.unwrap();
    let out = session.run("echo \"$SSH_CONNECTION\"").await.unwrap();
    // SSH_CONNECTION = client-ip client-port server-ip server-port, as the target sees it.
    let fields: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(
        fields[2..],
        ["127.0.0.2", &inner.port().to_string()],
        "{}",
        out.stdout
    );
    session
        .upload(
            &format!("{}/via-bastion", inner.dir().display()),
            b"ok",
            0o600,
        )
        .await
        .unwrap();

    // The connection runs through the bastion: without it, the target session is gone.
    drop(bastion);
    let err = session
        .run("true")
        .await
        .expect_err("the tunnel must have died with the bastion");
    assert!(err.to_string().starts_with(session.destination()), "{err}");
}

#[tokio::test]
async fn an_unreachable_bastion_is_named_as_such() {
    let inner = target_sshd();
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut jump = common::target_for(&inner);
    jump.endpoint = Endpoint::new("127.0.0.1", closed_port, "root");
    let mut target = common::target_for(&inner);
    target.bastion = Some(Box::new(jump));

    let err = Session::connect(&target).await.unwrap_err();
    let SshError::Bastion { source, .. } = &err else {
        panic!("expected Bastion, got {err:?}")
    };
    assert!(
        matches!(**source, SshError::Unreachable { .. }),
        "{source:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "via bastion root@127.0.0.1:{closed_port}: host 127.0.0.1:{closed_port}"
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_closed_target_behind_the_bastion_is_retried_then_unreachable() {
    let bastion = Sshd::start();
    let closed_port = TcpListener::bind("127.0.0.2:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut target = Target {
        endpoint: Endpoint::new("127.0.0.2", closed_port, "root"),
        ..common::target_for(&bastion)
    };
    target.retry_for = Duration::from_secs(1);
    target.bastion = Some(Box::new(common::target_for(&bastion)));

    let err = Session::connect(&target).await.unwrap_err();
    assert!(matches!(err, SshError::Unreachable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "host 127.0.0.2:{closed_port} (user root) did not answer"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("could not connect to 127.0.0.2:{closed_port}")),
        "{message}"
    );
}
