//! The typed description of one k3s node, and what it renders to.

use std::collections::BTreeMap;
use std::fmt;

use crate::taint::Taint;

/// Where k3s reads its configuration (k3s docs: "Configuration File").
pub const CONFIG_PATH: &str = "/etc/rancher/k3s/config.yaml";
/// Where k3s looks for pre-provisioned CA material before its first start.
pub const SERVER_TLS_DIR: &str = "/var/lib/rancher/k3s/server/tls";
/// Manifests here are applied by k3s's deploy controller and re-applied when they change.
pub const MANIFESTS_DIR: &str = "/var/lib/rancher/k3s/server/manifests";
/// Image archives here are imported into containerd when k3s starts (air-gap install).
pub const AIRGAP_IMAGES_DIR: &str = "/var/lib/rancher/k3s/agent/images";
/// install.sh's default BIN_DIR; with INSTALL_K3S_SKIP_DOWNLOAD it expects the binary here.
pub const K3S_BINARY_PATH: &str = "/usr/local/bin/k3s";
/// Our own state (the rendered script, the last applied config hash).
pub const BOOTSTRAP_DIR: &str = "/var/lib/rancher/k3s-bootstrap";
/// Where the install script is written by cloud-init (and may be uploaded over SSH).
pub const SCRIPT_PATH: &str = "/var/lib/rancher/k3s-bootstrap/install-k3s.sh";
/// Where a disk named by `Install::Airgap::mount_label` is mounted, read-only.
pub const AIRGAP_MOUNT_POINT: &str = "/mnt/k3s-airgap";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `cluster_init`: the first server of an embedded-etcd cluster (`cluster-init: true`).
    Server {
        cluster_init: bool,
    },
    Agent,
}

impl Role {
    pub fn is_server(&self) -> bool {
        matches!(self, Role::Server { .. })
    }

    /// The k3s subcommand, passed to install.sh as INSTALL_K3S_EXEC.
    pub fn subcommand(&self) -> &'static str {
        match self {
            Role::Server { .. } => "server",
            Role::Agent => "agent",
        }
    }
}

/// The contents of `/etc/rancher/k3s/config.yaml`. Empty lists and `None` are left out.
/// `Debug` shows every field but the token.
#[derive(Clone, Default, PartialEq)]
pub struct K3sConfig {
    /// `https://<server>:6443` to join; none for the first server.
    pub server: Option<String>,
    pub token: String,
    pub node_name: Option<String>,
    pub node_ip: Vec<String>,
    pub node_external_ip: Vec<String>,
    pub tls_san: Vec<String>,
    pub node_labels: BTreeMap<String, String>,
    pub node_taints: Vec<Taint>,
    pub disable: Vec<String>,
    pub cluster_cidr: Option<String>,
    pub service_cidr: Option<String>,
    pub cluster_dns: Option<String>,
    pub cluster_domain: Option<String>,
    pub flannel_backend: Option<String>,
    pub write_kubeconfig_mode: Option<String>,
    pub kubelet_arg: Vec<String>,
    /// Any other config.yaml key (k3s flag name without dashes), written after the typed keys.
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Install {
    /// install.sh fetched from `script_url` downloads k3s itself (`INSTALL_K3S_VERSION` or
    /// `INSTALL_K3S_CHANNEL`; neither means install.sh's default, the stable channel).
    Online {
        version: Option<String>,
        channel: Option<String>,
        script_url: String,
    },
    /// Everything is already on the node (paths are node paths); nothing is downloaded.
    Airgap {
        binary_path: String,
        /// An image archive, or a directory of them, copied into [`AIRGAP_IMAGES_DIR`].
        images_path: Option<String>,
        install_script_path: String,
        /// Filesystem label of a disk holding the files, mounted read-only at [`AIRGAP_MOUNT_POINT`] first.
        mount_label: Option<String>,
    },
}

/// `Debug` shows the token and the TLS files' contents redacted.
#[derive(Clone, PartialEq)]
pub struct NodeSpec {
    pub role: Role,
    pub config: K3sConfig,
    pub install: Install,
    /// Servers only: paths relative to [`SERVER_TLS_DIR`] → PEM (k3s_pki's `server_tls_files`).
    pub server_tls_files: BTreeMap<String, String>,
    /// Servers only: file name → YAML, written to [`MANIFESTS_DIR`].
    pub manifests: BTreeMap<String, String>,
}

/// `Debug` shows the size of `content`, not the content (it may hold keys or the token).
#[derive(Clone, PartialEq, Eq)]
pub struct NodeFile {
    pub path: String,
    pub content: String,
    pub mode: u32,
}

/// Files to place (before the script runs) and the script that installs or upgrades k3s.
/// The script never contains secrets, so it may be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallPlan {
    pub files: Vec<NodeFile>,
    pub script: String,
}

/// One problem with a [`NodeSpec`], naming the field the way the spec spells it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecError {
    pub field: String,
    pub message: String,
}

impl SpecError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

// Hand-written so logging a spec or a plan never prints the token or private keys.
impl fmt::Debug for K3sConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("K3sConfig")
            .field("server", &self.server)
            .field("token", &"<redacted>")
            .field("node_name", &self.node_name)
            .field("node_ip", &self.node_ip)
            .field("node_external_ip", &self.node_external_ip)
            .field("tls_san", &self.tls_san)
            .field("node_labels", &self.node_labels)
            .field("node_taints", &self.node_taints)
            .field("disable", &self.disable)
            .field("cluster_cidr", &self.cluster_cidr)
            .field("service_cidr", &self.service_cidr)
            .field("cluster_dns", &self.cluster_dns)
            .field("cluster_domain", &self.cluster_domain)
            .field("flannel_backend", &self.flannel_backend)
            .field("write_kubeconfig_mode", &self.write_kubeconfig_mode)
            .field("kubelet_arg", &self.kubelet_arg)
            .field("extra", &self.extra)
            .finish()
    }
}

impl fmt::Debug for NodeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeSpec")
            .field("role", &self.role)
            .field("config", &self.config)
            .field("install", &self.install)
            .field(
                "server_tls_files",
                &self.server_tls_files.keys().collect::<Vec<_>>(),
            )
            .field("manifests", &self.manifests.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Debug for NodeFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeFile")
            .field("path", &self.path)
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .field("mode", &format_args!("{:04o}", self.mode))
            .finish()
    }
}
