//! Every problem is reported, each naming its field.

mod common;

use std::collections::BTreeMap;

use common::{agent, airgap, cluster_init_server, joining_server, online};
use k3s_bootstrap::{install_plan, validate, Install, Role, SpecError, Taint, TaintEffect};

fn problems(spec: &k3s_bootstrap::NodeSpec) -> Vec<String> {
    validate(spec)
        .unwrap_err()
        .into_iter()
        .map(|e: SpecError| e.to_string())
        .collect()
}

fn assert_has(problems: &[String], expected: &str) {
    assert!(
        problems.iter().any(|p| p.starts_with(expected)),
        "no problem starting with {expected:?} in {problems:#?}"
    );
}

#[test]
fn valid_specs_pass() {
    for spec in [
        cluster_init_server(airgap()),
        joining_server(online()),
        agent(airgap()),
        agent(online()),
    ] {
        validate(&spec).unwrap_or_else(|e| panic!("{e:#?}"));
    }
}

#[test]
fn server_url_rules_depend_on_the_role() {
    let mut init = cluster_init_server(airgap());
    init.config.server = Some("https://10.0.0.10:6443".into());
    assert_has(
        &problems(&init),
        "config.server: must be unset on the cluster-init server",
    );

    let mut orphan = agent(airgap());
    orphan.config.server = None;
    assert_has(
        &problems(&orphan),
        "config.server: an agent needs the URL of a server to join",
    );

    for (url, why) in [
        ("http://10.0.0.10:6443", "must be an https:// URL"),
        ("https://:6443", "has no host"),
        ("https://10.0.0.10:99999", "has an invalid port"),
        ("https://[::1:6443", "has an unclosed IPv6 bracket"),
    ] {
        let mut spec = joining_server(airgap());
        spec.config.server = Some(url.into());
        assert_has(&problems(&spec), &format!("config.server: {url:?} {why}"));
    }
    let mut v6 = joining_server(airgap());
    v6.config.server = Some("https://[fd00::10]:6443".into());
    validate(&v6).unwrap();
}

#[test]
fn all_problems_are_reported_together() {
    let mut spec = cluster_init_server(online());
    spec.config.token.clear();
    spec.config.node_taints.push(Taint {
        key: "bad key".into(),
        value: None,
        effect: TaintEffect::NoExecute,
    });
    spec.config
        .node_labels
        .insert("ok".into(), "bad value!".into());
    spec.config.cluster_cidr = Some("10.42.0.0/33".into());
    spec.config.service_cidr = Some("10.43.0.0".into());
    spec.config.disable.push("kube-proxy".into());
    spec.config.tls_san.push("not a name".into());
    spec.config.node_ip.push("10.0.0.300".into());
    spec.install = Install::Online {
        version: Some("v1.31.4+k3s1".into()),
        channel: Some("stable".into()),
        script_url: "https://get.k3s.io".into(),
    };
    let all = problems(&spec);
    assert_has(&all, "config.token: must not be empty");
    assert_has(
        &all,
        "config.node_taints[1]: key \"bad key\": name part must consist",
    );
    assert_has(&all, "config.node_labels[\"ok\"]: value \"bad value!\"");
    assert_has(
        &all,
        "config.cluster_cidr: \"10.42.0.0/33\": prefix length 33 exceeds 32",
    );
    assert_has(&all, "config.service_cidr: \"10.43.0.0\" is not a CIDR");
    assert_has(&all, "config.disable[1]: \"kube-proxy\" is not a k3s packaged component; valid values are coredns,");
    assert_has(
        &all,
        "config.tls_san[2]: \"not a name\" is neither an IP address nor a DNS name",
    );
    assert_has(
        &all,
        "config.node_ip[1]: \"10.0.0.300\" is not an IP address",
    );
    assert_has(&all, "install: set version or channel, not both");
    assert_eq!(all.len(), 9, "{all:#?}");
}

#[test]
fn agents_reject_server_only_fields() {
    let mut spec = agent(airgap());
    spec.config.tls_san.push("x.example.com".into());
    spec.config.disable.push("traefik".into());
    spec.server_tls_files
        .insert("server-ca.crt".into(), "-----BEGIN CERTIFICATE-----".into());
    spec.manifests = common::manifests();
    let all = problems(&spec);
    for field in [
        "config.tls_san",
        "config.disable",
        "server_tls_files",
        "manifests",
    ] {
        assert_has(&all, &format!("{field}: applies to servers only"));
    }
}

#[test]
fn servers_need_the_full_ca_set() {
    let mut spec = cluster_init_server(airgap());
    spec.server_tls_files.remove("etcd/peer-ca.key");
    spec.server_tls_files
        .insert("../escape.crt".into(), "-----BEGIN CERTIFICATE-----".into());
    spec.server_tls_files
        .insert("plain.crt".into(), "not pem".into());
    let all = problems(&spec);
    assert_has(&all, "server_tls_files: etcd/peer-ca.key is missing");
    assert_has(
        &all,
        "server_tls_files[\"../escape.crt\"]: must be a plain path relative",
    );
    assert_has(&all, "server_tls_files[\"plain.crt\"]: is not PEM");
}

#[test]
fn manifests_need_names_and_kubernetes_objects() {
    let mut spec = cluster_init_server(airgap());
    spec.manifests = BTreeMap::from([
        (
            "../x.yaml".to_string(),
            "apiVersion: v1\nkind: Namespace\n".to_string(),
        ),
        (
            "no-kind.yaml".to_string(),
            "apiVersion: v1\nmetadata: {}\n".to_string(),
        ),
        (
            "broken.yaml".to_string(),
            "apiVersion: v1\nkind: [\n".to_string(),
        ),
        ("list.yaml".to_string(), "- a\n- b\n".to_string()),
        (
            "notes.txt".to_string(),
            "apiVersion: v1\nkind: Namespace\n".to_string(),
        ),
    ]);
    let all = problems(&spec);
    assert_has(&all, "manifests[\"../x.yaml\"]: file name must be");
    assert_has(&all, "manifests[\"no-kind.yaml\"]: document 1 has no kind");
    assert_has(
        &all,
        "manifests[\"broken.yaml\"]: document 1 is not valid YAML",
    );
    assert_has(
        &all,
        "manifests[\"list.yaml\"]: document 1 is not a mapping",
    );
    assert_has(&all, "manifests[\"notes.txt\"]: file name must be");
}

#[test]
fn install_fields() {
    let mut spec = agent(Install::Airgap {
        binary_path: "k3s".into(),
        images_path: Some("images".into()),
        install_script_path: "/srv/install.sh".into(),
        mount_label: Some("bad label".into()),
    });
    let all = problems(&spec);
    assert_has(
        &all,
        "install.binary_path: \"k3s\" must be an absolute path on the node",
    );
    assert_has(
        &all,
        "install.images_path: \"images\" must be an absolute path",
    );
    assert_has(
        &all,
        "install.mount_label: \"bad label\" must be 1-64 characters",
    );

    spec.install = Install::Online {
        version: Some("1.31".into()),
        channel: None,
        script_url: "http://get.k3s.io".into(),
    };
    let all = problems(&spec);
    assert_has(&all, "install.version: \"1.31\" is not a k3s release tag");
    assert_has(
        &all,
        "install.script_url: \"http://get.k3s.io\" must be an https:// URL",
    );
    spec.install = Install::Online {
        version: None,
        channel: None,
        script_url: "https://get.k3s.io".into(),
    };
    validate(&spec).unwrap();
}

#[test]
fn extra_keys_cannot_shadow_typed_fields() {
    let mut spec = agent(airgap());
    spec.config.extra.insert("token".into(), "x".into());
    spec.config.extra.insert("--node-label".into(), "x".into());
    spec.config
        .extra
        .insert("kube-proxy-arg".into(), serde_json::json!(["a=b"]));
    let all = problems(&spec);
    assert_has(
        &all,
        "config.extra[\"token\"]: is set through token instead",
    );
    assert_has(
        &all,
        "config.extra[\"--node-label\"]: must be a k3s flag name",
    );
    assert_eq!(all.len(), 2, "{all:#?}");
}

#[test]
fn install_plan_refuses_an_invalid_spec() {
    let mut spec = agent(airgap());
    spec.role = Role::Server { cluster_init: true };
    let errors = install_plan(&spec).unwrap_err();
    assert!(
        errors.iter().any(|e| e.field == "config.server"),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.field == "server_tls_files"),
        "{errors:#?}"
    );
}
