//! The install plan as one POSIX sh program to feed to `sh -s` on a node (over SSH): every
//! file base64-encoded in a here-document, written atomically with its mode, the install
//! script stored at [`SCRIPT_PATH`] like cloud-init stores it, then run. One round trip
//! instead of one per file, and secrets travel on stdin only, never on a command line.

use std::fmt::Write;

use base64::Engine;

use crate::spec::{InstallPlan, SCRIPT_PATH};

/// Ends every here-document; base64 text can never contain it.
const END_OF_FILE: &str = "K3S_BOOTSTRAP_FILE";

pub fn shell_bundle(plan: &InstallPlan) -> String {
    let mut s = String::from(
        "set -eu\numask 077\n\
         put() {\n  mkdir -p \"$(dirname \"$1\")\"\n  base64 -d >\"$1.new\"\n  chmod \"$2\" \"$1.new\"\n  mv -f \"$1.new\" \"$1\"\n}\n",
    );
    let files = plan
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.mode, f.content.as_str()))
        .chain(std::iter::once((SCRIPT_PATH, 0o700, plan.script.as_str())));
    for (path, mode, content) in files {
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        let _ = writeln!(
            s,
            "put '{}' {mode:o} <<'{END_OF_FILE}'",
            path.replace('\'', r"'\''")
        );
        for line in encoded.as_bytes().chunks(76) {
            s.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            s.push('\n');
        }
        let _ = writeln!(s, "{END_OF_FILE}");
    }
    let _ = writeln!(s, "exec sh {SCRIPT_PATH}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::NodeFile;

    #[test]
    fn bundle_is_valid_sh_and_carries_each_file_once() {
        let plan = InstallPlan {
            files: vec![NodeFile {
                path: "/etc/rancher/k3s/it's config.yaml".into(),
                content: "token: secret\n".into(),
                mode: 0o600,
            }],
            script: "echo installing\n".into(),
        };
        let bundle = shell_bundle(&plan);
        assert!(!bundle.contains("secret"), "file content must be encoded");
        assert!(bundle.contains(r"put '/etc/rancher/k3s/it'\''s config.yaml' 600"));
        assert!(bundle.ends_with(&format!("exec sh {SCRIPT_PATH}\n")));
        let syntax = std::process::Command::new("sh")
            .args(["-n", "-c", &bundle])
            .status()
            .expect("sh");
        assert!(syntax.success(), "not valid sh:\n{bundle}");
    }
}
