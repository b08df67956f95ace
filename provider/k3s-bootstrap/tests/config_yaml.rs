//! config.yaml parsed back: the keys and shapes k3s reads.

mod common;

use common::{agent, airgap, cluster_init_server, joining_server, token, SERVER_URL};
use k3s_bootstrap::{config_yaml, install_plan, Role, CONFIG_PATH};
use serde_norway::Value;

fn parse(yaml: &str) -> Value {
    serde_norway::from_str(yaml).unwrap()
}

fn list(items: &[&str]) -> Value {
    Value::Sequence(items.iter().map(|s| Value::String(s.to_string())).collect())
}

#[test]
fn cluster_init_server_config() {
    let spec = cluster_init_server(airgap());
    let yaml = config_yaml(&spec.config, &spec.role);
    let doc = parse(&yaml);
    let expected = parse(&format!(
        r#"
cluster-init: true
token: "{token}"
node-name: server-0
node-ip: ["10.0.0.10"]
node-label: ["tier=control"]
node-taint: ["node-role.kubernetes.io/control-plane=true:NoSchedule"]
kubelet-arg: ["max-pods=150"]
tls-san: ["k3s.example.com", "10.0.0.10"]
disable: ["traefik"]
cluster-cidr: 10.42.0.0/16
service-cidr: 10.43.0.0/16
write-kubeconfig-mode: "0600"
"#,
        token = token()
    ));
    assert_eq!(doc, expected, "{yaml}");
    assert!(yaml.starts_with("cluster-init: true\n"), "{yaml}");
}

#[test]
fn joining_server_and_agent_configs() {
    let joining = joining_server(airgap());
    let doc = parse(&config_yaml(&joining.config, &joining.role));
    assert_eq!(doc.get("server"), Some(&Value::String(SERVER_URL.into())));
    assert_eq!(doc.get("cluster-init"), None);

    let agent = agent(airgap());
    let doc = parse(&config_yaml(&agent.config, &agent.role));
    let keys: Vec<&str> = doc
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, ["server", "token", "node-name", "node-label"]);
    assert_eq!(doc.get("node-label"), Some(&list(&["tier=bidder"])));
}

#[test]
fn extra_keys_keep_their_json_types_and_come_last() {
    let mut spec = agent(airgap());
    spec.config.extra.insert(
        "kube-proxy-arg".into(),
        serde_json::json!(["metrics-bind-address=0.0.0.0"]),
    );
    spec.config
        .extra
        .insert("protect-kernel-defaults".into(), serde_json::json!(true));
    let yaml = config_yaml(&spec.config, &Role::Agent);
    let doc = parse(&yaml);
    assert_eq!(doc.get("protect-kernel-defaults"), Some(&Value::Bool(true)));
    assert_eq!(
        doc.get("kube-proxy-arg"),
        Some(&list(&["metrics-bind-address=0.0.0.0"]))
    );
    assert!(
        yaml.trim_end().ends_with("protect-kernel-defaults: true"),
        "{yaml}"
    );
}

#[test]
fn tricky_strings_survive_yaml() {
    let mut spec = agent(airgap());
    spec.config.token = "K10abc::server:yes: no #not-a-comment".into();
    spec.config.node_labels.insert("n".into(), "true".into());
    let doc = parse(&config_yaml(&spec.config, &Role::Agent));
    assert_eq!(
        doc.get("token"),
        Some(&Value::String(
            "K10abc::server:yes: no #not-a-comment".into()
        ))
    );
    assert_eq!(
        doc.get("node-label"),
        Some(&list(&["n=true", "tier=bidder"]))
    );
}

#[test]
fn plan_files_paths_and_modes() {
    let plan = install_plan(&cluster_init_server(airgap())).unwrap();
    let mode = |path: &str| {
        plan.files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .mode
    };
    assert_eq!(mode(CONFIG_PATH), 0o600);
    assert_eq!(mode("/var/lib/rancher/k3s/server/tls/server-ca.crt"), 0o644);
    assert_eq!(mode("/var/lib/rancher/k3s/server/tls/server-ca.key"), 0o600);
    assert_eq!(
        mode("/var/lib/rancher/k3s/server/tls/etcd/peer-ca.key"),
        0o600
    );
    assert_eq!(mode("/var/lib/rancher/k3s/server/tls/service.key"), 0o600);
    assert_eq!(
        mode("/var/lib/rancher/k3s/server/manifests/ad-exchange.yaml"),
        0o600
    );

    let agent_plan = install_plan(&agent(airgap())).unwrap();
    let paths: Vec<&str> = agent_plan.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, [CONFIG_PATH], "agents get only their config");
}

#[test]
fn secrets_never_reach_the_script() {
    for spec in [
        cluster_init_server(airgap()),
        joining_server(common::online()),
        agent(airgap()),
    ] {
        let plan = install_plan(&spec).unwrap();
        assert!(
            !plan.script.contains(&spec.config.token),
            "token in script:\n{}",
            plan.script
        );
        assert!(!plan.script.contains("PRIVATE KEY"), "key in script");
        assert!(
            !plan.script.contains("0123456789abcdef0123456789abcdef"),
            "token secret in script"
        );
    }
}

#[test]
fn debug_output_hides_token_and_keys() {
    let spec = cluster_init_server(airgap());
    let plan = install_plan(&spec).unwrap();
    let shown = format!("{spec:?} {plan:?}");
    assert!(!shown.contains(&spec.config.token), "token in Debug output");
    assert!(!shown.contains("PRIVATE KEY"), "key in Debug output");
    assert!(
        shown.contains("server-ca.key") && shown.contains("/etc/rancher/k3s/config.yaml"),
        "{shown}"
    );
}
