//! Up-front checks that turn a missing tool into a panic naming it, instead of a confusing failure
//! deep inside a test (or, worse, a skipped test that looks green).

use std::path::Path;
use std::process::Command;

use crate::command;
use crate::paths;

/// Oldest terraform CLI the tier supports (plugin protocol 5.8 features, `terraform_data`, import).
const MIN_TERRAFORM: (u64, u64) = (1, 11);
const TERRAFORM_MISSING: &str =
    "terraform CLI not found: install terraform >= 1.11 (acceptance tier needs it)";

/// Root, libvirtd, virsh, QEMU and namespace tools, as `libvirt-sandbox check` lists them.
pub(crate) fn require_sandbox_tools(script: &Path) {
    if !script.is_file() {
        panic!(
            "acceptance tier: sandbox script {} is missing",
            script.display()
        );
    }
    let mut check = Command::new(script);
    check.arg("check");
    let output = command::run(check)
        .unwrap_or_else(|err| panic!("acceptance tier: cannot run the sandbox script: {err}"));
    if !output.success() {
        panic!(
            "acceptance tier needs a root shell with libvirt and QEMU installed: {}",
            output.stderr.trim()
        );
    }
}

/// The terraform CLI, at least version 1.11.
pub(crate) fn require_terraform() {
    let Some(terraform) = paths::find_in_path("terraform") else {
        panic!("{TERRAFORM_MISSING}");
    };
    let mut version = Command::new(&terraform);
    version.args(["version", "-json"]);
    let output = command::run(version)
        .and_then(|output| output.into_success())
        .unwrap_or_else(|err| {
            panic!(
                "{TERRAFORM_MISSING} ({} does not run: {err})",
                terraform.display()
            )
        });
    let found = parse_terraform_version(&output.stdout).unwrap_or_else(|| {
        panic!(
            "{TERRAFORM_MISSING} (cannot read the version from `terraform version -json`: {})",
            output.stdout
        )
    });
    if found < MIN_TERRAFORM {
        panic!(
            "{TERRAFORM_MISSING} (found {}.{} at {})",
            found.0,
            found.1,
            terraform.display()
        );
    }
}

/// A provider binary built from this workspace.
pub(crate) fn require_provider_binary(binary: &Path, crate_name: &str) {
    if !binary.is_file() {
        panic!(
            "provider binary {} not found: build it with `cargo build -p {crate_name}` \
             (or point KVMCLOUD_PROVIDER_DIR at the directory holding it)",
            binary.display()
        );
    }
}

/// (major, minor) from `terraform version -json` output.
fn parse_terraform_version(json: &str) -> Option<(u64, u64)> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let mut parts = value.get("terraform_version")?.as_str()?.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::parse_terraform_version;

    #[test]
    fn reads_major_and_minor_from_version_json() {
        let json = r#"{"terraform_version":"1.11.4","platform":"linux_amd64"}"#;
        assert_eq!(parse_terraform_version(json), Some((1, 11)));
    }

    #[test]
    fn rejects_output_without_a_version() {
        assert_eq!(
            parse_terraform_version(r#"{"platform":"linux_amd64"}"#),
            None
        );
        assert_eq!(parse_terraform_version("Terraform v1.11.4"), None);
    }
}
