//! A minimal Kubernetes API client for the k3s provider: kubeconfig files with embedded
//! credentials, cluster readiness (`/ping`, `/readyz`, nodes Ready), server-side apply through
//! discovery, drift detection, rollout waits and node drains. Client-certificate authentication
//! only; TLS trusts the kubeconfig's CA and nothing else.
//!
//! ```no_run
//! # async fn demo(kubeconfig_yaml: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use k8s_api::{parse_manifests, Client, Kubeconfig};
//! let client = Client::new(&Kubeconfig::parse(kubeconfig_yaml)?)?;
//! for manifest in parse_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")? {
//!     client.apply(&manifest, "terraform-provider-k3s", true).await?;
//!     client.wait_rollout(&manifest.reference, std::time::Duration::from_secs(300)).await?;
//! }
//! # Ok(()) }
//! ```

mod client;
mod discovery;
mod drain;
mod drift;
mod error;
mod kubeconfig;
mod manifest;
mod readiness;
mod rollout;
mod transport;

pub use client::{Client, Propagation, DEFAULT_POLL_INTERVAL, DEFAULT_REQUEST_TIMEOUT};
pub use drift::drifted_fields;
pub use error::{
    human_duration, ApiError, FieldConflict, KubeconfigError, ManifestError, Phase, ReadinessError,
};
pub use kubeconfig::Kubeconfig;
pub use manifest::{parse_manifests, Manifest, ObjectRef};
pub use readiness::{Expectation, NodeStatus};
pub use rollout::{rollout_state, RolloutState};
