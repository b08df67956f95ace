//! A stand-in for a k3s API server, for tests that cannot run k3s: HTTPS on loopback with a
//! serving certificate from the cluster's server CA, client certificates verified against the
//! cluster's client CA, and the API calls the k3s provider makes answered as kube-apiserver
//! answers them (health, discovery, server-side apply with field managers, get, list with
//! selectors, merge patch, delete, the Eviction API), with Status objects for failures.
//!
//! It runs on its own thread and tokio runtime, so a plain `#[test]` can start it and then drive
//! the terraform CLI. Tests steer it: readiness, nodes and their Ready condition, whether
//! workload rollouts complete, out-of-band edits; and read it: objects and the request log.
//!
//! Not modelled: watches, POST/PUT creation, JSON patch, merge keys inside lists (lists are
//! atomic for apply ownership), controllers beyond workload status (no ReplicaSets or pods are
//! created), namespace termination (deletion is immediate), RBAC objects (a client certificate
//! in group `system:masters` may do everything, any other only health and discovery), HTTP/2,
//! `/openapi` and the aggregated discovery format.

mod defaults;
mod fields;
mod resources;
mod routes;
mod status;
mod store;
mod validation;
mod workloads;

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use k8s_api::ObjectRef;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use routes::{Context, Reply, Request, User};
use store::{now_rfc3339, Key, Store, OUT_OF_BAND_MANAGER};

/// The cluster identities the stand-in serves with and trusts.
#[derive(Clone)]
pub struct StandinConfig {
    /// The server CA (certificate, optionally followed by its chain) that signs the serving cert.
    pub serving_ca_cert_pem: String,
    pub serving_ca_key_pem: String,
    /// Client certificates must chain to this CA (PEM, may hold a chain).
    pub client_ca_pem: String,
}

impl fmt::Debug for StandinConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandinConfig")
            .field("serving_ca_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StandinError {
    #[error("issuing the serving certificate: {0}")]
    ServingCert(String),
    #[error("TLS configuration: {0}")]
    Tls(String),
    #[error("listening on 127.0.0.1: {0}")]
    Listen(std::io::Error),
}

/// Where the stand-in keeps the object a reference names (namespaced kinds default to
/// `default`, as in the client); panics for kinds the stand-in does not serve.
fn key_of(r: &ObjectRef) -> Key {
    let rt = resources::by_kind(&r.api_version, &r.kind)
        .unwrap_or_else(|| panic!("the stand-in does not serve {} {}", r.api_version, r.kind));
    let namespace = rt
        .namespaced
        .then(|| r.namespace.as_deref().unwrap_or("default"));
    Key::new(rt, namespace, &r.name)
}

struct Shared {
    store: Mutex<Store>,
    ready: Mutex<bool>,
    log: Mutex<Vec<String>>,
    pod_termination: Mutex<Duration>,
    server_address: String,
}

/// The running stand-in. Clones share it (a test thread can flip readiness while Terraform
/// runs); it stops when the last clone is dropped.
#[derive(Clone)]
pub struct ApiServerStandin {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _running: Arc<Running>,
}

/// Owns the server thread: stops and joins it on drop.
struct Running {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ApiServerStandin {
    /// Listens on 127.0.0.1 (a free port) with a serving certificate for `127.0.0.1` and
    /// `localhost` issued by the server CA. Ready, no nodes, rollouts completing.
    pub fn start(config: &StandinConfig) -> Result<ApiServerStandin, StandinError> {
        let acceptor = TlsAcceptor::from(Arc::new(server_tls(config)?));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(StandinError::Listen)?;
        listener
            .set_nonblocking(true)
            .map_err(StandinError::Listen)?;
        let addr = listener.local_addr().map_err(StandinError::Listen)?;
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new()),
            ready: Mutex::new(true),
            log: Mutex::new(Vec::new()),
            pod_termination: Mutex::new(Duration::from_millis(200)),
            server_address: addr.to_string(),
        });
        let (shutdown, stop) = oneshot::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("apiserver-standin".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the stand-in");
                runtime.block_on(serve(listener, acceptor, serving, stop));
            })
            .map_err(StandinError::Listen)?;
        Ok(ApiServerStandin {
            addr,
            shared,
            _running: Arc::new(Running {
                shutdown: Some(shutdown),
                thread: Some(thread),
            }),
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Whether `/readyz` passes (it fails with a failing etcd-readiness check otherwise).
    pub fn set_ready(&self, ready: bool) {
        *self.shared.ready.lock().expect("lock") = ready;
    }

    /// Whether workload controllers report finished rollouts (default) or no available replica.
    pub fn set_rollout_complete(&self, complete: bool) {
        let mut store = self.shared.store.lock().expect("lock");
        store.rollout_complete = complete;
        store.reconcile_workloads();
    }

    /// How long an evicted pod stays terminating before it disappears (default 200 ms).
    pub fn set_pod_termination_delay(&self, delay: Duration) {
        *self.shared.pod_termination.lock().expect("lock") = delay;
    }

    /// Registers a node as a kubelet would, without roles (an agent).
    pub fn add_node(&self, name: &str, ready: bool) {
        self.add_node_with_roles(name, ready, &[]);
    }

    /// Registers a node with `node-role.kubernetes.io/<role>` labels, e.g. `["control-plane", "master"]`.
    pub fn add_node_with_roles(&self, name: &str, ready: bool, roles: &[&str]) {
        let mut labels = json!({
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
        });
        for role in roles {
            labels[format!("node-role.kubernetes.io/{role}")] = json!("true");
        }
        let node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"], "providerID": format!("k3s://{name}")},
            "status": {
                "conditions": [ready_condition(ready)],
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "v1.31.4+k3s1", "containerRuntimeVersion": "containerd://1.7.23-k3s2",
                    "operatingSystem": "linux", "architecture": "amd64"},
            },
        });
        let mut store = self.shared.store.lock().expect("lock");
        store.put_system(node);
        store.reconcile_workloads();
    }

    /// Flips a node's Ready condition as its kubelet would report; panics for an unknown node.
    pub fn set_node_ready(&self, name: &str, ready: bool) {
        let key = key_of(&ObjectRef {
            api_version: "v1".into(),
            kind: "Node".into(),
            namespace: None,
            name: name.into(),
        });
        let mut store = self.shared.store.lock().expect("lock");
        let mut node = store
            .get(&key)
            .unwrap_or_else(|| panic!("no node {name} in the stand-in"));
        node["status"]["conditions"] = json!([ready_condition(ready)]);
        store.put_system(node);
    }

    /// Names of the Node objects, sorted.
    pub fn node_names(&self) -> Vec<String> {
        let store = self.shared.store.lock().expect("lock");
        let rt = resources::by_kind("v1", "Node").expect("nodes are served");
        store
            .list(rt, None)
            .iter()
            .filter_map(|n| n["metadata"]["name"].as_str().map(str::to_string))
            .collect()
    }

    /// The stored object as GET would return it.
    pub fn object(&self, r: &ObjectRef) -> Option<Value> {
        self.shared.store.lock().expect("lock").get(&key_of(r))
    }

    /// Deletes an object out of band (like `kubectl delete`); false when it did not exist.
    pub fn delete_object(&self, r: &ObjectRef) -> bool {
        self.shared
            .store
            .lock()
            .expect("lock")
            .delete(&key_of(r))
            .is_ok()
    }

    /// Edits an object out of band (like `kubectl edit`): the changed fields become owned by
    /// the manager `out-of-band`. Panics when the object does not exist.
    pub fn mutate(&self, r: &ObjectRef, edit: impl FnOnce(&mut Value)) {
        let k = key_of(r);
        let mut store = self.shared.store.lock().expect("lock");
        let mut object = store
            .get(&k)
            .unwrap_or_else(|| panic!("no object {r} in the stand-in"));
        edit(&mut object);
        store.update(&k, object, OUT_OF_BAND_MANAGER, &now_rfc3339());
    }

    /// Every request answered so far, in order, as `METHOD /path?query -> status`, e.g.
    /// `PATCH /api/v1/nodes/worker-1?fieldManager=terraform-provider-k3s -> 200`.
    pub fn request_log(&self) -> Vec<String> {
        self.shared.log.lock().expect("lock").clone()
    }

    pub fn clear_request_log(&self) {
        self.shared.log.lock().expect("lock").clear();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn ready_condition(ready: bool) -> Value {
    let now = now_rfc3339();
    if ready {
        json!({"type": "Ready", "status": "True", "reason": "KubeletReady",
            "message": "kubelet is posting ready status", "lastHeartbeatTime": now, "lastTransitionTime": now})
    } else {
        json!({"type": "Ready", "status": "False", "reason": "KubeletNotReady",
            "message": "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
            "lastHeartbeatTime": now, "lastTransitionTime": now})
    }
}

/// Serving certificate from the server CA; client certificates optional at the TLS layer (k3s
/// answers `/ping` unauthenticated) but, when presented, verified against the client CA.
fn server_tls(config: &StandinConfig) -> Result<rustls::ServerConfig, StandinError> {
    let ca = k3s_pki::CertKey {
        cert_pem: config.serving_ca_cert_pem.clone(),
        key_pem: config.serving_ca_key_pem.clone(),
    };
    let sans = ["127.0.0.1".to_string(), "localhost".to_string()];
    let serving = k3s_pki::issue_serving_cert(&ca, "kube-apiserver", &sans, 30)
        .map_err(|e| StandinError::ServingCert(e.to_string()))?;
    // Send the leaf followed by the CA chain, as k3s does.
    let chain_pem = format!("{}{}", serving.cert_pem, config.serving_ca_cert_pem);
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| StandinError::Tls(format!("serving certificate PEM: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(serving.key_pem.as_bytes())
        .map_err(|_| StandinError::Tls("serving key is not a PEM private key".into()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(config.client_ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| StandinError::Tls(format!("client CA PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| StandinError::Tls(format!("client CA: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| StandinError::Tls(format!("client verifier: {e}")))?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StandinError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| StandinError::Tls(e.to_string()))?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

async fn serve(
    listener: std::net::TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a non-blocking listener");
    loop {
        let (tcp, _) = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!("stand-in accept failed: {e}");
                    continue;
                }
            },
        };
        // As kube-apiserver (Go) does: no Nagle delay on small answers.
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => {
                    tracing::debug!("stand-in TLS handshake failed: {e}");
                    return;
                }
            };
            // The verifier already checked the chain; the subject says who the client is.
            let user = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|leaf| User::from_certificate(leaf));
            let service = service_fn(move |req| {
                let shared = shared.clone();
                let user = user.clone();
                async move { Ok::<_, Infallible>(respond(&shared, user, req).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!("stand-in connection ended: {e}");
            }
        });
    }
}

async fn respond(
    shared: &Arc<Shared>,
    user: Option<User>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let header = |name: http::header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let content_type = header(http::header::CONTENT_TYPE);
    let user_agent = header(http::header::USER_AGENT);
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or_default().to_string();
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let request = Request {
        query: routes::parse_query(&raw_query),
        method,
        path,
        content_type,
        user_agent,
        body,
        user,
    };
    let reply: Reply = {
        let ready = *shared.ready.lock().expect("lock");
        let ctx = Context {
            ready,
            server_address: &shared.server_address,
        };
        let mut store = shared.store.lock().expect("lock");
        routes::handle(&mut store, &ctx, &request)
    };
    let query = if raw_query.is_empty() {
        String::new()
    } else {
        format!("?{raw_query}")
    };
    shared.log.lock().expect("lock").push(format!(
        "{} {}{query} -> {}",
        request.method, request.path, reply.code
    ));
    if let Some((key, uid)) = reply.terminating.clone() {
        let delay = *shared.pod_termination.lock().expect("lock");
        let shared = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            shared
                .store
                .lock()
                .expect("lock")
                .remove_terminated(&key, &uid);
        });
    }
    hyper::Response::builder()
        .status(reply.code)
        .header(http::header::CONTENT_TYPE, reply.content_type)
        .body(Full::new(Bytes::from(reply.body)))
        .expect("a status code and a static header form a valid response")
}
