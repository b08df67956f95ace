//! `k3s_ready` and `k3s_manifest` through the real terraform CLI against a local HTTPS API
//! server (the stand-in in `acceptance_tests::apiserver`) that requires a client
//! certificate from the cluster's own client CA and serves a certificate from its server
//! CA: the kubeconfig `k3s_cluster` generates is the only way in.

use std::time::{Duration, Instant};

use acceptance_tests::k3s::{assert_drained, cluster_with_standin, CLUSTER_HCL as CLUSTER};
use k8s_api::ObjectRef;

const READY: &str = r#"
resource "k3s_ready" "lab" {
  kubeconfig    = k3s_cluster.lab.kubeconfig
  nodes         = ["server-1", "worker-1"]
  timeout       = "60s"
  poll_interval = "250ms"
}
"#;

const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: campaigns\n  namespace: adx\ndata:\n  budget: \"100\"\n";

fn manifest(documents: &[&str]) -> String {
    format!(
        r#"
resource "k3s_manifest" "app" {{
  kubeconfig       = k3s_cluster.lab.kubeconfig
  wait_for_rollout = true
  force_conflicts  = true
  timeout          = "20s"
  depends_on       = [k3s_ready.lab]
  content          = <<-YAML
{}
  YAML
}}
"#,
        documents.join("---\n")
    )
}

fn deployment(replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: exchange\n  namespace: adx\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: exchange\n  template:\n    metadata:\n      labels:\n        app: exchange\n    spec:\n      containers:\n        - name: exchange\n          image: exchange:0.1.0\n"
    )
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: adx\n";

fn object(kind: &str, api_version: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: namespace.map(str::to_string),
        name: name.to_string(),
    }
}

#[test]
fn ready_waits_for_nodes_then_manifests_apply_detect_drift_and_delete() {
    let (tf, standin) = cluster_with_standin();
    standin.set_ready(true);
    standin.add_node("server-1", true);
    // worker-1 registers late and becomes Ready later still: the wait must cover both.
    let late = standin.clone();
    let registering = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        late.add_node("worker-1", false);
        std::thread::sleep(Duration::from_secs(1));
        late.set_node_ready("worker-1", true);
    });
    let content = [NAMESPACE, CONFIG_MAP, &deployment(2)];
    tf.write_main_tf(&format!("{CLUSTER}{READY}{}", manifest(&content)))
        .expect("main.tf");
    let started = Instant::now();
    tf.apply().expect("apply ready + manifest");
    eprintln!(
        "apply with k3s_ready waiting for a late node: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    registering.join().expect("node thread");

    let config_map = object("ConfigMap", "v1", Some("adx"), "campaigns");
    let exchange = object("Deployment", "apps/v1", Some("adx"), "exchange");
    assert_eq!(
        standin.object(&config_map).expect("configmap applied")["data"]["budget"],
        "100"
    );
    assert_eq!(
        standin.object(&exchange).expect("deployment applied")["spec"]["replicas"],
        2
    );
    assert!(
        standin
            .request_log()
            .iter()
            .any(|r| r.contains("PATCH") && r.contains("fieldManager=terraform-provider-k3s")),
        "no server-side apply in {:?}",
        standin.request_log()
    );
    let second = tf.plan().expect("second plan");
    assert_eq!(
        second.code,
        Some(0),
        "second plan not empty:
{}",
        second.stdout
    );

    // Drift: someone scales the deployment by hand; the plan shows it and apply restores it.
    standin.mutate(&exchange, |obj| obj["spec"]["replicas"] = 5.into());
    let plan = tf.plan().expect("plan after drift");
    assert_eq!(plan.code, Some(2), "drift not detected:\n{}", plan.stdout);
    assert!(
        plan.stdout.contains("spec.replicas"),
        "the plan should name the drifted field:\n{}",
        plan.stdout
    );
    tf.apply().expect("apply restores");
    assert_eq!(
        standin.object(&exchange).expect("deployment")["spec"]["replicas"],
        2
    );

    // An object deleted outside Terraform comes back.
    standin.delete_object(&config_map);
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        2,
        "deletion not detected"
    );
    tf.apply().expect("apply recreates");
    assert!(
        standin.object(&config_map).is_some(),
        "configmap not recreated"
    );

    // A document removed from content is deleted from the cluster.
    let content = [NAMESPACE, &deployment(3) as &str];
    tf.write_main_tf(&format!("{CLUSTER}{READY}{}", manifest(&content)))
        .expect("main.tf");
    tf.apply().expect("apply without the configmap");
    assert!(
        standin.object(&config_map).is_none(),
        "configmap not pruned"
    );
    assert_eq!(
        standin.object(&exchange).expect("deployment")["spec"]["replicas"],
        3
    );

    tf.destroy().expect("destroy");
    assert!(
        standin.object(&exchange).is_none(),
        "deployment left behind"
    );
    assert!(
        standin
            .object(&object("Namespace", "v1", None, "adx"))
            .is_none(),
        "namespace left behind"
    );
}

#[test]
fn ready_times_out_naming_the_missing_node() {
    let (tf, standin) = cluster_with_standin();
    standin.set_ready(true);
    standin.add_node("server-1", true);
    standin.add_node("worker-1", false);
    tf.write_main_tf(&format!(
        "{CLUSTER}{}",
        r#"
resource "k3s_ready" "lab" {
  kubeconfig    = k3s_cluster.lab.kubeconfig
  nodes         = ["server-1", "worker-1", "worker-2"]
  timeout       = "3s"
  poll_interval = "250ms"
}
"#
    ))
    .expect("main.tf");
    let out = tf
        .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .expect("apply");
    assert_eq!(out.code, Some(1), "apply should time out:\n{}", out.stdout);
    for expected in ["worker-2 missing", "worker-1 NotReady"] {
        assert!(
            out.stderr.contains(expected),
            "timeout should say {expected:?}:\n{}",
            out.stderr
        );
    }
}

#[test]
fn rollout_that_never_completes_fails_and_keeps_the_object_in_state() {
    let (tf, standin) = cluster_with_standin();
    standin.set_ready(true);
    standin.add_node("server-1", true);
    standin.add_node("worker-1", true);
    standin.set_rollout_complete(false);
    let content = [NAMESPACE, &deployment(2) as &str];
    let hcl = manifest(&content).replace("\"20s\"", "\"2s\"");
    tf.write_main_tf(&format!("{CLUSTER}{READY}{hcl}"))
        .expect("main.tf");
    let out = tf
        .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .expect("apply");
    assert_eq!(
        out.code,
        Some(1),
        "apply should fail on rollout:\n{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("did not roll out"),
        "rollout error expected:\n{}",
        out.stderr
    );
    // The applied objects are recorded (tainted), so destroy removes them.
    let state = tf
        .state_show("k3s_manifest.app")
        .expect("manifest in state");
    assert!(state.contains("apps/v1/Deployment adx/exchange"), "{state}");
    standin.set_rollout_complete(true);
    tf.destroy().expect("destroy");
    let exchange = object("Deployment", "apps/v1", Some("adx"), "exchange");
    assert!(
        standin.object(&exchange).is_none(),
        "deployment left behind"
    );
}

#[test]
fn node_membership_waits_for_its_node_and_drains_it_on_destroy() {
    let (tf, standin) = cluster_with_standin();
    standin.set_ready(true);
    standin.add_node("server-1", true);
    let late = standin.clone();
    let registering = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        late.add_node("worker-3", true);
    });
    tf.write_main_tf(&format!(
        "{CLUSTER}{}",
        r#"
resource "k3s_node" "worker_3" {
  kubeconfig    = k3s_cluster.lab.kubeconfig
  name          = "worker-3"
  timeout       = "60s"
  poll_interval = "250ms"
}
"#
    ))
    .expect("main.tf");
    tf.apply().expect("apply waits for worker-3");
    registering.join().expect("node thread");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan not empty"
    );
    standin.clear_request_log();
    tf.destroy().expect("destroy drains worker-3");
    assert_drained(&standin, "worker-3");
    assert!(standin.node_names().contains(&"server-1".to_string()));
}
