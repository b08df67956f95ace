//! The Kubernetes API as resources reach it: a client from the `kubeconfig` attribute, and
//! the drain + delete of a node that destroying `k3s_server`, `k3s_agent` and `k3s_node`
//! share.

use std::time::Duration;

use tfplugin::{AttributePath, Diagnostics, Value};

use crate::attrs::{block_on, duration, kubeconfig};

const DEFAULT_POLL: Duration = Duration::from_secs(5);
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(300);

/// A client for the cluster named by the object's `kubeconfig` attribute.
pub fn client(obj: &Value) -> Result<k8s_api::Client, Diagnostics> {
    k8s_api::Client::new(&kubeconfig(obj)?)
        .map_err(|e| Diagnostics::error("Cannot create the Kubernetes client", e.to_string()))
}

/// Waits for `/ping`, `/readyz`, then the expected nodes Ready, within the object's
/// `timeout` (else `default_timeout`), polling every `poll_interval`.
pub fn wait_ready(
    obj: &Value,
    expectation: &k8s_api::Expectation,
    default_timeout: Duration,
) -> Result<Vec<k8s_api::NodeStatus>, Diagnostics> {
    let root = AttributePath::root();
    let timeout = duration(obj, "timeout", default_timeout, &root)?;
    let poll = duration(obj, "poll_interval", DEFAULT_POLL, &root)?;
    let client = client(obj)?;
    block_on(client.wait_ready(expectation, timeout, poll))?.map_err(|e| {
        Diagnostics::error(
            format!("Cluster {} is not ready", client.origin()),
            e.to_string(),
        )
    })
}

/// Cordons and drains `node` (pods with emptyDir volumes too; DaemonSet pods stay), then
/// deletes it, within the object's `drain_timeout`. `skip_hint` tells the user how to go
/// on without draining when the cluster cannot be reached.
pub fn drain_and_delete(obj: &Value, node: &str, skip_hint: &str) -> Result<(), Diagnostics> {
    let timeout = duration(
        obj,
        "drain_timeout",
        DEFAULT_DRAIN_TIMEOUT,
        &AttributePath::root(),
    )?;
    let client = client(obj)?;
    block_on(client.drain_and_delete_node(node, timeout))?.map_err(|e| {
        Diagnostics::error(
            format!("Cannot drain and delete node {node}"),
            format!("{e}\n{skip_hint}"),
        )
    })?;
    tracing::info!(node, "node drained and deleted");
    Ok(())
}
