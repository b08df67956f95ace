//! Every problem of a [`NodeSpec`] at once, each naming its field.

use std::net::IpAddr;

use crate::config::TYPED_KEYS;
use crate::names::{validate_dns_subdomain, validate_label_key, validate_label_value};
use crate::{Install, K3sConfig, NodeSpec, Role, SpecError};

/// Components `disable` accepts (k3s server `--disable`).
pub const DISABLABLE: [&str; 6] = [
    "coredns",
    "servicelb",
    "traefik",
    "local-storage",
    "metrics-server",
    "runtimes",
];
/// k3s's `--flannel-backend` values.
pub const FLANNEL_BACKENDS: [&str; 4] = ["none", "vxlan", "host-gw", "wireguard-native"];
/// The files k3s needs in server/tls to use pre-provisioned CAs instead of generating its own.
pub const REQUIRED_TLS_FILES: [&str; 11] = [
    "server-ca.crt",
    "server-ca.key",
    "client-ca.crt",
    "client-ca.key",
    "request-header-ca.crt",
    "request-header-ca.key",
    "etcd/peer-ca.crt",
    "etcd/peer-ca.key",
    "etcd/server-ca.crt",
    "etcd/server-ca.key",
    "service.key",
];

struct Problems(Vec<SpecError>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(SpecError::new(field, message));
    }

    fn check(&mut self, field: impl Into<String>, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }
}

pub fn validate(spec: &NodeSpec) -> Result<(), Vec<SpecError>> {
    let mut p = Problems(Vec::new());
    check_role_and_server(&mut p, &spec.role, &spec.config);
    check_node_fields(&mut p, &spec.config);
    if spec.role.is_server() {
        check_server_fields(&mut p, &spec.config);
    } else {
        reject_server_only_fields(&mut p, spec);
    }
    check_extra(&mut p, &spec.config);
    check_install(&mut p, &spec.install);
    if spec.role.is_server() {
        check_tls_files(&mut p, spec);
        check_manifests(&mut p, spec);
    }
    if p.0.is_empty() {
        Ok(())
    } else {
        Err(p.0)
    }
}

fn check_role_and_server(p: &mut Problems, role: &Role, config: &K3sConfig) {
    match (role, &config.server) {
        (Role::Server { cluster_init: true }, Some(_)) => p.add(
            "config.server",
            "must be unset on the cluster-init server: it starts the cluster instead of joining one",
        ),
        (Role::Agent, None) => p.add("config.server", "an agent needs the URL of a server to join (https://<server>:6443)"),
        (_, Some(url)) => p.check("config.server", check_https_url(url)),
        (Role::Server { .. }, None) => {}
    }
    if config.token.is_empty() {
        p.add("config.token", "must not be empty");
    } else if config
        .token
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        p.add(
            "config.token",
            "must not contain whitespace or control characters",
        );
    }
}

fn check_node_fields(p: &mut Problems, c: &K3sConfig) {
    if let Some(name) = &c.node_name {
        p.check("config.node_name", validate_dns_subdomain(name));
    }
    for (field, ips) in [
        ("config.node_ip", &c.node_ip),
        ("config.node_external_ip", &c.node_external_ip),
    ] {
        for (i, ip) in ips.iter().enumerate() {
            p.check(format!("{field}[{i}]"), check_ip(ip));
        }
    }
    for (key, value) in &c.node_labels {
        p.check(
            format!("config.node_labels[{key:?}]"),
            validate_label_key(key).map_err(|e| format!("key {e}")),
        );
        p.check(
            format!("config.node_labels[{key:?}]"),
            validate_label_value(value).map_err(|e| format!("value {e}")),
        );
    }
    for (i, taint) in c.node_taints.iter().enumerate() {
        p.check(format!("config.node_taints[{i}]"), taint.validate());
    }
    for (i, arg) in c.kubelet_arg.iter().enumerate() {
        p.check(format!("config.kubelet_arg[{i}]"), check_kubelet_arg(arg));
    }
}

fn check_server_fields(p: &mut Problems, c: &K3sConfig) {
    for (i, san) in c.tls_san.iter().enumerate() {
        let ok = check_ip(san).is_ok() || validate_dns_subdomain(&san.to_ascii_lowercase()).is_ok();
        if !ok {
            p.add(
                format!("config.tls_san[{i}]"),
                format!("{san:?} is neither an IP address nor a DNS name"),
            );
        }
    }
    for (i, component) in c.disable.iter().enumerate() {
        if !DISABLABLE.contains(&component.as_str()) {
            p.add(
                format!("config.disable[{i}]"),
                format!(
                    "{component:?} is not a k3s packaged component; valid values are {}",
                    DISABLABLE.join(", ")
                ),
            );
        }
    }
    for (field, value) in [
        ("config.cluster_cidr", &c.cluster_cidr),
        ("config.service_cidr", &c.service_cidr),
    ] {
        if let Some(value) = value {
            p.check(field, check_cidr_list(value));
        }
    }
    if let Some(dns) = &c.cluster_dns {
        for ip in dns.split(',') {
            p.check("config.cluster_dns", check_ip(ip));
        }
    }
    if let Some(domain) = &c.cluster_domain {
        p.check("config.cluster_domain", validate_dns_subdomain(domain));
    }
    if let Some(backend) = &c.flannel_backend {
        if !FLANNEL_BACKENDS.contains(&backend.as_str()) {
            p.add(
                "config.flannel_backend",
                format!(
                    "{backend:?} is not a flannel backend; valid values are {}",
                    FLANNEL_BACKENDS.join(", ")
                ),
            );
        }
    }
    if let Some(mode) = &c.write_kubeconfig_mode {
        let octal =
            (3..=4).contains(&mode.len()) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
        if !octal {
            p.add(
                "config.write_kubeconfig_mode",
                format!("{mode:?} must be an octal file mode such as \"0600\" or \"644\""),
            );
        }
    }
}

/// Agents run `k3s agent`, which has none of the server's cluster-wide flags.
fn reject_server_only_fields(p: &mut Problems, spec: &NodeSpec) {
    let c = &spec.config;
    let set = [
        ("config.tls_san", !c.tls_san.is_empty()),
        ("config.disable", !c.disable.is_empty()),
        ("config.cluster_cidr", c.cluster_cidr.is_some()),
        ("config.service_cidr", c.service_cidr.is_some()),
        ("config.cluster_dns", c.cluster_dns.is_some()),
        ("config.cluster_domain", c.cluster_domain.is_some()),
        ("config.flannel_backend", c.flannel_backend.is_some()),
        (
            "config.write_kubeconfig_mode",
            c.write_kubeconfig_mode.is_some(),
        ),
        ("server_tls_files", !spec.server_tls_files.is_empty()),
        ("manifests", !spec.manifests.is_empty()),
    ];
    for (field, is_set) in set {
        if is_set {
            p.add(
                field,
                "applies to servers only; an agent does not accept it",
            );
        }
    }
}

fn check_extra(p: &mut Problems, c: &K3sConfig) {
    for key in c.extra.keys() {
        let field = format!("config.extra[{key:?}]");
        if let Some((_, owner)) = TYPED_KEYS.iter().find(|(typed, _)| typed == key) {
            p.add(field, format!("is set through {owner} instead"));
        } else if key.is_empty()
            || key.starts_with('-')
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            p.add(field, "must be a k3s flag name without leading dashes, e.g. \"node-label\" or \"etcd-expose-metrics\"");
        }
    }
}

fn check_install(p: &mut Problems, install: &Install) {
    match install {
        Install::Online {
            version,
            channel,
            script_url,
        } => {
            if version.is_some() && channel.is_some() {
                p.add("install", "set version or channel, not both (install.sh ignores the channel when a version is set)");
            }
            if let Some(v) = version {
                let ok = v.starts_with('v')
                    && v.len() > 1
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
                if !ok {
                    p.add(
                        "install.version",
                        format!("{v:?} is not a k3s release tag such as \"v1.31.4+k3s1\""),
                    );
                }
            }
            if let Some(ch) = channel {
                let ok = !ch.is_empty()
                    && ch
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b));
                if !ok {
                    p.add("install.channel", format!("{ch:?} is not a channel name such as \"stable\", \"latest\" or \"v1.31\""));
                }
            }
            p.check("install.script_url", check_https_url(script_url));
        }
        Install::Airgap {
            binary_path,
            images_path,
            install_script_path,
            mount_label,
        } => {
            p.check("install.binary_path", check_node_path(binary_path));
            p.check(
                "install.install_script_path",
                check_node_path(install_script_path),
            );
            if let Some(images) = images_path {
                p.check("install.images_path", check_node_path(images));
            }
            if let Some(label) = mount_label {
                let ok = !label.is_empty()
                    && label.len() <= 64
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !ok {
                    p.add(
                        "install.mount_label",
                        format!(
                            "{label:?} must be 1-64 characters of letters, digits, '.', '_' or '-'"
                        ),
                    );
                }
            }
        }
    }
}

fn check_tls_files(p: &mut Problems, spec: &NodeSpec) {
    for required in REQUIRED_TLS_FILES {
        if !spec.server_tls_files.contains_key(required) {
            p.add(
                "server_tls_files",
                format!("{required} is missing; servers need the full custom CA set (k3s_pki's server_tls_files) so the cluster credentials are known before boot"),
            );
        }
    }
    for (rel, content) in &spec.server_tls_files {
        let field = format!("server_tls_files[{rel:?}]");
        let bad_path = rel.is_empty()
            || rel.starts_with('/')
            || rel
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
            || !rel
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
        if bad_path {
            p.add(
                field.clone(),
                "must be a plain path relative to the tls directory (no '..', no leading '/')",
            );
        }
        if !content.contains("-----BEGIN ") {
            p.add(field, "is not PEM (no -----BEGIN line)");
        }
    }
}

fn check_manifests(p: &mut Problems, spec: &NodeSpec) {
    for (name, content) in &spec.manifests {
        let field = format!("manifests[{name:?}]");
        let stem_ok = name
            .strip_suffix(".yaml")
            .or_else(|| name.strip_suffix(".yml"))
            .or_else(|| name.strip_suffix(".json"))
            .is_some_and(|stem| {
                !stem.is_empty()
                    && !stem.starts_with('.')
                    && stem
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            });
        if !stem_ok {
            p.add(field.clone(), "file name must be letters, digits, '.', '_' or '-' ending in .yaml, .yml or .json (k3s only applies those)");
        }
        if let Err(message) = crate::manifest::check_documents(content) {
            p.add(field, message);
        }
    }
}

fn check_https_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} contains whitespace or control characters"));
    }
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("{url:?} must be an https:// URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{url:?} has an unclosed IPv6 bracket"))?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    if let Some(port) = port {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("{url:?} has an invalid port {port:?}"));
        }
    }
    Ok(())
}

fn check_ip(ip: &str) -> Result<(), String> {
    ip.parse::<IpAddr>()
        .map(|_| ())
        .map_err(|_| format!("{ip:?} is not an IP address"))
}

fn check_cidr_list(list: &str) -> Result<(), String> {
    for cidr in list.split(',') {
        let (ip, bits) = cidr
            .split_once('/')
            .ok_or_else(|| format!("{cidr:?} is not a CIDR (address/prefix-length)"))?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| format!("{cidr:?}: {ip:?} is not an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits: u8 = bits
            .parse()
            .map_err(|_| format!("{cidr:?}: prefix length {bits:?} is not a number"))?;
        if bits > max {
            return Err(format!("{cidr:?}: prefix length {bits} exceeds {max}"));
        }
    }
    Ok(())
}

fn check_kubelet_arg(arg: &str) -> Result<(), String> {
    match arg.split_once('=') {
        Some((name, _)) if !name.is_empty() && !name.starts_with('-') && !arg.contains('\n') => {
            Ok(())
        }
        _ => Err(format!(
            "{arg:?} must be name=value without leading dashes, e.g. \"max-pods=150\""
        )),
    }
}

fn check_node_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("{path:?} must be an absolute path on the node"));
    }
    if path.chars().any(|c| c.is_control()) {
        return Err(format!("{path:?} contains control characters"));
    }
    Ok(())
}
