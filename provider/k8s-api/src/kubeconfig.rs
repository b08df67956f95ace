//! Kubeconfig files with embedded (`*-data`) credentials: rendering and parsing.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Serialize;
use serde_norway::{Mapping, Value};

use crate::error::KubeconfigError;

/// One cluster, one user and the context joining them: what the provider generates and reads.
#[derive(Clone, PartialEq, Eq)]
pub struct Kubeconfig {
    pub cluster_name: String,
    /// `https://host:port`, the API server (k3s serves the supervisor and API on one port).
    pub server_url: String,
    pub ca_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
    pub user_name: String,
    pub context_name: String,
}

/// The key never appears in debug output (logs, panics, test failures).
impl fmt::Debug for Kubeconfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kubeconfig")
            .field("cluster_name", &self.cluster_name)
            .field("server_url", &self.server_url)
            .field("user_name", &self.user_name)
            .field("context_name", &self.context_name)
            .field("client_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct File<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    clusters: [Named<'a, ClusterEntry>; 1],
    contexts: [Named<'a, ContextEntry<'a>>; 1],
    #[serde(rename = "current-context")]
    current_context: &'a str,
    preferences: Mapping,
    users: [Named<'a, UserEntry>; 1],
}

#[derive(Serialize)]
struct Named<'a, T> {
    name: &'a str,
    #[serde(flatten)]
    entry: T,
}

#[derive(Serialize)]
struct ClusterEntry {
    cluster: ClusterData,
}

#[derive(Serialize)]
struct ClusterData {
    #[serde(rename = "certificate-authority-data")]
    certificate_authority_data: String,
    server: String,
}

#[derive(Serialize)]
struct ContextEntry<'a> {
    context: ContextData<'a>,
}

#[derive(Serialize)]
struct ContextData<'a> {
    cluster: &'a str,
    user: &'a str,
}

#[derive(Serialize)]
struct UserEntry {
    user: UserData,
}

#[derive(Serialize)]
struct UserData {
    #[serde(rename = "client-certificate-data")]
    client_certificate_data: String,
    #[serde(rename = "client-key-data")]
    client_key_data: String,
}

impl Kubeconfig {
    /// The standard kubeconfig YAML (`kubectl config view --raw` shape) with `current-context` set.
    pub fn render(&self) -> String {
        let file = File {
            api_version: "v1",
            kind: "Config",
            clusters: [Named {
                name: &self.cluster_name,
                entry: ClusterEntry {
                    cluster: ClusterData {
                        certificate_authority_data: BASE64.encode(&self.ca_pem),
                        server: self.server_url.clone(),
                    },
                },
            }],
            contexts: [Named {
                name: &self.context_name,
                entry: ContextEntry {
                    context: ContextData {
                        cluster: &self.cluster_name,
                        user: &self.user_name,
                    },
                },
            }],
            current_context: &self.context_name,
            preferences: Mapping::new(),
            users: [Named {
                name: &self.user_name,
                entry: UserEntry {
                    user: UserData {
                        client_certificate_data: BASE64.encode(&self.client_cert_pem),
                        client_key_data: BASE64.encode(&self.client_key_pem),
                    },
                },
            }],
        };
        serde_norway::to_string(&file).expect("a kubeconfig of strings always serializes")
    }

    /// Follows `current-context` to its cluster and user. Only embedded `*-data` credentials and
    /// client-certificate authentication are supported; anything else is named in the error.
    pub fn parse(yaml: &str) -> Result<Kubeconfig, KubeconfigError> {
        let root: Value = serde_norway::from_str(yaml).map_err(|e| {
            // The YAML error may quote a line of the file, which can be key material: keep only
            // the position.
            let at = e
                .location()
                .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
                .unwrap_or_default();
            KubeconfigError::new("(document)", format!("not valid YAML{at}"))
        })?;
        if !root.is_mapping() {
            return Err(KubeconfigError::new("(document)", "not a YAML mapping"));
        }
        let context_name = required_str(&root, "current-context", "current-context")?;
        let (ctx_path, context) = named_entry(&root, "contexts", "context", &context_name)?;
        let cluster_name = required_str(context, "cluster", &format!("{ctx_path}.cluster"))?;
        let user_name = required_str(context, "user", &format!("{ctx_path}.user"))?;
        let (cluster_path, cluster) = named_entry(&root, "clusters", "cluster", &cluster_name)?;
        let (user_path, user) = named_entry(&root, "users", "user", &user_name)?;

        let server_path = format!("{cluster_path}.server");
        let server_url = required_str(cluster, "server", &server_path)?;
        validate_server_url(&server_url).map_err(|p| KubeconfigError::new(&server_path, p))?;
        if cluster
            .get("insecure-skip-tls-verify")
            .and_then(Value::as_bool)
            == Some(true)
        {
            return Err(KubeconfigError::new(
                format!("{cluster_path}.insecure-skip-tls-verify"),
                "not supported: the cluster CA must be verified",
            ));
        }
        for (field, kind) in [("token", "token"), ("username", "basic"), ("exec", "exec")] {
            if user.get(field).is_some() {
                return Err(KubeconfigError::new(
                    format!("{user_path}.{field}"),
                    format!("{kind} authentication is not supported; use client-certificate-data and client-key-data"),
                ));
            }
        }
        let ca_pem = pem_data(
            cluster,
            "certificate-authority",
            &cluster_path,
            "CERTIFICATE",
        )?;
        let client_cert_pem = pem_data(user, "client-certificate", &user_path, "CERTIFICATE")?;
        let client_key_pem = pem_data(user, "client-key", &user_path, "PRIVATE KEY")?;
        Ok(Kubeconfig {
            cluster_name,
            server_url,
            ca_pem,
            client_cert_pem,
            client_key_pem,
            user_name,
            context_name,
        })
    }
}

fn validate_server_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(format!("must be an https:// URL, got {url:?}"));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(format!("has no host: {url:?}"));
    }
    Ok(())
}

fn required_str(map: &Value, key: &str, path: &str) -> Result<String, KubeconfigError> {
    match map.get(key) {
        None | Some(Value::Null) => Err(KubeconfigError::new(path, "missing")),
        Some(Value::String(s)) if s.is_empty() => Err(KubeconfigError::new(path, "empty")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(KubeconfigError::new(path, "must be a string")),
    }
}

/// Finds `list[i]` whose `name` is `name` and returns (`list[i].inner` path, the inner mapping).
fn named_entry<'a>(
    root: &'a Value,
    list: &str,
    inner: &str,
    name: &str,
) -> Result<(String, &'a Value), KubeconfigError> {
    let entries = match root.get(list) {
        None | Some(Value::Null) => return Err(KubeconfigError::new(list, "missing")),
        Some(Value::Sequence(seq)) => seq,
        Some(_) => return Err(KubeconfigError::new(list, "must be a list")),
    };
    let index = entries
        .iter()
        .position(|e| e.get("name").and_then(Value::as_str) == Some(name))
        .ok_or_else(|| KubeconfigError::new(list, format!("no entry named {name:?}")))?;
    let path = format!("{list}[{index}].{inner}");
    match entries[index].get(inner) {
        Some(v @ Value::Mapping(_)) => Ok((path, v)),
        None | Some(Value::Null) => Err(KubeconfigError::new(path, "missing")),
        Some(_) => Err(KubeconfigError::new(path, "must be a mapping")),
    }
}

/// Reads `<field>-data` as base64 PEM containing a block whose label ends with `label`.
fn pem_data(
    map: &Value,
    field: &str,
    parent: &str,
    label: &str,
) -> Result<String, KubeconfigError> {
    let data_field = format!("{field}-data");
    let path = format!("{parent}.{data_field}");
    if map.get(&data_field).is_none() && map.get(field).is_some() {
        return Err(KubeconfigError::new(
            format!("{parent}.{field}"),
            format!("file paths are not supported; embed the PEM as {data_field}"),
        ));
    }
    let encoded = required_str(map, &data_field, &path)?;
    let compact: String = encoded.split_whitespace().collect();
    let bytes = BASE64
        .decode(compact)
        .map_err(|_| KubeconfigError::new(&path, "not valid base64"))?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| KubeconfigError::new(&path, "does not decode to PEM text"))?;
    let has_block = pem
        .lines()
        .any(|l| l.starts_with("-----BEGIN ") && l.trim_end().ends_with(&format!("{label}-----")));
    if !has_block {
        return Err(KubeconfigError::new(
            &path,
            format!("does not contain a PEM {label} block"),
        ));
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Kubeconfig {
        Kubeconfig {
            cluster_name: "lab".into(),
            server_url: "https://127.0.0.1:6443".into(),
            ca_pem: "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n".into(),
            client_cert_pem: "-----BEGIN CERTIFICATE-----\nQ0xJ\n-----END CERTIFICATE-----\n"
                .into(),
            client_key_pem: "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n".into(),
            user_name: "admin".into(),
            context_name: "lab".into(),
        }
    }

    #[test]
    fn parse_inverts_render() {
        let kc = sample();
        assert_eq!(Kubeconfig::parse(&kc.render()).unwrap(), kc);
    }

    #[test]
    fn debug_output_hides_the_key() {
        let text = format!("{:?}", sample());
        assert!(
            !text.contains("S0VZ") && text.contains("<redacted>"),
            "{text}"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let good = sample().render();
        let cases = [
            (
                good.replace("https://127.0.0.1:6443", "http://127.0.0.1:6443"),
                "clusters[0].cluster.server: must be an https:// URL",
            ),
            (
                good.replace("client-key-data: ", "client-key-data: '!!notbase64'\n    x: "),
                "users[0].user.client-key-data: not valid base64",
            ),
            (
                good.replace("current-context: lab", "current-context: other"),
                "contexts: no entry named \"other\"",
            ),
            (
                good.replace("certificate-authority-data", "certificate-authority"),
                "clusters[0].cluster.certificate-authority: file paths are not supported",
            ),
            (
                good.replace(&BASE64.encode(sample().ca_pem), &BASE64.encode("hello")),
                "clusters[0].cluster.certificate-authority-data: does not contain a PEM CERTIFICATE block",
            ),
            ("- a\n- b\n".to_string(), "(document): not a YAML mapping"),
        ];
        for (yaml, expected) in cases {
            let err = Kubeconfig::parse(&yaml).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "got {err:?}, expected {expected:?}"
            );
            assert!(!err.contains("S0VZ"), "key material in {err:?}");
        }
    }

    #[test]
    fn yaml_errors_do_not_quote_the_file() {
        let err = Kubeconfig::parse("users: [\n  client-key-data: S0VZ").unwrap_err();
        assert!(!err.to_string().contains("S0VZ"), "{err}");
    }
}
