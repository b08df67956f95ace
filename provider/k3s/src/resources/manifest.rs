//! `k3s_manifest`: Kubernetes objects from YAML, applied server-side with the admin
//! certificate. Refresh compares the fields we applied with the live objects; drift or a
//! deleted object turns into a diff of `content` (a comment naming what changed), so the
//! next apply puts them back.

use std::time::Duration;

use k8s_api::{Client, Manifest, ObjectRef};
use tfplugin::{
    ApplyError, ApplyRequest, Attribute, AttributePath, Block, Diagnostics, PlanRequest, Resource,
    Schema, Type, Value,
};

use crate::attrs::{block_on, bool_or, check_duration, check_kubeconfig, duration, string};
use crate::cluster_api;

const DEFAULT_FIELD_MANAGER: &str = "terraform-provider-k3s";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Starts the comment lines refresh adds to `content` when the cluster differs.
const DRIFT_MARK: &str = "# changed outside Terraform:";

pub struct ManifestResource {
    schema: Schema,
}

impl Default for ManifestResource {
    fn default() -> Self {
        let block = Block::new()
            .describe(
                "One or more Kubernetes objects from YAML documents, applied with server-side \
                 apply as field manager `field_manager`. Every document needs `apiVersion`, \
                 `kind` and `metadata.name` (checked at plan time); namespaced objects without a \
                 namespace go to `default`. Refresh reads the objects back: when a field this \
                 resource set was changed, or an object was deleted, outside Terraform, the plan \
                 shows `content` changing (from a comment naming the objects and fields) and \
                 apply restores them. Objects removed from `content` are deleted; destroy \
                 deletes all of them, last document first.",
            )
            .attr(
                Attribute::required("kubeconfig", Type::String)
                    .sensitive()
                    .describe("Kubeconfig of the cluster (`k3s_cluster.kubeconfig`)."),
            )
            .attr(Attribute::required("content", Type::String).describe(
                "YAML documents separated by `---` (a `kind: List` is expanded), applied in order.",
            ))
            .attr(Attribute::optional_computed("field_manager", Type::String).describe(format!(
                "Server-side apply field manager. Defaults to `{DEFAULT_FIELD_MANAGER}`."
            )))
            .attr(Attribute::optional("force_conflicts", Type::Bool).describe(
                "Take over fields another manager owns instead of failing with the conflict.",
            ))
            .attr(Attribute::optional("wait_for_rollout", Type::Bool).describe(
                "After applying, wait until Deployments, StatefulSets and DaemonSets have rolled \
                 out.",
            ))
            .attr(
                Attribute::optional("timeout", Type::String)
                    .describe("How long a rollout may take, e.g. `5m` (the default)."),
            )
            .attr(Attribute::computed("id", Type::String).describe("The first object's reference."))
            .attr(Attribute::computed("objects", Type::list(Type::String)).describe(
                "The objects managed, `apiVersion/Kind namespace/name` (no namespace for \
                 cluster-scoped kinds).",
            ));
        Self {
            schema: Schema::new(block),
        }
    }
}

/// `apiVersion/Kind namespace/name`, or `apiVersion/Kind name` for cluster-scoped objects.
fn object_id(r: &ObjectRef) -> String {
    match &r.namespace {
        Some(ns) => format!("{}/{} {ns}/{}", r.api_version, r.kind, r.name),
        None => format!("{}/{} {}", r.api_version, r.kind, r.name),
    }
}

fn object_ref(id: &str) -> Option<ObjectRef> {
    let (type_part, name_part) = id.split_once(' ')?;
    let (api_version, kind) = type_part.rsplit_once('/')?;
    let (namespace, name) = match name_part.split_once('/') {
        Some((ns, name)) => (Some(ns.to_string()), name),
        None => (None, name_part),
    };
    Some(ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
    })
}

fn manifests(obj: &Value) -> Result<Vec<Manifest>, Diagnostics> {
    let content = obj.get("content").as_str().unwrap_or_default();
    k8s_api::parse_manifests(content).map_err(|e| {
        Diagnostics::error_at(
            AttributePath::attr("content"),
            "Invalid manifest",
            e.to_string(),
        )
    })
}

fn id_list(manifests: &[Manifest]) -> Value {
    Value::List(
        manifests
            .iter()
            .map(|m| Value::string(object_id(&m.reference)))
            .collect(),
    )
}

impl ManifestResource {
    /// Applies every document in order; on failure the state records what was applied.
    fn apply(&self, planned: &Value, prior_objects: &[String]) -> Result<Value, ApplyError> {
        let manifests = manifests(planned)?;
        let client = cluster_api::client(planned)?;
        let field_manager =
            string(planned, "field_manager").unwrap_or_else(|| DEFAULT_FIELD_MANAGER.to_string());
        let force = bool_or(planned, "force_conflicts", false);
        let timeout = duration(planned, "timeout", DEFAULT_TIMEOUT, &AttributePath::root())?;
        let mut state = planned.clone();
        state.set("id", Value::string(object_id(&manifests[0].reference)));
        state.set("objects", id_list(&manifests));

        let mut applied: Vec<String> = prior_objects.to_vec();
        let outcome = block_on(async {
            for m in &manifests {
                let id = object_id(&m.reference);
                client
                    .apply(m, &field_manager, force)
                    .await
                    .map_err(|e| apply_error(&id, e))?;
                if !applied.contains(&id) {
                    applied.push(id);
                }
            }
            if bool_or(planned, "wait_for_rollout", false) {
                for m in &manifests {
                    client
                        .wait_rollout(&m.reference, timeout)
                        .await
                        .map_err(|e| {
                            Diagnostics::error(
                                format!("{} did not roll out", object_id(&m.reference)),
                                e.to_string(),
                            )
                        })?;
                }
            }
            let wanted: Vec<String> = manifests.iter().map(|m| object_id(&m.reference)).collect();
            for stale in prior_objects.iter().rev().filter(|id| !wanted.contains(id)) {
                delete_object(&client, stale).await?;
                applied.retain(|id| id != stale);
            }
            Ok::<(), Diagnostics>(())
        })
        .and_then(|applied| applied);
        match outcome {
            Ok(()) => Ok(state),
            Err(diags) => {
                // Record every object that may exist now, so destroy can remove it.
                state.set(
                    "objects",
                    Value::List(applied.iter().map(Value::string).collect()),
                );
                Err(ApplyError::with_partial_state(
                    diags,
                    state.unknowns_to_null(),
                ))
            }
        }
    }
}

fn apply_error(id: &str, e: k8s_api::ApiError) -> Diagnostics {
    let conflict =
        matches!(&e, k8s_api::ApiError::Status { conflicts, .. } if !conflicts.is_empty());
    let hint = if conflict {
        "\nAnother field manager (e.g. `kubectl edit` or `kubectl scale`) owns these fields now. \
         Set `force_conflicts = true` for Terraform to take them back."
    } else {
        ""
    };
    Diagnostics::error(format!("Cannot apply {id}"), format!("{e}{hint}"))
}

async fn delete_object(client: &Client, id: &str) -> Result<(), Diagnostics> {
    let reference = object_ref(id).ok_or_else(|| {
        Diagnostics::error(
            "Corrupt state",
            format!("{id:?} is not an object reference"),
        )
    })?;
    client
        .delete(&reference)
        .await
        .map_err(|e| Diagnostics::error(format!("Cannot delete {id}"), e.to_string()))
}

fn state_objects(state: &Value) -> Vec<String> {
    crate::attrs::strings(state, "objects")
}

impl Resource for ManifestResource {
    fn type_name(&self) -> &str {
        "k3s_manifest"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        check_kubeconfig(config, &mut diags);
        check_duration(config, "timeout", &AttributePath::root(), &mut diags);
        if config.get("content").as_str().is_some() {
            match manifests(config) {
                Ok(m) if m.is_empty() => diags.push_error_at(
                    AttributePath::attr("content"),
                    "Invalid manifest",
                    "content holds no Kubernetes object",
                ),
                Ok(_) => {}
                Err(d) => diags.extend(d),
            }
        }
        diags
    }

    fn plan(&self, req: &mut PlanRequest) -> Diagnostics {
        if req.config.get("field_manager").is_null() {
            req.planned
                .set("field_manager", Value::string(DEFAULT_FIELD_MANAGER));
        }
        if req.config.get("content").is_unknown() {
            req.planned.set("objects", Value::unknown());
            req.planned.set("id", Value::unknown());
        } else if let Ok(m) = manifests(req.config) {
            if let Some(first) = m.first() {
                req.planned.set("objects", id_list(&m));
                req.planned
                    .set("id", Value::string(object_id(&first.reference)));
            }
        }
        Diagnostics::new()
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        self.apply(req.planned, &[])
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let applied = manifests(state)?;
        let client = cluster_api::client(state)?;
        let drift = block_on(async {
            let mut drift = Vec::new();
            for m in &applied {
                let id = object_id(&m.reference);
                let live = client
                    .get(&m.reference)
                    .await
                    .map_err(|e| Diagnostics::error(format!("Cannot read {id}"), e.to_string()))?;
                match live {
                    None => drift.push(format!("{DRIFT_MARK} {id} was deleted")),
                    Some(live) => {
                        let fields = k8s_api::drifted_fields(&m.object, &live);
                        if !fields.is_empty() {
                            drift.push(format!("{DRIFT_MARK} {id}: {}", fields.join(", ")));
                        }
                    }
                }
            }
            Ok::<_, Diagnostics>(drift)
        })??;
        let mut state = state.clone();
        if !drift.is_empty() {
            tracing::info!(objects = drift.len(), "manifest drift detected");
            let content = state.get("content").as_str().unwrap_or_default();
            state.set(
                "content",
                Value::string(format!("{}\n{content}", drift.join("\n"))),
            );
        }
        Ok(Some(state))
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        self.apply(req.planned, &state_objects(req.prior))
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let client = cluster_api::client(state)?;
        block_on(async {
            for id in state_objects(state).iter().rev() {
                delete_object(&client, id).await?;
            }
            Ok(())
        })?
    }

    fn import(&self, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::error(
            "k3s_manifest cannot be imported",
            "Declare the manifest and apply: server-side apply adopts existing objects \
             (set force_conflicts when another manager owns their fields).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_round_trip() {
        for id in [
            "apps/v1/Deployment default/web",
            "v1/Namespace adx",
            "v1/ConfigMap adx/campaigns",
        ] {
            let r = object_ref(id).expect(id);
            assert_eq!(object_id(&r), id);
        }
        assert!(object_ref("nonsense").is_none());
    }
}
