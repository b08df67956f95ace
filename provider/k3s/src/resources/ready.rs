//! `k3s_ready`: waits, at create and whenever the expected nodes change, until the cluster
//! answers `/ping`, then an authenticated `/readyz`, then has the expected nodes Ready.
//! Resources that need a working cluster (`k3s_manifest`) depend on it.

use std::time::Duration;

use k8s_api::Expectation;
use tfplugin::{
    ApplyError, ApplyRequest, Attribute, AttributePath, Block, Diagnostics, PlanRequest, Resource,
    Schema, Type, Value,
};

use crate::attrs::{check_duration, check_kubeconfig, kubeconfig, strings};
use crate::cluster_api;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

pub struct ReadyResource {
    schema: Schema,
}

impl Default for ReadyResource {
    fn default() -> Self {
        let block = Block::new()
            .describe(
                "Waits until a k3s cluster is usable: its supervisor answers `/ping`, the API \
                 server's authenticated `/readyz` passes, and the expected nodes are registered \
                 and Ready. It waits on create and whenever `nodes` or `min_nodes` change; a \
                 timeout names the phase that failed and each missing or NotReady node. Make \
                 `k3s_manifest` and anything else that talks to the cluster depend on it.",
            )
            .attr(
                Attribute::required("kubeconfig", Type::String)
                    .sensitive()
                    .describe("Kubeconfig of the cluster (`k3s_cluster.kubeconfig`)."),
            )
            .attr(
                Attribute::optional("nodes", Type::list(Type::String))
                    .describe("Names of the nodes that must be Ready."),
            )
            .attr(Attribute::optional("min_nodes", Type::Number).describe(
                "Minimum number of Ready nodes, whatever their names. Defaults to the number of \
                 `nodes`, or 1.",
            ))
            .attr(
                Attribute::optional("timeout", Type::String)
                    .describe("How long to wait, e.g. `10m` (the default)."),
            )
            .attr(
                Attribute::optional("poll_interval", Type::String)
                    .describe("Time between checks, e.g. `5s` (the default)."),
            )
            .attr(Attribute::computed("id", Type::String).describe("The API server URL."))
            .attr(
                Attribute::computed("ready_nodes", Type::list(Type::String))
                    .describe("Names of the nodes that were Ready when the wait ended."),
            );
        Self {
            schema: Schema::new(block),
        }
    }
}

impl ReadyResource {
    fn wait(&self, planned: &Value) -> Result<Value, ApplyError> {
        let node_names = strings(planned, "nodes");
        let min_nodes = planned
            .get("min_nodes")
            .as_number()
            .and_then(|n| n.as_u64())
            .map_or(node_names.len().max(1), |n| n as usize);
        let expectation = Expectation {
            node_names,
            min_nodes,
        };
        let ready = cluster_api::wait_ready(planned, &expectation, DEFAULT_TIMEOUT)?;
        let server_url = kubeconfig(planned)?.server_url;
        let mut state = planned.clone();
        state.set("id", Value::string(server_url));
        state.set(
            "ready_nodes",
            Value::List(
                ready
                    .iter()
                    .filter(|n| n.ready)
                    .map(|n| Value::string(&n.name))
                    .collect(),
            ),
        );
        Ok(state)
    }
}

impl Resource for ReadyResource {
    fn type_name(&self) -> &str {
        "k3s_ready"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        check_kubeconfig(config, &mut diags);
        let root = AttributePath::root();
        check_duration(config, "timeout", &root, &mut diags);
        check_duration(config, "poll_interval", &root, &mut diags);
        if let Some(n) = config.get("min_nodes").as_number() {
            if !matches!(n.as_u64(), Some(1..)) {
                diags.push_error_at(
                    AttributePath::attr("min_nodes"),
                    "Invalid node count",
                    format!(
                        "min_nodes must be a whole number of at least 1, got {}",
                        n.as_f64()
                    ),
                );
            }
        }
        diags
    }

    fn plan(&self, req: &mut PlanRequest) -> Diagnostics {
        // Any change means a new wait, whose outcome is not known yet.
        if !req.is_create() && req.planned != *req.prior {
            req.planned.set("ready_nodes", Value::unknown());
        }
        Diagnostics::new()
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        self.wait(req.planned)
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        // A wait happened; refreshing must not fail plans while nodes come and go.
        Ok(Some(state.clone()))
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        self.wait(req.planned)
    }

    fn delete(&self, _state: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn import(&self, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::error(
            "k3s_ready cannot be imported",
            "It is a wait, not an object: declare it and apply.",
        ))
    }
}
