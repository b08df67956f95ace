//! The real kubectl (Debian's kubernetes-client) reads our kubeconfig and talks to the stand-in.

mod common;

use std::path::Path;
use std::process::Command;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use common::Cluster;
use k8s_api::Kubeconfig;

fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let home = kubeconfig.parent().unwrap();
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        // Keep kubectl's discovery cache out of the real home directory.
        .env("HOME", home)
        .env("KUBECACHEDIR", home.join("cache"))
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl not installed: apt-get install kubernetes-client ({e})")
        });
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kubectl prints UTF-8")
}

fn write_kubeconfig(dir: &tempfile::TempDir, kc: &Kubeconfig) -> std::path::PathBuf {
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kc.render()).unwrap();
    path
}

#[test]
fn kubectl_config_view_reads_the_rendered_kubeconfig() {
    let cluster = Cluster::start();
    let kc = &cluster.kubeconfig;
    let dir = tempfile::tempdir().unwrap();
    let path = write_kubeconfig(&dir, kc);
    let view: serde_json::Value =
        serde_json::from_str(&kubectl(&path, &["config", "view", "--raw", "-o", "json"])).unwrap();
    assert_eq!(view["current-context"], "lab");
    let cluster_entry = &view["clusters"][0];
    assert_eq!(cluster_entry["name"], "lab");
    assert_eq!(cluster_entry["cluster"]["server"], kc.server_url.as_str());
    let decoded = |v: &serde_json::Value| {
        String::from_utf8(BASE64.decode(v.as_str().expect("a -data field")).unwrap()).unwrap()
    };
    assert_eq!(
        decoded(&cluster_entry["cluster"]["certificate-authority-data"]),
        kc.ca_pem
    );
    let user = &view["users"][0];
    assert_eq!(user["name"], "admin@lab");
    assert_eq!(
        decoded(&user["user"]["client-certificate-data"]),
        kc.client_cert_pem
    );
    assert_eq!(decoded(&user["user"]["client-key-data"]), kc.client_key_pem);
    assert_eq!(view["contexts"][0]["context"]["cluster"], "lab");
    assert_eq!(view["contexts"][0]["context"]["user"], "admin@lab");

    // kubectl's own rendering of the file parses back to the same credentials.
    let yaml = kubectl(&path, &["config", "view", "--raw"]);
    assert_eq!(&Kubeconfig::parse(&yaml).unwrap(), kc);
    assert_eq!(&Kubeconfig::parse(&kc.render()).unwrap(), kc);
}

#[test]
fn kubectl_lists_nodes_and_reads_objects_from_the_standin() {
    let cluster = Cluster::start();
    cluster
        .standin
        .add_node_with_roles("server-1", true, &["control-plane"]);
    cluster.standin.add_node("worker-1", false);
    let dir = tempfile::tempdir().unwrap();
    let path = write_kubeconfig(&dir, &cluster.kubeconfig);
    assert_eq!(
        kubectl(&path, &["get", "nodes", "-o", "name"]),
        "node/server-1\nnode/worker-1\n"
    );
    let namespaces = kubectl(&path, &["get", "namespaces", "-o", "name"]);
    assert!(namespaces.contains("namespace/kube-system"), "{namespaces}");
    // kubectl's own server-side apply (client-side schema validation needs /openapi/v3, which
    // the stand-in does not serve), then kubectl reads back what the stand-in stored.
    let manifest = dir.path().join("cm.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kubectl\ndata:\n  k: v\n",
    )
    .unwrap();
    let applied = kubectl(
        &path,
        &[
            "apply",
            "--server-side",
            "--validate=false",
            "-f",
            manifest.to_str().unwrap(),
        ],
    );
    assert_eq!(applied.trim(), "configmap/from-kubectl serverside-applied");
    let value = kubectl(
        &path,
        &[
            "get",
            "configmap",
            "from-kubectl",
            "-o",
            "jsonpath={.data.k}",
        ],
    );
    assert_eq!(value, "v");
}
