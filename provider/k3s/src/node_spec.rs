//! The node bootstrap schema shared by `k3s_cloud_init`, `k3s_server` and `k3s_agent`: a
//! typed k3s configuration, the install method and the cluster credentials, turned into
//! a `k3s_bootstrap::NodeSpec`. One schema and one conversion, so a node configured by
//! cloud-init and one configured over SSH get the same files and the same script.

use tfplugin::{Attribute, AttributePath, Block, Diagnostics, NestedBlock, Type, Value};

use k3s_bootstrap::{Install, K3sConfig, NodeSpec, Role, SpecError};

use crate::attrs::{single_block, string, string_map, strings};

pub const DEFAULT_INSTALL_SCRIPT_URL: &str = "https://get.k3s.io";

/// Which node attributes a schema carries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Role chosen by the `role` attribute (the cloud-init data source).
    AnyRole,
    Server,
    Agent,
}

impl NodeKind {
    fn has_server_attributes(self) -> bool {
        self != NodeKind::Agent
    }
}

/// Adds the shared node attributes and blocks to a resource or data source block.
pub fn add_to(block: Block, kind: NodeKind) -> Block {
    let mut block = block
        .attr(
            Attribute::required("token", Type::String)
                .sensitive()
                .describe("The cluster join token (`k3s_cluster.token`)."),
        )
        .attr(Attribute::optional("server_url", Type::String).describe(
            "URL of an existing server to join, `https://HOST:6443`. Required for agents and \
             for servers other than the first one; must be unset with `cluster_init`.",
        ))
        .block(NestedBlock::at_most_one("config", config_block()))
        .block(NestedBlock::at_most_one("online", online_block()))
        .block(NestedBlock::at_most_one("airgap", airgap_block()));
    if kind.has_server_attributes() {
        block = block
            .attr(Attribute::optional("cluster_init", Type::Bool).describe(
                "Servers only: start a new cluster with embedded etcd (`cluster-init`), so \
                 more servers can join for high availability. Set on the first server only.",
            ))
            .attr(
                Attribute::optional("server_tls_files", Type::map(Type::String))
                    .sensitive()
                    .describe(
                        "Servers only: the cluster's CA files (`k3s_cluster.server_tls_files`), \
                         written to `/var/lib/rancher/k3s/server/tls` before k3s first starts.",
                    ),
            )
            .attr(
                Attribute::optional("manifests", Type::map(Type::String)).describe(
                    "Servers only: auto-deploy manifests, file name (`*.yaml`) to YAML, written \
                     to `/var/lib/rancher/k3s/server/manifests`.",
                ),
            );
    }
    block
}

fn config_block() -> Block {
    let list = |name: &str, about: &str| {
        Attribute::optional(name, Type::list(Type::String)).describe(about.to_string())
    };
    let text = |name: &str, about: &str| {
        Attribute::optional(name, Type::String).describe(about.to_string())
    };
    Block::new()
        .describe("The k3s configuration written to `/etc/rancher/k3s/config.yaml`.")
        .attr(text(
            "node_name",
            "Node name (`node-name`); the host name when unset.",
        ))
        .attr(list(
            "node_ip",
            "IP addresses to advertise for the node (`node-ip`).",
        ))
        .attr(list(
            "node_external_ip",
            "External IP addresses of the node (`node-external-ip`).",
        ))
        .attr(list(
            "tls_san",
            "Servers: extra names and addresses in the API server certificate (`tls-san`).",
        ))
        .attr(
            Attribute::optional("node_labels", Type::map(Type::String))
                .describe("Kubernetes labels registered with the node (`node-label`)."),
        )
        .attr(list(
            "node_taints",
            "Taints registered with the node, `key=value:Effect` or `key:Effect` (`node-taint`).",
        ))
        .attr(list(
            "disable",
            "Servers: packaged components not to deploy, e.g. `traefik`, `servicelb` (`disable`).",
        ))
        .attr(text(
            "cluster_cidr",
            "Servers: pod network CIDR (`cluster-cidr`).",
        ))
        .attr(text(
            "service_cidr",
            "Servers: service network CIDR (`service-cidr`).",
        ))
        .attr(text(
            "cluster_dns",
            "Servers: cluster DNS service address (`cluster-dns`).",
        ))
        .attr(text(
            "cluster_domain",
            "Servers: cluster domain (`cluster-domain`).",
        ))
        .attr(text(
            "flannel_backend",
            "Servers: flannel backend, e.g. `vxlan`, `wireguard-native`, `none`.",
        ))
        .attr(text(
            "write_kubeconfig_mode",
            "Servers: file mode of `/etc/rancher/k3s/k3s.yaml`, e.g. `0640`.",
        ))
        .attr(list(
            "kubelet_arg",
            "Extra kubelet arguments, `flag=value` (`kubelet-arg`).",
        ))
        .attr(
            Attribute::optional("extra", Type::map(Type::String)).describe(
                "Any other `config.yaml` key (k3s flag name without dashes) and its value.",
            ),
        )
}

fn online_block() -> Block {
    Block::new()
        .describe(
            "Install with k3s's install script downloaded on the node (the default when neither \
             `online` nor `airgap` is set: latest stable).",
        )
        .attr(Attribute::optional("version", Type::String).describe(
            "k3s version, e.g. `v1.31.4+k3s1` (`INSTALL_K3S_VERSION`). Changing it upgrades the \
             node in place.",
        ))
        .attr(Attribute::optional("channel", Type::String).describe(
            "Release channel, e.g. `stable`, `latest`, `v1.31` (`INSTALL_K3S_CHANNEL`); exclusive \
             with `version`.",
        ))
        .attr(
            Attribute::optional("script_url", Type::String).describe(format!(
                "Where to fetch the install script. Defaults to `{DEFAULT_INSTALL_SCRIPT_URL}`."
            )),
        )
}

fn airgap_block() -> Block {
    Block::new()
        .describe(
            "Install without network access from files already on the node (baked into the \
             image, or on a disk found by its filesystem label): the k3s binary, the install \
             script and optionally the image archive (`INSTALL_K3S_SKIP_DOWNLOAD=true`). Paths \
             are absolute paths on the node.",
        )
        .attr(
            Attribute::required("binary_path", Type::String)
                .describe("Path of the k3s binary on the node (or on the labelled disk)."),
        )
        .attr(
            Attribute::required("install_script_path", Type::String)
                .describe("Path of k3s's `install.sh` on the node (or on the labelled disk)."),
        )
        .attr(Attribute::optional("images_path", Type::String).describe(
            "Path of the air-gap image archive (`k3s-airgap-images-amd64.tar.zst` or an OCI \
             archive), copied to `/var/lib/rancher/k3s/agent/images/`.",
        ))
        .attr(Attribute::optional("mount_label", Type::String).describe(
            "Filesystem label of a disk holding the files above: it is mounted read-only at \
             `/mnt/k3s-airgap` first, so the paths can point into it.",
        ))
}

/// The role a node schema describes, from its kind and attributes.
fn role(kind: NodeKind, obj: &Value) -> Result<Role, Diagnostics> {
    let server = Role::Server {
        cluster_init: obj.get("cluster_init").as_bool().unwrap_or(false),
    };
    match kind {
        NodeKind::Server => Ok(server),
        NodeKind::Agent => Ok(Role::Agent),
        NodeKind::AnyRole => match obj.get("role").as_str() {
            Some("server") => Ok(server),
            Some("agent") => Ok(Role::Agent),
            other => Err(Diagnostics::error_at(
                AttributePath::attr("role"),
                "Invalid node role",
                format!("role must be \"server\" or \"agent\", got {other:?}"),
            )),
        },
    }
}

fn k3s_config(obj: &Value) -> Result<K3sConfig, Diagnostics> {
    let config = single_block(obj, "config");
    let mut diags = Diagnostics::new();
    let mut node_taints = Vec::new();
    for (i, taint) in strings(config, "node_taints").iter().enumerate() {
        match taint.parse() {
            Ok(t) => node_taints.push(t),
            Err(e) => diags.push_error_at(
                config_path("node_taints").push_index(i),
                "Invalid taint",
                format!("{taint:?}: {e}"),
            ),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(K3sConfig {
        server: string(obj, "server_url"),
        token: string(obj, "token").unwrap_or_default(),
        node_name: string(config, "node_name"),
        node_ip: strings(config, "node_ip"),
        node_external_ip: strings(config, "node_external_ip"),
        tls_san: strings(config, "tls_san"),
        node_labels: string_map(config, "node_labels"),
        node_taints,
        disable: strings(config, "disable"),
        cluster_cidr: string(config, "cluster_cidr"),
        service_cidr: string(config, "service_cidr"),
        cluster_dns: string(config, "cluster_dns"),
        cluster_domain: string(config, "cluster_domain"),
        flannel_backend: string(config, "flannel_backend"),
        write_kubeconfig_mode: string(config, "write_kubeconfig_mode"),
        kubelet_arg: strings(config, "kubelet_arg"),
        extra: string_map(config, "extra")
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect(),
    })
}

fn config_path(name: &str) -> AttributePath {
    AttributePath::attr("config").push_index(0).push_attr(name)
}

fn install(obj: &Value) -> Result<Install, Diagnostics> {
    let online = single_block(obj, "online");
    let airgap = single_block(obj, "airgap");
    match (online.is_null(), airgap.is_null()) {
        (false, false) => Err(Diagnostics::error_at(
            AttributePath::attr("airgap"),
            "Conflicting install methods",
            "Set either an `online` block or an `airgap` block, not both.",
        )),
        (true, false) => Ok(Install::Airgap {
            binary_path: string(airgap, "binary_path").unwrap_or_default(),
            images_path: string(airgap, "images_path"),
            install_script_path: string(airgap, "install_script_path").unwrap_or_default(),
            mount_label: string(airgap, "mount_label"),
        }),
        _ => Ok(Install::Online {
            version: string(online, "version"),
            channel: string(online, "channel"),
            script_url: string(online, "script_url")
                .unwrap_or_else(|| DEFAULT_INSTALL_SCRIPT_URL.to_string()),
        }),
    }
}

/// The node spec described by a configuration, with every problem reported at its
/// attribute path. Call only when the relevant values are known.
pub fn node_spec(kind: NodeKind, obj: &Value) -> Result<NodeSpec, Diagnostics> {
    let mut diags = Diagnostics::new();
    let role = role(kind, obj).map_err(|d| diags.extend(d));
    let config = k3s_config(obj).map_err(|d| diags.extend(d));
    let install = install(obj).map_err(|d| diags.extend(d));
    let (Ok(role), Ok(config), Ok(install)) = (role, config, install) else {
        return Err(diags);
    };
    check_token(obj)?;
    let spec = NodeSpec {
        role,
        config,
        install,
        server_tls_files: string_map(obj, "server_tls_files"),
        manifests: string_map(obj, "manifests"),
    };
    k3s_bootstrap::validate(&spec).map_err(|e| spec_diagnostics(obj, e))?;
    Ok(spec)
}

/// The token must be well formed and, when the CA files are given, made for that CA: a
/// wrong token would only show as a node that never joins.
fn check_token(obj: &Value) -> Result<(), Diagnostics> {
    let token = obj.get("token").as_str().unwrap_or_default();
    let invalid = |e: k3s_pki::TokenError| {
        Diagnostics::error_at(
            AttributePath::attr("token"),
            "Invalid join token",
            e.to_string(),
        )
    };
    k3s_pki::parse_token(token).map_err(invalid)?;
    if let Some(server_ca) = obj.get("server_tls_files").get("server-ca.crt").as_str() {
        k3s_pki::check_token_ca(token, server_ca).map_err(invalid)?;
    }
    Ok(())
}

/// Plan-time validation: only when every input is known (a token or CA files computed by
/// a resource in the same plan are checked at apply).
pub fn check(kind: NodeKind, obj: &Value) -> Diagnostics {
    if !obj.is_wholly_known() {
        return Diagnostics::new();
    }
    node_spec(kind, obj).err().unwrap_or_default()
}

/// The bootstrap library's field names (`config.node_taints[1]`, `manifests["a.yaml"]`,
/// `install.binary_path`) as Terraform attribute paths: blocks are lists of one, and
/// `install` is whichever of `online` / `airgap` the configuration uses (None: neither set,
/// so the problem is reported on the resource itself).
pub fn field_path(field: &str, install_block: Option<&str>) -> AttributePath {
    let mut path = AttributePath::root();
    let mut rest = field;
    while let Some(first) = rest.chars().next() {
        match first {
            '.' => rest = &rest[1..],
            '[' => {
                let inner = &rest[1..];
                let (subscript, after) = match inner.strip_prefix('"') {
                    // A quoted map key may hold dots and brackets.
                    Some(quoted) => {
                        let end = quoted.find("\"]").unwrap_or(quoted.len());
                        (&quoted[..end], quoted.get(end + 2..).unwrap_or(""))
                    }
                    None => {
                        let end = inner.find(']').unwrap_or(inner.len());
                        (&inner[..end], inner.get(end + 1..).unwrap_or(""))
                    }
                };
                path = match subscript.parse::<usize>() {
                    Ok(index) => path.push_index(index),
                    Err(_) => path.push_key(subscript),
                };
                rest = after;
            }
            _ => {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let name = match (path.0.is_empty(), &rest[..end]) {
                    (true, "install") => match install_block {
                        Some(block) => block,
                        None => return path,
                    },
                    (_, name) => name,
                };
                path = path.push_attr(name);
                if path.0.len() == 1 && matches!(name, "config" | "online" | "airgap") {
                    path = path.push_index(0);
                }
                rest = &rest[end..];
            }
        }
    }
    path
}

pub fn spec_diagnostics(obj: &Value, errors: Vec<SpecError>) -> Diagnostics {
    let install_block = ["airgap", "online"]
        .into_iter()
        .find(|b| !single_block(obj, b).is_null());
    let mut diags = Diagnostics::new();
    for e in errors {
        diags.push_error_at(
            field_path(&e.field, install_block),
            "Invalid k3s node configuration",
            e.message,
        );
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_fields_become_block_paths() {
        let path = |field| field_path(field, Some("airgap")).to_string();
        assert_eq!(path("config.node_taints[1]"), "config[0].node_taints[1]");
        assert_eq!(path("install.binary_path"), "airgap[0].binary_path");
        assert_eq!(path(r#"manifests["a.yaml"]"#), r#"manifests["a.yaml"]"#);
        assert_eq!(path("token"), "token");
        assert_eq!(field_path("install.version", None).to_string(), "");
    }
}
