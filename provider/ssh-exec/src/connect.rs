//! Establishing one authenticated connection: TCP (or a tunnel through a jump host), handshake
//! with host key check, authentication, retried while the host is still booting.

use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::PrivateKey;
use russh::{ChannelOpenFailure, Disconnect};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

use crate::authenticate::authenticate;
use crate::error::SshError;
use crate::host_key::{HandshakeError, HostKeyVerifier};
use crate::target::{Endpoint, Target};

pub(crate) type Connection = Handle<HostKeyVerifier>;

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const DISCONNECT_LIMIT: Duration = Duration::from_secs(2);
/// Detects a host that vanished while a long, silent command (an installer) runs.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// Sends a disconnect, without waiting long for a peer that is gone or stuck: errors at this
/// point change nothing for the caller.
pub(crate) async fn hang_up(connection: &Connection) {
    let disconnect = connection.disconnect(Disconnect::ByApplication, "", "en");
    let _ = timeout(DISCONNECT_LIMIT, disconnect).await;
}

/// How the byte stream to the target is made.
#[derive(Clone, Copy)]
pub(crate) enum Route<'a> {
    Direct,
    /// A direct-tcpip channel through an authenticated connection to this jump host.
    Via(&'a Connection, &'a Endpoint),
}

/// Why one attempt failed, and whether another attempt may succeed.
enum AttemptError {
    /// Refused, timed out, reset: the host may still be booting.
    NotYet(String),
    /// The host answered but refused our key: cloud-init may not have installed it yet, so
    /// retry, but if time runs out this error is the answer, not "unreachable".
    Rejected(SshError),
    /// Retrying cannot help (host key mismatch, protocol error).
    Fatal(SshError),
}

/// Connects, verifies the host key and authenticates, retrying until `target.retry_for` ends.
pub(crate) async fn connect_with_retries(
    target: &Target,
    private_key: Option<Arc<PrivateKey>>,
    route: Route<'_>,
) -> Result<Connection, SshError> {
    let endpoint = &target.endpoint;
    let config = Arc::new(client::Config {
        keepalive_interval: Some(KEEPALIVE_INTERVAL),
        ..client::Config::default()
    });
    let started = Instant::now();
    let deadline = started + target.retry_for;
    let mut backoff = FIRST_BACKOFF;
    let mut attempts = 0;
    // Once the host has answered and refused our key, that is the answer to give, even if a
    // later attempt only met a reset connection.
    let mut rejection = None;
    loop {
        attempts += 1;
        let last_error = match attempt(target, &config, private_key.clone(), route).await {
            Ok(connection) => {
                tracing::debug!(destination = %endpoint, attempts, "SSH connection established");
                return Ok(connection);
            }
            Err(AttemptError::Fatal(e)) => return Err(e),
            Err(AttemptError::Rejected(e)) => {
                tracing::debug!(destination = %endpoint, attempts, "SSH key not accepted (yet)");
                rejection = Some(e);
                None
            }
            Err(AttemptError::NotYet(reason)) => {
                tracing::debug!(destination = %endpoint, attempts, %reason, "SSH attempt failed");
                Some(reason)
            }
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(rejection.unwrap_or_else(|| SshError::Unreachable {
                addr: endpoint.address(),
                user: endpoint.user.clone(),
                attempts,
                waited: now - started,
                last_error: last_error.unwrap_or_default(),
            }));
        }
        sleep(backoff.min(deadline - now)).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One attempt: stream and handshake within `connect_timeout`, then authentication within it.
async fn attempt(
    target: &Target,
    config: &Arc<client::Config>,
    private_key: Option<Arc<PrivateKey>>,
    route: Route<'_>,
) -> Result<Connection, AttemptError> {
    let limit = target.connect_timeout;
    let mut connection = timeout(limit, handshake(target, config, route))
        .await
        .map_err(|_| AttemptError::NotYet(format!("no SSH handshake within {limit:?}")))??;
    let endpoint = &target.endpoint;
    let failed = match timeout(
        limit,
        authenticate(&mut connection, endpoint, private_key, target.auth.agent),
    )
    .await
    {
        Ok(Ok(())) => return Ok(connection),
        Ok(Err(e @ SshError::AuthFailed { .. })) => Err(AttemptError::Rejected(e)),
        Ok(Err(e)) => Err(AttemptError::Fatal(e)),
        Err(_) => Err(AttemptError::NotYet(format!(
            "authentication did not finish within {limit:?}"
        ))),
    };
    // Free the server's pre-authentication slot (MaxStartups) before the next attempt.
    hang_up(&connection).await;
    failed
}

async fn handshake(
    target: &Target,
    config: &Arc<client::Config>,
    route: Route<'_>,
) -> Result<Connection, AttemptError> {
    let endpoint = &target.endpoint;
    let verifier = HostKeyVerifier::new(endpoint.clone(), target.host_key.clone());
    let result = match route {
        Route::Direct => {
            let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
                .await
                .map_err(|e| AttemptError::NotYet(e.to_string()))?;
            // Commands and their replies are small messages: do not let Nagle delay them.
            tcp.set_nodelay(true).ok();
            client::connect_stream(config.clone(), tcp, verifier).await
        }
        Route::Via(jump, jump_endpoint) => {
            let channel = jump
                .channel_open_direct_tcpip(
                    endpoint.host.as_str(),
                    u32::from(endpoint.port),
                    "127.0.0.1",
                    0,
                )
                .await
                .map_err(|e| tunnel_error(e, endpoint, jump_endpoint))?;
            client::connect_stream(config.clone(), channel.into_stream(), verifier).await
        }
    };
    result.map_err(|e| handshake_error(e, endpoint))
}

fn tunnel_error(e: russh::Error, target: &Endpoint, jump: &Endpoint) -> AttemptError {
    match e {
        russh::Error::ChannelOpenFailure(ChannelOpenFailure::ConnectFailed) => {
            AttemptError::NotYet(format!(
                "bastion {jump} could not connect to {}",
                target.address()
            ))
        }
        other => AttemptError::Fatal(SshError::Channel {
            destination: jump.to_string(),
            action: "open a tunnel (direct-tcpip)",
            reason: format!(
                "{other} (target {}; does the bastion allow TCP forwarding?)",
                target.address()
            ),
        }),
    }
}

fn handshake_error(e: HandshakeError, endpoint: &Endpoint) -> AttemptError {
    match e {
        HandshakeError::HostKey(e) => AttemptError::Fatal(e),
        // An sshd that is starting, or throttling (MaxStartups), drops the connection early.
        HandshakeError::Ssh(
            e @ (russh::Error::IO(_)
            | russh::Error::HUP
            | russh::Error::Disconnect
            | russh::Error::ConnectionTimeout
            | russh::Error::SendError),
        ) => AttemptError::NotYet(format!("connection closed during the SSH handshake: {e}")),
        HandshakeError::Ssh(e) => AttemptError::Fatal(SshError::Connection {
            destination: endpoint.to_string(),
            reason: e.to_string(),
        }),
    }
}
