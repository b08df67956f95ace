//! The real `terraform-provider-libvirt` binary started the way Terraform starts it:
//! go-plugin handshake on stdout, AutoMTLS with a client certificate like the one
//! Terraform generates (self-signed ECDSA CA certificate for "localhost"), then gRPC
//! calls to the provider, health and controller services over that TLS connection.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tfplugin::client::{self, Handshake};
use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::plugin::Empty;
use tfplugin::proto::tfplugin5::get_provider_schema;
use tfplugin::proto::tfplugin5::provider_client::ProviderClient;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-libvirt");
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Generous bound for process start-up and shutdown on a loaded 2-core machine.
const PATIENCE: Duration = Duration::from_secs(30);
/// Terraform's gRPC client accepts messages up to 64 MiB.
const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// A client certificate made the way go-plugin makes Terraform's: a self-signed CA
/// certificate for "localhost", valid for client and server auth.
struct ClientIdentity {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl ClientIdentity {
    fn generate(alg: &'static rcgen::SignatureAlgorithm) -> Self {
        let key = rcgen::KeyPair::generate_for(alg).expect("key pair");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
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
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).expect("self-signed certificate");
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }
}

/// A provider process started with Terraform's environment. Killed when dropped.
struct RunningProvider {
    child: Child,
    handshake: Handshake,
}

impl RunningProvider {
    async fn start(client: &ClientIdentity) -> Self {
        Self::start_offering(client, "5").await
    }

    /// Started with Terraform's offer of plugin protocol versions (e.g. "5,6").
    async fn start_offering(client: &ClientIdentity, versions: &str) -> Self {
        let mut child = Command::new(PROVIDER)
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", versions)
            .env("PLUGIN_CLIENT_CERT", &client.pem)
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("provider binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("handshake line within the time limit")
            .expect("stdout readable");
        Self {
            child,
            handshake: Handshake::parse(&line).expect("a go-plugin handshake line"),
        }
    }

    async fn channel(&self, client: &ClientIdentity) -> Result<Channel, tonic::transport::Error> {
        let config = client_tls_config(&self.handshake.server_cert, Some(client));
        client::mtls_channel(self.handshake.addr, config).await
    }

    async fn wait_for_exit(mut self) -> std::process::ExitStatus {
        tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("provider exits within the time limit")
            .expect("exit status")
    }
}

/// Terraform's side of the TLS connection (see `tfplugin::client`), presenting `client`'s
/// certificate or none.
fn client_tls_config(
    server_cert: &CertificateDer<'static>,
    client: Option<&ClientIdentity>,
) -> Arc<rustls::ClientConfig> {
    let identity = client.map(|c| (c.der.clone(), c.key.clone_key()));
    Arc::new(client::client_tls_config(server_cert, identity).expect("client TLS configuration"))
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("server name")
}

/// The TLS alert the server answers a client with, read after the client's side of
/// the handshake (with TLS 1.3 the server judges the client certificate after that).
async fn server_alert(
    provider: &RunningProvider,
    client: Option<&ClientIdentity>,
) -> rustls::AlertDescription {
    let connector = tokio_rustls::TlsConnector::from(client_tls_config(
        &provider.handshake.server_cert,
        client,
    ));
    let outcome = async {
        let tcp = tokio::net::TcpStream::connect(provider.handshake.addr).await?;
        let mut tls = connector.connect(localhost(), tcp).await?;
        let mut buf = [0u8; 1];
        tls.read(&mut buf).await
    };
    let result = tokio::time::timeout(PATIENCE, outcome)
        .await
        .expect("server answers within the time limit");
    let err = match result {
        Ok(n) => panic!("the server accepted the client and sent {n} bytes"),
        Err(e) => e,
    };
    match err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::AlertReceived(alert)) => *alert,
        _ => panic!("expected a TLS alert from the server, got {err:?}"),
    }
}

async fn get_schema(channel: Channel) -> Result<get_provider_schema::Response, tonic::Status> {
    ProviderClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .get_schema(get_provider_schema::Request {})
        .await
        .map(tonic::Response::into_inner)
}

/// The whole life of a provider process as Terraform drives it, with a client
/// certificate of the given algorithm.
async fn serves_schema_health_and_shuts_down(alg: &'static rcgen::SignatureAlgorithm) {
    let client = ClientIdentity::generate(alg);
    let provider = RunningProvider::start(&client).await;
    let hs = &provider.handshake;
    assert_eq!(
        (
            hs.core_version.as_str(),
            hs.app_version.as_str(),
            hs.network.as_str(),
            hs.protocol.as_str()
        ),
        ("1", "5", "tcp", "grpc"),
        "{hs:?}"
    );
    assert!(hs.addr.ip().is_loopback(), "listens on loopback: {hs:?}");

    let channel = provider.channel(&client).await.expect("mTLS connection");
    let schema = get_schema(channel.clone()).await.expect("GetSchema");
    for expected in ["libvirt_network", "libvirt_pool", "libvirt_volume"] {
        assert!(
            schema.resource_schemas.contains_key(expected),
            "GetSchema lacks {expected}: {:?}",
            schema.resource_schemas.keys()
        );
    }
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    let provider_block = schema
        .provider
        .and_then(|p| p.block)
        .expect("provider schema");
    assert!(
        provider_block.attributes.iter().any(|a| a.name == "uri"),
        "provider has a `uri` attribute"
    );

    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "plugin".to_string(),
        })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("controller Shutdown");
    let status = provider.wait_for_exit().await;
    assert!(
        status.success(),
        "provider exit status after Shutdown: {status}"
    );
}

#[tokio::test]
async fn p521_client_certificate_like_terraforms_is_accepted() {
    serves_schema_health_and_shuts_down(&rcgen::PKCS_ECDSA_P521_SHA512).await;
}

#[tokio::test]
async fn p256_client_certificate_is_accepted() {
    serves_schema_health_and_shuts_down(&rcgen::PKCS_ECDSA_P256_SHA256).await;
}

#[tokio::test]
async fn offered_versions_5_and_6_get_version_5() {
    let client = ClientIdentity::generate(&rcgen::PKCS_ECDSA_P256_SHA256);
    let provider = RunningProvider::start_offering(&client, "5,6").await;
    assert_eq!(provider.handshake.app_version, "5");
    let channel = provider.channel(&client).await.expect("mTLS connection");
    get_schema(channel).await.expect("GetSchema");
}

#[tokio::test]
async fn a_client_with_another_certificate_is_rejected_and_the_server_keeps_serving() {
    let terraform = ClientIdentity::generate(&rcgen::PKCS_ECDSA_P521_SHA512);
    let intruder = ClientIdentity::generate(&rcgen::PKCS_ECDSA_P521_SHA512);
    let provider = RunningProvider::start(&terraform).await;

    let alert = server_alert(&provider, Some(&intruder)).await;
    assert_eq!(alert, rustls::AlertDescription::AccessDenied);
    // Through gRPC the refusal shows when connecting or, at the latest, on the first call.
    let answered = match provider.channel(&intruder).await {
        Ok(channel) => get_schema(channel).await.is_ok(),
        Err(_) => false,
    };
    assert!(
        !answered,
        "a client with a certificate other than PLUGIN_CLIENT_CERT got an answer"
    );

    let channel = provider.channel(&terraform).await.expect("mTLS connection");
    let schema = get_schema(channel)
        .await
        .expect("GetSchema after rejected clients");
    assert!(schema.resource_schemas.contains_key("libvirt_network"));
}

#[tokio::test]
async fn a_client_without_a_certificate_is_rejected() {
    let terraform = ClientIdentity::generate(&rcgen::PKCS_ECDSA_P256_SHA256);
    let provider = RunningProvider::start(&terraform).await;
    let alert = server_alert(&provider, None).await;
    assert_eq!(alert, rustls::AlertDescription::CertificateRequired);
}

/// Runs the binary synchronously with the given environment changes; returns
/// (exit code, stdout, stderr).
fn run_without_terraform(envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = std::process::Command::new(PROVIDER);
    cmd.env_remove(MAGIC_COOKIE_KEY)
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("PLUGIN_PROTOCOL_VERSIONS")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("provider binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_the_magic_cookie_it_explains_itself_and_exits_1() {
    let (code, stdout, stderr) = run_without_terraform(&[]);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(stdout.is_empty(), "no handshake line: {stdout:?}");
    assert!(
        stderr.contains("This binary is a plugin") && stderr.contains("terraform"),
        "human explanation on stderr: {stderr:?}"
    );
}

#[test]
fn a_wrong_magic_cookie_is_treated_as_no_cookie() {
    let (code, stdout, stderr) = run_without_terraform(&[(MAGIC_COOKIE_KEY, "not-the-cookie")]);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(stdout.is_empty(), "no handshake line: {stdout:?}");
    assert!(stderr.contains("This binary is a plugin"), "{stderr:?}");
}

#[test]
fn no_common_protocol_version_is_an_error_naming_the_offer() {
    let (code, stdout, stderr) = run_without_terraform(&[
        (MAGIC_COOKIE_KEY, MAGIC_COOKIE),
        ("PLUGIN_PROTOCOL_VERSIONS", "4,6"),
    ]);
    assert_ne!(code, Some(0), "stderr: {stderr}");
    assert!(stdout.is_empty(), "no handshake line: {stdout:?}");
    assert!(
        stderr.contains("4,6") && stderr.contains("version 5"),
        "names the offered versions and ours: {stderr:?}"
    );
}
