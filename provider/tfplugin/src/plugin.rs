//! go-plugin hosting: the handshake Terraform expects on stdout, AutoMTLS, the
//! controller and health services, and the `--debug` (TF_REATTACH_PROVIDERS) mode.

use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tonic::transport::server::Connected;

use crate::proto::plugin as ctl;
use crate::proto::tfplugin5::provider_server::ProviderServer;
use crate::provider::Provider;
use crate::server::ProviderService;

/// go-plugin's handshake cookie for Terraform providers: proof we were started by Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION: u32 = 1;
const APP_PROTOCOL_VERSION: u32 = 5;
/// Large schemas (the libvirt domain) exceed tonic's 4 MiB default.
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("this binary is a Terraform plugin and is not meant to be run directly")]
    NotStartedByTerraform,
    #[error(
        "terraform offered plugin protocol versions {0:?}; this provider speaks only version 5"
    )]
    NoCommonProtocol(String),
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate")]
    BadClientCert,
    #[error("generating the server certificate failed: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` as Terraform's plugin. `address` is the provider's registry address
/// (e.g. `registry.terraform.io/kvmcloud/libvirt`), printed in `--debug` mode.
/// Returns the process exit code.
pub fn serve(provider: impl Provider, address: &str) -> std::process::ExitCode {
    crate::logging::init();
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        if debug {
            serve_debug(provider, address).await
        } else {
            serve_managed(provider).await
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(PluginError::NotStartedByTerraform) => {
            eprintln!(
                "This binary is a plugin. These are not meant to be executed directly.\n\
                 Please execute the program that consumes these plugins, which will\n\
                 load any plugins automatically (terraform init / plan / apply).\n\
                 To debug it, run it with --debug and follow the printed instructions."
            );
            std::process::ExitCode::from(1)
        }
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Normal mode: started by Terraform with the magic cookie and its client certificate.
async fn serve_managed(provider: impl Provider) -> Result<(), PluginError> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(PluginError::NotStartedByTerraform);
    }
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        if !offered
            .split(',')
            .any(|v| v.trim() == APP_PROTOCOL_VERSION.to_string())
        {
            return Err(PluginError::NoCommonProtocol(offered));
        }
    }
    let listener = bind_loopback().await?;
    let addr = listener.local_addr()?;
    let client_cert = std::env::var("PLUGIN_CLIENT_CERT")
        .ok()
        .filter(|s| !s.is_empty());

    let (line_cert, tls) = match client_cert {
        Some(pem) => {
            let (server_cert, acceptor) = auto_mtls(&pem)?;
            (
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(server_cert.as_ref()),
                Some(acceptor),
            )
        }
        None => (String::new(), None),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|{addr}|grpc|{line_cert}"
    )?;
    out.flush()?;
    drop(out);
    tracing::debug!(%addr, tls = tls.is_some(), "plugin listening");
    run_grpc(provider, listener, tls).await
}

/// Debug mode: no TLS, prints the TF_REATTACH_PROVIDERS value for the user's shell.
async fn serve_debug(provider: impl Provider, address: &str) -> Result<(), PluginError> {
    let listener = bind_loopback().await?;
    let addr = listener.local_addr()?;
    let reattach = serde_json::json!({
        address: {
            "Protocol": "grpc",
            "ProtocolVersion": APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "tcp", "String": addr.to_string()},
        }
    });
    println!(
        "Provider started in debug mode. To attach Terraform, run in another shell:\n\n\
         \texport TF_REATTACH_PROVIDERS='{reattach}'\n"
    );
    run_grpc(provider, listener, None).await
}

async fn bind_loopback() -> Result<TcpListener, PluginError> {
    let port_range = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u16>().ok());
    if let (Some(lo), Some(hi)) = (port_range("PLUGIN_MIN_PORT"), port_range("PLUGIN_MAX_PORT")) {
        for port in lo..=hi {
            if let Ok(l) = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
                return Ok(l);
            }
        }
    }
    Ok(TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?)
}

async fn run_grpc(
    provider: impl Provider,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<(), PluginError> {
    let shutdown = Arc::new(Notify::new());
    let (mut health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let provider_service = ProviderServer::new(ProviderService::new(provider))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let controller =
        ctl::grpc_controller_server::GrpcControllerServer::new(Controller(shutdown.clone()));

    // Terraform shares our process group: Ctrl-C reaches us too, but Terraform decides
    // what happens (it calls Stop, then Shutdown), so interrupts are only logged.
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("interrupt received; waiting for terraform to stop us");
        }
    });

    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(controller)
        .add_service(provider_service);
    let stop = async move { shutdown.notified().await };
    match tls {
        Some(acceptor) => {
            router
                .serve_with_incoming_shutdown(tls_incoming(listener, acceptor), stop)
                .await?
        }
        None => {
            let incoming = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                |tcp| tcp.and_then(without_nagle),
            );
            router.serve_with_incoming_shutdown(incoming, stop).await?
        }
    }
    tracing::debug!("plugin shut down");
    Ok(())
}

struct Controller(Arc<Notify>);

#[tonic::async_trait]
impl ctl::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _: tonic::Request<ctl::Empty>,
    ) -> Result<tonic::Response<ctl::Empty>, tonic::Status> {
        self.0.notify_one();
        Ok(tonic::Response::new(ctl::Empty {}))
    }
}

// ---------------------------------------------------------------- AutoMTLS

/// Builds our self-signed server certificate and a TLS acceptor that admits exactly
/// the client certificate Terraform handed us in PLUGIN_CLIENT_CERT.
fn auto_mtls(
    client_pem: &str,
) -> Result<(CertificateDer<'static>, tokio_rustls::TlsAcceptor), PluginError> {
    let client_cert = rustls_pemfile::certs(&mut client_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .ok_or(PluginError::BadClientCert)?;

    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = time_now();
    params.not_before = now - std::time::Duration::from_secs(30);
    params.not_after = now + std::time::Duration::from_secs(60 * 60 * 24 * 365);
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let cert_der = cert.der().clone();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedClientCert {
        expected: client_cert,
        algorithms: provider.signature_verification_algorithms,
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![cert_der.clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )?;
    let mut config = config;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((cert_der, tokio_rustls::TlsAcceptor::from(Arc::new(config))))
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Accepts exactly one client certificate, compared byte for byte. Terraform's client
/// certificate is a self-signed CA certificate, which standard path validation rejects
/// as an end-entity certificate, so pinning is both simpler and stricter.
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!("rejected a TLS client whose certificate is not terraform's");
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
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

/// Turns Nagle's algorithm off, as Go's net package does for every TCP connection. With it
/// on, a response written in two pieces (data, then trailers) waits for the client's delayed
/// ACK: about 40 ms per RPC. tonic sets this only on listeners it binds itself.
fn without_nagle(tcp: TcpStream) -> std::io::Result<TcpStream> {
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// A stream of TLS connections; a failed handshake is logged and skipped, so one bad
/// client cannot stop the server.
fn tls_incoming(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) -> tokio_stream::wrappers::ReceiverStream<Result<TlsConn, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener
                .accept()
                .await
                .and_then(|(tcp, peer)| without_nagle(tcp).map(|tcp| (tcp, peer)))
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(tls) => {
                        let _ = tx.send(Ok(TlsConn(tls))).await;
                    }
                    Err(e) => tracing::warn!(%peer, "TLS handshake failed: {e}"),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

pub(crate) struct TlsConn(tokio_rustls::server::TlsStream<TcpStream>);

impl Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
