//! Terraform's half of the go-plugin connection, for tests and benchmarks that talk to a
//! provider the way Terraform does: parse the handshake line, trust exactly the server
//! certificate it carries, present a client certificate, speak gRPC over mutual TLS.

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Channel, Endpoint};

/// The name Terraform expects in the provider's certificate.
const SERVER_NAME: &str = "localhost";

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("handshake line {0:?} does not have the 6 fields CORE|APP|NETWORK|ADDR|PROTOCOL|CERT")]
    Fields(String),
    #[error("address {0:?} in the handshake line: {1}")]
    Address(String, std::net::AddrParseError),
    #[error("certificate in the handshake line is not base64 without padding: {0}")]
    Certificate(base64::DecodeError),
}

/// The line a plugin prints on stdout: `1|5|tcp|127.0.0.1:PORT|grpc|CERT`.
#[derive(Clone, Debug)]
pub struct Handshake {
    pub core_version: String,
    pub app_version: String,
    pub network: String,
    pub addr: SocketAddr,
    pub protocol: String,
    pub server_cert: CertificateDer<'static>,
}

impl Handshake {
    pub fn parse(line: &str) -> Result<Self, HandshakeError> {
        let fields: Vec<&str> = line.trim_end().split('|').collect();
        let [core, app, network, addr, protocol, cert] = fields[..] else {
            return Err(HandshakeError::Fields(line.to_string()));
        };
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(cert)
            .map_err(HandshakeError::Certificate)?;
        Ok(Self {
            core_version: core.to_string(),
            app_version: app.to_string(),
            network: network.to_string(),
            addr: addr
                .parse()
                .map_err(|e| HandshakeError::Address(addr.to_string(), e))?,
            protocol: protocol.to_string(),
            server_cert: CertificateDer::from(der),
        })
    }
}

/// TLS as Terraform's client does it: trusts only `server_cert` (for "localhost"), presents
/// `client` (certificate and key) when given, offers HTTP/2.
pub fn client_tls_config(
    server_cert: &CertificateDer<'static>,
    client: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServerCert {
        expected: server_cert.clone(),
        algorithms: crypto.signature_verification_algorithms,
    });
    let builder = rustls::ClientConfig::builder_with_provider(crypto)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// A fresh gRPC channel (TCP with Nagle off, as Go's, then TLS, then HTTP/2) to `addr`.
pub async fn mtls_channel(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let connector = tokio_rustls::TlsConnector::from(config);
    Endpoint::from_shared(format!("http://{addr}"))?
        .connect_with_connector(tower::service_fn(move |_| {
            let connector = connector.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                tcp.set_nodelay(true)?;
                let name = ServerName::try_from(SERVER_NAME).expect("a valid DNS name");
                let tls = connector.connect(name, tcp).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}

/// Trusts exactly the certificate of the handshake line, for "localhost", like Terraform's
/// client (which puts that one certificate in its root pool). It is a CA certificate, which
/// webpki refuses as an end-entity certificate, so it is pinned and its name checked.
#[derive(Debug)]
struct PinnedServerCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() != self.expected.as_ref() {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ));
        }
        webpki::EndEntityCert::try_from(end_entity)
            .and_then(|cert| cert.verify_is_valid_for_subject_name(server_name))
            .map_err(|_| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
            })?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_go_plugin_line() {
        let line = "1|5|tcp|127.0.0.1:4242|grpc|AQID\n";
        let h = Handshake::parse(line).unwrap();
        assert_eq!(
            (h.core_version.as_str(), h.app_version.as_str()),
            ("1", "5")
        );
        assert_eq!(h.addr, "127.0.0.1:4242".parse().unwrap());
        assert_eq!(h.server_cert.as_ref(), &[1, 2, 3]);
    }

    #[test]
    fn a_short_line_names_the_problem() {
        let err = Handshake::parse("1|5|tcp").unwrap_err();
        assert!(err.to_string().contains("6 fields"), "{err}");
    }
}
