//! Every Terraform directory under examples/ and modules/ (each directory holding .tf files,
//! recursively) passes the real `terraform validate` with our locally built providers
//! (the harness's dev_overrides), after `terraform get` has installed its modules; and every
//! such directory with `terraform test` files (`tests/*.tftest.hcl`, e.g. the input
//! validation cases of modules/libvirt-node) passes `terraform test`.
//!
//! Per-resource snippets that declare no `required_providers` get the one their resource
//! prefixes imply (`libvirt_` -> kvmcloud/libvirt, `k3s_` -> kvmcloud/k3s), as a user's root
//! module would. Directories using kvmcloud/k3s are skipped, saying so, only while the k3s
//! provider binary has not been built.

#[path = "support/example_tree.rs"]
mod example_tree;

use std::path::{Path, PathBuf};

use acceptance_tests::{unique_name, LocalProvider, Sandbox};
use example_tree::{repo_root, terraform_dirs, terraform_text, ExampleTree};

const DEV_OVERRIDES_WARNING: &str = "Provider development overrides are in effect";

/// Where the harness serves providers from (mirrors its KVMCLOUD_PROVIDER_DIR rule), to tell
/// whether the k3s provider exists yet.
fn provider_built(provider: LocalProvider) -> bool {
    let dir = std::env::var_os("KVMCLOUD_PROVIDER_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/debug"));
    dir.join(provider.binary_name()).is_file()
}

/// Our providers a configuration uses, by source address or resource/data source prefix.
fn providers_used(text: &str) -> Vec<LocalProvider> {
    [
        (LocalProvider::Libvirt, "kvmcloud/libvirt", "\"libvirt_"),
        (LocalProvider::K3s, "kvmcloud/k3s", "\"k3s_"),
    ]
    .into_iter()
    .filter(|(_, source, prefix)| text.contains(source) || text.contains(prefix))
    .map(|(provider, ..)| provider)
    .collect()
}

/// A `terraform` block naming `providers`, for snippets that leave it out.
fn versions_tf(providers: &[LocalProvider]) -> String {
    let lines: String = providers
        .iter()
        .map(|p| {
            let name = p.binary_name().trim_start_matches("terraform-provider-");
            format!("    {name} = {{ source = \"kvmcloud/{name}\" }}\n")
        })
        .collect();
    format!("terraform {{\n  required_providers {{\n{lines}  }}\n}}\n")
}

/// Diagnostics of `terraform validate -json` other than the dev_overrides warning.
fn validate_problems(stdout: &str) -> Result<Vec<String>, String> {
    let report: serde_json::Value = serde_json::from_str(stdout)
        .map_err(|e| format!("unreadable `terraform validate -json` output ({e}): {stdout}"))?;
    let problems: Vec<String> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["summary"] != DEV_OVERRIDES_WARNING)
        .map(|d| {
            let at = d["range"]["filename"].as_str().unwrap_or("");
            let line = d["range"]["start"]["line"].as_u64().unwrap_or(0);
            format!(
                "{}: {at}:{line}: {}: {}",
                d["severity"].as_str().unwrap_or("?"),
                d["summary"].as_str().unwrap_or(""),
                d["detail"].as_str().unwrap_or("")
            )
        })
        .collect();
    if report["valid"] != true && problems.is_empty() {
        return Err(format!(
            "terraform says invalid without diagnostics: {stdout}"
        ));
    }
    Ok(problems)
}

fn check_dir(
    tree: &ExampleTree,
    sandbox: &Sandbox,
    dir: &Path,
    providers: &[LocalProvider],
) -> Result<(), String> {
    let tf = tree.workspace(sandbox, dir, &[]);
    if !terraform_text(&repo_root().join(dir)).contains("required_providers") {
        tf.write_file("versions.tf", &versions_tf(providers))
            .map_err(|e| e.to_string())?;
    }
    let get = tf.run(&["get", "-no-color"]).map_err(|e| e.to_string())?;
    if !get.success() {
        return Err(format!(
            "terraform get failed: {}{}",
            get.stdout, get.stderr
        ));
    }
    let validate = tf
        .run(&["validate", "-json", "-no-color"])
        .map_err(|e| e.to_string())?;
    match validate_problems(&validate.stdout) {
        Ok(problems) if problems.is_empty() && validate.success() => Ok(()),
        Ok(problems) => Err(format!("{}{}", problems.join("\n    "), validate.stderr)),
        Err(e) => Err(format!("{e}{}", validate.stderr)),
    }
}

/// Every directory with .tf files under examples/ and modules/.
fn all_terraform_dirs() -> Vec<PathBuf> {
    let root = repo_root();
    ["examples", "modules"]
        .iter()
        .flat_map(|top| terraform_dirs(&root, top))
        .collect()
}

/// Whether `dir` uses a provider that is not built yet, which skips it (printed).
fn skipped_for_missing_k3s(dir: &Path, providers: &[LocalProvider], k3s_built: bool) -> bool {
    let skip = providers.contains(&LocalProvider::K3s) && !k3s_built;
    if skip {
        eprintln!(
            "examples_validate: SKIPPED {}: it uses kvmcloud/k3s and {} is not built (cargo build -p terraform-provider-k3s)",
            dir.display(),
            LocalProvider::K3s.binary_name()
        );
    }
    skip
}

/// Whether `dir` holds `terraform test` files (in `tests/` or beside its .tf files).
fn has_terraform_tests(dir: &Path) -> bool {
    [dir.join("tests"), dir.to_path_buf()].iter().any(|d| {
        std::fs::read_dir(d).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().ends_with(".tftest.hcl"))
        })
    })
}

#[test]
fn every_example_and_module_passes_terraform_validate() {
    let root = repo_root();
    let dirs = all_terraform_dirs();
    for expected in ["examples/quickstart", "modules/libvirt-node"] {
        assert!(
            dirs.contains(&PathBuf::from(expected)),
            "{expected} not found among {dirs:?}"
        );
    }
    // validate never talks to libvirt; the sandbox only hosts the harness's terraform runs.
    let sandbox = Sandbox::start(&unique_name("acc-exv")).expect("sandbox starts");
    let tree = ExampleTree::new();
    let k3s_built = provider_built(LocalProvider::K3s);
    let (mut passed, mut skipped, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    for dir in &dirs {
        let providers = providers_used(&terraform_text(&root.join(dir)));
        if skipped_for_missing_k3s(dir, &providers, k3s_built) {
            skipped.push(dir);
            continue;
        }
        match check_dir(&tree, &sandbox, dir, &providers) {
            Ok(()) => passed.push(dir),
            Err(why) => failures.push(format!("{}:\n    {why}", dir.display())),
        }
    }
    eprintln!(
        "examples_validate: {} valid, {} skipped, {} rejected",
        passed.len(),
        skipped.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "rejected by `terraform validate`:\n{}",
        failures.join("\n")
    );
}

#[test]
fn terraform_test_files_pass() {
    let root = repo_root();
    let dirs: Vec<PathBuf> = all_terraform_dirs()
        .into_iter()
        .filter(|dir| has_terraform_tests(&root.join(dir)))
        .collect();
    assert!(
        dirs.contains(&PathBuf::from("modules/libvirt-node")),
        "modules/libvirt-node/tests is missing: found tests in {dirs:?}"
    );
    let sandbox = Sandbox::start(&unique_name("acc-tft")).expect("sandbox starts");
    let tree = ExampleTree::new();
    let k3s_built = provider_built(LocalProvider::K3s);
    let mut failures = Vec::new();
    for dir in &dirs {
        let providers = providers_used(&terraform_text(&root.join(dir)));
        if skipped_for_missing_k3s(dir, &providers, k3s_built) {
            continue;
        }
        let tf = tree.workspace(&sandbox, dir, &[]);
        let get = tf.run(&["get", "-no-color"]).expect("terraform get");
        let test = tf.run(&["test", "-no-color"]).expect("terraform test");
        eprintln!(
            "examples_validate: terraform test in {}:\n{}",
            dir.display(),
            test.stdout
        );
        if !get.success() || !test.success() {
            failures.push(format!(
                "{}:\n{}{}{}",
                dir.display(),
                get.stderr,
                test.stdout,
                test.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "terraform test failed:\n{}",
        failures.join("\n")
    );
}
