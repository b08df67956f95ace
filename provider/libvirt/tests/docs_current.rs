//! The checked-in `docs/` equal a fresh render, and every example users read
//! (examples/resources/*/resource.tf, examples/data-sources/*/data-source.tf and the HCL
//! blocks of docs/index.md) passes the real `terraform validate` against this provider's
//! schemas.

use std::path::{Path, PathBuf};
use std::process::Command;

use libvirt_provider::{docs_index::INDEX, LibvirtProvider};

const REGISTRY_SOURCE: &str = "registry.terraform.io/kvmcloud/libvirt";
const DEV_OVERRIDES_WARNING: &str = "Provider development overrides are in effect";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn checked_in_docs_match_the_schemas_and_examples() {
    let root = repo_root();
    let stale = tfplugin::docs::generator::stale_pages(
        &LibvirtProvider::default(),
        &INDEX,
        &root.join("examples"),
        &root.join("docs"),
    )
    .expect("rendering the docs");
    assert!(
        stale.is_empty(),
        "the checked-in docs are out of date; run `make docs` and commit docs/:\n  {}",
        stale.join("\n  ")
    );
}

/// The `terraform` fenced blocks of a Markdown page.
fn terraform_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```terraform\n")
        .skip(1)
        .map(|rest| rest[..rest.find("\n```").expect("closed fence")].to_string())
        .collect()
}

fn terraform_on_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("terraform"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`terraform` is not on PATH: this test runs `terraform validate` on every \
                 documentation example. Install Terraform (1.x) and put it on PATH."
            )
        })
}

/// Runs `terraform validate` on one configuration; Err lists its diagnostics.
fn validate(terraform: &Path, cli_config: &Path, hcl: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), hcl).expect("write main.tf");
    // Snippets rely on the provider's source address, as users' root modules declare it.
    if !hcl.contains("required_providers") {
        std::fs::write(
            dir.path().join("versions.tf"),
            "terraform {\n  required_providers {\n    libvirt = {\n      source = \"kvmcloud/libvirt\"\n    }\n  }\n}\n",
        )
        .expect("write versions.tf");
    }
    let out = Command::new(terraform)
        .args(["validate", "-json", "-no-color"])
        .current_dir(dir.path())
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("running terraform validate");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "unreadable `terraform validate -json` output ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let diagnostics: Vec<String> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        // The test's own CLI configuration causes this one; any other warning counts.
        .filter(|d| d["summary"] != DEV_OVERRIDES_WARNING)
        .map(|d| {
            format!(
                "{}: {}: {}",
                d["severity"].as_str().unwrap_or("?"),
                d["summary"].as_str().unwrap_or(""),
                d["detail"].as_str().unwrap_or("")
            )
        })
        .collect();
    if report["valid"] == true && diagnostics.is_empty() {
        Ok(())
    } else {
        Err(diagnostics.join("\n    "))
    }
}

/// Every `file_name` under `root/dir`, named by its path from the root, with its text.
fn example_files(root: &Path, dir: &str, file_name: &str) -> Vec<(String, String)> {
    let base = root.join(dir);
    files_under(&base)
        .into_iter()
        .filter(|rel| rel.file_name().is_some_and(|n| n == file_name))
        .map(|rel| {
            let text = std::fs::read_to_string(base.join(&rel)).expect("example");
            (format!("{dir}/{}", rel.display()), text)
        })
        .collect()
}

#[test]
fn every_example_passes_terraform_validate() {
    let terraform = terraform_on_path();
    let root = repo_root();
    let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-libvirt"))
        .parent()
        .expect("provider binary directory");
    let scratch = tempfile::tempdir().expect("temp dir");
    let cli_config = scratch.path().join("terraformrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{REGISTRY_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        ),
    )
    .expect("write CLI config");

    let mut examples: Vec<(String, String)> = Vec::new();
    for (dir, file_name) in [
        ("examples/resources", "resource.tf"),
        ("examples/data-sources", "data-source.tf"),
    ] {
        let found = example_files(&root, dir, file_name);
        assert!(!found.is_empty(), "no {file_name} under {dir}");
        examples.extend(found);
    }
    let index = std::fs::read_to_string(root.join("docs/index.md")).expect("docs/index.md");
    for (i, block) in terraform_blocks(&index).into_iter().enumerate() {
        examples.push((format!("docs/index.md terraform block {}", i + 1), block));
    }
    assert!(
        examples.len() >= 9,
        "expected the resource and data source examples and the index's blocks, found {:?}",
        examples.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );

    let failures: Vec<String> = examples
        .iter()
        .filter_map(|(name, hcl)| {
            validate(&terraform, &cli_config, hcl)
                .err()
                .map(|why| format!("{name}:\n    {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "examples rejected by `terraform validate`:\n{}",
        failures.join("\n")
    );
}
