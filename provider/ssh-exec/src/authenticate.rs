//! User authentication on an established connection: the configured key, then the agent's keys.

use std::sync::Arc;

use russh::client::{AuthResult, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::{decode_secret_key, ssh_key, PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use russh::MethodSet;

use crate::error::SshError;
use crate::host_key::{fingerprint, HostKeyVerifier};
use crate::target::{Auth, Endpoint};

/// Decodes the configured private key up front, so a bad key fails before any network wait.
pub(crate) fn decode_private_key(auth: &Auth) -> Result<Option<Arc<PrivateKey>>, SshError> {
    let Some(text) = &auth.private_key else {
        return Ok(None);
    };
    // Terraform users paste keys from Windows files too.
    let text = text.replace("\r\n", "\n");
    let key = decode_secret_key(&text, auth.passphrase.as_deref()).map_err(|e| {
        let reason = match e {
            russh::keys::Error::CouldNotReadKey => {
                "not an OpenSSH or PEM private key (expected a -----BEGIN ... PRIVATE KEY----- block)"
                    .to_string()
            }
            russh::keys::Error::KeyIsEncrypted => {
                "the key is encrypted: set passphrase".to_string()
            }
            russh::keys::Error::SshKey(ssh_key::Error::Crypto) if auth.passphrase.is_some() => {
                "the key could not be decrypted: wrong passphrase".to_string()
            }
            other => other.to_string(),
        };
        SshError::BadPrivateKey { reason }
    })?;
    Ok(Some(Arc::new(key)))
}

/// Tries the private key, then (if enabled) each agent key, until the server accepts one.
pub(crate) async fn authenticate(
    handle: &mut Handle<HostKeyVerifier>,
    endpoint: &Endpoint,
    private_key: Option<Arc<PrivateKey>>,
    use_agent: bool,
) -> Result<(), SshError> {
    let mut tried = Vec::new();
    let mut server_accepts = MethodSet::empty();
    let user = endpoint.user.as_str();
    let connection_error = |e: russh::Error| SshError::Connection {
        destination: endpoint.to_string(),
        reason: format!("during authentication: {e}"),
    };

    if let Some(key) = private_key {
        let hash = rsa_hash(handle, key.public_key())
            .await
            .map_err(connection_error)?;
        tried.push(format!("private_key {}", describe(key.public_key())));
        let result = handle
            .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, hash))
            .await
            .map_err(connection_error)?;
        match result {
            AuthResult::Success => return Ok(()),
            AuthResult::Failure {
                remaining_methods, ..
            } => server_accepts = remaining_methods,
        }
    }

    if use_agent {
        let agent_error = |reason: String| SshError::Agent {
            addr: endpoint.address(),
            user: endpoint.user.clone(),
            reason,
        };
        let mut agent = match AgentClient::connect_env().await {
            Ok(agent) => agent,
            // With only the agent configured, its absence is the whole story.
            Err(e) if tried.is_empty() => return Err(agent_error(e.to_string())),
            Err(e) => {
                tried.push(format!("ssh-agent (unavailable: {e})"));
                return Err(auth_failed(endpoint, tried, server_accepts));
            }
        };
        let identities = agent
            .request_identities()
            .await
            .map_err(|e| agent_error(format!("listing keys: {e}")))?;
        if identities.is_empty() {
            tried.push("ssh-agent (holds no keys)".to_string());
        }
        for identity in identities {
            // Certificates would need the CA's trust on the server; plain keys are what we offer.
            let AgentIdentity::PublicKey { key, .. } = identity else {
                continue;
            };
            let hash = rsa_hash(handle, &key).await.map_err(connection_error)?;
            tried.push(format!("ssh-agent key {}", describe(&key)));
            let result = handle
                .authenticate_publickey_with(user, key, hash, &mut agent)
                .await
                .map_err(|e| agent_error(format!("signing: {e}")))?;
            match result {
                AuthResult::Success => return Ok(()),
                AuthResult::Failure {
                    remaining_methods, ..
                } => server_accepts = remaining_methods,
            }
        }
    }

    Err(auth_failed(endpoint, tried, server_accepts))
}

fn auth_failed(endpoint: &Endpoint, tried: Vec<String>, server_accepts: MethodSet) -> SshError {
    SshError::AuthFailed {
        addr: endpoint.address(),
        user: endpoint.user.clone(),
        tried,
        server_accepts: server_accepts.iter().map(String::from).collect(),
    }
}

/// RSA keys sign with the best SHA-2 hash the server supports; other key types have one.
async fn rsa_hash(
    handle: &Handle<HostKeyVerifier>,
    key: &PublicKey,
) -> Result<Option<russh::keys::HashAlg>, russh::Error> {
    if key.algorithm().is_rsa() {
        Ok(handle.best_supported_rsa_hash().await?.flatten())
    } else {
        Ok(None)
    }
}

/// Algorithm and fingerprint: identifies a key without revealing anything secret.
fn describe(key: &PublicKey) -> String {
    format!("{} {}", key.algorithm().as_str(), fingerprint(key))
}
