//! `k3s_cluster`: the credentials of a cluster, generated before any node exists: the CA
//! set k3s accepts as custom CAs, the secure join token and an admin client certificate,
//! and the kubeconfig made of them. Nodes receive the CA files, so k3s signs its serving
//! certificates with them and the kubeconfig works from the first boot.

use std::collections::BTreeMap;

use k3s_pki::{ClusterPki, KeyAlgorithm, PkiOptions};
use tfplugin::{
    ApplyError, ApplyRequest, Attribute, AttributePath, Block, Diagnostics, PlanRequest, Resource,
    Schema, Type, Value,
};

const DEFAULT_KEY_ALGORITHM: &str = "ecdsa-p256";
const DEFAULT_CA_VALIDITY_DAYS: i64 = 3650;
const DEFAULT_CLIENT_VALIDITY_DAYS: i64 = 365;

pub struct ClusterResource {
    schema: Schema,
}

impl Default for ClusterResource {
    fn default() -> Self {
        Self {
            schema: Schema::new(schema_block()),
        }
    }
}

fn schema_block() -> Block {
    Block::new()
        .describe(
            "The credentials of a k3s cluster, generated before any node exists: the full custom \
             CA set k3s accepts (root and intermediate CA; server, client, request-header, etcd \
             peer and etcd server CAs; the service-account signing key), the secure join token \
             (`K10<CA hash>::server:<secret>`) and an admin client certificate, plus the \
             kubeconfig made of them. Hand `server_tls_files` and `token` to the nodes \
             (`k3s_cloud_init`, `k3s_server`, `k3s_agent`) and the kubeconfig to anything that \
             talks to the cluster. Rotation is a replacement: changing `key_algorithm` or a \
             validity, or `terraform apply -replace`, plans a new CA set, which means \
             re-bootstrapping every node. Import is not supported (private keys cannot be read \
             back from a cluster).",
        )
        .attr(
            Attribute::required("name", Type::String)
                .force_new()
                .describe("Cluster name: the kubeconfig's cluster and context name, and part of every CA's common name."),
        )
        .attr(Attribute::required("server_url", Type::String).describe(
            "The API server URL clients use, `https://HOST:6443`, where HOST is a fixed address \
             or DNS name of the first server (or a load balancer). Put HOST in the servers' \
             `tls_san` when it is not their own address. Changing it rewrites the kubeconfig in \
             place.",
        ))
        .attr(
            Attribute::optional_computed("key_algorithm", Type::String)
                .force_new()
                .describe(format!(
                    "Key type of every CA, the service-account key and the admin certificate: one of {}. \
                     Defaults to `{DEFAULT_KEY_ALGORITHM}`, what k3s itself generates.",
                    quoted_list(&KeyAlgorithm::NAMES)
                )),
        )
        .attr(
            Attribute::optional_computed("ca_validity_days", Type::Number)
                .force_new()
                .describe(format!(
                    "Validity of the CAs in days. Defaults to {DEFAULT_CA_VALIDITY_DAYS}."
                )),
        )
        .attr(
            Attribute::optional_computed("client_validity_days", Type::Number)
                .force_new()
                .describe(format!(
                    "Validity of the admin client certificate in days. Defaults to \
                     {DEFAULT_CLIENT_VALIDITY_DAYS}."
                )),
        )
        .attr(Attribute::computed("id", Type::String).describe("The cluster name."))
        .attr(
            Attribute::computed("kubeconfig", Type::String)
                .sensitive()
                .describe("A kubeconfig for `server_url` with the admin client certificate."),
        )
        .attr(Attribute::computed("ca_certificate", Type::String).describe(
            "PEM bundle clients trust for the API server: what k3s serves at `/cacerts`.",
        ))
        .attr(
            Attribute::computed("client_certificate", Type::String)
                .describe("PEM admin client certificate (group `system:masters`)."),
        )
        .attr(
            Attribute::computed("client_key", Type::String)
                .sensitive()
                .describe("PEM private key of the admin client certificate."),
        )
        .attr(
            Attribute::computed("token", Type::String)
                .sensitive()
                .describe("The secure join token, `K10<sha256 of ca_certificate>::server:<secret>`, for servers and agents."),
        )
        .attr(
            Attribute::computed("server_tls_files", Type::map(Type::String))
                .sensitive()
                .describe(
                    "Files for `/var/lib/rancher/k3s/server/tls` on every server, keyed by path \
                     relative to that directory (CA certificates and keys, `service.key`).",
                ),
        )
        .attr(
            Attribute::computed("expires_at", Type::String)
                .describe("RFC 3339 time when the first credential (the admin certificate) expires."),
        )
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn validity_days(config: &Value, name: &str) -> Option<Result<u32, String>> {
    let number = config.get(name).as_number()?;
    Some(
        number
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=36500).contains(n))
            .ok_or_else(|| {
                format!(
                    "{name} must be a whole number of days from 1 to 36500, got {}",
                    number.as_f64()
                )
            }),
    )
}

fn check_server_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").ok_or_else(|| {
        format!("{url:?} must start with https:// (k3s serves its API over TLS only)")
    })?;
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{url:?} has no host name or address"));
    }
    Ok(())
}

impl ClusterResource {
    fn options(config: &Value) -> Result<PkiOptions, Diagnostics> {
        let mut diags = Diagnostics::new();
        let algorithm = config
            .get("key_algorithm")
            .as_str()
            .unwrap_or(DEFAULT_KEY_ALGORITHM)
            .parse::<KeyAlgorithm>()
            .map_err(|e| {
                diags.push_error_at(
                    AttributePath::attr("key_algorithm"),
                    "Unsupported key algorithm",
                    e.to_string(),
                )
            });
        let mut days = |name: &str, default: i64| match validity_days(config, name) {
            None => default as u32,
            Some(Ok(d)) => d,
            Some(Err(detail)) => {
                diags.push_error_at(AttributePath::attr(name), "Invalid validity", detail);
                0
            }
        };
        let ca_validity_days = days("ca_validity_days", DEFAULT_CA_VALIDITY_DAYS);
        let client_validity_days = days("client_validity_days", DEFAULT_CLIENT_VALIDITY_DAYS);
        match algorithm {
            Ok(key_algorithm) if !diags.has_errors() => Ok(PkiOptions {
                cluster_name: config.get("name").as_str().unwrap_or_default().to_string(),
                key_algorithm,
                ca_validity_days,
                client_validity_days,
            }),
            _ => Err(diags),
        }
    }

    fn kubeconfig(name: &str, server_url: &str, pki: &Credentials) -> String {
        k8s_api::Kubeconfig {
            cluster_name: name.to_string(),
            context_name: name.to_string(),
            user_name: format!("{name}-admin"),
            server_url: server_url.to_string(),
            ca_pem: pki.ca_certificate.clone(),
            client_cert_pem: pki.client_certificate.clone(),
            client_key_pem: pki.client_key.clone(),
        }
        .render()
    }
}

/// The parts of the generated PKI that the state keeps.
struct Credentials {
    ca_certificate: String,
    client_certificate: String,
    client_key: String,
}

impl Credentials {
    fn from_state(state: &Value) -> Self {
        let get = |n: &str| state.get(n).as_str().unwrap_or_default().to_string();
        Self {
            ca_certificate: get("ca_certificate"),
            client_certificate: get("client_certificate"),
            client_key: get("client_key"),
        }
    }
}

impl Resource for ClusterResource {
    fn type_name(&self) -> &str {
        "k3s_cluster"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(url) = config.get("server_url").as_str() {
            if let Err(detail) = check_server_url(url) {
                diags.push_error_at(
                    AttributePath::attr("server_url"),
                    "Invalid server URL",
                    detail,
                );
            }
        }
        let known = ["key_algorithm", "ca_validity_days", "client_validity_days"]
            .iter()
            .all(|n| !config.get(n).is_unknown());
        if known {
            if let Err(d) = Self::options(config) {
                diags.extend(d);
            }
        }
        diags
    }

    fn plan(&self, req: &mut PlanRequest) -> Diagnostics {
        let defaults = [
            ("key_algorithm", Value::string(DEFAULT_KEY_ALGORITHM)),
            ("ca_validity_days", Value::number(DEFAULT_CA_VALIDITY_DAYS)),
            (
                "client_validity_days",
                Value::number(DEFAULT_CLIENT_VALIDITY_DAYS),
            ),
        ];
        for (name, default) in defaults {
            if req.config.get(name).is_null() {
                req.planned.set(name, default);
            }
        }
        if !req.is_create() {
            // Only server_url changes in place; it changes the kubeconfig with it.
            let url_changes = req.config.get("server_url") != req.prior.get("server_url");
            if url_changes {
                req.planned.set("kubeconfig", Value::unknown());
            }
        }
        Diagnostics::new()
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let options = Self::options(req.planned)?;
        let pki = ClusterPki::generate(&options).map_err(|e| {
            Diagnostics::error("Cannot generate the cluster's certificates", e.to_string())
        })?;
        let name = options.cluster_name.as_str();
        let server_url = req.planned.get("server_url").as_str().unwrap_or_default();
        let credentials = Credentials {
            ca_certificate: pki.server_ca_bundle(),
            client_certificate: pki.admin.cert_pem.clone(),
            client_key: pki.admin.key_pem.clone(),
        };
        let token = k3s_pki::secure_token(&credentials.ca_certificate, &k3s_pki::random_secret());
        let files: BTreeMap<String, Value> = pki
            .server_tls_files()
            .into_iter()
            .map(|(path, content)| (path, Value::string(content)))
            .collect();
        let expires_at = pki.not_after_rfc3339();
        tracing::info!(cluster = name, algorithm = %options.key_algorithm, "generated cluster credentials");

        let mut state = req.planned.clone();
        state.set("id", Value::string(name));
        state.set(
            "kubeconfig",
            Value::string(Self::kubeconfig(name, server_url, &credentials)),
        );
        state.set("ca_certificate", Value::string(&credentials.ca_certificate));
        state.set(
            "client_certificate",
            Value::string(&credentials.client_certificate),
        );
        state.set("client_key", Value::string(&credentials.client_key));
        state.set("token", Value::string(token));
        state.set("server_tls_files", Value::Map(files));
        state.set("expires_at", Value::string(expires_at));
        Ok(state)
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        // Nothing exists outside the state: the credentials are the resource.
        Ok(Some(state.clone()))
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let mut state = req.planned.clone();
        let name = req.prior.get("name").as_str().unwrap_or_default();
        let server_url = req.planned.get("server_url").as_str().unwrap_or_default();
        let kubeconfig = Self::kubeconfig(name, server_url, &Credentials::from_state(req.prior));
        state.set("kubeconfig", Value::string(kubeconfig));
        Ok(state)
    }

    fn delete(&self, _state: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn import(&self, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::error(
            "k3s_cluster cannot be imported",
            "Its private keys cannot be read back from a running cluster. Create a new \
             k3s_cluster and re-bootstrap the nodes with it.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_url_must_be_https_with_a_host() {
        assert!(check_server_url("https://10.0.0.2:6443").is_ok());
        assert!(check_server_url("http://10.0.0.2:6443")
            .unwrap_err()
            .contains("https://"));
        assert!(check_server_url("https://:6443")
            .unwrap_err()
            .contains("no host"));
    }
}
