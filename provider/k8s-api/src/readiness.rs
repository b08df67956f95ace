//! Cluster readiness: `/ping` (k3s supervisor up), then authenticated `/readyz` (API server
//! healthy), then the expected nodes Ready.

use std::future::Future;
use std::time::Duration;

use http::Method;
use serde_json::Value;
use tokio::time::Instant;

use crate::client::{items, Client};
use crate::error::{ApiError, Phase, ReadinessError};

/// A node's name, its Ready condition and its roles (from `node-role.kubernetes.io/*` labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    pub name: String,
    pub ready: bool,
    /// The Ready condition's reason when not Ready (e.g. `KubeletNotReady`).
    pub reason: Option<String>,
    pub roles: Vec<String>,
}

/// What "ready" means: these nodes Ready, and at least `min_nodes` Ready nodes in total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectation {
    pub node_names: Vec<String>,
    pub min_nodes: usize,
}

impl Expectation {
    /// `None` when the nodes meet the expectation, else what is missing, e.g.
    /// `worker-2 missing, worker-1 NotReady (KubeletNotReady)`.
    pub fn unmet(&self, nodes: &[NodeStatus]) -> Option<String> {
        let mut problems = Vec::new();
        for name in &self.node_names {
            match nodes.iter().find(|n| &n.name == name) {
                None => problems.push(format!("{name} missing")),
                Some(n) if !n.ready => problems.push(format!(
                    "{name} NotReady ({})",
                    n.reason.as_deref().unwrap_or("no reason given")
                )),
                Some(_) => {}
            }
        }
        let ready = nodes.iter().filter(|n| n.ready).count();
        if ready < self.min_nodes {
            problems.push(format!(
                "{ready} of at least {} nodes Ready",
                self.min_nodes
            ));
        }
        (!problems.is_empty()).then(|| problems.join(", "))
    }
}

impl NodeStatus {
    fn of(node: &Value) -> NodeStatus {
        let ready_condition = node["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
        let ready = ready_condition.is_some_and(|c| c["status"] == "True");
        let reason = match ready_condition {
            _ if ready => None,
            None => Some("no Ready condition yet".to_string()),
            Some(c) => Some(
                c["reason"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("Ready={}", c["status"].as_str().unwrap_or("?"))),
            ),
        };
        let mut roles: Vec<String> = node["metadata"]["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
            .filter(|role| !role.is_empty())
            .map(str::to_string)
            .collect();
        roles.sort();
        NodeStatus {
            name: node["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            ready,
            reason,
            roles,
        }
    }
}

impl Client {
    /// All nodes with their Ready condition.
    pub async fn nodes(&self) -> Result<Vec<NodeStatus>, ApiError> {
        let list = self.json(Method::GET, "/api/v1/nodes", None).await?;
        Ok(items(&list).iter().map(NodeStatus::of).collect())
    }

    /// Waits for `/ping`, then `/readyz`, then the expected nodes, all within `timeout`, polling
    /// every `poll`. Certificate mismatches fail at once: waiting cannot fix them.
    pub async fn wait_ready(
        &self,
        expect: &Expectation,
        timeout: Duration,
        poll: Duration,
    ) -> Result<Vec<NodeStatus>, ReadinessError> {
        let deadline = Instant::now() + timeout;
        let wait = Wait {
            deadline,
            timeout,
            poll,
        };
        wait.until(Phase::Ping, || async {
            self.ping().await.map_err(Attempt::from)
        })
        .await?;
        wait.until(Phase::Readyz, || async {
            self.readyz().await.map_err(Attempt::from)
        })
        .await?;
        wait.until(Phase::Nodes, || async {
            let nodes = self.nodes().await?;
            match expect.unmet(&nodes) {
                None => Ok(nodes),
                Some(problem) => Err(Attempt::NotYet(problem)),
            }
        })
        .await
    }
}

/// Why one attempt did not succeed.
enum Attempt {
    Failed(ApiError),
    NotYet(String),
}

impl From<ApiError> for Attempt {
    fn from(e: ApiError) -> Self {
        Attempt::Failed(e)
    }
}

struct Wait {
    deadline: Instant,
    timeout: Duration,
    poll: Duration,
}

impl Wait {
    async fn until<T, F, Fut>(&self, phase: Phase, mut attempt: F) -> Result<T, ReadinessError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Attempt>>,
    {
        loop {
            let last = match tokio::time::timeout_at(self.deadline, attempt()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(Attempt::Failed(e))) if is_fatal(&e) => {
                    return Err(ReadinessError::Fatal {
                        phase,
                        source: Box::new(e),
                    })
                }
                Ok(Err(Attempt::Failed(e))) => e.to_string(),
                Ok(Err(Attempt::NotYet(problem))) => problem,
                Err(_) => "no answer before the deadline".to_string(),
            };
            tracing::debug!(%phase, %last, "not ready yet");
            if Instant::now() + self.poll >= self.deadline {
                return Err(ReadinessError::Timeout {
                    phase,
                    after: self.timeout,
                    detail: last,
                });
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// TLS identity mismatches do not heal; a 401 might while k3s starts, so it is retried.
fn is_fatal(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::ServerCertUntrusted { .. }
            | ApiError::ClientCertRejected { .. }
            | ApiError::Config(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(name: &str, ready: &str, reason: &str) -> NodeStatus {
        NodeStatus::of(&json!({
            "metadata": {"name": name, "labels": {"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true"}},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": ready, "reason": reason}]}
        }))
    }

    #[test]
    fn node_status_reads_the_ready_condition_and_roles() {
        let n = node("s1", "True", "KubeletReady");
        assert!(n.ready && n.reason.is_none());
        assert_eq!(n.roles, ["control-plane", "master"]);
        let n = node("w1", "False", "KubeletNotReady");
        assert_eq!(n.reason.as_deref(), Some("KubeletNotReady"));
    }

    #[test]
    fn unmet_expectations_name_the_nodes() {
        let expect = Expectation {
            node_names: vec!["s1".into(), "worker-1".into(), "worker-2".into()],
            min_nodes: 3,
        };
        let nodes = [
            node("s1", "True", "KubeletReady"),
            node("worker-1", "False", "KubeletNotReady"),
        ];
        assert_eq!(
            expect.unmet(&nodes).unwrap(),
            "worker-1 NotReady (KubeletNotReady), worker-2 missing, 1 of at least 3 nodes Ready"
        );
        let all = [
            node("s1", "True", "KubeletReady"),
            node("worker-1", "True", "KubeletReady"),
            node("worker-2", "True", "KubeletReady"),
        ];
        assert_eq!(expect.unmet(&all), None);
    }
}
