//! One renderer for k3s node installation, shared by cloud-init and SSH: a typed [`NodeSpec`]
//! becomes an [`InstallPlan`] (files + one POSIX sh script). cloud-init renders the plan as
//! `write_files` + `runcmd` ([`render_cloud_config`]); the SSH path uploads the files and runs
//! the script.

mod cloud_config;
mod config;
mod manifest;
mod names;
mod plan;
mod script;
mod shell_bundle;
mod spec;
mod taint;
mod validate;

pub use cloud_config::{render_cloud_config, MergeError};
pub use config::config_yaml;
pub use names::{validate_dns_subdomain, validate_label_key, validate_label_value};
pub use plan::install_plan;
pub use script::uninstall_script;
pub use shell_bundle::shell_bundle;
pub use spec::{
    Install, InstallPlan, K3sConfig, NodeFile, NodeSpec, Role, SpecError, AIRGAP_IMAGES_DIR,
    AIRGAP_MOUNT_POINT, BOOTSTRAP_DIR, CONFIG_PATH, K3S_BINARY_PATH, MANIFESTS_DIR, SCRIPT_PATH,
    SERVER_TLS_DIR,
};
pub use taint::{Taint, TaintEffect};
pub use validate::{validate, DISABLABLE, FLANNEL_BACKENDS, REQUIRED_TLS_FILES};
