//! k3s join tokens: `K10<ca-hash>::<username>:<password>`, as pkg/clientaccess/token.go builds
//! and parses them.

use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

const TOKEN_PREFIX: &str = "K10";
const CA_HASH_LEN: usize = 64;
/// The user k3s servers authenticate joining servers and agents as with the server token.
const SERVER_USER: &str = "server";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token must not be empty")]
    Empty,
    #[error(
        "token CA hash has {0} characters; a K10 token carries 64 hex characters (sha256) or none"
    )]
    CaHashLength(usize),
    #[error("token CA hash is not hexadecimal")]
    CaHashNotHex,
    #[error("invalid token format: expected K10<ca-hash>::<username>:<password>, <username>:<password>, a bootstrap token or a bare password (the password must not be empty)")]
    Credentials,
    #[error("CA bundle contains no PEM certificate")]
    NoCertificate,
    #[error("CA bundle certificate {index} cannot be parsed: {reason}")]
    BadCertificate { index: usize, reason: String },
    #[error("token's CA hash {token_hash} does not match the cluster CA ({cluster_hash})")]
    CaMismatch {
        token_hash: String,
        cluster_hash: String,
    },
}

/// The parts of a token. Never log `password`.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedToken {
    pub ca_hash: Option<String>,
    /// None for a bare password and for a kubeadm-style bootstrap token (`abcdef.0123456789abcdef`,
    /// kept whole in `password`).
    pub username: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for ParsedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedToken")
            .field("ca_hash", &self.ca_hash)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// 32 random bytes as 64 lowercase hex characters.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random generator");
    hex(&bytes)
}

/// The secure server token k3s writes to `server/token`: `K10<ca-hash>::server:<secret>`.
///
/// A bundle that holds no parseable certificate is hashed as raw bytes (k3s's single-certificate rule).
pub fn secure_token(server_ca_bundle: &str, secret: &str) -> String {
    let hash = ca_hash(server_ca_bundle)
        .unwrap_or_else(|_| hex(&Sha256::digest(server_ca_bundle.as_bytes())));
    format!("{TOKEN_PREFIX}{hash}::{SERVER_USER}:{secret}")
}

pub fn parse_token(token: &str) -> Result<ParsedToken, TokenError> {
    if token.is_empty() {
        return Err(TokenError::Empty);
    }
    // Short forms become a K10 token with an empty CA hash, as k3s does before parsing.
    let full = match token.strip_prefix(TOKEN_PREFIX) {
        Some(rest) => rest.to_string(),
        None if is_bootstrap_token(token) => format!("::{token}"),
        None => format!(":::{token}"),
    };
    let (hash, creds) = full.split_once("::").unwrap_or(("", full.as_str()));
    let ca_hash = match hash.len() {
        0 => None,
        CA_HASH_LEN if hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(hash.to_ascii_lowercase())
        }
        CA_HASH_LEN => return Err(TokenError::CaHashNotHex),
        other => return Err(TokenError::CaHashLength(other)),
    };
    if is_bootstrap_token(creds) {
        return Ok(ParsedToken {
            ca_hash,
            username: None,
            password: creds.to_string(),
        });
    }
    match creds.split_once(':') {
        Some((_, "")) | None => Err(TokenError::Credentials),
        Some((user, password)) => Ok(ParsedToken {
            ca_hash,
            username: (!user.is_empty()).then(|| user.to_string()),
            password: password.to_string(),
        }),
    }
}

/// Fails when the token pins a CA hash other than the bundle's. A token without a hash pins nothing.
pub fn check_token_ca(token: &str, server_ca_bundle: &str) -> Result<(), TokenError> {
    let Some(token_hash) = parse_token(token)?.ca_hash else {
        return Ok(());
    };
    let cluster_hash = ca_hash(server_ca_bundle)?;
    if token_hash == cluster_hash {
        Ok(())
    } else {
        Err(TokenError::CaMismatch {
            token_hash,
            cluster_hash,
        })
    }
}

/// k3s's CA hash: sha256 of the file bytes for a single certificate; for a bundle, sha256 of the
/// DER of the root its first certificate chains to (so renewing intermediates keeps tokens valid).
/// Like k3s, a bundle whose first certificate does not chain falls back to the file bytes.
pub fn ca_hash(server_ca_bundle: &str) -> Result<String, TokenError> {
    let ders = certificate_ders(server_ca_bundle)?;
    if ders.len() > 1 {
        let certs = ders
            .iter()
            .enumerate()
            .map(|(index, der)| {
                x509_parser::parse_x509_certificate(der)
                    .map(|(_, cert)| cert)
                    .map_err(|e| TokenError::BadCertificate {
                        index,
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(root) = chain_root(&certs) {
            return Ok(hex(&Sha256::digest(ders[root].as_slice())));
        }
    }
    Ok(hex(&Sha256::digest(server_ca_bundle.as_bytes())))
}

fn certificate_ders(bundle: &str) -> Result<Vec<Vec<u8>>, TokenError> {
    let blocks = pem::parse_many(bundle).map_err(|e| TokenError::BadCertificate {
        index: 0,
        reason: e.to_string(),
    })?;
    let ders: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.into_contents())
        .collect();
    if ders.is_empty() {
        return Err(TokenError::NoCertificate);
    }
    Ok(ders)
}

/// Index of the root that `certs[0]` chains to through `certs[1..]`. Roots are the certificates
/// k3s puts in its root pool: no authority key id, or one equal to their subject key id.
fn chain_root(certs: &[X509Certificate<'_>]) -> Option<usize> {
    let mut current = 0;
    // Each step moves to a different certificate; a chain cannot be longer than the bundle.
    for _ in 1..certs.len() {
        let issuer = (1..certs.len())
            .filter(|&i| i != current && issued_by(&certs[current], &certs[i]))
            .min_by_key(|&i| !is_root(&certs[i]))?;
        if is_root(&certs[issuer]) {
            return Some(issuer);
        }
        current = issuer;
    }
    None
}

fn issued_by(child: &X509Certificate<'_>, parent: &X509Certificate<'_>) -> bool {
    child.issuer().as_raw() == parent.subject().as_raw()
        && child.verify_signature(Some(parent.public_key())).is_ok()
}

fn is_root(cert: &X509Certificate<'_>) -> bool {
    let mut authority = None;
    let mut subject = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority = aki.key_identifier.as_ref().map(|k| k.0)
            }
            ParsedExtension::SubjectKeyIdentifier(ski) => subject = Some(ski.0),
            _ => {}
        }
    }
    authority.is_none() || authority == subject
}

/// kubeadm's bootstrap token form, `[a-z0-9]{6}.[a-z0-9]{16}`.
fn is_bootstrap_token(s: &str) -> bool {
    let valid = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    matches!(s.split_once('.'), Some((id, secret)) if valid(id, 6) && valid(secret, 16))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn secure_form() {
        let parsed = parse_token(&format!("K10{HASH}::server:s3cret")).unwrap();
        assert_eq!(parsed.ca_hash.as_deref(), Some(HASH));
        assert_eq!(parsed.username.as_deref(), Some("server"));
        assert_eq!(parsed.password, "s3cret");
    }

    #[test]
    fn short_forms() {
        let bare = parse_token("just-a-password").unwrap();
        assert_eq!(
            (bare.ca_hash, bare.username, bare.password.as_str()),
            (None, None, "just-a-password")
        );
        // Without the K10 prefix k3s takes everything as the password, colons included.
        let colon = parse_token("node:pw").unwrap();
        assert_eq!((colon.username, colon.password.as_str()), (None, "node:pw"));
        let bootstrap = parse_token("abcdef.0123456789abcdef").unwrap();
        assert_eq!(
            (bootstrap.username, bootstrap.password.as_str()),
            (None, "abcdef.0123456789abcdef")
        );
        let k10_bootstrap = parse_token(&format!("K10{HASH}::abcdef.0123456789abcdef")).unwrap();
        assert_eq!(k10_bootstrap.ca_hash.as_deref(), Some(HASH));
    }

    #[test]
    fn malformed_tokens() {
        assert_eq!(parse_token(""), Err(TokenError::Empty));
        assert_eq!(
            parse_token("K10abc::server:pw"),
            Err(TokenError::CaHashLength(3))
        );
        assert_eq!(
            parse_token(&format!("K10{}::server:pw", "z".repeat(64))),
            Err(TokenError::CaHashNotHex)
        );
        assert_eq!(
            parse_token(&format!("K10{HASH}::nocolon")),
            Err(TokenError::Credentials)
        );
        assert_eq!(
            parse_token(&format!("K10{HASH}::server:")),
            Err(TokenError::Credentials)
        );
    }

    #[test]
    fn errors_never_echo_the_secret() {
        let err = parse_token(&format!("K10{HASH}::topsecret"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
        assert!(!format!("{:?}", parse_token("K10::a:topsecret").unwrap()).contains("topsecret"));
    }

    #[test]
    fn random_secrets_are_64_hex_and_differ() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
