//! A real rustls handshake: a server certificate from the cluster's server CA, the admin client
//! certificate checked by a verifier rooted at the client CA.

mod common;

use std::sync::Arc;

use common::generate;
use k3s_pki::{issue_serving_cert, CertKey, ClusterPki, KeyAlgorithm};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn certs(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

fn key(cert_key: &CertKey) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_slice(cert_key.key_pem.as_bytes()).unwrap()
}

fn roots(pem: &str) -> Arc<RootCertStore> {
    let mut store = RootCertStore::empty();
    for cert in certs(pem) {
        store.add(cert).unwrap();
    }
    Arc::new(store)
}

/// The API server side: serves a certificate from `server_pki`'s server CA and requires a client
/// certificate from `client_pki`'s client CA (the client CA alone is the trust anchor).
fn server_config(server_pki: &ClusterPki, client_pki: &ClusterPki) -> ServerConfig {
    let serving = issue_serving_cert(
        &server_pki.server_ca,
        "kube-apiserver",
        &["localhost".to_string()],
        1,
    )
    .unwrap();
    let client_ca_only = certs(&client_pki.client_ca.cert_pem).remove(0);
    let mut anchors = RootCertStore::empty();
    anchors.add(client_ca_only).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(anchors), provider())
        .build()
        .unwrap();
    let mut chain = certs(&serving.cert_pem);
    chain.push(certs(&server_pki.server_ca.cert_pem).remove(0));
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key(&serving))
        .unwrap()
}

/// kubectl's side: trusts the `server_ca_bundle` and presents the admin certificate.
fn client_config(trusted: &ClusterPki, admin: &CertKey) -> ClientConfig {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(&trusted.server_ca_bundle()))
        .with_client_auth_cert(certs(&admin.cert_pem), key(admin))
        .unwrap()
}

/// Runs both ends over an in-memory pipe; Ok when a byte made it across each way.
async fn handshake(server: ServerConfig, client: ClientConfig) -> Result<(), String> {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let connector = TlsConnector::from(Arc::new(client));
    let server_side = async move {
        let mut tls = acceptor
            .accept(server_io)
            .await
            .map_err(|e| format!("server: {e}"))?;
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte)
            .await
            .map_err(|e| format!("server read: {e}"))?;
        tls.write_all(&byte)
            .await
            .map_err(|e| format!("server write: {e}"))?;
        tls.shutdown()
            .await
            .map_err(|e| format!("server shutdown: {e}"))
    };
    let client_side = async move {
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = connector
            .connect(name, client_io)
            .await
            .map_err(|e| format!("client: {e}"))?;
        tls.write_all(b"k")
            .await
            .map_err(|e| format!("client write: {e}"))?;
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte)
            .await
            .map_err(|e| format!("client read: {e}"))?;
        Ok::<_, String>(byte[0])
    };
    let (server_result, client_result) = tokio::join!(server_side, client_side);
    let echoed = client_result.and_then(|b| server_result.map(|()| b))?;
    (echoed == b'k')
        .then_some(())
        .ok_or_else(|| "echo mismatch".to_string())
}

#[tokio::test]
async fn admin_certificate_authenticates_to_a_server_from_the_same_cluster() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let pki = generate(alg);
        handshake(server_config(&pki, &pki), client_config(&pki, &pki.admin))
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
}

#[tokio::test]
async fn admin_certificate_of_another_cluster_is_rejected() {
    let (pki, other) = (
        generate(KeyAlgorithm::EcdsaP256),
        generate(KeyAlgorithm::EcdsaP256),
    );
    let err = handshake(server_config(&pki, &pki), client_config(&pki, &other.admin))
        .await
        .unwrap_err();
    assert!(err.contains("server") || err.contains("client"), "{err}");
}

#[tokio::test]
async fn server_certificate_of_another_cluster_is_rejected() {
    let (pki, other) = (
        generate(KeyAlgorithm::EcdsaP256),
        generate(KeyAlgorithm::EcdsaP256),
    );
    let err = handshake(server_config(&other, &pki), client_config(&pki, &pki.admin))
        .await
        .unwrap_err();
    assert!(
        err.contains("UnknownIssuer") || err.contains("invalid peer certificate"),
        "{err}"
    );
}
