//! A terraform working directory whose commands run with our locally built providers, inside
//! a sandbox (libvirt tests) or on this host (tests whose peers listen on the host's loopback).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use crate::command::{self, CommandOutput};
use crate::{paths, prerequisites, HarnessError, Result, Sandbox};

/// Exit code of coreutils `timeout` when the time limit hit.
const TIMEOUT_EXIT_CODE: i32 = 124;
/// Generous bound for one terraform command: guests boot under TCG, but a hung provider must
/// fail the test instead of hanging CI.
const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(900);
const MAIN_TF: &str = "main.tf";
const CLI_CONFIG: &str = "terraform.tfrc";

/// Providers built from this workspace, served to terraform through `dev_overrides`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalProvider {
    Libvirt,
    K3s,
}

impl LocalProvider {
    const ALL: [LocalProvider; 2] = [LocalProvider::Libvirt, LocalProvider::K3s];

    /// Source address as written in `required_providers`.
    pub fn source(self) -> &'static str {
        match self {
            LocalProvider::Libvirt => "registry.terraform.io/kvmcloud/libvirt",
            LocalProvider::K3s => "registry.terraform.io/kvmcloud/k3s",
        }
    }

    /// Binary (and crate) name: terraform looks for `terraform-provider-TYPE` in the override dir.
    pub fn binary_name(self) -> &'static str {
        match self {
            LocalProvider::Libvirt => "terraform-provider-libvirt",
            LocalProvider::K3s => "terraform-provider-k3s",
        }
    }
}

/// Terraform's CLI configuration pointing every local provider at `provider_dir`.
fn cli_config(provider_dir: &Path) -> String {
    let overrides: String = LocalProvider::ALL
        .iter()
        .map(|provider| {
            format!(
                "    \"{}\" = \"{}\"\n",
                provider.source(),
                provider_dir.display()
            )
        })
        .collect();
    format!("provider_installation {{\n  dev_overrides {{\n{overrides}  }}\n  direct {{}}\n}}\n")
}

/// A temporary terraform root module; every command runs the real `terraform`.
#[derive(Debug)]
pub struct Terraform<'s> {
    /// Where commands run: inside this private libvirtd's namespaces, or on the host.
    sandbox: Option<&'s Sandbox>,
    dir: TempDir,
    timeout: Duration,
    env: Vec<(String, String)>,
}

impl<'s> Terraform<'s> {
    /// A working directory holding `main_tf` as main.tf. Panics when terraform (>= 1.11) is not
    /// installed or a provider in `providers` has not been built.
    pub fn new(sandbox: &'s Sandbox, main_tf: &str, providers: &[LocalProvider]) -> Result<Self> {
        Self::create(Some(sandbox), main_tf, providers)
    }

    /// A working directory whose commands run on this host, for tests that need no libvirtd
    /// and talk to servers the test runs on the host's loopback (sshd, an API server).
    pub fn on_host(main_tf: &str, providers: &[LocalProvider]) -> Result<Terraform<'static>> {
        Terraform::create(None, main_tf, providers)
    }

    fn create(
        sandbox: Option<&'s Sandbox>,
        main_tf: &str,
        providers: &[LocalProvider],
    ) -> Result<Self> {
        prerequisites::require_terraform();
        let provider_dir = paths::provider_dir();
        for provider in providers {
            let binary = provider_dir.join(provider.binary_name());
            prerequisites::require_provider_binary(&binary, provider.binary_name());
        }
        let dir = tempfile::Builder::new()
            .prefix("kvmcloud-acc-")
            .tempdir()
            .map_err(|source| HarnessError::Workspace {
                path: std::env::temp_dir(),
                source,
            })?;
        let workspace = Terraform {
            sandbox,
            dir,
            timeout: DEFAULT_COMMAND_TIMEOUT,
            env: Vec::new(),
        };
        workspace.write_file(CLI_CONFIG, &cli_config(&provider_dir))?;
        workspace.write_main_tf(main_tf)?;
        Ok(workspace)
    }

    /// Bounds every later command to `timeout` instead of the default 15 minutes.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets an environment variable for every later command (e.g. `TF_LOG_PROVIDER`).
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces main.tf, e.g. to plan an update.
    pub fn write_main_tf(&self, contents: &str) -> Result<()> {
        self.write_file(MAIN_TF, contents)
    }

    /// Writes another file into the working directory (extra .tf files, cloud-init, keys, ...).
    pub fn write_file(&self, name: &str, contents: &str) -> Result<()> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).map_err(|source| HarnessError::Workspace { path, source })
    }

    /// `terraform ARGS` in this directory; any exit code is returned (a time-out is an error).
    pub fn run(&self, args: &[&str]) -> Result<CommandOutput> {
        let mut command = match self.sandbox {
            Some(sandbox) => sandbox.command("timeout"),
            None => std::process::Command::new("timeout"),
        };
        command
            .arg("--kill-after=10")
            .arg(self.timeout.as_secs().to_string())
            .arg("terraform")
            .arg(format!("-chdir={}", self.dir.path().display()))
            .args(args)
            .env("TF_CLI_CONFIG_FILE", self.cli_config_path())
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            // No version check calls to checkpoint.hashicorp.com (network rule).
            .env("CHECKPOINT_DISABLE", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let output = command::run(command)?;
        if output.code == Some(TIMEOUT_EXIT_CODE) {
            return Err(HarnessError::TimedOut {
                output: Box::new(output),
                seconds: self.timeout.as_secs(),
            });
        }
        Ok(output)
    }

    /// `terraform init`: only needed for configurations using modules (dev_overrides skip it).
    pub fn init(&self) -> Result<CommandOutput> {
        self.run(&["init", "-input=false", "-no-color"])?
            .into_success()
    }

    pub fn apply(&self) -> Result<CommandOutput> {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])?
            .into_success()
    }

    /// `terraform plan -detailed-exitcode` with its output: exit 0 (no changes) or 2 (changes);
    /// exit 1 (error) is returned as `HarnessError::CommandFailed`.
    pub fn plan(&self) -> Result<CommandOutput> {
        plan_result(self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])?)
    }

    /// 0 when the plan is empty, 2 when it has changes.
    pub fn plan_detailed_exitcode(&self) -> Result<i32> {
        self.plan().map(|output| output.code.unwrap_or_default())
    }

    /// `terraform plan -refresh-only -detailed-exitcode`: 0 when the real objects match the
    /// state, 2 when they drifted.
    pub fn refresh_only_plan(&self) -> Result<i32> {
        let args = [
            "plan",
            "-refresh-only",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
        ];
        plan_result(self.run(&args)?).map(|output| output.code.unwrap_or_default())
    }

    pub fn import(&self, address: &str, id: &str) -> Result<CommandOutput> {
        self.run(&["import", "-input=false", "-no-color", address, id])?
            .into_success()
    }

    pub fn destroy(&self) -> Result<CommandOutput> {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])?
            .into_success()
    }

    /// `terraform state show ADDRESS` as text.
    pub fn state_show(&self, address: &str) -> Result<String> {
        Ok(self
            .run(&["state", "show", "-no-color", address])?
            .into_success()?
            .stdout)
    }

    /// `terraform output -json`: every root output as `{"name": {"value": ..., ...}}`.
    pub fn output_json(&self) -> Result<serde_json::Value> {
        let output = self.run(&["output", "-json"])?.into_success()?;
        serde_json::from_str(&output.stdout).map_err(|source| HarnessError::Json {
            command: output.command,
            source,
        })
    }

    fn cli_config_path(&self) -> PathBuf {
        self.dir.path().join(CLI_CONFIG)
    }
}

/// Plans exit 0 (empty) or 2 (changes) with -detailed-exitcode; anything else is a failure.
fn plan_result(output: CommandOutput) -> Result<CommandOutput> {
    match output.code {
        Some(0) | Some(2) => Ok(output),
        _ => Err(HarnessError::CommandFailed(Box::new(output))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_config_overrides_both_providers_to_the_given_dir() {
        let config = cli_config(Path::new("/opt/providers"));
        assert!(config.contains(r#""registry.terraform.io/kvmcloud/libvirt" = "/opt/providers""#));
        assert!(config.contains(r#""registry.terraform.io/kvmcloud/k3s" = "/opt/providers""#));
        assert!(config.contains("direct {}"));
    }

    #[test]
    fn plan_result_accepts_only_detailed_exit_codes_zero_and_two() {
        let output = |code| CommandOutput {
            command: "terraform plan".into(),
            code,
            stdout: String::new(),
            stderr: "Error: boom".into(),
        };
        assert!(plan_result(output(Some(0))).is_ok());
        assert!(plan_result(output(Some(2))).is_ok());
        assert!(matches!(
            plan_result(output(Some(1))),
            Err(HarnessError::CommandFailed(_))
        ));
        assert!(matches!(
            plan_result(output(None)),
            Err(HarnessError::CommandFailed(_))
        ));
    }
}
