//! What to connect to and how: plain data the provider fills from its configuration.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::SshError;

/// Where to connect and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
}

impl Endpoint {
    pub fn new(host: impl Into<String>, port: u16, user: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port,
            user: user.into(),
        }
    }

    /// `host:port`, with IPv6 literals in brackets.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `user@host:port`, the form every error message uses.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.user, self.address())
    }
}

/// How the server's host key is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// Accept any host key (first boot of throwaway VMs only).
    Insecure,
    /// Accept a key whose fingerprint is one of these, in OpenSSH's `SHA256:<base64>` form.
    Fingerprints(Vec<String>),
    /// Accept a key listed for this host in an OpenSSH `known_hosts` file (plain, `[host]:port`
    /// and hashed `|1|` entries).
    KnownHosts(PathBuf),
}

/// Credentials. Tried in order: `private_key`, then every key the agent holds.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// OpenSSH or PEM private key text. Secret: never logged or shown in errors.
    pub private_key: Option<String>,
    /// Passphrase of an encrypted `private_key`. Secret.
    pub passphrase: Option<String>,
    /// Also try the keys of the agent at `SSH_AUTH_SOCK`.
    pub agent: bool,
}

/// Redacts the secrets so a `{:?}` of a target can go into logs.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| if set { "<redacted>" } else { "<none>" };
        f.debug_struct("Auth")
            .field("private_key", &redacted(self.private_key.is_some()))
            .field("passphrase", &redacted(self.passphrase.is_some()))
            .field("agent", &self.agent)
            .finish()
    }
}

/// One host to reach, possibly through a jump host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub endpoint: Endpoint,
    pub auth: Auth,
    pub host_key: HostKeyCheck,
    /// Jump host: the connection is tunnelled through it (direct-tcpip), like `ssh -J`.
    pub bastion: Option<Box<Target>>,
    /// Limit of one attempt: TCP connect plus SSH handshake, and again for authentication.
    pub connect_timeout: Duration,
    /// Keep retrying refused or timed-out connections until this much time has passed, for
    /// machines that are still booting. Zero means one attempt.
    pub retry_for: Duration,
}

impl Target {
    /// A direct target with a 10 s connect timeout and no retries.
    pub fn new(endpoint: Endpoint, auth: Auth, host_key: HostKeyCheck) -> Self {
        Self {
            endpoint,
            auth,
            host_key,
            bastion: None,
            connect_timeout: Duration::from_secs(10),
            retry_for: Duration::ZERO,
        }
    }

    /// Rejects what can be known to be wrong before any connection, naming the field.
    pub(crate) fn validate(&self) -> Result<(), SshError> {
        let invalid = |field: &'static str, reason: &str| {
            Err(SshError::InvalidArgument {
                field,
                reason: format!("{reason} (target {})", self.endpoint),
            })
        };
        if self.endpoint.host.trim().is_empty() {
            return invalid("host", "must not be empty");
        }
        if self.endpoint.port == 0 {
            return invalid("port", "must be between 1 and 65535");
        }
        if self.endpoint.user.trim().is_empty() {
            return invalid("user", "must not be empty");
        }
        if self.auth.private_key.is_none() && !self.auth.agent {
            return invalid(
                "private_key",
                "no credentials: set a private key or enable the SSH agent",
            );
        }
        if self.connect_timeout.is_zero() {
            return invalid("connect_timeout", "must be greater than zero");
        }
        if let HostKeyCheck::Fingerprints(list) = &self.host_key {
            if list.is_empty() {
                return invalid("host_key fingerprints", "the list is empty");
            }
            if let Some(bad) = list
                .iter()
                .find(|f| crate::host_key::normalize(f).is_none())
            {
                return invalid(
                    "host_key fingerprints",
                    &format!("{bad:?} is not of the form SHA256:<43 base64 characters>"),
                );
            }
        }
        Ok(())
    }
}
