//! Every failure names the destination (`user@host:port`) and never carries key material.

use std::path::PathBuf;
use std::time::Duration;

/// Errors of connecting, authenticating and running commands.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// A bad input, found before any connection.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },

    /// Every attempt was refused or timed out until `retry_for` ran out.
    #[error(
        "host {addr} (user {user}) did not answer within {} ({attempts} attempt{}; last error: {last_error})",
        human(*waited),
        if *attempts == 1 { "" } else { "s" }
    )]
    Unreachable {
        addr: String,
        user: String,
        attempts: u32,
        waited: Duration,
        last_error: String,
    },

    /// The server presented a key that is not the expected one.
    #[error(
        "host key of {addr} is {presented}, expected {}: refusing to connect (a reinstalled host, or someone in between)",
        expected.join(" or ")
    )]
    HostKeyMismatch {
        addr: String,
        presented: String,
        expected: Vec<String>,
    },

    /// The known_hosts file has no entry for this host.
    #[error("host {addr} is not listed in known_hosts file {} (it presented {presented})", known_hosts.display())]
    UnknownHostKey {
        addr: String,
        presented: String,
        known_hosts: PathBuf,
    },

    /// The known_hosts file could not be read or parsed.
    #[error("known_hosts file {}: {reason}", path.display())]
    KnownHostsFile { path: PathBuf, reason: String },

    /// The server accepted none of the credentials.
    #[error(
        "authentication of user {user} at {addr} failed (tried: {}; the server accepts: {})",
        tried.join(", "),
        if server_accepts.is_empty() { "nothing more".to_string() } else { server_accepts.join(", ") }
    )]
    AuthFailed {
        addr: String,
        user: String,
        tried: Vec<String>,
        server_accepts: Vec<String>,
    },

    /// The private key text could not be decoded (its content is never part of the message).
    #[error("invalid private_key: {reason}")]
    BadPrivateKey { reason: String },

    /// The SSH agent could not be reached or used.
    #[error("ssh-agent (SSH_AUTH_SOCK) for user {user} at {addr}: {reason}")]
    Agent {
        addr: String,
        user: String,
        reason: String,
    },

    /// The connection or handshake failed for a reason retrying would not fix.
    #[error("SSH connection to {destination} failed: {reason}")]
    Connection { destination: String, reason: String },

    /// A channel (command or tunnel) on an established connection failed.
    #[error("{destination}: could not {action}: {reason}")]
    Channel {
        destination: String,
        action: &'static str,
        reason: String,
    },

    /// Reaching the jump host failed.
    #[error("via bastion {bastion}: {source}")]
    Bastion {
        bastion: String,
        #[source]
        source: Box<SshError>,
    },

    /// A command exited nonzero (see [`crate::CommandOutput::check`]).
    #[error("{what} failed with exit status {status}: {stderr_tail}")]
    CommandFailed {
        what: String,
        status: u32,
        stderr_tail: String,
    },
}

/// `5m 0s`, `2.0s`: short enough for an error line.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m {}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
