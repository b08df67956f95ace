//! The `ssh` block of `k3s_server` / `k3s_agent` (with an optional `bastion` of the same
//! shape) and its conversion into an `ssh_exec::Target`.

use std::path::PathBuf;
use std::time::Duration;

use ssh_exec::{Auth, Endpoint, HostKeyCheck, Target};
use tfplugin::{Attribute, AttributePath, Block, Diagnostics, NestedBlock, Type, Value};

use crate::attrs::{bool_or, check_duration, duration, single_block, string, strings};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(300);

/// The `ssh` block: a connection with an optional `bastion` of the same shape.
pub fn ssh_block() -> NestedBlock {
    NestedBlock::at_most_one(
        "ssh",
        connection_block("How to reach the machine over SSH.")
            .attr(Attribute::optional("retry_for", Type::String).describe(
                "How long to keep retrying while the host does not answer (a VM still booting), \
                 e.g. `5m` (the default).",
            ))
            .attr(Attribute::optional("sudo", Type::Bool).describe(
                "Run the installation through `sudo -n` (for a non-root `user` with password-less \
                 sudo). Defaults to true when `user` is not `root`.",
            ))
            .block(NestedBlock::at_most_one(
                "bastion",
                connection_block("A jump host to tunnel through, like `ssh -J`."),
            )),
    )
    .min(1)
}

fn connection_block(about: &str) -> Block {
    Block::new()
        .describe(about)
        .attr(Attribute::required("host", Type::String).describe("Host name or IP address."))
        .attr(Attribute::optional("port", Type::Number).describe("SSH port. Defaults to 22."))
        .attr(Attribute::optional("user", Type::String).describe("User name. Defaults to `root`."))
        .attr(
            Attribute::optional("private_key", Type::String)
                .sensitive()
                .describe("Private key (OpenSSH or PEM text, e.g. `file(\"~/.ssh/id_ed25519\")`)."),
        )
        .attr(
            Attribute::optional("private_key_passphrase", Type::String)
                .sensitive()
                .describe("Passphrase of an encrypted `private_key`."),
        )
        .attr(Attribute::optional("agent", Type::Bool).describe(
            "Authenticate with the keys of the running ssh-agent (`SSH_AUTH_SOCK`). Defaults to \
             true when no `private_key` is set.",
        ))
        .attr(
            Attribute::optional("host_key_fingerprints", Type::list(Type::String)).describe(
                "Accepted host key fingerprints, `SHA256:...` as `ssh-keygen -lf` prints them.",
            ),
        )
        .attr(
            Attribute::optional("known_hosts_file", Type::String).describe(
                "An OpenSSH `known_hosts` file to check the host key against. Defaults to \
             `~/.ssh/known_hosts` when neither this nor `host_key_fingerprints` is set.",
            ),
        )
        .attr(
            Attribute::optional("insecure_ignore_host_key", Type::Bool).describe(
                "Accept any host key. Only for throwaway machines: it allows a man in the middle.",
            ),
        )
        .attr(
            Attribute::optional("connect_timeout", Type::String)
                .describe("Timeout of one connection attempt, e.g. `15s` (the default)."),
        )
}

/// Plan-time checks of the `ssh` block.
pub fn check(obj: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let ssh = single_block(obj, "ssh");
    let ssh_path = AttributePath::attr("ssh").push_index(0);
    check_connection(ssh, &ssh_path, &mut diags);
    check_duration(ssh, "retry_for", &ssh_path, &mut diags);
    let bastion = single_block(ssh, "bastion");
    if !bastion.is_null() {
        check_connection(
            bastion,
            &ssh_path.push_attr("bastion").push_index(0),
            &mut diags,
        );
    }
    diags
}

fn check_connection(conn: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    check_duration(conn, "connect_timeout", path, diags);
    if let Some(port) = conn.get("port").as_number() {
        if !port.as_u64().is_some_and(|p| (1..=65535).contains(&p)) {
            diags.push_error_at(
                path.push_attr("port"),
                "Invalid SSH port",
                format!("port must be from 1 to 65535, got {}", port.as_f64()),
            );
        }
    }
    let checks = [
        !conn.get("host_key_fingerprints").is_null(),
        !conn.get("known_hosts_file").is_null(),
        bool_or(conn, "insecure_ignore_host_key", false),
    ];
    if checks.iter().filter(|c| **c).count() > 1 {
        diags.push_error_at(
            path.push_attr("insecure_ignore_host_key"),
            "Conflicting host key checks",
            "Set at most one of host_key_fingerprints, known_hosts_file and insecure_ignore_host_key.",
        );
    }
    if let Some(key) = conn.get("private_key").as_str() {
        if !key.trim_start().starts_with("-----BEGIN ") {
            diags.push_error_at(
                path.push_attr("private_key"),
                "Invalid private key",
                "private_key must be the key's text (starting with \"-----BEGIN\"), not a path: \
                 use file(\"path\").",
            );
        }
    }
}

/// The user a connection logs in as.
pub fn user(obj: &Value) -> String {
    string(single_block(obj, "ssh"), "user").unwrap_or_else(|| "root".to_string())
}

/// Whether commands go through `sudo -n`.
pub fn uses_sudo(obj: &Value) -> bool {
    let ssh = single_block(obj, "ssh");
    bool_or(ssh, "sudo", user(obj) != "root")
}

/// `host:port` for messages and IDs.
pub fn address(obj: &Value) -> String {
    let ssh = single_block(obj, "ssh");
    let port = ssh
        .get("port")
        .as_number()
        .and_then(|p| p.as_u64())
        .unwrap_or(22);
    format!("{}:{port}", string(ssh, "host").unwrap_or_default())
}

pub fn target(obj: &Value) -> Result<Target, Diagnostics> {
    let ssh = single_block(obj, "ssh");
    let path = AttributePath::attr("ssh").push_index(0);
    let mut target = connection(ssh, &path)?;
    target.retry_for = duration(ssh, "retry_for", DEFAULT_RETRY_FOR, &path)?;
    let bastion = single_block(ssh, "bastion");
    if !bastion.is_null() {
        let bastion_path = path.push_attr("bastion").push_index(0);
        let mut jump = connection(bastion, &bastion_path)?;
        jump.retry_for = target.retry_for;
        target.bastion = Some(Box::new(jump));
    }
    Ok(target)
}

fn connection(conn: &Value, path: &AttributePath) -> Result<Target, Diagnostics> {
    let private_key = string(conn, "private_key");
    let host_key = if bool_or(conn, "insecure_ignore_host_key", false) {
        HostKeyCheck::Insecure
    } else if !conn.get("host_key_fingerprints").is_null() {
        HostKeyCheck::Fingerprints(strings(conn, "host_key_fingerprints"))
    } else {
        HostKeyCheck::KnownHosts(match string(conn, "known_hosts_file") {
            Some(file) => PathBuf::from(file),
            None => default_known_hosts(),
        })
    };
    Ok(Target {
        endpoint: Endpoint {
            host: string(conn, "host").unwrap_or_default(),
            port: conn
                .get("port")
                .as_number()
                .and_then(|p| p.as_u64())
                .map_or(22, |p| p as u16),
            user: string(conn, "user").unwrap_or_else(|| "root".to_string()),
        },
        auth: Auth {
            agent: bool_or(conn, "agent", private_key.is_none()),
            private_key,
            passphrase: string(conn, "private_key_passphrase"),
        },
        host_key,
        bastion: None,
        connect_timeout: duration(conn, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, path)?,
        retry_for: DEFAULT_RETRY_FOR,
    })
}

fn default_known_hosts() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".ssh/known_hosts")
}
