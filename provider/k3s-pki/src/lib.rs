//! The PKI of a k3s cluster, generated before any node exists: the custom CA set k3s accepts in
//! `/var/lib/rancher/k3s/server/tls`, the secure join token, and an admin client certificate.

mod algorithm;
mod cluster;
mod issue;
mod service_key;
mod token;

pub use algorithm::{KeyAlgorithm, UnknownKeyAlgorithm};
pub use cluster::{ClusterPki, PkiOptions, ADMIN_COMMON_NAME, ADMIN_GROUP};
pub use issue::{issue_client_cert, issue_serving_cert, CertKey};
pub use token::{
    ca_hash, check_token_ca, parse_token, random_secret, secure_token, ParsedToken, TokenError,
};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("generating a {algorithm} key: {source}")]
    KeyGeneration {
        algorithm: KeyAlgorithm,
        source: rcgen::Error,
    },
    #[error("signing a certificate: {0}")]
    Sign(rcgen::Error),
    #[error("invalid CA: {0}")]
    InvalidCa(String),
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),
}

impl PkiError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
        }
    }
}
