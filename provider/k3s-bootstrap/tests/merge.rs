//! Merging the user's cloud-init with ours.

mod common;

use common::{agent, airgap};
use k3s_bootstrap::{
    install_plan, render_cloud_config, InstallPlan, MergeError, NodeFile, SCRIPT_PATH,
};
use serde_norway::Value;

fn plan() -> InstallPlan {
    install_plan(&agent(airgap())).unwrap()
}

fn rendered(user_parts: &[&str]) -> Result<String, MergeError> {
    let parts: Vec<String> = user_parts.iter().map(|s| s.to_string()).collect();
    render_cloud_config(&plan(), &parts)
}

fn parse_cloud_config(text: &str) -> Value {
    assert!(text.starts_with("#cloud-config\n"), "{text}");
    serde_norway::from_str(text).unwrap()
}

fn runcmd(doc: &Value) -> Vec<String> {
    doc.get("runcmd")
        .and_then(Value::as_sequence)
        .unwrap()
        .iter()
        .map(|v| {
            serde_norway::to_string(v)
                .unwrap()
                .trim()
                .replace('\n', " ")
        })
        .collect()
}

#[test]
fn ours_alone_writes_files_and_runs_the_script() {
    let doc = parse_cloud_config(&rendered(&[]).unwrap());
    let files = doc.get("write_files").and_then(Value::as_sequence).unwrap();
    let paths: Vec<&str> = files
        .iter()
        .map(|f| f.get("path").and_then(Value::as_str).unwrap())
        .collect();
    assert_eq!(paths, ["/etc/rancher/k3s/config.yaml", SCRIPT_PATH]);
    assert_eq!(
        files[0].get("permissions").and_then(Value::as_str),
        Some("0600")
    );
    assert_eq!(
        files[1].get("permissions").and_then(Value::as_str),
        Some("0700")
    );
    assert_eq!(
        files[1].get("content").and_then(Value::as_str),
        Some(plan().script.as_str())
    );
    assert_eq!(runcmd(&doc), [format!("- sh - {SCRIPT_PATH}")]);
}

#[test]
fn cloud_configs_merge_deeply_with_user_lists_first() {
    let user_a = "#cloud-config\nhostname: node-a\nruncmd:\n  - echo prepare\npackages: [curl]\nwrite_files:\n  - path: /etc/motd\n    content: hi\n";
    let user_b = "#cloud-config\npackages: [jq]\nruncmd:\n  - [echo, second]\nhostname: node-a\nntp:\n  enabled: true\n";
    let doc = parse_cloud_config(&rendered(&[user_a, user_b]).unwrap());
    assert_eq!(doc.get("hostname").and_then(Value::as_str), Some("node-a"));
    assert_eq!(
        doc.get("packages"),
        Some(&serde_norway::from_str::<Value>("[curl, jq]").unwrap())
    );
    assert_eq!(
        runcmd(&doc),
        [
            "echo prepare".to_string(),
            "- echo - second".into(),
            format!("- sh - {SCRIPT_PATH}")
        ]
    );
    let paths: Vec<&str> = doc["write_files"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["/etc/motd", "/etc/rancher/k3s/config.yaml", SCRIPT_PATH]
    );
    assert_eq!(doc["ntp"]["enabled"], Value::Bool(true));
}

#[test]
fn conflicting_scalars_name_the_key_and_both_sides() {
    let a = "#cloud-config\nntp:\n  enabled: true\n";
    let b = "#cloud-config\nntp:\n  enabled: false\n";
    let err = rendered(&[a, b]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cloud-config key `ntp.enabled` is set to different values by user_parts[0] and user_parts[1]"
    );
    let err = rendered(&["#cloud-config\nruncmd: echo not-a-list\n"]).unwrap_err();
    assert_eq!(err.to_string(), "cloud-config key `runcmd` is set to different values by user_parts[0] and the k3s bootstrap");
}

#[test]
fn a_file_written_twice_is_an_error() {
    let user = "#cloud-config\nwrite_files:\n  - path: /etc/rancher/k3s/config.yaml\n    content: 'token: mine'\n";
    let err = rendered(&[user]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "write_files path /etc/rancher/k3s/config.yaml is written by both user_parts[0] and the k3s bootstrap"
    );
}

#[test]
fn bad_user_parts_say_which_and_why() {
    let err = rendered(&["#cloud-config\n", "#cloud-config\nkey: [unclosed\n"]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("user_parts[1]: the #cloud-config document is not valid YAML:"),
        "{err}"
    );
    let err = rendered(&["#cloud-config\n- a\n- b\n"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "user_parts[0]: the #cloud-config document's top level is a list, not a mapping"
    );
    let err = rendered(&["hello world"]).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "user_parts[0]: starts with \"hello world\"; user-data parts must start with"
        ),
        "{err}"
    );
    let err = rendered(&["Content-Type: multipart/mixed; boundary=x\n\n--x--\n"]).unwrap_err();
    assert!(err.to_string().contains("already a MIME archive"), "{err}");
}

#[test]
fn scripts_make_a_multipart_archive_in_order() {
    let script_a = "#!/bin/sh\necho first\n";
    let script_b = "#!/bin/bash\necho 'zweite Grüße'\n";
    let out = rendered(&["#cloud-config\nhostname: x\n", script_a, script_b]).unwrap();
    assert!(
        out.starts_with("Content-Type: multipart/mixed; boundary=\""),
        "{out}"
    );
    let types: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("Content-Type: "))
        .collect();
    assert_eq!(types.len(), 4, "{out}");
    assert!(types[1].starts_with("text/cloud-config"));
    assert!(
        types[2].starts_with("text/x-shellscript") && types[3].starts_with("text/x-shellscript")
    );
    assert!(out.find("echo first").unwrap() > out.find("hostname: x").unwrap());
    assert!(
        out.contains("Content-Transfer-Encoding: base64"),
        "non-ASCII part is base64"
    );
    // Same input, same bytes: Terraform sees no diff on re-plan.
    assert_eq!(
        out,
        rendered(&["#cloud-config\nhostname: x\n", script_a, script_b]).unwrap()
    );
}

#[test]
fn plan_files_keep_their_modes_in_cloud_config() {
    let plan = InstallPlan {
        files: vec![NodeFile {
            path: "/x".into(),
            content: "a".into(),
            mode: 0o644,
        }],
        script: "#!/bin/sh\n".into(),
    };
    let doc = parse_cloud_config(&render_cloud_config(&plan, &[]).unwrap());
    assert_eq!(doc["write_files"][0]["permissions"].as_str(), Some("0644"));
}
