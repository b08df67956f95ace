//! Host key verification during the handshake, and fingerprints in OpenSSH's form.

use std::path::Path;

use russh::client;
use russh::keys::known_hosts::known_host_keys_path;
use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};

use crate::error::SshError;
use crate::target::{Endpoint, HostKeyCheck};

/// Length of the unpadded base64 of a SHA-256 digest.
const SHA256_BASE64_LEN: usize = 43;

/// The `SHA256:<base64>` fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA... comment`),
/// as `ssh-keygen -l` prints it.
pub fn fingerprint_sha256(public_key_openssh: &str) -> Result<String, SshError> {
    let key = PublicKey::from_openssh(public_key_openssh.trim()).map_err(|e| {
        SshError::InvalidArgument {
            field: "public_key",
            reason: format!("not an OpenSSH public key: {e}"),
        }
    })?;
    Ok(fingerprint(&key))
}

pub(crate) fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// `SHA256:<base64>` without padding, or `None` if `s` is not of that form.
pub(crate) fn normalize(s: &str) -> Option<String> {
    let digest = s.trim().strip_prefix("SHA256:")?.trim_end_matches('=');
    let base64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    (digest.len() == SHA256_BASE64_LEN && digest.chars().all(base64))
        .then(|| format!("SHA256:{digest}"))
}

/// The russh handler of one connection: it only decides whether the host key is acceptable.
pub(crate) struct HostKeyVerifier {
    endpoint: Endpoint,
    check: HostKeyCheck,
}

impl HostKeyVerifier {
    pub(crate) fn new(endpoint: Endpoint, check: HostKeyCheck) -> Self {
        Self { endpoint, check }
    }

    fn verify(&self, key: &PublicKey) -> Result<(), SshError> {
        let presented = fingerprint(key);
        let addr = self.endpoint.address();
        match &self.check {
            HostKeyCheck::Insecure => {
                tracing::debug!(%addr, %presented, "host key accepted without checking (insecure mode)");
                Ok(())
            }
            HostKeyCheck::Fingerprints(expected) => {
                let expected: Vec<String> = expected.iter().filter_map(|f| normalize(f)).collect();
                if expected.contains(&presented) {
                    Ok(())
                } else {
                    Err(SshError::HostKeyMismatch {
                        addr,
                        presented,
                        expected,
                    })
                }
            }
            HostKeyCheck::KnownHosts(path) => {
                let listed = self.known_keys(path)?;
                if listed.iter().any(|k| k.key_data() == key.key_data()) {
                    Ok(())
                } else if listed.is_empty() {
                    Err(SshError::UnknownHostKey {
                        addr,
                        presented,
                        known_hosts: path.clone(),
                    })
                } else {
                    Err(SshError::HostKeyMismatch {
                        addr,
                        presented,
                        expected: listed.iter().map(fingerprint).collect(),
                    })
                }
            }
        }
    }

    /// Keys listed for this host (`host`, `[host]:port` or hashed) in `path`.
    fn known_keys(&self, path: &Path) -> Result<Vec<PublicKey>, SshError> {
        let file_error = |reason: String| SshError::KnownHostsFile {
            path: path.to_path_buf(),
            reason,
        };
        // russh treats a missing file as empty; a typo in the path must not look like an unknown host.
        std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?;
        let listed = known_host_keys_path(&self.endpoint.host, self.endpoint.port, path)
            .map_err(|e| file_error(e.to_string()))?;
        Ok(listed.into_iter().map(|(_line, key)| key).collect())
    }
}

/// What the handshake can fail with: a refused host key, or anything russh reports.
#[derive(Debug)]
pub(crate) enum HandshakeError {
    HostKey(SshError),
    Ssh(russh::Error),
}

impl From<russh::Error> for HandshakeError {
    fn from(e: russh::Error) -> Self {
        Self::Ssh(e)
    }
}

impl client::Handler for HostKeyVerifier {
    type Error = HandshakeError;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            // The host proves possession of the certified key; that key is what we pin.
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        self.verify(&key).map_err(HandshakeError::HostKey)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fingerprint as printed by `ssh-keygen -lf` for this key.
    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ c";

    #[test]
    fn fingerprint_is_openssh_form() {
        let fp = fingerprint_sha256(KEY).unwrap();
        assert_eq!(fp, "SHA256:T7SvZ2cslqpPj6nKzitCBHHlpVF3r3MvLwmFL0fk0IE");
        assert_eq!(normalize(&fp), Some(fp.clone()));
        assert_eq!(normalize(&format!("{fp}=")), Some(fp));
    }

    #[test]
    fn malformed_inputs_are_rejected() {
        assert!(normalize("MD5:aa:bb").is_none());
        assert!(normalize("SHA256:short").is_none());
        let err = fingerprint_sha256("ssh-ed25519 not-base64").unwrap_err();
        assert!(err.to_string().starts_with("invalid public_key:"), "{err}");
    }
}
