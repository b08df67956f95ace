//! `terraform-provider-k3s`: k3s cluster credentials known before any node boots, node
//! bootstrap rendered for cloud-init or run over SSH, readiness, and manifests applied
//! server-side. Built on `tfplugin`; the work is done by the `k3s-pki`, `k3s-bootstrap`,
//! `ssh-exec` and `k8s-api` crates, this crate maps them to Terraform schemas.

mod attrs;
mod cluster_api;
pub mod data_sources;
pub mod docs_index;
mod node_spec;
pub mod provider;
pub mod resources;
mod ssh_target;

pub use provider::K3sProvider;
