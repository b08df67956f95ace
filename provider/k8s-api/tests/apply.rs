//! Server-side apply, conflicts, drift, get and delete against the API stand-in.

mod common;

use common::{manifest, Cluster};
use k8s_api::{drifted_fields, ApiError, ObjectRef};

const MANAGER: &str = "terraform-provider-k3s";

fn deployment(replicas: u32, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {{app: web}}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: web\n        image: {image}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_creates_then_updates_and_a_repeat_changes_nothing() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let web = manifest(&deployment(2, "nginx:1.27"));
    let created = client.apply(&web, MANAGER, false).await.expect("create");
    assert_eq!(created["metadata"]["namespace"], "default");
    assert_eq!(created["metadata"]["generation"], 1);
    assert!(created["metadata"]["uid"]
        .as_str()
        .is_some_and(|u| u.len() == 36));
    let managers: Vec<&str> = created["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, [MANAGER]);
    let first_version = created["metadata"]["resourceVersion"].clone();

    let again = client.apply(&web, MANAGER, false).await.expect("repeat");
    assert_eq!(
        again["metadata"]["resourceVersion"], first_version,
        "a no-op apply wrote"
    );

    let updated = client
        .apply(&manifest(&deployment(3, "nginx:1.28")), MANAGER, false)
        .await
        .expect("update");
    assert_eq!(updated["spec"]["replicas"], 3);
    assert_eq!(updated["metadata"]["generation"], 2);
    assert_eq!(updated["metadata"]["uid"], created["metadata"]["uid"]);
    let live = cluster.standin.object(&web.reference).expect("stored");
    assert_eq!(
        live["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.28"
    );
    // The API's defaults and status are not drift.
    assert!(live["spec"]["strategy"].is_object());
    assert!(drifted_fields(&manifest(&deployment(3, "nginx:1.28")).object, &live).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn fields_dropped_from_the_manifest_are_removed() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let with_label = manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {tier: front}\ndata: {a: '1', b: '2'}\n");
    client.apply(&with_label, MANAGER, false).await.unwrap();
    let without =
        manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata: {a: '1'}\n");
    let live = client.apply(&without, MANAGER, false).await.unwrap();
    assert_eq!(live["data"], serde_json::json!({"a": "1"}));
    assert!(live["metadata"]["labels"].is_null(), "{live}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_managers_field_conflicts_unless_forced() {
    let cluster = Cluster::start();
    let client = cluster.client();
    client
        .apply(&manifest(&deployment(2, "nginx:1.27")), "kubectl", false)
        .await
        .unwrap();
    let err = client
        .apply(&manifest(&deployment(4, "nginx:1.27")), MANAGER, false)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    let text = err.to_string();
    assert!(
        text.starts_with("PATCH /apis/apps/v1/namespaces/default/deployments/web: 409 Conflict: Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"),
        "{text}"
    );
    assert!(
        text.contains("conflicting fields: .spec.replicas"),
        "{text}"
    );
    match &err {
        ApiError::Status { conflicts, .. } => assert_eq!(conflicts[0].field, ".spec.replicas"),
        other => panic!("not a Status error: {other:?}"),
    }

    let forced = client
        .apply(&manifest(&deployment(4, "nginx:1.27")), MANAGER, true)
        .await
        .expect("forced apply");
    assert_eq!(forced["spec"]["replicas"], 4);
    // Ownership of .spec.replicas moved to us: now kubectl would be the one conflicting.
    let err = client
        .apply(&manifest(&deployment(2, "nginx:1.27")), "kubectl", false)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("conflict with \"{MANAGER}\"")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_band_edits_show_as_drift_and_a_forced_apply_restores() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let web = manifest(&deployment(2, "nginx:1.27"));
    client.apply(&web, MANAGER, false).await.unwrap();
    cluster.standin.mutate(&web.reference, |obj| {
        obj["spec"]["replicas"] = 5.into();
        obj["metadata"]["labels"]["app"] = "hacked".into();
        obj["metadata"]["labels"]["extra"] = "added".into();
    });
    let live = client.get(&web.reference).await.unwrap().expect("exists");
    assert_eq!(
        drifted_fields(&web.object, &live),
        ["metadata.labels.app", "spec.replicas"]
    );
    // The edit made its author an owner: a plain apply conflicts, a forced one wins.
    let err = client.apply(&web, MANAGER, false).await.unwrap_err();
    assert!(
        err.to_string().contains(
            "Apply failed with 2 conflicts: conflicts with \"out-of-band\" using apps/v1 at "
        ),
        "{err}"
    );
    let restored = client.apply(&web, MANAGER, true).await.unwrap();
    assert!(drifted_fields(&web.object, &restored).is_empty());
    assert_eq!(restored["metadata"]["labels"]["extra"], "added");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_then_get_is_none_and_deleting_again_is_fine() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let ns = manifest("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: adx\n");
    let cm = manifest(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: adx\ndata: {k: v}\n",
    );
    client.apply(&ns, MANAGER, false).await.unwrap();
    client.apply(&cm, MANAGER, false).await.unwrap();
    assert!(client.get(&cm.reference).await.unwrap().is_some());
    client.delete(&cm.reference).await.expect("delete");
    assert_eq!(client.get(&cm.reference).await.unwrap(), None);
    client
        .delete(&cm.reference)
        .await
        .expect("already gone is fine");
    let log = cluster.standin.request_log();
    assert!(
        log.iter().any(|l| l.starts_with(
            "DELETE /api/v1/namespaces/adx/configmaps/cfg?propagationPolicy=Background -> 404"
        )),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_refusals_name_the_request_and_the_reason() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let in_missing_ns =
        manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: nope\n");
    let err = client
        .apply(&in_missing_ns, MANAGER, false)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "PATCH /api/v1/namespaces/nope/configmaps/cfg: 404 Not Found: namespaces \"nope\" not found"
    );

    let mismatched = deployment(1, "nginx").replace(
        "labels: {app: web}\n    spec",
        "labels: {app: api}\n    spec",
    );
    let err = client
        .apply(&manifest(&mismatched), MANAGER, false)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("PATCH /apis/apps/v1/namespaces/default/deployments/web: 422 Unprocessable Entity: Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value"),
        "{text}"
    );

    let unknown = manifest("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
    let err = client.apply(&unknown, MANAGER, false).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no resource for kind Widget in example.com/v1: the server's discovery does not list it"
    );
    let typo = ObjectRef {
        api_version: "apps/v1".into(),
        kind: "Deploymnet".into(),
        namespace: None,
        name: "web".into(),
    };
    assert!(matches!(
        client.get(&typo).await,
        Err(ApiError::UnknownKind { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_is_fetched_once_per_group_version() {
    let cluster = Cluster::start();
    let client = cluster.client();
    for name in ["a", "b", "c"] {
        let cm = manifest(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
        ));
        client.apply(&cm, MANAGER, false).await.unwrap();
    }
    client
        .apply(&manifest(&deployment(1, "nginx")), MANAGER, false)
        .await
        .unwrap();
    // A clone shares the cache.
    client
        .clone()
        .apply(&manifest(&deployment(2, "nginx")), MANAGER, false)
        .await
        .unwrap();
    let log = cluster.standin.request_log();
    let count = |p: &str| log.iter().filter(|l| l.starts_with(p)).count();
    assert_eq!(count("GET /api/v1 "), 1, "{log:?}");
    assert_eq!(count("GET /apis/apps/v1 "), 1, "{log:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_validates_and_stores_nothing() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let web = manifest(&deployment(2, "nginx:1.27"));
    let would_be = client
        .apply_dry_run(&web, MANAGER, false)
        .await
        .expect("dry run");
    assert_eq!(would_be["spec"]["replicas"], 2);
    assert_eq!(
        would_be["spec"]["strategy"]["type"], "RollingUpdate",
        "defaults shown"
    );
    assert!(
        cluster.standin.object(&web.reference).is_none(),
        "dry run stored"
    );
    let bad = deployment(1, "nginx").replace(
        "labels: {app: web}\n    spec",
        "labels: {app: api}\n    spec",
    );
    let err = client
        .apply_dry_run(&manifest(&bad), MANAGER, false)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422), "{err}");
    assert!(cluster
        .standin
        .request_log()
        .iter()
        .all(|l| !l.starts_with("PATCH") || l.contains("&dryRun=All")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_on_a_cluster_scoped_kind_is_ignored_as_kubectl_does() {
    let cluster = Cluster::start();
    let client = cluster.client();
    let ns =
        manifest("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: adx\n  namespace: default\n");
    let live = client.apply(&ns, MANAGER, false).await.expect("apply");
    assert!(live["metadata"]["namespace"].is_null(), "{live}");
    assert!(client.get(&ns.reference).await.unwrap().is_some());
    let log = cluster.standin.request_log();
    assert!(
        log.iter()
            .any(|l| l.starts_with("PATCH /api/v1/namespaces/adx?")),
        "{log:?}"
    );
}
