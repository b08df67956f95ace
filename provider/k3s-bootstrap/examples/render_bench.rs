//! Time to render the user-data of a 3-server + 10-agent cluster (median of N runs), with a
//! baseline measured in the same run: serde_json serialization of the same specs' inputs.
//!
//! cargo run --release -p k3s-bootstrap --example render_bench [runs]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k3s_bootstrap::{install_plan, render_cloud_config, Install, K3sConfig, NodeSpec, Role};
use k3s_pki::{ClusterPki, KeyAlgorithm, PkiOptions};

const SERVER_URL: &str = "https://10.0.0.10:6443";

fn cluster(pki: &ClusterPki) -> Vec<NodeSpec> {
    let token = k3s_pki::secure_token(&pki.server_ca_bundle(), &k3s_pki::random_secret());
    let install = Install::Airgap {
        binary_path: "/mnt/k3s-airgap/k3s".into(),
        images_path: Some("/mnt/k3s-airgap/k3s-airgap-images-amd64.tar.zst".into()),
        install_script_path: "/mnt/k3s-airgap/install.sh".into(),
        mount_label: Some("K3SAIRGAP".into()),
    };
    let manifests = BTreeMap::from([
        ("ad-exchange.yaml".to_string(), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: exchange\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: exchange}\n  template:\n    metadata:\n      labels: {app: exchange}\n    spec:\n      containers:\n      - name: exchange\n        image: exchange:latest\n".to_string()),
        ("bidders.yaml".to_string(), "apiVersion: v1\nkind: Service\nmetadata:\n  name: bidder\nspec:\n  ports:\n  - port: 8080\n".to_string()),
    ]);
    let node = |i: usize, role: Role| {
        let server =
            (!matches!(role, Role::Server { cluster_init: true })).then(|| SERVER_URL.to_string());
        let is_server = role.is_server();
        NodeSpec {
            config: K3sConfig {
                server,
                token: token.clone(),
                node_name: Some(format!("node-{i}")),
                node_ip: vec![format!("10.0.0.{}", 10 + i)],
                tls_san: if is_server {
                    vec!["k3s.example.com".into(), "10.0.0.10".into()]
                } else {
                    vec![]
                },
                node_labels: BTreeMap::from([(
                    "tier".to_string(),
                    if is_server { "control" } else { "bidder" }.to_string(),
                )]),
                disable: if is_server {
                    vec!["traefik".into()]
                } else {
                    vec![]
                },
                ..Default::default()
            },
            install: install.clone(),
            server_tls_files: if is_server {
                pki.server_tls_files()
            } else {
                BTreeMap::new()
            },
            manifests: if matches!(role, Role::Server { cluster_init: true }) {
                manifests.clone()
            } else {
                BTreeMap::new()
            },
            role,
        }
    };
    let mut nodes = vec![node(0, Role::Server { cluster_init: true })];
    nodes.extend((1..3).map(|i| {
        node(
            i,
            Role::Server {
                cluster_init: false,
            },
        )
    }));
    nodes.extend((3..13).map(|i| node(i, Role::Agent)));
    nodes
}

/// The same inputs as plain JSON, for the baseline.
fn as_json(nodes: &[NodeSpec]) -> serde_json::Value {
    serde_json::Value::Array(
        nodes
            .iter()
            .map(|n| {
                serde_json::json!({
                    "role": n.role.subcommand(),
                    "config": format!("{:?}", n.config),
                    "install": format!("{:?}", n.install),
                    "server_tls_files": n.server_tls_files,
                    "manifests": n.manifests,
                })
            })
            .collect(),
    )
}

fn render_all(nodes: &[NodeSpec], user_parts: &[String]) -> usize {
    nodes
        .iter()
        .map(|spec| {
            render_cloud_config(&install_plan(spec).expect("valid spec"), user_parts)
                .expect("merge")
                .len()
        })
        .sum()
}

fn median(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut bytes = 0;
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            bytes = std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    samples.sort();
    (samples[runs / 2], bytes)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(101, |n| n.parse().expect("runs must be a number"));
    let pki = ClusterPki::generate(&PkiOptions {
        cluster_name: "bench".into(),
        key_algorithm: KeyAlgorithm::Rsa4096,
        ca_validity_days: 3650,
        client_validity_days: 365,
    })
    .expect("pki");
    let tls_bytes: usize = pki.server_tls_files().values().map(String::len).sum();
    let nodes = cluster(&pki);
    let json = as_json(&nodes);
    let user_parts = vec![
        "#cloud-config\npackage_update: false\nruncmd:\n  - echo prepare\nwrite_files:\n  - path: /etc/motd\n    content: hi\n".to_string(),
        "#!/bin/sh\necho user script\n".to_string(),
    ];

    let (baseline, json_bytes) = median(runs, || serde_json::to_string(&json).expect("json").len());
    let (alone, alone_bytes) = median(runs, || render_all(&nodes, &[]));
    let (merged, merged_bytes) = median(runs, || render_all(&nodes, &user_parts));
    println!("cluster: 3 servers + 10 agents, RSA-4096 CA set ({} files, {tls_bytes} bytes per server), 2 manifests; median of {runs} runs", pki.server_tls_files().len());
    println!("{:<44} {:>10} {:>10} {:>8}", "", "time", "bytes", "ratio");
    println!(
        "{:<44} {:>7.3} ms {:>10} {:>7.2}x",
        "baseline: serde_json of the same specs",
        baseline.as_secs_f64() * 1e3,
        json_bytes,
        1.0
    );
    for (name, time, bytes) in [
        ("user-data, ours alone", alone, alone_bytes),
        (
            "user-data, merged with cloud-config + script",
            merged,
            merged_bytes,
        ),
    ] {
        println!(
            "{:<44} {:>7.3} ms {:>10} {:>7.2}x",
            name,
            time.as_secs_f64() * 1e3,
            bytes,
            time.as_secs_f64() / baseline.as_secs_f64()
        );
    }
}
