//! `/etc/rancher/k3s/config.yaml`: k3s reads each key as the CLI flag of the same name.

use serde_norway::{Mapping, Value};

use crate::{K3sConfig, Role};

/// The config.yaml for `config` on a node of `role`. Keys follow k3s's flags (`tls-san`,
/// `node-label`, ...); list flags are YAML lists; empty and unset fields are left out.
pub fn config_yaml(config: &K3sConfig, role: &Role) -> String {
    let mut map = Mapping::new();
    if matches!(role, Role::Server { cluster_init: true }) {
        map.insert("cluster-init".into(), Value::Bool(true));
    }
    put_opt(&mut map, "server", &config.server);
    map.insert("token".into(), config.token.as_str().into());
    put_opt(&mut map, "node-name", &config.node_name);
    put_list(&mut map, "node-ip", config.node_ip.iter().cloned());
    put_list(
        &mut map,
        "node-external-ip",
        config.node_external_ip.iter().cloned(),
    );
    put_list(
        &mut map,
        "node-label",
        config.node_labels.iter().map(|(k, v)| format!("{k}={v}")),
    );
    put_list(
        &mut map,
        "node-taint",
        config.node_taints.iter().map(|t| t.to_string()),
    );
    put_list(&mut map, "kubelet-arg", config.kubelet_arg.iter().cloned());
    put_list(&mut map, "tls-san", config.tls_san.iter().cloned());
    put_list(&mut map, "disable", config.disable.iter().cloned());
    put_opt(&mut map, "cluster-cidr", &config.cluster_cidr);
    put_opt(&mut map, "service-cidr", &config.service_cidr);
    put_opt(&mut map, "cluster-dns", &config.cluster_dns);
    put_opt(&mut map, "cluster-domain", &config.cluster_domain);
    put_opt(&mut map, "flannel-backend", &config.flannel_backend);
    put_opt(
        &mut map,
        "write-kubeconfig-mode",
        &config.write_kubeconfig_mode,
    );
    for (key, value) in &config.extra {
        let value = serde_norway::to_value(value).expect("a JSON value is representable in YAML");
        map.insert(key.as_str().into(), value);
    }
    serde_norway::to_string(&Value::Mapping(map)).expect("a YAML mapping of strings serializes")
}

fn put_opt(map: &mut Mapping, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), value.as_str().into());
    }
}

fn put_list(map: &mut Mapping, key: &str, items: impl Iterator<Item = String>) {
    let items: Vec<Value> = items.map(Value::String).collect();
    if !items.is_empty() {
        map.insert(key.into(), Value::Sequence(items));
    }
}

/// The config.yaml keys the typed fields own (so `extra` cannot set them a second time).
pub(crate) const TYPED_KEYS: [(&str, &str); 18] = [
    ("cluster-init", "role"),
    ("server", "server"),
    ("token", "token"),
    ("node-name", "node_name"),
    ("node-ip", "node_ip"),
    ("node-external-ip", "node_external_ip"),
    ("node-label", "node_labels"),
    ("node-taint", "node_taints"),
    ("kubelet-arg", "kubelet_arg"),
    ("tls-san", "tls_san"),
    ("disable", "disable"),
    ("cluster-cidr", "cluster_cidr"),
    ("service-cidr", "service_cidr"),
    ("cluster-dns", "cluster_dns"),
    ("cluster-domain", "cluster_domain"),
    ("flannel-backend", "flannel_backend"),
    ("write-kubeconfig-mode", "write_kubeconfig_mode"),
    (
        "data-dir",
        "(fixed: the file layout assumes /var/lib/rancher/k3s)",
    ),
];
