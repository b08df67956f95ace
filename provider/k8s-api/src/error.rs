//! Error types. Messages name the request (method and path) or the offending field and never
//! carry key material.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

/// A field the server said is owned by another manager (from a 409 apply conflict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    /// The field path as the API reports it, e.g. `.spec.replicas`.
    pub field: String,
    /// The server's sentence naming the manager that owns it.
    pub message: String,
}

/// Any failure talking to the Kubernetes API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API answered with a non-success status; `message` is the Status object's message.
    #[error("{method} {path}: {status}: {message}{}", conflict_hint(.status, .conflicts))]
    Status {
        method: String,
        path: String,
        status: StatusCode,
        /// The Status object's `reason` (e.g. `NotFound`, `Conflict`), when the body had one.
        reason: Option<String>,
        message: String,
        conflicts: Vec<FieldConflict>,
    },
    /// TCP connect or HTTP exchange failed below the TLS layer.
    #[error("cannot reach {origin}: {detail}")]
    Unreachable { origin: String, detail: String },
    /// The server's certificate does not chain to the kubeconfig's CA.
    #[error(
        "cannot reach {origin}: server certificate not signed by the kubeconfig CA ({detail})"
    )]
    ServerCertUntrusted { origin: String, detail: String },
    /// The server refused the client certificate during the TLS handshake.
    #[error("cannot reach {origin}: server rejected our client certificate ({detail})")]
    ClientCertRejected { origin: String, detail: String },
    /// Any other TLS failure (wrong host name in the certificate, protocol mismatch, ...).
    #[error("cannot reach {origin}: TLS error: {detail}")]
    Tls { origin: String, detail: String },
    /// A single request got no answer within the per-request timeout.
    #[error("{method} {path}: no answer within {}", human_duration(*.after))]
    RequestTimeout {
        method: String,
        path: String,
        after: Duration,
    },
    /// The answer could not be understood.
    #[error("{method} {path}: unexpected answer: {detail}")]
    InvalidResponse {
        method: String,
        path: String,
        detail: String,
    },
    /// The kubeconfig could not be turned into a TLS client configuration.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// Discovery does not list the kind (CRD not installed, or a typo in apiVersion/kind).
    #[error(
        "no resource for kind {kind} in {api_version}: the server's discovery does not list it"
    )]
    UnknownKind { api_version: String, kind: String },
    /// A long-running wait (rollout, drain) did not finish in time.
    #[error("timed out after {} waiting for {what}: {detail}", human_duration(*.after))]
    WaitTimeout {
        what: String,
        after: Duration,
        detail: String,
    },
    /// A wait cannot finish because the object it waits on is in a state that will not change.
    #[error("{what}: {detail}")]
    WaitFailed { what: String, detail: String },
}

impl ApiError {
    /// HTTP status of an API answer, if this error is one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when retrying cannot help: the TLS identities do not match.
    pub fn is_certificate_problem(&self) -> bool {
        matches!(
            self,
            ApiError::ServerCertUntrusted { .. } | ApiError::ClientCertRejected { .. }
        ) || self.status() == Some(StatusCode::UNAUTHORIZED)
    }
}

fn conflict_hint(status: &StatusCode, conflicts: &[FieldConflict]) -> String {
    if *status == StatusCode::UNAUTHORIZED {
        return " (server rejected our client certificate)".to_string();
    }
    if *status != StatusCode::CONFLICT || conflicts.is_empty() {
        return String::new();
    }
    let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
    format!(
        " (conflicting fields: {}; apply with force to take ownership)",
        fields.join(", ")
    )
}

/// A kubeconfig that cannot be used; `field` is a path such as `users[0].user.client-key-data`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct KubeconfigError {
    pub field: String,
    pub problem: String,
}

impl KubeconfigError {
    pub(crate) fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        KubeconfigError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// A manifest document that cannot be applied; `document` is 1-based in the YAML stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document {document}{}: {problem}", item_suffix(*.item))]
pub struct ManifestError {
    pub document: usize,
    /// 1-based index inside a `kind: List` document.
    pub item: Option<usize>,
    pub problem: String,
}

fn item_suffix(item: Option<usize>) -> String {
    item.map(|i| format!(", item {i}")).unwrap_or_default()
}

/// The readiness phase that was being waited on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Ping,
    Readyz,
    Nodes,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Ping => "/ping",
            Phase::Readyz => "/readyz",
            Phase::Nodes => "nodes",
        })
    }
}

/// Why [`crate::Client::wait_ready`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    /// The deadline passed; `detail` says what the last attempt saw.
    #[error("timed out after {} waiting for {phase}: {detail}", human_duration(*.after))]
    Timeout {
        phase: Phase,
        after: Duration,
        detail: String,
    },
    /// A failure that waiting cannot fix (certificates that do not match the cluster).
    #[error("{phase}: {source}")]
    Fatal {
        phase: Phase,
        #[source]
        source: Box<ApiError>,
    },
}

/// `5m`, `90s`, `1500ms`: the shortest exact unit, as people write timeouts.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        "0s".to_string()
    } else if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_shortest_exact_unit() {
        assert_eq!(human_duration(Duration::from_secs(300)), "5m");
        assert_eq!(human_duration(Duration::from_secs(90)), "90s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(human_duration(Duration::from_secs(7200)), "2h");
    }
}
