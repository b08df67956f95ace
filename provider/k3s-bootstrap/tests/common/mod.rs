//! Specs for the tests: a cluster-init server, a joining server and an agent, air-gapped or online.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;

use k3s_bootstrap::{Install, K3sConfig, NodeSpec, Role};
use k3s_pki::{ClusterPki, KeyAlgorithm, PkiOptions};

pub const SERVER_URL: &str = "https://10.0.0.10:6443";

pub fn pki() -> &'static ClusterPki {
    static PKI: OnceLock<ClusterPki> = OnceLock::new();
    PKI.get_or_init(|| {
        ClusterPki::generate(&PkiOptions {
            cluster_name: "test".into(),
            key_algorithm: KeyAlgorithm::EcdsaP256,
            ca_validity_days: 3650,
            client_validity_days: 365,
        })
        .unwrap()
    })
}

pub fn token() -> String {
    k3s_pki::secure_token(
        &pki().server_ca_bundle(),
        "0123456789abcdef0123456789abcdef",
    )
}

pub fn airgap() -> Install {
    Install::Airgap {
        binary_path: "/srv/airgap/k3s".into(),
        images_path: Some("/srv/airgap/images".into()),
        install_script_path: "/srv/airgap/install.sh".into(),
        mount_label: None,
    }
}

pub fn online() -> Install {
    Install::Online {
        version: Some("v1.31.4+k3s1".into()),
        channel: None,
        script_url: "https://get.k3s.io".into(),
    }
}

pub fn manifests() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "ad-exchange.yaml".to_string(),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ads\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: ads\ndata:\n  tmax: \"120\"\n".to_string(),
        ),
        ("extra.yml".to_string(), "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bidder\n".to_string()),
    ])
}

pub fn server_config() -> K3sConfig {
    K3sConfig {
        token: token(),
        node_name: Some("server-0".into()),
        node_ip: vec!["10.0.0.10".into()],
        tls_san: vec!["k3s.example.com".into(), "10.0.0.10".into()],
        node_labels: BTreeMap::from([("tier".to_string(), "control".to_string())]),
        node_taints: vec!["node-role.kubernetes.io/control-plane=true:NoSchedule"
            .parse()
            .unwrap()],
        disable: vec!["traefik".into()],
        cluster_cidr: Some("10.42.0.0/16".into()),
        service_cidr: Some("10.43.0.0/16".into()),
        write_kubeconfig_mode: Some("0600".into()),
        kubelet_arg: vec!["max-pods=150".into()],
        ..Default::default()
    }
}

pub fn cluster_init_server(install: Install) -> NodeSpec {
    NodeSpec {
        role: Role::Server { cluster_init: true },
        config: server_config(),
        install,
        server_tls_files: pki().server_tls_files(),
        manifests: manifests(),
    }
}

pub fn joining_server(install: Install) -> NodeSpec {
    let mut spec = cluster_init_server(install);
    spec.role = Role::Server {
        cluster_init: false,
    };
    spec.config.server = Some(SERVER_URL.into());
    spec.config.node_name = Some("server-1".into());
    spec.manifests.clear();
    spec
}

pub fn agent(install: Install) -> NodeSpec {
    NodeSpec {
        role: Role::Agent,
        config: K3sConfig {
            server: Some(SERVER_URL.into()),
            token: token(),
            node_name: Some("agent-0".into()),
            node_labels: BTreeMap::from([("tier".to_string(), "bidder".to_string())]),
            ..Default::default()
        },
        install,
        server_tls_files: BTreeMap::new(),
        manifests: BTreeMap::new(),
    }
}

/// Fails (never skips) when the tool is missing, saying how to install it.
pub fn require_tool(tool: &str, package: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .unwrap()
        .status
        .success();
    assert!(found, "{tool} not installed: apt-get install {package}");
}
