//! A validated spec → the files to place and the script to run.

use crate::spec::{CONFIG_PATH, MANIFESTS_DIR, SERVER_TLS_DIR};
use crate::{config_yaml, script, validate, InstallPlan, NodeFile, NodeSpec, SpecError};

const SECRET_MODE: u32 = 0o600;
const PUBLIC_MODE: u32 = 0o644;

pub fn install_plan(spec: &NodeSpec) -> Result<InstallPlan, Vec<SpecError>> {
    validate(spec)?;
    let mut files = Vec::new();
    if spec.role.is_server() {
        for (rel, content) in &spec.server_tls_files {
            // Keys stay root-only; certificates are public.
            let mode = if rel.ends_with(".key") {
                SECRET_MODE
            } else {
                PUBLIC_MODE
            };
            files.push(NodeFile {
                path: format!("{SERVER_TLS_DIR}/{rel}"),
                content: content.clone(),
                mode,
            });
        }
    }
    files.push(NodeFile {
        path: CONFIG_PATH.to_string(),
        content: config_yaml(&spec.config, &spec.role),
        mode: SECRET_MODE,
    });
    for (name, content) in &spec.manifests {
        // Manifests may carry Secrets.
        files.push(NodeFile {
            path: format!("{MANIFESTS_DIR}/{name}"),
            content: content.clone(),
            mode: SECRET_MODE,
        });
    }
    Ok(InstallPlan {
        files,
        script: script::render(&spec.role, &spec.install),
    })
}
