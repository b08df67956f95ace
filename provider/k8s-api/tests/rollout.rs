//! Rollout waits against the stand-in's workload status (complete or stuck, as the test sets).

mod common;

use std::time::Duration;

use common::{manifest, Cluster};
use k8s_api::ApiError;

const MANAGER: &str = "terraform-provider-k3s";

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - {name: web, image: 'nginx:1.27'}\n";

fn workload(kind: &str) -> String {
    DEPLOYMENT.replace("Deployment", kind)
}

#[tokio::test(flavor = "multi_thread")]
async fn completed_rollouts_and_kinds_without_rollouts_return_at_once() {
    let cluster = Cluster::start();
    cluster.standin.add_node("server-1", true);
    let client = cluster.client();
    for kind in ["Deployment", "StatefulSet", "DaemonSet"] {
        let m = manifest(&workload(kind));
        client.apply(&m, MANAGER, false).await.unwrap();
        client
            .wait_rollout(&m.reference, Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let cm = manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
    client.apply(&cm, MANAGER, false).await.unwrap();
    // Waiting on a ConfigMap returns without even reading it.
    cluster.standin.clear_request_log();
    client
        .wait_rollout(&cm.reference, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(cluster.standin.request_log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_rollout_times_out_saying_what_it_waits_for() {
    let cluster = Cluster::start();
    cluster.standin.set_rollout_complete(false);
    let client = cluster.client();
    let m = manifest(DEPLOYMENT);
    client.apply(&m, MANAGER, false).await.unwrap();
    let err = client
        .wait_rollout(&m.reference, Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::WaitTimeout { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "timed out after 500ms waiting for rollout of apps/v1/Deployment default/web: 0 of 3 updated replicas are available"
    );
}

#[test]
fn a_rollout_that_completes_while_waiting_ends_the_wait() {
    let cluster = Cluster::start();
    cluster.standin.set_rollout_complete(false);
    let client = cluster.client();
    let m = manifest(DEPLOYMENT);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(client.apply(&m, MANAGER, false)).unwrap();
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(400));
            cluster.standin.set_rollout_complete(true);
        });
        runtime
            .block_on(client.wait_rollout(&m.reference, Duration::from_secs(10)))
            .expect("rollout completes");
    });
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_workload_ends_the_wait_with_an_error() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let m = manifest(DEPLOYMENT);
    client.apply(&m, MANAGER, false).await.unwrap();
    client.delete(&m.reference).await.unwrap();
    let err = client
        .wait_rollout(&m.reference, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rollout of apps/v1/Deployment default/web: the object was deleted while waiting"
    );
}
