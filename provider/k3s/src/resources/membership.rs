//! `k3s_node`: one node's membership in the cluster, for nodes bootstrapped by cloud-init
//! (where no resource runs on the machine itself). Create waits until the node has
//! registered and is Ready; destroy drains and deletes it, so that removing a VM from a
//! node group first moves its pods away (make the VM depend on nothing from this resource,
//! and this resource depend on the VM: Terraform then destroys it first).

use std::time::Duration;

use k8s_api::Expectation;
use tfplugin::{
    ApplyError, ApplyRequest, Attribute, AttributePath, Block, Diagnostics, Resource, Schema, Type,
    Value,
};

use crate::attrs::{check_duration, check_kubeconfig, string};
use crate::cluster_api;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

pub struct NodeMembership {
    schema: Schema,
}

impl Default for NodeMembership {
    fn default() -> Self {
        let block = Block::new()
            .describe(
                "A node's membership in a k3s cluster, for nodes bootstrapped by cloud-init \
                 (`k3s_cloud_init`). Create waits until the node has registered and is Ready; \
                 destroy cordons and drains it (pods with emptyDir volumes too, as \
                 `--delete-emptydir-data`; DaemonSet pods stay) and deletes it from the cluster. \
                 Make it depend on the machine so Terraform drains before it deletes the \
                 machine, and a node group breathes in and out cleanly.",
            )
            .attr(
                Attribute::required("kubeconfig", Type::String)
                    .sensitive()
                    .describe("Kubeconfig of the cluster (`k3s_cluster.kubeconfig`)."),
            )
            .attr(
                Attribute::required("name", Type::String)
                    .force_new()
                    .describe("The node name the machine registers with."),
            )
            .attr(Attribute::optional("timeout", Type::String).describe(
                "How long create waits for the node to be Ready, e.g. `10m` (the default).",
            ))
            .attr(
                Attribute::optional("poll_interval", Type::String)
                    .describe("Time between checks, e.g. `5s` (the default)."),
            )
            .attr(
                Attribute::optional("drain_timeout", Type::String)
                    .describe("How long draining may take on destroy, e.g. `5m` (the default)."),
            )
            .attr(Attribute::computed("id", Type::String).describe("The node name."));
        Self {
            schema: Schema::new(block),
        }
    }
}

impl Resource for NodeMembership {
    fn type_name(&self) -> &str {
        "k3s_node"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        check_kubeconfig(config, &mut diags);
        let root = AttributePath::root();
        for name in ["timeout", "poll_interval", "drain_timeout"] {
            check_duration(config, name, &root, &mut diags);
        }
        diags
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let name = string(req.planned, "name").unwrap_or_default();
        let expectation = Expectation {
            node_names: vec![name.clone()],
            min_nodes: 1,
        };
        cluster_api::wait_ready(req.planned, &expectation, DEFAULT_TIMEOUT)?;
        let mut state = req.planned.clone();
        state.set("id", Value::string(name));
        Ok(state)
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        // Membership is watched by k3s_ready; refresh must not fail while a node reboots.
        Ok(Some(state.clone()))
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        // Only timeouts and the kubeconfig change in place: nothing to do in the cluster.
        Ok(req.planned.clone())
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let name = string(state, "name").unwrap_or_default();
        cluster_api::drain_and_delete(
            state,
            &name,
            "If the cluster is gone, remove this resource from the state with `terraform state rm`.",
        )
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::error(
            "k3s_node cannot be imported",
            format!("Declare k3s_node for {id:?} with its kubeconfig and apply: create only waits for it to be Ready."),
        ))
    }
}
