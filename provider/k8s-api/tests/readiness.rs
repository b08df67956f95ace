//! Readiness and TLS identity against the API stand-in: /ping, /readyz, nodes, and clear errors
//! for certificates of the wrong cluster.

mod common;

use std::time::Duration;

use common::{kubeconfig_for, pki, Cluster};
use k8s_api::{ApiError, Client, Expectation, Phase, ReadinessError};

fn expect(names: &[&str], min_nodes: usize) -> Expectation {
    Expectation {
        node_names: names.iter().map(|s| s.to_string()).collect(),
        min_nodes,
    }
}

/// The error of a readiness wait (polling every 50 ms) that must fail within `timeout`.
async fn wait_fails(client: &Client, expected: Expectation, timeout: Duration) -> ReadinessError {
    client
        .wait_ready(&expected, timeout, Duration::from_millis(50))
        .await
        .expect_err("the wait must fail")
}

#[test]
fn wait_ready_passes_once_the_cluster_becomes_ready() {
    let cluster = Cluster::start();
    cluster.standin.set_ready(false);
    cluster
        .standin
        .add_node_with_roles("server-1", true, &["control-plane", "master"]);
    cluster.standin.add_node("worker-1", false);
    let client = cluster.client();
    let nodes = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            cluster.standin.set_ready(true);
            std::thread::sleep(Duration::from_millis(300));
            cluster.standin.add_node("worker-2", true);
            cluster.standin.set_node_ready("worker-1", true);
        });
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(client.wait_ready(
            &expect(&["server-1", "worker-1", "worker-2"], 3),
            Duration::from_secs(20),
            Duration::from_millis(50),
        ))
    })
    .expect("ready after the flips");
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|n| n.ready));
    let server = nodes.iter().find(|n| n.name == "server-1").unwrap();
    assert_eq!(server.roles, ["control-plane", "master"]);
    let log = cluster.standin.request_log();
    let first = |p: &str| {
        log.iter()
            .position(|l| l.starts_with(p))
            .unwrap_or(usize::MAX)
    };
    assert!(
        first("GET /ping") < first("GET /readyz")
            && first("GET /readyz") < first("GET /api/v1/nodes"),
        "phases out of order: {log:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_names_missing_and_not_ready_nodes() {
    let cluster = Cluster::start();
    cluster.standin.add_node("server-1", true);
    cluster.standin.add_node("worker-1", false);
    let err = wait_fails(
        &cluster.client(),
        expect(&["server-1", "worker-1", "worker-2"], 3),
        Duration::from_millis(600),
    )
    .await;
    assert!(matches!(
        err,
        ReadinessError::Timeout {
            phase: Phase::Nodes,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "timed out after 600ms waiting for nodes: worker-1 NotReady (KubeletNotReady), worker-2 missing, 1 of at least 3 nodes Ready"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_in_readyz_carries_the_failing_check() {
    let cluster = Cluster::start();
    cluster.standin.set_ready(false);
    let err = wait_fails(
        &cluster.client(),
        expect(&[], 1),
        Duration::from_millis(400),
    )
    .await;
    let text = err.to_string();
    assert!(
        text.starts_with("timed out after 400ms waiting for /readyz: GET /readyz: 500 Internal Server Error: [-]etcd-readiness failed"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_in_ping_says_the_server_is_unreachable() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kc = kubeconfig_for(&pki("gone"), &format!("https://127.0.0.1:{port}"));
    let err = wait_fails(
        &Client::new(&kc).unwrap(),
        expect(&[], 1),
        Duration::from_millis(300),
    )
    .await;
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "timed out after 300ms waiting for /ping: cannot reach https://127.0.0.1:{port}: "
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_certificate_from_another_ca_is_rejected_clearly() {
    let cluster = Cluster::start();
    let mut kc = cluster.kubeconfig.clone();
    let stranger = pki("stranger");
    kc.client_cert_pem = stranger.admin.cert_pem.clone();
    kc.client_key_pem = stranger.admin.key_pem.clone();
    let client = Client::new(&kc).unwrap();
    let err = client.readyz().await.unwrap_err();
    assert!(
        matches!(err, ApiError::ClientCertRejected { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("server rejected our client certificate"),
        "{err}"
    );
    // Waiting cannot fix it: wait_ready fails at once instead of running into its timeout.
    let started = std::time::Instant::now();
    let err = wait_fails(&client, expect(&[], 1), Duration::from_secs(30)).await;
    assert!(matches!(err, ReadinessError::Fatal { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn server_certificate_from_an_untrusted_ca_is_rejected_clearly() {
    let cluster = Cluster::start();
    let mut kc = cluster.kubeconfig.clone();
    kc.ca_pem = pki("stranger").server_ca_bundle();
    let err = Client::new(&kc).unwrap().ping().await.unwrap_err();
    assert!(
        matches!(err, ApiError::ServerCertUntrusted { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("server certificate not signed by the kubeconfig CA"),
        "{err}"
    );
}

/// A GET over TLS without a client certificate: (status code, body).
fn anonymous_get(cluster: &Cluster, path: &str) -> (u16, String) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cluster.kubeconfig.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", cluster.standin.port())).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = tls.read_to_string(&mut response);
    let status = response[9..12].parse().unwrap();
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

#[test]
fn ping_needs_no_client_certificate_but_readyz_does() {
    let cluster = Cluster::start();
    assert_eq!(anonymous_get(&cluster, "/ping"), (200, "pong".to_string()));
    let (status, body) = anonymous_get(&cluster, "/readyz");
    assert_eq!(status, 401);
    let status_object: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status_object["kind"], "Status");
    assert_eq!(status_object["reason"], "Unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_without_admin_rights_is_forbidden_with_the_reason() {
    let cluster = Cluster::start();
    let bob = k3s_pki::issue_client_cert(
        &cluster.pki.client_ca,
        "bob",
        &["developers".to_string()],
        1,
    )
    .expect("issue a non-admin client certificate");
    let mut kc = cluster.kubeconfig.clone();
    kc.client_cert_pem = bob.cert_pem;
    kc.client_key_pem = bob.key_pem;
    let client = Client::new(&kc).unwrap();
    client
        .readyz()
        .await
        .expect("health is open to every authenticated user");
    let err = client.nodes().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v1/nodes: 403 Forbidden: nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
    );
    let err = wait_fails(&client, expect(&[], 1), Duration::from_millis(300)).await;
    assert!(
        err.to_string()
            .contains("403 Forbidden: nodes is forbidden"),
        "{err}"
    );
}
