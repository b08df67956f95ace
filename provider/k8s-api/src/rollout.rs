//! `kubectl rollout status` for Deployments, StatefulSets and DaemonSets: the same checks on
//! observedGeneration and replica counts, polled until done or the deadline.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::client::Client;
use crate::error::ApiError;
use crate::manifest::ObjectRef;

/// Where a rollout stands after one look at the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutState {
    Done,
    /// Still progressing; the text says what is awaited.
    Waiting(String),
    /// Will not finish by waiting (deadline exceeded, or a strategy without rollouts).
    Failed(String),
}

/// The rollout state of a workload object as read from the API (`None` for kinds without one).
pub fn rollout_state(kind: &str, obj: &Value) -> Option<RolloutState> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(0);
    let status = &obj["status"];
    let observed = status["observedGeneration"].as_i64().unwrap_or(0);
    let count = |field: &str| status[field].as_i64().unwrap_or(0);
    // The API server defaults spec.replicas to 1.
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let strategy = obj["spec"]["updateStrategy"]["type"]
        .as_str()
        .unwrap_or("RollingUpdate");
    use RolloutState::*;
    Some(match kind {
        "Deployment" => {
            if generation > observed {
                Waiting("waiting for deployment spec update to be observed".into())
            } else if progress_deadline_exceeded(status) {
                Failed(format!(
                    "deployment {name:?} exceeded its progress deadline"
                ))
            } else if count("updatedReplicas") < replicas {
                Waiting(format!(
                    "{} out of {replicas} new replicas have been updated",
                    count("updatedReplicas")
                ))
            } else if count("replicas") > count("updatedReplicas") {
                Waiting(format!(
                    "{} old replicas are pending termination",
                    count("replicas") - count("updatedReplicas")
                ))
            } else if count("availableReplicas") < count("updatedReplicas") {
                Waiting(format!(
                    "{} of {} updated replicas are available",
                    count("availableReplicas"),
                    count("updatedReplicas")
                ))
            } else {
                Done
            }
        }
        "DaemonSet" => {
            let desired = count("desiredNumberScheduled");
            if strategy != "RollingUpdate" {
                Failed(format!(
                    "rollout status is only available for the RollingUpdate strategy, not {strategy}"
                ))
            } else if generation > observed {
                Waiting("waiting for daemon set spec update to be observed".into())
            } else if count("updatedNumberScheduled") < desired {
                Waiting(format!(
                    "{} out of {desired} new pods have been updated",
                    count("updatedNumberScheduled")
                ))
            } else if count("numberAvailable") < desired {
                Waiting(format!(
                    "{} of {desired} updated pods are available",
                    count("numberAvailable")
                ))
            } else {
                Done
            }
        }
        "StatefulSet" => {
            let partition = obj["spec"]["updateStrategy"]["rollingUpdate"]["partition"].as_i64();
            if strategy != "RollingUpdate" {
                Failed(format!(
                    "rollout status is only available for the RollingUpdate strategy, not {strategy}"
                ))
            } else if observed == 0 || generation > observed {
                Waiting("waiting for statefulset spec update to be observed".into())
            } else if count("readyReplicas") < replicas {
                Waiting(format!(
                    "waiting for {} pods to be ready",
                    replicas - count("readyReplicas")
                ))
            } else if let Some(partition) = partition {
                if count("updatedReplicas") < replicas - partition {
                    Waiting(format!(
                        "partitioned roll out: {} out of {} new pods have been updated",
                        count("updatedReplicas"),
                        replicas - partition
                    ))
                } else {
                    Done
                }
            } else if status["updateRevision"] != status["currentRevision"] {
                Waiting(format!(
                    "waiting for statefulset rolling update to complete {} pods at revision {}",
                    count("updatedReplicas"),
                    status["updateRevision"].as_str().unwrap_or("?")
                ))
            } else {
                Done
            }
        }
        _ => return None,
    })
}

fn progress_deadline_exceeded(status: &Value) -> bool {
    status["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded")
    })
}

impl Client {
    /// Waits until a Deployment, StatefulSet or DaemonSet has rolled out; other kinds return at
    /// once.
    pub async fn wait_rollout(&self, r: &ObjectRef, timeout: Duration) -> Result<(), ApiError> {
        if r.api_version != "apps/v1" || rollout_state(&r.kind, &Value::Null).is_none() {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        // Name the object with its effective namespace (`default` when the manifest had none).
        let located = self.locate(r).await?;
        let shown = ObjectRef {
            namespace: located.namespace,
            ..r.clone()
        };
        let what = format!("rollout of {shown}");
        loop {
            let Some(obj) = self.get(r).await? else {
                return Err(ApiError::WaitFailed {
                    what,
                    detail: "the object was deleted while waiting".into(),
                });
            };
            let waiting = match rollout_state(&r.kind, &obj) {
                Some(RolloutState::Waiting(text)) => text,
                Some(RolloutState::Failed(detail)) => {
                    return Err(ApiError::WaitFailed { what, detail })
                }
                Some(RolloutState::Done) | None => return Ok(()),
            };
            tracing::debug!(object = %r, %waiting, "rollout in progress");
            if Instant::now() + self.poll_interval >= deadline {
                return Err(ApiError::WaitTimeout {
                    what,
                    after: timeout,
                    detail: waiting,
                });
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(generation: i64, status: Value) -> Value {
        json!({"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": 3}, "status": status})
    }

    #[test]
    fn deployment_follows_kubectl() {
        let state = |g, s| rollout_state("Deployment", &deployment(g, s)).unwrap();
        assert!(
            matches!(state(2, json!({"observedGeneration": 1})), RolloutState::Waiting(t) if t.contains("observed"))
        );
        assert_eq!(
            state(
                1,
                json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 1})
            ),
            RolloutState::Waiting("1 out of 3 new replicas have been updated".into())
        );
        assert_eq!(
            state(
                1,
                json!({"observedGeneration": 1, "replicas": 4, "updatedReplicas": 3})
            ),
            RolloutState::Waiting("1 old replicas are pending termination".into())
        );
        assert_eq!(
            state(
                1,
                json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 2})
            ),
            RolloutState::Waiting("2 of 3 updated replicas are available".into())
        );
        assert_eq!(
            state(
                1,
                json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3})
            ),
            RolloutState::Done
        );
        assert!(matches!(
            state(
                1,
                json!({"observedGeneration": 1, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]})
            ),
            RolloutState::Failed(_)
        ));
    }

    #[test]
    fn statefulset_and_daemonset() {
        let sts = json!({"metadata": {"name": "db", "generation": 1}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 2, "currentRevision": "db-1", "updateRevision": "db-2"}});
        assert!(matches!(
            rollout_state("StatefulSet", &sts),
            Some(RolloutState::Waiting(_))
        ));
        let ds = json!({"metadata": {"name": "agent", "generation": 1}, "spec": {"updateStrategy": {"type": "OnDelete"}}, "status": {}});
        assert!(matches!(
            rollout_state("DaemonSet", &ds),
            Some(RolloutState::Failed(_))
        ));
        assert_eq!(rollout_state("ConfigMap", &json!({})), None);
    }
}
