//! `k3s_server` and `k3s_agent`: k3s installed over SSH on a machine that exists already
//! (a host, or a VM without cloud-init). The same install plan as `k3s_cloud_init`, its
//! files uploaded and its script run; re-run when it changes (install.sh upgrades in
//! place); on destroy the node is drained and deleted through the API, then uninstalled.

use k3s_bootstrap::{InstallPlan, Role};
use sha2::{Digest, Sha256};
use ssh_exec::{shell_quote, Session};
use tfplugin::{
    ApplyError, ApplyRequest, Attribute, Block, Diagnostics, PlanRequest, Resource, Schema, Type,
    Value,
};

use crate::attrs::{block_on, bool_or, check_duration, check_kubeconfig, single_block, string};
use crate::node_spec::{self, NodeKind};
use crate::{cluster_api, ssh_target};

pub struct NodeResource {
    kind: NodeKind,
    schema: Schema,
}

impl NodeResource {
    pub fn server() -> Self {
        Self::new(NodeKind::Server)
    }

    pub fn agent() -> Self {
        Self::new(NodeKind::Agent)
    }

    fn new(kind: NodeKind) -> Self {
        let what = if kind == NodeKind::Server {
            "a k3s server (control plane)"
        } else {
            "a k3s agent (worker)"
        };
        let block = Block::new()
            .describe(format!(
                "Installs {what} over SSH on an existing machine: uploads the CA files, \
                 `/etc/rancher/k3s/config.yaml` and manifests, then runs the installer (online \
                 or air-gapped). Any change to what is installed re-runs the installer, which \
                 upgrades k3s in place. On destroy, with `kubeconfig` set, the node is cordoned \
                 and drained (pods with emptyDir volumes too, as `--delete-emptydir-data`; \
                 DaemonSet pods stay) and deleted from the cluster, then k3s is uninstalled. \
                 Refresh does not contact the host. Import is not supported."
            ))
            .block(ssh_target::ssh_block())
            .attr(
                Attribute::optional("kubeconfig", Type::String)
                    .sensitive()
                    .describe(
                        "A kubeconfig with rights to drain and delete nodes \
                         (`k3s_cluster.kubeconfig`). Without it, destroy only uninstalls k3s.",
                    ),
            )
            .attr(
                Attribute::optional("drain_timeout", Type::String)
                    .describe("How long draining may take on destroy, e.g. `5m` (the default)."),
            )
            .attr(Attribute::computed("id", Type::String).describe("`host:port` of the machine."))
            .attr(
                Attribute::computed("node_name", Type::String)
                    .describe("The Kubernetes node name: `config.node_name`, else the host name."),
            )
            .attr(Attribute::computed("install_hash", Type::String).describe(
                "SHA-256 of the installed files and script: a change means a re-install.",
            ));
        Self {
            kind,
            schema: Schema::new(node_spec::add_to(block, kind)),
        }
    }

    fn install_plan(&self, obj: &Value) -> Result<InstallPlan, Diagnostics> {
        let spec = node_spec::node_spec(self.kind, obj)?;
        k3s_bootstrap::install_plan(&spec).map_err(|e| node_spec::spec_diagnostics(obj, e))
    }

    fn role(&self, obj: &Value) -> Role {
        match self.kind {
            NodeKind::Agent => Role::Agent,
            _ => Role::Server {
                cluster_init: bool_or(obj, "cluster_init", false),
            },
        }
    }

    /// Connects, uploads and runs the install plan; returns the node name.
    fn install(&self, obj: &Value, plan: &InstallPlan) -> Result<String, InstallFailure> {
        let address = ssh_target::address(obj);
        let target = ssh_target::target(obj).map_err(InstallFailure::BeforeHost)?;
        let sudo = ssh_target::uses_sudo(obj);
        let config_name = string(single_block(obj, "config"), "node_name");
        // Interrupted mid-way, the host may be half-installed: keep it recorded.
        block_on(async {
            let session = Session::connect(&target)
                .await
                .map_err(|e| InstallFailure::BeforeHost(ssh_error(&address, "connect", e)))?;
            let started = std::time::Instant::now();
            let installed = run_install(&session, plan, sudo).await;
            let node_name = match config_name {
                Some(name) => Ok(name),
                None => session
                    .run("hostname")
                    .await
                    .and_then(|o| o.check("hostname"))
                    .map(|o| o.stdout.trim().to_string()),
            };
            session.close().await;
            let on_host = |what: &str, e| InstallFailure::OnHost(ssh_error(&address, what, e));
            installed.map_err(|e| on_host("install k3s", e))?;
            tracing::info!(
                host = %address,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "k3s installed"
            );
            node_name.map_err(|e| on_host("read the host name", e))
        })
        .unwrap_or_else(|interrupted| Err(InstallFailure::OnHost(interrupted)))
    }

    fn state_after_install(
        &self,
        planned: &Value,
        plan: &InstallPlan,
    ) -> Result<Value, ApplyError> {
        let mut state = planned.clone();
        state.set("id", Value::string(ssh_target::address(planned)));
        state.set("install_hash", Value::string(install_hash(plan)));
        match self.install(planned, plan) {
            Ok(node_name) => {
                state.set("node_name", Value::string(node_name));
                Ok(state)
            }
            Err(InstallFailure::BeforeHost(diags)) => Err(diags.into()),
            // The host may be half-installed: keep it in state (tainted) so that destroy
            // or the next apply cleans it up instead of orphaning it.
            Err(InstallFailure::OnHost(diags)) => Err(ApplyError::with_partial_state(
                diags,
                state.unknowns_to_null(),
            )),
        }
    }
}

/// Why an install failed: before anything reached the host, or on it.
enum InstallFailure {
    BeforeHost(Diagnostics),
    OnHost(Diagnostics),
}

/// Writes the plan's files and runs its script in one `sh -s` whose program arrives on
/// stdin, so no secret appears on a command line.
async fn run_install(
    session: &Session,
    plan: &InstallPlan,
    sudo: bool,
) -> Result<(), ssh_exec::SshError> {
    let bundle = k3s_bootstrap::shell_bundle(plan);
    session
        .run_with_stdin(&with_sudo("sh -s", sudo), bundle.as_bytes())
        .await?
        .check("the install script")?;
    Ok(())
}

fn with_sudo(command: &str, sudo: bool) -> String {
    if sudo {
        format!("sudo -n sh -c {}", shell_quote(command))
    } else {
        command.to_string()
    }
}

fn install_hash(plan: &InstallPlan) -> String {
    let mut hash = Sha256::new();
    for file in &plan.files {
        hash.update(file.path.as_bytes());
        hash.update(file.mode.to_be_bytes());
        hash.update((file.content.len() as u64).to_be_bytes());
        hash.update(file.content.as_bytes());
    }
    hash.update(plan.script.as_bytes());
    format!("{:x}", hash.finalize())
}

fn ssh_error(address: &str, what: &str, e: ssh_exec::SshError) -> Diagnostics {
    Diagnostics::error(format!("Cannot {what} on {address}"), e.to_string())
}

impl Resource for NodeResource {
    fn type_name(&self) -> &str {
        match self.kind {
            NodeKind::Agent => "k3s_agent",
            _ => "k3s_server",
        }
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = node_spec::check(self.kind, config);
        diags.extend(ssh_target::check(config));
        check_kubeconfig(config, &mut diags);
        check_duration(
            config,
            "drain_timeout",
            &tfplugin::AttributePath::root(),
            &mut diags,
        );
        diags
    }

    fn plan(&self, req: &mut PlanRequest) -> Diagnostics {
        if req.planned.is_wholly_known() {
            match self.install_plan(&req.planned) {
                Ok(plan) => {
                    let hash = install_hash(&plan);
                    if req.prior.get("install_hash").as_str() != Some(hash.as_str()) {
                        req.planned.set("install_hash", Value::string(hash));
                    }
                }
                Err(d) => return d,
            }
        } else if !req.is_create() {
            req.planned.set("install_hash", Value::unknown());
        }
        if !req.is_create() && req.planned.get("install_hash") != req.prior.get("install_hash") {
            // A re-install may rename the node when the name comes from the host.
            req.planned.set("node_name", Value::unknown());
        }
        Diagnostics::new()
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let plan = self.install_plan(req.planned)?;
        self.state_after_install(req.planned, &plan)
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(state.clone()))
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let plan = self.install_plan(req.planned)?;
        if req.prior.get("install_hash").as_str() == Some(install_hash(&plan).as_str()) {
            // Only how we connect changed: nothing to do on the host.
            let mut state = req.planned.clone();
            state.set("node_name", req.prior.get("node_name").clone());
            return Ok(state);
        }
        self.state_after_install(req.planned, &plan)
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let address = ssh_target::address(state);
        let node_name = state.get("node_name").as_str().unwrap_or_default();
        if state.get("kubeconfig").as_str().is_some() && !node_name.is_empty() {
            cluster_api::drain_and_delete(
                state,
                node_name,
                "Remove `kubeconfig` from the resource to uninstall without draining.",
            )?;
        }
        let target = ssh_target::target(state)?;
        let uninstall = k3s_bootstrap::uninstall_script(&self.role(state));
        let command = with_sudo(
            &format!("if [ -x {uninstall} ]; then {uninstall}; fi"),
            ssh_target::uses_sudo(state),
        );
        block_on(async {
            let session = Session::connect(&target)
                .await
                .map_err(|e| ssh_error(&address, "connect", e))?;
            let result = session.run(&command).await.and_then(|o| o.check(uninstall));
            session.close().await;
            result
                .map(drop)
                .map_err(|e| ssh_error(&address, "uninstall k3s", e))
        })?
    }

    fn import(&self, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::error(
            format!("{} cannot be imported", self.type_name()),
            "The token and SSH credentials cannot be read back from the host; declare the \
             resource and apply (the installer is idempotent).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudo_wraps_the_whole_command() {
        assert_eq!(with_sudo("true", false), "true");
        assert_eq!(
            with_sudo("echo 'x'", true),
            r"sudo -n sh -c 'echo '\''x'\'''"
        );
    }
}
