//! What the workload controllers would write to `status`: either a finished rollout (every
//! replica updated and available) or one stuck with no replica available. No pods are created.

use serde_json::{json, Value};

/// The status a controller would report for a Deployment, StatefulSet or DaemonSet, or `None`
/// for other kinds. `nodes` is the node count (a DaemonSet's desired pods).
pub fn status(kind: &str, obj: &Value, nodes: usize, complete: bool) -> Option<Value> {
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let available = if complete { replicas } else { 0 };
    Some(match kind {
        "Deployment" => {
            let (available_condition, progressing_reason) = if complete {
                ("True", "NewReplicaSetAvailable")
            } else {
                ("False", "ReplicaSetUpdated")
            };
            let mut status = json!({
                "observedGeneration": generation,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": available,
                "availableReplicas": available,
                "conditions": [
                    {"type": "Available", "status": available_condition,
                     "reason": if complete { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" }},
                    {"type": "Progressing", "status": "True", "reason": progressing_reason},
                ],
            });
            if !complete {
                status["unavailableReplicas"] = json!(replicas);
            }
            status
        }
        "StatefulSet" => {
            let revision = format!("{name}-{generation}");
            json!({
                "observedGeneration": generation,
                "replicas": replicas,
                "readyReplicas": available,
                "availableReplicas": available,
                "currentReplicas": replicas,
                "updatedReplicas": replicas,
                "currentRevision": revision,
                "updateRevision": revision,
            })
        }
        "DaemonSet" => {
            let desired = nodes as i64;
            let ready = if complete { desired } else { 0 };
            json!({
                "observedGeneration": generation,
                "desiredNumberScheduled": desired,
                "currentNumberScheduled": desired,
                "updatedNumberScheduled": desired,
                "numberReady": ready,
                "numberAvailable": ready,
                "numberMisscheduled": 0,
            })
        }
        _ => return None,
    })
}
