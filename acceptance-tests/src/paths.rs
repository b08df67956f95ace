//! Where the harness finds the repository's script and the built providers.

use std::path::{Path, PathBuf};

/// Root of the Cargo workspace (this crate sits one level below it).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives inside the workspace")
        .to_path_buf()
}

pub(crate) fn sandbox_script() -> PathBuf {
    workspace_root().join("scripts/libvirt-sandbox")
}

/// Directory holding `terraform-provider-*` binaries: `KVMCLOUD_PROVIDER_DIR`, else `target/debug`.
pub(crate) fn provider_dir() -> PathBuf {
    match std::env::var_os("KVMCLOUD_PROVIDER_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target/debug"),
    }
}

/// Finds an executable by name in `PATH`.
pub(crate) fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
