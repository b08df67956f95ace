//! Node drain and delete against the stand-in: cordon, evictions (not of DaemonSet or mirror
//! pods), wait for the pods to go, delete the node.

mod common;

use std::time::Duration;

use common::{manifest, Cluster};
use k8s_api::{Client, ObjectRef};

const MANAGER: &str = "terraform-provider-k3s";

fn pod(name: &str, node: &str, extra_metadata: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}\n{extra_metadata}spec:\n  nodeName: {node}\n  containers:\n  - {{name: c, image: 'busybox:1.36'}}\n{extra_spec}"
    )
}

fn pod_ref(name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Pod".into(),
        namespace: Some("default".into()),
        name: name.into(),
    }
}

async fn apply_all(client: &Client, docs: &[String]) {
    for doc in docs {
        client.apply(&manifest(doc), MANAGER, false).await.unwrap();
    }
}

fn position(log: &[String], prefix: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {log:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn drain_cordons_evicts_waits_then_deletes_the_node() {
    let cluster = Cluster::start();
    cluster.standin.add_node("server-1", true);
    cluster.standin.add_node("worker-1", true);
    cluster
        .standin
        .set_pod_termination_delay(Duration::from_millis(300));
    let client = cluster.client();
    apply_all(
        &client,
        &[
            pod("web-1", "worker-1", "  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9, uid: '1', controller: true}]\n", ""),
            pod("cache", "worker-1", "", "  volumes:\n  - {name: scratch, emptyDir: {}}\n"),
            pod("agent-x", "worker-1", "  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: '2', controller: true}]\n", ""),
            pod("static-worker-1", "worker-1", "  annotations: {kubernetes.io/config.mirror: abc}\n", ""),
            pod("elsewhere", "server-1", "", ""),
        ],
    )
    .await;
    cluster.standin.clear_request_log();

    client
        .drain_and_delete_node("worker-1", Duration::from_secs(10))
        .await
        .expect("drain");

    let log = cluster.standin.request_log();
    let cordon = position(
        &log,
        "PATCH /api/v1/nodes/worker-1?fieldManager=terraform-provider-k3s -> 200",
    );
    let listed = position(
        &log,
        "GET /api/v1/pods?fieldSelector=spec.nodeName%3Dworker-1 -> 200",
    );
    let evict_web = position(
        &log,
        "POST /api/v1/namespaces/default/pods/web-1/eviction -> 201",
    );
    let evict_cache = position(
        &log,
        "POST /api/v1/namespaces/default/pods/cache/eviction -> 201",
    );
    let gone = position(&log, "GET /api/v1/namespaces/default/pods/web-1 -> 404");
    let delete = position(&log, "DELETE /api/v1/nodes/worker-1 -> 200");
    assert!(
        cordon < listed && listed < evict_web.min(evict_cache),
        "{log:#?}"
    );
    assert!(
        evict_web.max(evict_cache) < gone && gone < delete,
        "{log:#?}"
    );
    assert!(
        !log.iter()
            .any(|l| l.contains("agent-x/eviction") || l.contains("static-worker-1/eviction")),
        "DaemonSet or mirror pod evicted: {log:#?}"
    );
    assert_eq!(cluster.standin.node_names(), ["server-1"]);
    assert!(cluster.standin.object(&pod_ref("web-1")).is_none());
    assert!(cluster.standin.object(&pod_ref("cache")).is_none());
    assert!(cluster.standin.object(&pod_ref("elsewhere")).is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disruption_budget_that_never_allows_eviction_times_out_naming_the_pod() {
    let cluster = Cluster::start();
    cluster.standin.add_node("worker-1", true);
    let client = cluster.client();
    apply_all(
        &client,
        &[
            pod("db-0", "worker-1", "", ""),
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: db\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: db-0}\n".to_string(),
        ],
    )
    .await;
    let err = client
        .drain_and_delete_node("worker-1", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "timed out after 1s waiting for drain of node worker-1: default/db-0: Cannot evict pod as it would violate the pod's disruption budget."
    );
    // Left cordoned, not deleted.
    let node = ObjectRef {
        api_version: "v1".into(),
        kind: "Node".into(),
        namespace: None,
        name: "worker-1".into(),
    };
    assert_eq!(
        cluster.standin.object(&node).expect("node kept")["spec"]["unschedulable"],
        true
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_that_is_already_gone_is_drained() {
    let cluster = Cluster::start();
    cluster
        .client()
        .drain_and_delete_node("ghost", Duration::from_secs(5))
        .await
        .expect("absent node");
    let log = cluster.standin.request_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].ends_with("-> 404"));
}
