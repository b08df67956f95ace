//! `kubectl drain --ignore-daemonsets --delete-emptydir-data --force` followed by deleting the
//! Node object: cordon, evict through the Eviction API (retrying while a disruption budget
//! refuses), wait for the pods to go, delete the node.

use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::client::{encode_query_value, eviction, items, merge_patch, Client};
use crate::error::ApiError;

/// The field manager our cordon is recorded under.
const FIELD_MANAGER: &str = "terraform-provider-k3s";

/// A pod the drain must remove.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PodId {
    namespace: String,
    name: String,
    uid: String,
}

impl std::fmt::Display for PodId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl Client {
    /// Cordons the node, evicts its pods (DaemonSet-owned and mirror pods stay, as with
    /// `--ignore-daemonsets`), waits until they are gone, then deletes the Node. A node that does
    /// not exist is already drained.
    pub async fn drain_and_delete_node(
        &self,
        node: &str,
        timeout: Duration,
    ) -> Result<(), ApiError> {
        let deadline = Instant::now() + timeout;
        let node_path = format!("/api/v1/nodes/{node}");
        let what = format!("drain of node {node}");
        let cordon = merge_patch(json!({"spec": {"unschedulable": true}}));
        let query = format!("?fieldManager={FIELD_MANAGER}");
        match self
            .json(Method::PATCH, &format!("{node_path}{query}"), Some(cordon))
            .await
        {
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => return Ok(()),
            other => other?,
        };
        let pods = self.evictable_pods(node).await?;
        tracing::info!(node, pods = pods.len(), "node cordoned, evicting pods");
        let mut pending = pods.clone();
        loop {
            let mut refused = Vec::new();
            for pod in pending {
                if let Some(reason) = self.evict(&pod).await? {
                    refused.push((pod, reason));
                }
            }
            if refused.is_empty() {
                break;
            }
            let detail = refused
                .iter()
                .map(|(p, reason)| format!("{p}: {reason}"))
                .collect::<Vec<_>>()
                .join("; ");
            self.pause_or_time_out(deadline, &what, timeout, detail)
                .await?;
            pending = refused.into_iter().map(|(p, _)| p).collect();
        }
        loop {
            let remaining = self.still_present(&pods).await?;
            if remaining.is_empty() {
                break;
            }
            let names: Vec<String> = remaining.iter().map(ToString::to_string).collect();
            let detail = format!("pods still terminating: {}", names.join(", "));
            self.pause_or_time_out(deadline, &what, timeout, detail)
                .await?;
        }
        match self.json(Method::DELETE, &node_path, None).await {
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn evictable_pods(&self, node: &str) -> Result<Vec<PodId>, ApiError> {
        let selector = encode_query_value(&format!("spec.nodeName={node}"));
        let list = self
            .json(
                Method::GET,
                &format!("/api/v1/pods?fieldSelector={selector}"),
                None,
            )
            .await?;
        Ok(items(&list)
            .iter()
            .filter(|pod| !owned_by_daemonset(pod) && !is_mirror(pod))
            .map(|pod| PodId {
                namespace: text(pod, "namespace"),
                name: text(pod, "name"),
                uid: text(pod, "uid"),
            })
            .collect())
    }

    /// Posts the Eviction; `Some(reason)` when a disruption budget refuses it for now (429).
    async fn evict(&self, pod: &PodId) -> Result<Option<String>, ApiError> {
        let path = format!(
            "/api/v1/namespaces/{}/pods/{}/eviction",
            pod.namespace, pod.name
        );
        match self
            .json(
                Method::POST,
                &path,
                Some(eviction(&pod.namespace, &pod.name)),
            )
            .await
        {
            Ok(_) => Ok(None),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(ApiError::Status {
                status: StatusCode::TOO_MANY_REQUESTS,
                message,
                ..
            }) => Ok(Some(message)),
            Err(e) => Err(e),
        }
    }

    /// The pods that still exist with the same uid (a recreated pod of the same name is new).
    async fn still_present(&self, pods: &[PodId]) -> Result<Vec<PodId>, ApiError> {
        let mut present = Vec::new();
        for pod in pods {
            let path = format!("/api/v1/namespaces/{}/pods/{}", pod.namespace, pod.name);
            match self.json(Method::GET, &path, None).await {
                Ok(live) if text(&live, "uid") == pod.uid => present.push(pod.clone()),
                Ok(_) => {}
                Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(present)
    }

    async fn pause_or_time_out(
        &self,
        deadline: Instant,
        what: &str,
        timeout: Duration,
        detail: String,
    ) -> Result<(), ApiError> {
        if Instant::now() + self.poll_interval >= deadline {
            return Err(ApiError::WaitTimeout {
                what: what.to_string(),
                after: timeout,
                detail,
            });
        }
        tokio::time::sleep(self.poll_interval).await;
        Ok(())
    }
}

fn text(obj: &Value, metadata_field: &str) -> String {
    obj["metadata"][metadata_field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn owned_by_daemonset(pod: &Value) -> bool {
    pod["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|owners| {
            owners
                .iter()
                .any(|o| o["kind"] == "DaemonSet" && o["controller"] == true)
        })
}

/// Static pods of the kubelet appear as mirror pods; the API cannot evict them.
fn is_mirror(pod: &Value) -> bool {
    pod["metadata"]["annotations"]
        .get("kubernetes.io/config.mirror")
        .is_some()
}
