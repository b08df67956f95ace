//! The API client: requests, the Status object in errors, and object CRUD by reference.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::discovery::Discovery;
use crate::error::{ApiError, FieldConflict};
use crate::kubeconfig::Kubeconfig;
use crate::manifest::{Manifest, ObjectRef};
use crate::transport::{Body, Transport};

/// Default per-request timeout: generous for a busy single-node k3s on a small VM.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default interval between polls in rollout and drain waits.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How DELETE treats dependents (the API's `propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

impl Propagation {
    fn as_str(self) -> &'static str {
        match self {
            Propagation::Background => "Background",
            Propagation::Foreground => "Foreground",
            Propagation::Orphan => "Orphan",
        }
    }
}

/// A Kubernetes API client authenticated by client certificate. Clones share connections and
/// the discovery cache.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
    discovery: Arc<Discovery>,
    pub(crate) request_timeout: Duration,
    pub(crate) poll_interval: Duration,
}

/// Where an object lives: its URL path and whether the kind is namespaced.
pub(crate) struct Located {
    pub path: String,
    pub namespace: Option<String>,
}

impl Client {
    /// Trusts only the kubeconfig's CA and authenticates with its client certificate.
    pub fn new(kc: &Kubeconfig) -> Result<Client, ApiError> {
        Ok(Client {
            transport: Transport::new(kc)?,
            discovery: Arc::new(Discovery::default()),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
        })
    }

    /// Per-request timeout (each HTTP exchange, not a whole wait).
    pub fn with_request_timeout(self, timeout: Duration) -> Client {
        Client {
            request_timeout: timeout,
            ..self
        }
    }

    /// Interval between polls in [`Client::wait_rollout`] and node drains.
    pub fn with_poll_interval(self, poll: Duration) -> Client {
        Client {
            poll_interval: poll,
            ..self
        }
    }

    /// `https://host:port` of the API server.
    pub fn origin(&self) -> &str {
        self.transport.origin()
    }

    /// `GET /ping`: k3s's supervisor answers `pong` without authentication once it listens.
    pub async fn ping(&self) -> Result<(), ApiError> {
        let text = self.text(Method::GET, "/ping").await?;
        if text.trim() == "pong" {
            Ok(())
        } else {
            Err(ApiError::InvalidResponse {
                method: "GET".into(),
                path: "/ping".into(),
                detail: format!("expected \"pong\", got {:?}", truncate(&text, 80)),
            })
        }
    }

    /// `GET /readyz?verbose`; a failure's message lists the failing checks.
    pub async fn readyz(&self) -> Result<(), ApiError> {
        self.text(Method::GET, "/readyz?verbose").await.map(|_| ())
    }

    /// Server-side apply of one object: created when absent, our fields merged when present.
    pub async fn apply(
        &self,
        obj: &Manifest,
        field_manager: &str,
        force: bool,
    ) -> Result<Value, ApiError> {
        self.server_side_apply(obj, field_manager, force, false)
            .await
    }

    /// The same apply with `dryRun=All`: the server validates, defaults and checks conflicts,
    /// and answers with the object it would store, storing nothing.
    pub async fn apply_dry_run(
        &self,
        obj: &Manifest,
        field_manager: &str,
        force: bool,
    ) -> Result<Value, ApiError> {
        self.server_side_apply(obj, field_manager, force, true)
            .await
    }

    async fn server_side_apply(
        &self,
        obj: &Manifest,
        field_manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let located = self.locate(&obj.reference).await?;
        let mut body = obj.object.clone();
        match (&located.namespace, body.get_mut("metadata")) {
            (Some(ns), Some(Value::Object(meta))) => {
                meta.insert("namespace".into(), Value::String(ns.clone()));
            }
            // Cluster-scoped kinds have no namespace; kubectl ignores one given by mistake.
            (None, Some(Value::Object(meta))) => {
                meta.remove("namespace");
            }
            _ => {}
        }
        let query = format!(
            "?fieldManager={}&force={force}{}",
            encode_query_value(field_manager),
            if dry_run { "&dryRun=All" } else { "" }
        );
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        self.json(
            Method::PATCH,
            &format!("{}{query}", located.path),
            Some(Body {
                // JSON is YAML, and the apply endpoint only accepts this content type.
                content_type: "application/apply-patch+yaml",
                bytes,
            }),
        )
        .await
    }

    /// The live object, or `None` when it does not exist.
    pub async fn get(&self, r: &ObjectRef) -> Result<Option<Value>, ApiError> {
        let located = self.locate(r).await?;
        match self.json(Method::GET, &located.path, None).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes with background propagation; an object already gone is success.
    pub async fn delete(&self, r: &ObjectRef) -> Result<(), ApiError> {
        self.delete_with_propagation(r, Propagation::Background)
            .await
    }

    /// Deletes with the given propagation policy; an object already gone is success.
    pub async fn delete_with_propagation(
        &self,
        r: &ObjectRef,
        propagation: Propagation,
    ) -> Result<(), ApiError> {
        let located = self.locate(r).await?;
        let path = format!(
            "{}?propagationPolicy={}",
            located.path,
            propagation.as_str()
        );
        match self.json(Method::DELETE, &path, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Resolves a reference to its URL path through discovery; namespaced kinds without a
    /// namespace go to `default`.
    pub(crate) async fn locate(&self, r: &ObjectRef) -> Result<Located, ApiError> {
        let resource = self
            .discovery
            .resource(self, &r.api_version, &r.kind)
            .await?;
        let namespace = resource
            .namespaced
            .then(|| r.namespace.clone().unwrap_or_else(|| "default".into()));
        let path = format!(
            "{}{}/{}/{}",
            api_prefix(&r.api_version),
            namespace
                .as_ref()
                .map(|ns| format!("/namespaces/{ns}"))
                .unwrap_or_default(),
            resource.plural,
            r.name
        );
        Ok(Located { path, namespace })
    }

    /// A JSON request; non-2xx answers become [`ApiError::Status`] with the Status message.
    pub(crate) async fn json(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Value, ApiError> {
        let resp = self
            .transport
            .send(method.clone(), path_and_query, body, self.request_timeout)
            .await?;
        let path = path_only(path_and_query);
        if !resp.status.is_success() {
            return Err(status_error(&method, path, resp.status, &resp.body));
        }
        if resp.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&resp.body).map_err(|e| ApiError::InvalidResponse {
            method: method.to_string(),
            path: path.to_string(),
            detail: format!("not JSON: {e}"),
        })
    }

    /// A plain-text request (health endpoints).
    async fn text(&self, method: Method, path_and_query: &str) -> Result<String, ApiError> {
        let resp = self
            .transport
            .send(method.clone(), path_and_query, None, self.request_timeout)
            .await?;
        if !resp.status.is_success() {
            return Err(status_error(
                &method,
                path_only(path_and_query),
                resp.status,
                &resp.body,
            ));
        }
        Ok(String::from_utf8_lossy(&resp.body).into_owned())
    }
}

/// `/api/v1` for the core group, `/apis/<group>/<version>` otherwise.
pub(crate) fn api_prefix(api_version: &str) -> String {
    if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    }
}

fn path_only(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or_default()
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass through).
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds the error for a non-2xx answer from the API's Status object, or from the text of a
/// health endpoint (whose failing checks are the `[-]` lines).
fn status_error(method: &Method, path: &str, status: StatusCode, body: &[u8]) -> ApiError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let (message, reason, conflicts) = match parsed.as_ref().filter(|v| v["kind"] == "Status") {
        Some(s) => (
            s["message"].as_str().unwrap_or_default().to_string(),
            s["reason"].as_str().map(str::to_string),
            conflicts_of(s),
        ),
        None => (health_failures(body), None, Vec::new()),
    };
    ApiError::Status {
        method: method.to_string(),
        path: path.to_string(),
        status,
        reason,
        message,
        conflicts,
    }
}

fn conflicts_of(status: &Value) -> Vec<FieldConflict> {
    status["details"]["causes"]
        .as_array()
        .map(|causes| {
            causes
                .iter()
                .filter(|c| c["reason"] == "FieldManagerConflict")
                .map(|c| FieldConflict {
                    field: c["field"].as_str().unwrap_or_default().to_string(),
                    message: c["message"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn health_failures(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let failing: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("[-]"))
        .map(str::trim)
        .collect();
    if failing.is_empty() {
        truncate(text.trim(), 500)
    } else {
        failing.join("; ")
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// The items of a list answer (empty when it has none).
pub(crate) fn items(list: &Value) -> &[Value] {
    list["items"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// A merge patch body (RFC 7386), understood by every resource.
pub(crate) fn merge_patch(patch: Value) -> Body {
    Body {
        content_type: "application/merge-patch+json",
        bytes: serde_json::to_vec(&patch).expect("a JSON value serializes"),
    }
}

/// The Eviction (policy/v1) body for one pod.
pub(crate) fn eviction(namespace: &str, name: &str) -> Body {
    let body = json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": name, "namespace": namespace},
    });
    Body {
        content_type: "application/json",
        bytes: serde_json::to_vec(&body).expect("a JSON value serializes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_objects_become_messages_with_conflicts() {
        let body = br#"{"kind":"Status","apiVersion":"v1","status":"Failure",
            "message":"Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas",
            "reason":"Conflict","code":409,
            "details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"kubectl\" using apps/v1","field":".spec.replicas"}]}}"#;
        let err = status_error(
            &Method::PATCH,
            "/apis/apps/v1/namespaces/default/deployments/web",
            StatusCode::CONFLICT,
            body,
        );
        let text = err.to_string();
        assert!(
            text.starts_with("PATCH /apis/apps/v1/namespaces/default/deployments/web: 409 Conflict: Apply failed with 1 conflict"),
            "{text}"
        );
        assert!(
            text.contains("conflicting fields: .spec.replicas"),
            "{text}"
        );
    }

    #[test]
    fn health_failures_keep_the_failing_checks() {
        let body = b"[+]ping ok\n[-]etcd failed: reason withheld\n[+]log ok\nreadyz check failed\n";
        let err = status_error(
            &Method::GET,
            "/readyz",
            StatusCode::INTERNAL_SERVER_ERROR,
            body,
        );
        assert_eq!(
            err.to_string(),
            "GET /readyz: 500 Internal Server Error: [-]etcd failed: reason withheld"
        );
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query_value("spec.nodeName=w 1"),
            "spec.nodeName%3Dw%201"
        );
    }
}
