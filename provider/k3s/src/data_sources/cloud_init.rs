//! `k3s_cloud_init`: a node's k3s bootstrap rendered as cloud-init user-data, merged with
//! the user's own cloud-init, for `libvirt_cloudinit_disk` or any cloud's user-data.

use tfplugin::{Attribute, AttributePath, Block, DataSource, Diagnostics, Schema, Type, Value};

use crate::attrs::strings;
use crate::node_spec::{self, NodeKind};

pub struct CloudInit {
    schema: Schema,
}

impl Default for CloudInit {
    fn default() -> Self {
        let block = Block::new()
            .describe(
                "Renders the bootstrap of one k3s node (first server with `cluster_init`, joining \
                 server, or agent) as cloud-init user-data: the CA files, \
                 `/etc/rancher/k3s/config.yaml` and auto-deploy manifests as `write_files`, and \
                 the install as `runcmd`. The user's own cloud-init documents in \
                 `user_data_parts` are merged in, not overwritten: `#cloud-config` documents are \
                 deep-merged into one (lists appended, the user's commands first; a setting both \
                 define differently is an error), scripts make the result a MIME multipart \
                 archive. Pass `user_data` to `libvirt_cloudinit_disk`. The token and keys are \
                 only in files, never in commands, so cloud-init's logs do not show them.",
            )
            .attr(Attribute::required("role", Type::String).describe("`server` or `agent`."))
            .attr(
                Attribute::optional("user_data_parts", Type::list(Type::String))
                    .sensitive()
                    .describe(
                        "The user's own user-data documents (`#cloud-config` YAML or scripts \
                         starting with `#!`) to merge with the k3s bootstrap.",
                    ),
            )
            .attr(
                Attribute::computed("user_data", Type::String)
                    .sensitive()
                    .describe(
                        "The merged user-data (it holds the token and, for servers, the CA keys).",
                    ),
            )
            .attr(
                Attribute::computed("install_script", Type::String)
                    .describe("The install script the user-data runs (no secrets), for review."),
            );
        Self {
            schema: Schema::new(node_spec::add_to(block, NodeKind::AnyRole)),
        }
    }
}

impl DataSource for CloudInit {
    fn type_name(&self) -> &str {
        "k3s_cloud_init"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        node_spec::check(NodeKind::AnyRole, config)
    }

    fn read(&self, config: &Value) -> Result<Value, Diagnostics> {
        let spec = node_spec::node_spec(NodeKind::AnyRole, config)?;
        let plan = k3s_bootstrap::install_plan(&spec)
            .map_err(|e| node_spec::spec_diagnostics(config, e))?;
        let parts = strings(config, "user_data_parts");
        let user_data = k3s_bootstrap::render_cloud_config(&plan, &parts).map_err(|e| {
            Diagnostics::error_at(
                AttributePath::attr("user_data_parts"),
                "Cannot merge the user-data parts",
                e.to_string(),
            )
        })?;
        let mut state = config.clone();
        state.set("user_data", Value::string(user_data));
        state.set("install_script", Value::string(plan.script));
        Ok(state)
    }
}
