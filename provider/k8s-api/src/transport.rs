//! HTTPS to one API server: mutual TLS with the kubeconfig's identities, a small pool of
//! keep-alive HTTP/1.1 connections, a per-request timeout, and errors that say which side of
//! the TLS handshake objected.

use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{AlertDescription, CertificateError};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::TlsConnector;

use crate::error::ApiError;
use crate::kubeconfig::Kubeconfig;

/// Kept small: the provider's calls are sequential or lightly parallel.
const MAX_IDLE_CONNECTIONS: usize = 4;
/// How long a failed request waits for its connection task to report the underlying cause.
const CAUSE_GRACE: Duration = Duration::from_millis(200);

/// A response read to the end.
pub(crate) struct Response {
    pub status: StatusCode,
    pub body: Bytes,
}

/// A request body with its content type.
pub(crate) struct Body {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

pub(crate) struct Transport {
    /// `https://host:port`, as error messages show it.
    origin: String,
    authority: String,
    path_prefix: String,
    server_name: ServerName<'static>,
    connector: TlsConnector,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

impl Transport {
    pub fn new(kc: &Kubeconfig) -> Result<Arc<Transport>, ApiError> {
        let rest = kc.server_url.strip_prefix("https://").ok_or_else(|| {
            ApiError::Config(format!(
                "server {:?} must be an https:// URL",
                kc.server_url
            ))
        })?;
        let (authority, path_prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, authority) = split_host(authority)?;
        let server_name = ServerName::try_from(host.clone())
            .map_err(|_| ApiError::Config(format!("server host {host:?} is not a valid name")))?;
        Ok(Arc::new(Transport {
            origin: format!("https://{authority}"),
            authority,
            path_prefix: path_prefix.to_string(),
            server_name,
            connector: TlsConnector::from(Arc::new(tls_config(kc)?)),
            idle: Mutex::new(Vec::new()),
        }))
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Sends one request and reads the whole answer, within `timeout`.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
        timeout: Duration,
    ) -> Result<Response, ApiError> {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let exchange = self.exchange(method.clone(), path_and_query, body);
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(ApiError::RequestTimeout {
                method: method.to_string(),
                path: path.to_string(),
                after: timeout,
            }),
        }
    }

    async fn exchange(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response, ApiError> {
        let bytes = Bytes::from(body.as_ref().map(|b| b.bytes.clone()).unwrap_or_default());
        let build = || {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(format!("{}{}", self.path_prefix, path_and_query))
                .header(http::header::HOST, &self.authority)
                .header(http::header::ACCEPT, "application/json")
                .header(http::header::USER_AGENT, "terraform-provider-k3s");
            if let Some(b) = &body {
                req = req.header(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static(b.content_type),
                );
            }
            req.body(Full::new(bytes.clone()))
                .expect("method, path and static headers form a valid request")
        };
        // A pooled connection may have been closed by the server since its last use: such a
        // request never reached the server, so one retry on a fresh connection is safe.
        if let Some(mut sender) = self.pooled() {
            match sender.send_request(build()).await {
                Ok(resp) => return self.finish(sender, resp).await,
                Err(e) if e.is_canceled() || e.is_incomplete_message() => {
                    tracing::debug!("pooled connection was closed, reconnecting: {e}")
                }
                Err(e) => return Err(self.classify(&e)),
            }
        }
        let (mut sender, connection_failure) = self.connect().await?;
        match sender.send_request(build()).await {
            Ok(resp) => self.finish(sender, resp).await,
            Err(e) => {
                // With TLS 1.3 a rejected client certificate surfaces as an alert the connection
                // task reads, while the request only sees "connection closed": prefer its cause.
                let cause = tokio::time::timeout(CAUSE_GRACE, connection_failure).await;
                match cause {
                    Ok(Ok(conn_err)) => Err(self.classify(&conn_err)),
                    _ => Err(self.classify(&e)),
                }
            }
        }
    }

    async fn finish(
        &self,
        sender: SendRequest<Full<Bytes>>,
        resp: hyper::Response<hyper::body::Incoming>,
    ) -> Result<Response, ApiError> {
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| self.classify(&e))?
            .to_bytes();
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < MAX_IDLE_CONNECTIONS {
            idle.push(sender);
        }
        Ok(Response { status, body })
    }

    fn pooled(&self) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock().expect("pool lock");
        while let Some(sender) = idle.pop() {
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    /// A new connection, and a channel that reports why its task ended, if it failed.
    async fn connect(
        &self,
    ) -> Result<(SendRequest<Full<Bytes>>, oneshot::Receiver<hyper::Error>), ApiError> {
        let tcp = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| ApiError::Unreachable {
                origin: self.origin.clone(),
                detail: e.to_string(),
            })?;
        let _ = tcp.set_nodelay(true);
        let tls = self
            .connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| self.classify(&e))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| self.classify(&e))?;
        let (failed, failure) = oneshot::channel();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("API connection ended: {e}");
                let _ = failed.send(e);
            }
        });
        Ok((sender, failure))
    }

    /// Maps a failure to the side that caused it, looking through hyper and io wrappers for the
    /// rustls error.
    fn classify(&self, err: &(dyn StdError + 'static)) -> ApiError {
        let origin = self.origin.clone();
        let Some(tls) = find_rustls_error(err) else {
            return ApiError::Unreachable {
                origin,
                detail: error_chain(err),
            };
        };
        let detail = tls.to_string();
        match tls {
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
            | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                ..
            }) => ApiError::Tls {
                origin,
                detail: format!("server certificate is not valid for this host ({detail})"),
            },
            rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
                | CertificateError::BadSignature
                | CertificateError::UnhandledCriticalExtension
                | CertificateError::Other(_),
            ) => ApiError::ServerCertUntrusted { origin, detail },
            rustls::Error::AlertReceived(
                AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateRequired
                | AlertDescription::CertificateUnknown
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateRevoked
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::AccessDenied,
            ) => ApiError::ClientCertRejected { origin, detail },
            _ => ApiError::Tls { origin, detail },
        }
    }
}

fn find_rustls_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // io::Error::source skips the wrapped error itself, so look inside explicitly.
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
        }
        current = e.source();
    }
    None
}

fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        current = e.source();
    }
    text
}

/// Returns (host for TLS name checks, `host:port` to connect to); the port defaults to 443.
fn split_host(authority: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::Config(format!("server address {authority:?} is not host[:port]"));
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse::<u16>().map_err(|_| bad())?,
            None if after.is_empty() => 443,
            None => return Err(bad()),
        };
        return Ok((host.to_string(), format!("[{host}]:{port}")));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port = port.parse::<u16>().map_err(|_| bad())?;
            Ok((host.to_string(), format!("{host}:{port}")))
        }
        None if !authority.is_empty() => Ok((authority.to_string(), format!("{authority}:443"))),
        None => Err(bad()),
    }
}

/// Trusts only the kubeconfig CA and presents the kubeconfig client certificate.
fn tls_config(kc: &Kubeconfig) -> Result<rustls::ClientConfig, ApiError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(kc.ca_pem.as_bytes()) {
        let cert = cert.map_err(|_| ApiError::Config("cluster CA: not valid PEM".into()))?;
        roots
            .add(cert)
            .map_err(|e| ApiError::Config(format!("cluster CA: {e}")))?;
    }
    if roots.is_empty() {
        return Err(ApiError::Config("cluster CA: no certificate found".into()));
    }
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(kc.client_cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|_| ApiError::Config("client certificate: not valid PEM".into()))?;
    if chain.is_empty() {
        return Err(ApiError::Config(
            "client certificate: no certificate found".into(),
        ));
    }
    // The key's parse error is replaced by a fixed sentence: it could echo key bytes.
    let key = PrivateKeyDer::from_pem_slice(kc.client_key_pem.as_bytes())
        .map_err(|_| ApiError::Config("client key: not a PEM private key".into()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| ApiError::Config(format!("client certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::split_host;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(
            split_host("127.0.0.1:6443").unwrap(),
            ("127.0.0.1".to_string(), "127.0.0.1:6443".to_string())
        );
        assert_eq!(
            split_host("[::1]:6443").unwrap(),
            ("::1".to_string(), "[::1]:6443".to_string())
        );
        assert_eq!(
            split_host("k3s.lab").unwrap(),
            ("k3s.lab".to_string(), "k3s.lab:443".to_string())
        );
        assert!(split_host("k3s.lab:http").is_err());
    }
}
