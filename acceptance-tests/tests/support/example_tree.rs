//! Terraform workspaces holding one of the repository's example or module directories,
//! placed so that its relative module sources (`../../modules/libvirt-node`) resolve as in
//! the repository: `modules/` and `examples/` are copied into a scratch tree, and the
//! harness's workspace is created at the example's own depth inside it.

// Each test binary that includes this file uses only a part of it.
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use acceptance_tests::{LocalProvider, Sandbox, Terraform};
use tempfile::TempDir;

/// Held while TMPDIR is pointed elsewhere, and by anything here that creates temp dirs:
/// `cargo test` runs a binary's tests on parallel threads sharing one environment.
static TMPDIR_LOCK: Mutex<()> = Mutex::new(());

/// The Cargo workspace root (acceptance-tests sits one level below it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives inside the workspace")
        .to_path_buf()
}

/// Every directory under `root/top` (recursively, `top` included) that holds `.tf` files,
/// relative to `root`, sorted.
pub fn terraform_dirs(root: &Path, top: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.join(top)];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut has_tf = false;
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                // Terraform's own working data, left by someone running an example in place.
                if path.file_name() != Some(".terraform".as_ref()) {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            found.push(dir.strip_prefix(root).expect("under root").to_path_buf());
        }
    }
    found.sort();
    found
}

/// The text of every `.tf` file directly in `dir`, joined.
pub fn terraform_text(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A scratch copy of the repository's `examples/` and `modules/`.
pub struct ExampleTree {
    scratch: TempDir,
}

impl ExampleTree {
    pub fn new() -> Self {
        let _env = TMPDIR_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let scratch = tempfile::Builder::new()
            .prefix("kvmcloud-examples-")
            .tempdir()
            .expect("scratch dir");
        let root = repo_root();
        for top in ["examples", "modules"] {
            copy_tree(&root.join(top), &scratch.path().join(top));
        }
        ExampleTree { scratch }
    }

    /// A harness workspace holding the files of `example` (a path relative to the repository
    /// root, e.g. `examples/quickstart`), created beside the example's copy so that paths
    /// like `../../modules/x` reach the copied modules.
    pub fn workspace<'s>(
        &self,
        sandbox: &'s Sandbox,
        example: &Path,
        providers: &[LocalProvider],
    ) -> Terraform<'s> {
        let parent = self
            .scratch
            .path()
            .join(example.parent().expect("an example lives in a directory"));
        // The harness creates its workspace in the temp dir: point it at the example's parent
        // for this one call.
        let env = TMPDIR_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let previous: Option<OsString> = std::env::var_os("TMPDIR");
        std::env::set_var("TMPDIR", &parent);
        let created = Terraform::new(sandbox, "", providers);
        match previous {
            Some(value) => std::env::set_var("TMPDIR", value),
            None => std::env::remove_var("TMPDIR"),
        }
        drop(env);
        let tf = created.expect("terraform workspace");
        assert!(
            tf.dir().starts_with(&parent),
            "workspace {} is not beside {}",
            tf.dir().display(),
            parent.display()
        );
        copy_tree(&repo_root().join(example), tf.dir());
        tf
    }
}

/// Copies the files under `from` into `to` (created), skipping Terraform's working data.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().expect("entry name");
        if name == ".terraform" || name == ".terraform.lock.hcl" || name == "terraform.tfstate" {
            continue;
        }
        let target = to.join(name);
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", path.display(), target.display()));
        }
    }
}
