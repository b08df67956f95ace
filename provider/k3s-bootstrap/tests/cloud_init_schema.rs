//! Rendered user-data checked by the real cloud-init: its own MIME processor splits it, and
//! `cloud-init schema --config-file` validates every cloud-config part.

mod common;

use std::path::Path;
use std::process::Command;

use common::{agent, airgap, cluster_init_server, joining_server, online, require_tool};
use k3s_bootstrap::{install_plan, render_cloud_config, Install, NodeSpec};

/// The Python interpreter cloud-init runs under (its shebang), which can import `cloudinit`.
fn cloud_init_python() -> String {
    require_tool("cloud-init", "cloud-init");
    let path = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v cloud-init"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let text = std::fs::read_to_string(path.trim()).unwrap();
    let shebang = text.lines().next().unwrap();
    shebang
        .trim_start_matches("#!")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// cloud-init's UserDataProcessor output: (content type, decoded payload) of every leaf part.
fn cloud_init_parts(user_data: &Path) -> Vec<(String, String)> {
    const SPLIT: &str = r#"
import json, sys
from cloudinit.helpers import Paths
from cloudinit.user_data import UserDataProcessor
msg = UserDataProcessor(Paths({})).process(open(sys.argv[1], 'rb').read())
parts = [[p.get_content_type(), p.get_payload(decode=True).decode('utf-8')]
         for p in msg.walk() if not p.is_multipart()]
print(json.dumps(parts))
"#;
    let out = Command::new(cloud_init_python())
        .arg("-c")
        .arg(SPLIT)
        .arg(user_data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cloud-init could not process the user-data: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `cloud-init schema -c`: Ok(stdout) when valid, Err(output) otherwise.
fn schema_check(dir: &Path, cloud_config: &str) -> Result<String, String> {
    require_tool("cloud-init", "cloud-init");
    let file = dir.join("part.yaml");
    std::fs::write(&file, cloud_config).unwrap();
    let out = Command::new("cloud-init")
        .args(["schema", "--config-file"])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

const USER_CLOUD_CONFIG: &str = "#cloud-config\npackage_update: false\nbootcmd:\n  - [sh, -c, 'echo prepare > /run/prepared']\nruncmd:\n  - echo user-runcmd\nwrite_files:\n  - path: /etc/motd\n    content: k3s node\n";
const USER_SCRIPT: &str = "#!/bin/sh\necho 'user script ✓' > /run/user-script\n";

/// Renders, lets cloud-init split it, validates each cloud-config part; returns the parts.
fn render_and_check(name: &str, spec: &NodeSpec, user_parts: &[&str]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let plan = install_plan(spec).unwrap_or_else(|e| panic!("{name}: {e:#?}"));
    let parts: Vec<String> = user_parts.iter().map(|s| s.to_string()).collect();
    let user_data = render_cloud_config(&plan, &parts).unwrap();
    let path = dir.path().join("user-data");
    std::fs::write(&path, &user_data).unwrap();
    let split = cloud_init_parts(&path);
    let cloud_configs: Vec<&String> = split
        .iter()
        .filter(|(t, _)| t == "text/cloud-config")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        cloud_configs.len(),
        1,
        "{name}: expected one merged cloud-config, got {split:#?}"
    );
    schema_check(dir.path(), cloud_configs[0])
        .unwrap_or_else(|e| panic!("{name}: cloud-init schema rejected it:\n{e}"));
    split
}

fn variants() -> Vec<(&'static str, NodeSpec)> {
    let mut mounted = agent(airgap());
    if let Install::Airgap { mount_label, .. } = &mut mounted.install {
        *mount_label = Some("K3SAIRGAP".into());
    }
    vec![
        ("cluster-init server, airgap", cluster_init_server(airgap())),
        ("cluster-init server, online", cluster_init_server(online())),
        ("joining server, airgap", joining_server(airgap())),
        ("joining server, online", joining_server(online())),
        ("agent, airgap", agent(airgap())),
        ("agent, airgap from a labelled disk", mounted),
        ("agent, online", agent(online())),
    ]
}

#[test]
fn every_variant_alone_is_valid_cloud_config() {
    for (name, spec) in variants() {
        let parts = render_and_check(name, &spec, &[]);
        assert_eq!(parts.len(), 1, "{name}: {parts:#?}");
    }
}

#[test]
fn every_variant_merged_with_user_cloud_config_is_valid() {
    for (name, spec) in variants() {
        let parts = render_and_check(name, &spec, &[USER_CLOUD_CONFIG]);
        let merged = &parts[0].1;
        assert!(
            merged.contains("/etc/motd") && merged.contains("echo user-runcmd"),
            "{name}: user content lost"
        );
        assert!(
            merged.find("echo user-runcmd").unwrap() < merged.find("install-k3s.sh\n").unwrap(),
            "{name}: user runcmd first"
        );
    }
}

#[test]
fn every_variant_with_a_user_script_is_a_multipart_cloud_init_accepts() {
    for (name, spec) in variants() {
        let parts = render_and_check(name, &spec, &[USER_CLOUD_CONFIG, USER_SCRIPT]);
        let types: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(types, ["text/cloud-config", "text/x-shellscript"], "{name}");
        assert_eq!(
            parts[1].1, USER_SCRIPT,
            "{name}: the script must arrive byte for byte"
        );
    }
}

/// The check above can fail: a cloud-config cloud-init rejects is reported as such.
#[test]
fn schema_check_rejects_invalid_cloud_config() {
    let dir = tempfile::tempdir().unwrap();
    let plan = install_plan(&agent(airgap())).unwrap();
    let bad_user_part =
        "#cloud-config\nwrite_files:\n  - path: /etc/x\n    bogus_field: 1\n".to_string();
    let user_data = render_cloud_config(&plan, &[bad_user_part]).unwrap();
    let err = schema_check(dir.path(), &user_data).unwrap_err();
    assert!(err.contains("bogus_field"), "{err}");
}
