//! Request routing: health and discovery endpoints, then resource paths
//! (`/api/v1/...`, `/apis/<group>/<version>/...`) mapped to store operations.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::resources::{self, ResourceType};
use super::status::{success, StatusError};
use super::store::{now_rfc3339, Key, Store, Written};

/// A request as the router needs it.
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub content_type: String,
    pub user_agent: String,
    pub body: Vec<u8>,
    /// Who the verified client certificate names; `None` without one.
    pub user: Option<User>,
}

/// A user authenticated by client certificate: CN is the name, each O a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

/// The group RBAC's `cluster-admin` binding is bound to (and what k3s's admin cert carries).
const MASTERS: &str = "system:masters";

impl User {
    pub fn from_certificate(der: &[u8]) -> User {
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
            return User {
                name: String::new(),
                groups: Vec::new(),
            };
        };
        let texts = |attrs: Vec<&x509_parser::x509::AttributeTypeAndValue>| -> Vec<String> {
            attrs
                .into_iter()
                .filter_map(|a| a.as_str().ok().map(str::to_string))
                .collect()
        };
        let subject = cert.subject();
        User {
            name: texts(subject.iter_common_name().collect())
                .into_iter()
                .next()
                .unwrap_or_default(),
            groups: texts(subject.iter_organization().collect()),
        }
    }
}

pub struct Reply {
    pub code: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// A pod that started terminating and must disappear after its grace period.
    pub terminating: Option<(Key, String)>,
}

impl Reply {
    fn json(code: u16, value: &Value) -> Reply {
        Reply {
            code,
            content_type: "application/json",
            body: serde_json::to_vec(value).expect("JSON values serialize"),
            terminating: None,
        }
    }

    fn text(code: u16, text: String) -> Reply {
        Reply {
            code,
            content_type: "text/plain; charset=utf-8",
            body: text.into_bytes(),
            terminating: None,
        }
    }

    fn error(e: &StatusError) -> Reply {
        Reply::json(e.code, &e.to_json())
    }
}

/// What the router reads besides the store.
pub struct Context<'a> {
    pub ready: bool,
    pub server_address: &'a str,
}

const HEALTH_CHECKS: [&str; 9] = [
    "ping",
    "log",
    "etcd",
    "etcd-readiness",
    "informer-sync",
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/start-kube-aggregator-informers",
    "shutdown",
];

pub fn handle(store: &mut Store, ctx: &Context, req: &Request) -> Reply {
    // k3s's supervisor answers /ping before and without authentication.
    if req.path == "/ping" {
        return Reply::text(200, "pong".into());
    }
    let Some(user) = &req.user else {
        return Reply::error(&StatusError::unauthorized());
    };
    match req.path.as_str() {
        "/readyz" | "/healthz" => return health(&req.path[1..], ctx.ready, req),
        "/livez" => return health("livez", true, req),
        "/version" => return Reply::json(200, &version()),
        "/api" => return Reply::json(200, &resources::core_versions(ctx.server_address)),
        "/apis" => return Reply::json(200, &resources::group_list()),
        _ => {}
    }
    // Health and discovery are open to every authenticated user (system:public-info-viewer,
    // system:discovery); resources need system:masters, as no other RBAC binding exists here.
    let target = parse_path(&req.path);
    match target.and_then(|t| {
        authorize(user, &req.method, &t)?;
        resource_request(store, req, t)
    }) {
        Ok(reply) => reply,
        Err(e) => Reply::error(&e),
    }
}

fn health(name: &str, ready: bool, req: &Request) -> Reply {
    let verbose = req.query.contains_key("verbose");
    if ready && !verbose {
        return Reply::text(200, "ok".into());
    }
    let mut lines: Vec<String> = HEALTH_CHECKS
        .iter()
        .map(|check| match (*check, ready) {
            ("etcd-readiness", false) => format!("[-]{check} failed: reason withheld"),
            _ => format!("[+]{check} ok"),
        })
        .collect();
    lines.push(format!(
        "{name} check {}",
        if ready { "passed" } else { "failed" }
    ));
    Reply::text(if ready { 200 } else { 500 }, lines.join("\n") + "\n")
}

fn version() -> Value {
    json!({
        "major": "1", "minor": "31", "gitVersion": "v1.31.4+k3s1",
        "gitCommit": "a562d7a2d1f0e0a1a4b9d1b3c5e1f2a3b4c5d6e7", "gitTreeState": "clean",
        "buildDate": "2024-12-13T00:00:00Z", "goVersion": "go1.22.9", "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// The parts of a resource path.
enum Target {
    GroupVersion,
    Collection(&'static ResourceType, Option<String>),
    Object(Key),
    Eviction(Key),
}

fn parse_path(path: &str) -> Result<Target, StatusError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(StatusError::no_such_path()),
    };
    let lookup = |plural: &str| {
        resources::by_plural(group, version, plural).ok_or_else(StatusError::no_such_path)
    };
    let scoped = |rt: &'static ResourceType, namespaced: bool| {
        if rt.namespaced == namespaced {
            Ok(rt)
        } else {
            Err(StatusError::no_such_path())
        }
    };
    Ok(match rest {
        [] => {
            resources::resource_list(group, version).ok_or_else(StatusError::no_such_path)?;
            Target::GroupVersion
        }
        ["namespaces", ns, plural] => {
            Target::Collection(scoped(lookup(plural)?, true)?, Some(ns.to_string()))
        }
        ["namespaces", ns, plural, name] => {
            Target::Object(Key::new(scoped(lookup(plural)?, true)?, Some(ns), name))
        }
        ["namespaces", ns, "pods", name, "eviction"] if group.is_empty() => {
            Target::Eviction(Key::new(lookup("pods")?, Some(ns), name))
        }
        [plural] => Target::Collection(lookup(plural)?, None),
        [plural, name] => Target::Object(Key::new(scoped(lookup(plural)?, false)?, None, name)),
        _ => return Err(StatusError::no_such_path()),
    })
}

fn authorize(user: &User, method: &str, target: &Target) -> Result<(), StatusError> {
    if user.groups.iter().any(|g| g == MASTERS) {
        return Ok(());
    }
    let (rt, namespace, name, subresource, verb) = match target {
        Target::GroupVersion => return Ok(()),
        Target::Collection(rt, ns) => (*rt, ns.as_deref(), None, None, "list"),
        Target::Object(key) => (
            key_resource(key),
            key.namespace.as_deref(),
            Some(key.name.as_str()),
            None,
            match method {
                "PATCH" => "patch",
                "DELETE" => "delete",
                "PUT" => "update",
                _ => "get",
            },
        ),
        Target::Eviction(key) => (
            key_resource(key),
            key.namespace.as_deref(),
            Some(key.name.as_str()),
            Some("eviction"),
            "create",
        ),
    };
    Err(StatusError::forbidden(
        &user.name,
        verb,
        rt,
        subresource,
        namespace,
        name,
    ))
}

fn key_resource(key: &Key) -> &'static ResourceType {
    resources::RESOURCES
        .iter()
        .find(|r| r.group == key.group && r.plural == key.plural)
        .expect("parsed keys name served resources")
}

fn resource_request(
    store: &mut Store,
    req: &Request,
    target: Target,
) -> Result<Reply, StatusError> {
    let method = req.method.as_str();
    match target {
        Target::GroupVersion => {
            let (group, version) = group_version_of(&req.path);
            let list =
                resources::resource_list(group, version).ok_or_else(StatusError::no_such_path)?;
            Ok(Reply::json(200, &list))
        }
        Target::Collection(rt, namespace) if method == "GET" => Ok(Reply::json(
            200,
            &list(store, rt, namespace.as_deref(), req)?,
        )),
        Target::Object(key) => object_request(store, key, req),
        Target::Eviction(key) if method == "POST" => evict(store, key, req),
        _ => Err(StatusError::method_not_allowed()),
    }
}

fn group_version_of(path: &str) -> (&str, &str) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", version] => ("", version),
        ["apis", group, version] => (group, version),
        _ => ("", ""),
    }
}

fn object_request(store: &mut Store, key: Key, req: &Request) -> Result<Reply, StatusError> {
    let rt = key_resource(&key);
    match req.method.as_str() {
        "GET" => store
            .get(&key)
            .map(|o| Reply::json(200, &o))
            .ok_or_else(|| StatusError::not_found(rt, &key.name)),
        "DELETE" => store.delete(&key).map(|s| Reply::json(200, &s)),
        "PATCH" => patch(store, &key, req),
        _ => Err(StatusError::method_not_allowed()),
    }
}

fn patch(store: &mut Store, key: &Key, req: &Request) -> Result<Reply, StatusError> {
    let media_type = req
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    let now = now_rfc3339();
    match media_type {
        "application/apply-patch+yaml" => {
            let manager = req
                .query
                .get("fieldManager")
                .filter(|m| !m.is_empty())
                .ok_or_else(|| {
                    StatusError::bad_request("fieldManager is required for apply requests")
                })?;
            let force = req.query.get("force").is_some_and(|f| f == "true");
            let text = std::str::from_utf8(&req.body)
                .map_err(|_| StatusError::bad_request("the body is not UTF-8"))?;
            let body: Value = serde_norway::from_str(text)
                .map_err(|e| StatusError::bad_request(format!("error decoding YAML: {e}")))?;
            // A dry run applies to a copy: validation, defaults and conflicts, nothing stored.
            let mut scratch;
            let target = if req.query.get("dryRun").is_some_and(|d| d == "All") {
                scratch = store.clone();
                &mut scratch
            } else {
                store
            };
            Ok(match target.apply(key, body, manager, force, &now)? {
                Written::Created(obj) => Reply::json(201, &obj),
                Written::Updated(obj) => Reply::json(200, &obj),
            })
        }
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            let patch: Value = serde_json::from_slice(&req.body)
                .map_err(|e| StatusError::bad_request(format!("error decoding JSON patch: {e}")))?;
            let manager = match req.query.get("fieldManager") {
                Some(m) if !m.is_empty() => m.clone(),
                // The API names an unnamed manager after the client's user agent.
                _ => req
                    .user_agent
                    .split('/')
                    .next()
                    .unwrap_or("unknown")
                    .to_string(),
            };
            store
                .merge_patch(key, &patch, &manager, &now)
                .map(|o| Reply::json(200, &o))
        }
        other => Err(StatusError::unsupported_media_type(other)),
    }
}

fn evict(store: &mut Store, key: Key, req: &Request) -> Result<Reply, StatusError> {
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|e| StatusError::bad_request(format!("error decoding Eviction: {e}")))?;
    if body["kind"] != "Eviction"
        || !matches!(
            body["apiVersion"].as_str(),
            Some("policy/v1" | "policy/v1beta1")
        )
    {
        return Err(StatusError::bad_request(
            "the body must be an Eviction of apiVersion policy/v1",
        ));
    }
    if body["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n != key.name)
    {
        return Err(StatusError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    let uid = store.evict(&key, &now_rfc3339())?;
    let mut reply = Reply::json(201, &success(json!({}), 201));
    reply.terminating = Some((key, uid));
    Ok(reply)
}

/// A list answer; `fieldSelector` and `labelSelector` support equality terms.
fn list(
    store: &Store,
    rt: &ResourceType,
    namespace: Option<&str>,
    req: &Request,
) -> Result<Value, StatusError> {
    let fields = parse_selector(req.query.get("fieldSelector"))?;
    let labels = parse_selector(req.query.get("labelSelector"))?;
    for term in &fields {
        let known = matches!(term.key.as_str(), "metadata.name" | "metadata.namespace")
            || (rt.kind == "Pod" && matches!(term.key.as_str(), "spec.nodeName" | "status.phase"));
        if !known {
            return Err(StatusError::bad_request(format!(
                "field label not supported: {}",
                term.key
            )));
        }
    }
    let items: Vec<Value> = store
        .list(rt, namespace)
        .into_iter()
        .filter(|obj| {
            fields.iter().all(|t| {
                let value = t.key.split('.').fold(obj, |v, k| &v[k]);
                t.matches(value.as_str())
            })
        })
        .filter(|obj| {
            labels
                .iter()
                .all(|t| t.matches(obj["metadata"]["labels"][&t.key].as_str()))
        })
        .map(|mut obj| {
            // Items of typed lists carry no apiVersion/kind of their own.
            if let Some(map) = obj.as_object_mut() {
                map.remove("apiVersion");
                map.remove("kind");
            }
            obj
        })
        .collect();
    Ok(json!({
        "kind": format!("{}List", rt.kind),
        "apiVersion": rt.api_version(),
        "metadata": {"resourceVersion": store.resource_version().to_string()},
        "items": items,
    }))
}

/// One `key=value`, `key!=value`, `key` or `!key` term.
struct Term {
    key: String,
    value: Option<String>,
    negated: bool,
}

impl Term {
    fn matches(&self, actual: Option<&str>) -> bool {
        let hit = match &self.value {
            Some(v) => actual.unwrap_or_default() == v,
            None => actual.is_some(),
        };
        hit != self.negated
    }
}

fn parse_selector(selector: Option<&String>) -> Result<Vec<Term>, StatusError> {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    selector
        .split(',')
        .map(|term| {
            let term = term.trim();
            if term.contains(" in ") || term.contains(" notin ") {
                return Err(StatusError::bad_request(format!(
                    "set-based selector {term:?} is not supported by the stand-in"
                )));
            }
            Ok(if let Some((k, v)) = term.split_once("!=") {
                Term {
                    key: k.into(),
                    value: Some(v.into()),
                    negated: true,
                }
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Term {
                    key: k.into(),
                    value: Some(v.into()),
                    negated: false,
                }
            } else if let Some(k) = term.strip_prefix('!') {
                Term {
                    key: k.into(),
                    value: None,
                    negated: true,
                }
            } else {
                Term {
                    key: term.into(),
                    value: None,
                    negated: false,
                }
            })
        })
        .collect()
}

/// Query string into decoded pairs.
pub fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_decoded() {
        let q = parse_query("fieldSelector=spec.nodeName%3Dworker-1&verbose&force=true");
        assert_eq!(q["fieldSelector"], "spec.nodeName=worker-1");
        assert_eq!(q["verbose"], "");
        assert_eq!(q["force"], "true");
    }

    #[test]
    fn paths_map_to_targets() {
        assert!(matches!(
            parse_path("/api/v1/namespaces/default/pods/p/eviction"),
            Ok(Target::Eviction(_))
        ));
        assert!(
            matches!(parse_path("/api/v1/namespaces/default"), Ok(Target::Object(k)) if k.plural == "namespaces")
        );
        assert!(matches!(
            parse_path("/apis/apps/v1/namespaces/default/deployments"),
            Ok(Target::Collection(_, Some(_)))
        ));
        assert!(matches!(parse_path("/apis/apps/v1/deployments/web"), Err(e) if e.code == 404));
        assert!(matches!(
            parse_path("/apis/apps/v1"),
            Ok(Target::GroupVersion)
        ));
        assert!(matches!(parse_path("/apis/nope/v1"), Err(e) if e.code == 404));
    }
}
