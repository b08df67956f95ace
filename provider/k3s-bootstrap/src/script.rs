//! The POSIX sh script that installs or upgrades k3s from files already on the node.

use std::fmt::Write as _;

use crate::spec::{
    AIRGAP_IMAGES_DIR, AIRGAP_MOUNT_POINT, BOOTSTRAP_DIR, CONFIG_PATH, K3S_BINARY_PATH,
};
use crate::{Install, Role};

/// The uninstall script install.sh writes: `${BIN_DIR}/${SYSTEM_NAME}-uninstall.sh`, where
/// SYSTEM_NAME is `k3s` for servers and `k3s-agent` for agents.
pub fn uninstall_script(role: &Role) -> &'static str {
    match role {
        Role::Server { .. } => "/usr/local/bin/k3s-uninstall.sh",
        Role::Agent => "/usr/local/bin/k3s-agent-uninstall.sh",
    }
}

/// Single-quotes `s` for sh.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub(crate) fn render(role: &Role, install: &Install) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"#!/bin/sh
# Installs or upgrades k3s ({subcommand}) from files placed beforehand; safe to run again.
# Secrets are in {CONFIG_PATH}, never in this script.
set -eu

fail() {{
    echo "k3s-bootstrap: $*" >&2
    exit 1
}}

"#,
        subcommand = role.subcommand()
    );
    match install {
        Install::Airgap {
            binary_path,
            images_path,
            install_script_path,
            mount_label,
        } => {
            if let Some(label) = mount_label {
                push_mount(&mut s, label);
            }
            push_binary_copy(&mut s, binary_path);
            if let Some(images) = images_path {
                push_images_copy(&mut s, images);
            }
            let _ = writeln!(s, "installer={}", sh_quote(install_script_path));
            s.push_str(
                "[ -f \"$installer\" ] || fail \"k3s install script not found at $installer\"\n\n",
            );
        }
        Install::Online { script_url, .. } => {
            let _ = writeln!(
                s,
                r#"installer={BOOTSTRAP_DIR}/install.sh
mkdir -p {BOOTSTRAP_DIR}
curl -sfL --retry 5 --retry-delay 2 -o "$installer.download" {url} ||
    fail "cannot download the k3s install script from "{url}
mv -f "$installer.download" "$installer"
"#,
                url = sh_quote(script_url)
            );
        }
    }
    push_restart_check(&mut s);
    let _ = writeln!(
        s,
        "{} sh \"$installer\"",
        installer_env(role, install).join(" ")
    );
    let _ = writeln!(s, "echo \"$config_hash\" > {BOOTSTRAP_DIR}/config.sha256");
    s
}

fn push_mount(s: &mut String, label: &str) {
    let _ = writeln!(
        s,
        r#"mount_point={AIRGAP_MOUNT_POINT}
if ! mountpoint -q "$mount_point"; then
    mkdir -p "$mount_point"
    mount -o ro -L {label} "$mount_point" || fail "cannot mount the disk labelled "{label}" at $mount_point"
fi
"#,
        label = sh_quote(label)
    );
}

/// Replaces the binary only when it differs, through a rename so a running k3s is not disturbed.
fn push_binary_copy(s: &mut String, binary_path: &str) {
    let _ = writeln!(
        s,
        r#"binary={binary}
[ -f "$binary" ] || fail "k3s binary not found at $binary"
if ! cmp -s "$binary" {K3S_BINARY_PATH}; then
    mkdir -p "$(dirname {K3S_BINARY_PATH})"
    cp "$binary" {K3S_BINARY_PATH}.new
    chmod 0755 {K3S_BINARY_PATH}.new
    mv -f {K3S_BINARY_PATH}.new {K3S_BINARY_PATH}
fi
"#,
        binary = sh_quote(binary_path)
    );
}

fn push_images_copy(s: &mut String, images_path: &str) {
    let _ = writeln!(
        s,
        r#"images={images}
mkdir -p {AIRGAP_IMAGES_DIR}
copy_image() {{
    cmp -s "$1" "{AIRGAP_IMAGES_DIR}/${{1##*/}}" || cp "$1" {AIRGAP_IMAGES_DIR}/
}}
if [ -d "$images" ]; then
    for archive in "$images"/*; do
        if [ -f "$archive" ]; then copy_image "$archive"; fi
    done
elif [ -f "$images" ]; then
    copy_image "$images"
else
    fail "image archive not found at $images"
fi
"#,
        images = sh_quote(images_path)
    );
}

/// install.sh restarts k3s only when the binary or its unit files change; a changed
/// config.yaml must force the restart that applies it.
fn push_restart_check(s: &mut String) {
    let _ = writeln!(
        s,
        r#"mkdir -p {BOOTSTRAP_DIR}
config_hash=$(sha256sum {CONFIG_PATH} | cut -d' ' -f1)
force_restart=false
if [ "$(cat {BOOTSTRAP_DIR}/config.sha256 2>/dev/null || true)" != "$config_hash" ]; then
    force_restart=true
fi
"#
    );
}

fn installer_env(role: &Role, install: &Install) -> Vec<String> {
    let mut env = Vec::new();
    match install {
        Install::Airgap { .. } => env.push("INSTALL_K3S_SKIP_DOWNLOAD=true".to_string()),
        Install::Online {
            version, channel, ..
        } => {
            if let Some(version) = version {
                env.push(format!("INSTALL_K3S_VERSION={}", sh_quote(version)));
            }
            if let Some(channel) = channel {
                env.push(format!("INSTALL_K3S_CHANNEL={}", sh_quote(channel)));
            }
        }
    }
    env.push(format!("INSTALL_K3S_EXEC={}", role.subcommand()));
    env.push("INSTALL_K3S_FORCE_RESTART=\"$force_restart\"".to_string());
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        assert_eq!(sh_quote("$HOME `x`"), "'$HOME `x`'");
    }
}
