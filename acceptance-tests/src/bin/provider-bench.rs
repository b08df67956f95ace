//! Provider benchmark: prints figures with a baseline measured in the same run.
//!
//! 1. start-to-handshake time of the release `terraform-provider-libvirt` (Terraform's
//!    environment and a P-521 client certificate) vs spawn+exit of `/bin/true`;
//! 2. GetSchema over mTLS: latency and encoded response size;
//! 3. `terraform apply` / `plan` / `destroy` of 100 `libvirt_volume` + 20 `libvirt_network`
//!    vs 120 built-in `terraform_data` in the same private libvirtd sandbox;
//! 4. RelaxNG coverage of the generated schemas.
//!
//! Run with `make bench-provider`. The provider is taken from `KVMCLOUD_PROVIDER_DIR`, else from
//! the directory of this binary (the release build when started by the make target).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};

use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};

const HANDSHAKE_RUNS: usize = 20;
const CONNECT_RUNS: usize = 20;
const GET_SCHEMA_CALLS: usize = 50;
/// apply/plan/destroy cycles per configuration; a cycle of the libvirt config takes seconds.
const TERRAFORM_ROUNDS: usize = 5;
/// Terraform's default, passed explicitly so the printed figure is the one used.
const TERRAFORM_PARALLELISM: usize = 10;
const VOLUMES: usize = 100;
const NETWORKS: usize = 20;
const TARGET_RATIO: f64 = 1.5;

fn main() -> Result<()> {
    let provider_dir = provider_dir()?;
    // The harness reads the override dir from this variable; set before any thread starts.
    std::env::set_var("KVMCLOUD_PROVIDER_DIR", &provider_dir);
    let provider = provider_dir.join(LocalProvider::Libvirt.binary_name());
    ensure!(
        provider.is_file(),
        "provider binary {} not found: run `cargo build --release -p terraform-provider-libvirt` \
         (or set KVMCLOUD_PROVIDER_DIR)",
        provider.display()
    );
    println!("provider: {}", provider.display());

    let client = plugin::ClientIdentity::generate()?;
    let mut table = report::Table::default();

    eprintln!("[1/4] start-to-handshake ({HANDSHAKE_RUNS} runs each)");
    // Interleaved, so a busy moment of the machine hits the provider and the baseline alike.
    let (mut handshake, mut spawn_true) = (Vec::new(), Vec::new());
    for _ in 0..HANDSHAKE_RUNS {
        handshake.push(plugin::ProviderProcess::start(&provider, &client)?.started_in);
        spawn_true.push(spawn_and_exit("/bin/true")?);
    }
    let (handshake, spawn_true) = (
        stats::Samples::from_vec(handshake),
        stats::Samples::from_vec(spawn_true),
    );
    table.timing("spawn + exit of /bin/true (baseline)", &spawn_true, None);
    table.timing(
        "provider start to handshake line",
        &handshake,
        Some(("vs /bin/true", &spawn_true)),
    );

    eprintln!("[2/4] GetSchema over mTLS ({GET_SCHEMA_CALLS} calls)");
    let schema = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(grpc::measure_get_schema(&provider, &client))?;
    table.timing(
        &format!("mTLS connect (TCP + TLS 1.3 + HTTP/2), {CONNECT_RUNS} channels"),
        &schema.connect,
        None,
    );
    table.timing("GetSchema call on an open channel", &schema.calls, None);
    table.value(
        "GetSchema response size (prost encoded_len)",
        format!("{} bytes", schema.response_bytes),
    );

    eprintln!(
        "[3/4] terraform: {VOLUMES} libvirt_volume + {NETWORKS} libvirt_network vs {} terraform_data",
        VOLUMES + NETWORKS
    );
    let load = terraform_load::run()?;
    load.report(&mut table);

    eprintln!("[4/4] RelaxNG coverage");
    coverage::report(&mut table)?;

    println!();
    println!("{}", table.render());
    Ok(())
}

/// `KVMCLOUD_PROVIDER_DIR`, else the directory of this executable (target/release under make).
fn provider_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("KVMCLOUD_PROVIDER_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().context("locating the provider-bench executable")?;
    exe.parent()
        .map(Path::to_path_buf)
        .context("provider-bench executable has no parent directory")
}

fn spawn_and_exit(program: &str) -> Result<Duration> {
    let start = Instant::now();
    let status = std::process::Command::new(program)
        .status()
        .with_context(|| format!("running {program}"))?;
    let elapsed = start.elapsed();
    ensure!(status.success(), "{program} failed: {status}");
    Ok(elapsed)
}

mod stats {
    use std::time::Duration;

    /// Repeated measurements of one figure.
    pub struct Samples(Vec<Duration>);

    impl Samples {
        pub fn from_vec(samples: Vec<Duration>) -> Self {
            Samples(samples)
        }

        pub fn len(&self) -> usize {
            self.0.len()
        }

        pub fn median(&self) -> Duration {
            self.percentile(50)
        }

        pub fn p90(&self) -> Duration {
            self.percentile(90)
        }

        /// Nearest-rank percentile.
        fn percentile(&self, pct: usize) -> Duration {
            let mut sorted = self.0.clone();
            sorted.sort();
            let rank = (pct * sorted.len()).div_ceil(100).max(1);
            sorted[rank - 1]
        }
    }

    /// `a / b` of two durations.
    pub fn ratio(a: Duration, b: Duration) -> f64 {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

/// Starting the provider the way Terraform does, and talking to it over mTLS.
mod plugin {
    use std::io::{BufRead, BufReader};
    use std::net::SocketAddr;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use anyhow::{bail, Context, Result};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tfplugin::client::Handshake;

    const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
    const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

    /// A client certificate made like go-plugin makes Terraform's: self-signed ECDSA P-521
    /// CA certificate for "localhost", valid for client and server auth.
    pub struct ClientIdentity {
        pub pem: String,
        pub der: CertificateDer<'static>,
        pub key: PrivateKeyDer<'static>,
    }

    impl ClientIdentity {
        pub fn generate() -> Result<Self> {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512)?;
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
                rcgen::ExtendedKeyUsagePurpose::ClientAuth,
                rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            ];
            let cert = params.self_signed(&key)?;
            Ok(Self {
                pem: cert.pem(),
                der: cert.der().clone(),
                key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            })
        }
    }

    /// A provider process that printed its handshake line; killed when dropped.
    pub struct ProviderProcess {
        child: Child,
        pub started_in: Duration,
        pub addr: SocketAddr,
        pub server_cert: CertificateDer<'static>,
    }

    impl ProviderProcess {
        /// Spawns `binary` with Terraform's environment and waits for its handshake line.
        pub fn start(binary: &Path, client: &ClientIdentity) -> Result<Self> {
            let start = Instant::now();
            let mut child = Command::new(binary)
                .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE)
                .env("PLUGIN_PROTOCOL_VERSIONS", "5")
                .env("PLUGIN_CLIENT_CERT", &client.pem)
                .env_remove("TF_LOG")
                .env_remove("TF_LOG_PROVIDER")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .with_context(|| format!("starting {}", binary.display()))?;
            let stdout = child.stdout.take().context("provider stdout is piped")?;
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line);
            let started_in = start.elapsed();
            let mut process = ProviderProcess {
                child,
                started_in,
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                server_cert: CertificateDer::from(Vec::new()),
            };
            read.context("reading the provider's handshake line")?;
            if line.is_empty() {
                bail!(
                    "{} closed stdout without printing a handshake line",
                    binary.display()
                );
            }
            let handshake = Handshake::parse(&line)?;
            let shape = (
                handshake.core_version.as_str(),
                handshake.app_version.as_str(),
                handshake.network.as_str(),
                handshake.protocol.as_str(),
            );
            if shape != ("1", "5", "tcp", "grpc") {
                bail!("handshake line {line:?} is not `1|5|tcp|ADDR|grpc|CERT`");
            }
            (process.addr, process.server_cert) = (handshake.addr, handshake.server_cert);
            Ok(process)
        }
    }

    impl Drop for ProviderProcess {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// gRPC over the provider's mTLS listener.
mod grpc {
    use std::net::SocketAddr;
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Instant;

    use anyhow::{Context, Result};
    use rustls::pki_types::CertificateDer;
    use tfplugin::client;
    use tfplugin::proto::tfplugin5::get_provider_schema;
    use tfplugin::proto::tfplugin5::provider_client::ProviderClient;
    use tonic::transport::Channel;

    use crate::plugin::{ClientIdentity, ProviderProcess};
    use crate::stats::Samples;
    use crate::{CONNECT_RUNS, GET_SCHEMA_CALLS};

    /// Terraform's gRPC client accepts messages up to 64 MiB.
    const MAX_MESSAGE_BYTES: usize = 64 << 20;

    pub struct SchemaFigures {
        pub connect: Samples,
        pub calls: Samples,
        pub response_bytes: usize,
    }

    /// Connects `CONNECT_RUNS` times, then times `GET_SCHEMA_CALLS` GetSchema calls on one
    /// channel (after one warm-up call whose answer gives the size).
    pub async fn measure_get_schema(
        binary: &Path,
        client: &ClientIdentity,
    ) -> Result<SchemaFigures> {
        let process = ProviderProcess::start(binary, client)?;
        let connector = Arc::new(tls_config(&process.server_cert, client)?);
        let mut connect = Vec::with_capacity(CONNECT_RUNS);
        let mut channel = None;
        for _ in 0..CONNECT_RUNS {
            let start = Instant::now();
            let opened = mtls_channel(process.addr, connector.clone()).await?;
            connect.push(start.elapsed());
            channel = Some(opened);
        }
        let mut provider = ProviderClient::new(channel.context("no channel opened")?)
            .max_decoding_message_size(MAX_MESSAGE_BYTES);
        let warm_up = get_schema(&mut provider).await?;
        let response_bytes = prost::Message::encoded_len(&warm_up);
        let mut calls = Vec::with_capacity(GET_SCHEMA_CALLS);
        for _ in 0..GET_SCHEMA_CALLS {
            let start = Instant::now();
            get_schema(&mut provider).await?;
            calls.push(start.elapsed());
        }
        Ok(SchemaFigures {
            connect: Samples::from_vec(connect),
            calls: Samples::from_vec(calls),
            response_bytes,
        })
    }

    async fn get_schema(
        provider: &mut ProviderClient<Channel>,
    ) -> Result<get_provider_schema::Response> {
        let response = provider
            .get_schema(get_provider_schema::Request {})
            .await
            .context("GetSchema")?
            .into_inner();
        Ok(response)
    }

    fn tls_config(
        server_cert: &CertificateDer<'static>,
        client: &ClientIdentity,
    ) -> Result<rustls::ClientConfig> {
        let identity = (client.der.clone(), client.key.clone_key());
        client::client_tls_config(server_cert, Some(identity))
            .context("client certificate refused by rustls")
    }

    /// A fresh gRPC channel (TCP, TLS handshake, HTTP/2) to `addr`.
    async fn mtls_channel(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> Result<Channel> {
        client::mtls_channel(addr, config)
            .await
            .with_context(|| format!("mTLS connection to the provider at {addr}"))
    }
}

/// terraform apply/plan/destroy of libvirt resources vs `terraform_data` in one sandbox.
mod terraform_load {
    use std::io::Write;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    use anyhow::{ensure, Context, Result};

    use crate::report::Table;
    use crate::stats::{ratio, Samples};
    use crate::{
        unique_name, LocalProvider, Sandbox, Terraform, NETWORKS, TARGET_RATIO,
        TERRAFORM_PARALLELISM, TERRAFORM_ROUNDS, VOLUMES,
    };

    const POOL: &str = "bench-pool";
    const POOL_DIR: &str = "/var/lib/libvirt/bench-pool";

    /// Timings of one configuration over all rounds.
    #[derive(Default)]
    struct Cycles {
        apply: Vec<Duration>,
        plan: Vec<Duration>,
        destroy: Vec<Duration>,
    }

    /// The same libvirt work without Terraform or the provider: libvirt's own share.
    #[derive(Default)]
    struct VirshFloor {
        create: Vec<Duration>,
        delete: Vec<Duration>,
    }

    pub struct LoadFigures {
        libvirt: Cycles,
        builtin: Cycles,
        virsh: VirshFloor,
    }

    pub fn run() -> Result<LoadFigures> {
        let sandbox = Sandbox::start(&unique_name("provider-bench"))?;
        create_pool(&sandbox)?;
        let libvirt = Terraform::new(&sandbox, &libvirt_config(), &[LocalProvider::Libvirt])?;
        let builtin = Terraform::new(&sandbox, &terraform_data_config(), &[])?;
        let network_xml = NetworkXmlFiles::write()?;
        let mut figures = LoadFigures {
            libvirt: Cycles::default(),
            builtin: Cycles::default(),
            virsh: VirshFloor::default(),
        };
        // Interleaved, so a slow phase of the machine hits both configurations alike.
        for round in 1..=TERRAFORM_ROUNDS {
            eprintln!("  round {round}/{TERRAFORM_ROUNDS}: libvirt");
            cycle(&libvirt, &mut figures.libvirt)?;
            expect_libvirt_empty(&sandbox, false)?;
            eprintln!("  round {round}/{TERRAFORM_ROUNDS}: terraform_data");
            cycle(&builtin, &mut figures.builtin)?;
            eprintln!("  round {round}/{TERRAFORM_ROUNDS}: virsh");
            figures
                .virsh
                .create
                .push(virsh_batch(&sandbox, &network_xml.create_commands())?);
            figures
                .virsh
                .delete
                .push(virsh_batch(&sandbox, &delete_commands())?);
            expect_libvirt_empty(&sandbox, false)?;
        }
        delete_pool(&sandbox)?;
        expect_libvirt_empty(&sandbox, true)?;
        sandbox.stop()?;
        Ok(figures)
    }

    /// apply, an empty second plan, destroy; each timed and each required to exit 0 (for the
    /// plan, with `-detailed-exitcode`, 0 means no changes).
    fn cycle(tf: &Terraform, cycles: &mut Cycles) -> Result<()> {
        let parallelism = format!("-parallelism={TERRAFORM_PARALLELISM}");
        let common = ["-input=false", "-no-color", parallelism.as_str()];
        let timed = |args: &[&str], failure: &str| -> Result<Duration> {
            let start = Instant::now();
            let output = tf.run(&[args, &common[..]].concat())?;
            let elapsed = start.elapsed();
            ensure!(
                output.success(),
                "`{}` {failure} ({}):\n{}\n{}",
                output.command,
                output.code.map_or("killed".into(), |c| format!("exit {c}")),
                output.stdout,
                output.stderr
            );
            Ok(elapsed)
        };
        cycles
            .apply
            .push(timed(&["apply", "-auto-approve"], "failed")?);
        cycles.plan.push(timed(
            &["plan", "-detailed-exitcode"],
            "failed or the plan after apply is not empty",
        )?);
        cycles
            .destroy
            .push(timed(&["destroy", "-auto-approve"], "failed")?);
        Ok(())
    }

    /// Network definitions as files for `virsh net-define`, equal to what the provider defines.
    struct NetworkXmlFiles(tempfile::TempDir);

    impl NetworkXmlFiles {
        fn write() -> Result<Self> {
            let dir = tempfile::Builder::new()
                .prefix("provider-bench-")
                .tempdir()?;
            for i in 0..NETWORKS {
                let xml = format!(
                    "<network><name>bench-net-{i}</name><bridge name='bnbr{i}'/>\
                     <ip address='10.201.{i}.1' prefix='24'/></network>\n"
                );
                std::fs::write(dir.path().join(format!("net{i}.xml")), xml)?;
            }
            Ok(Self(dir))
        }

        /// Define and start every network, then create every volume.
        fn create_commands(&self) -> String {
            let networks = (0..NETWORKS).map(|i| {
                let file = self.0.path().join(format!("net{i}.xml"));
                format!("net-define {}\nnet-start bench-net-{i}\n", file.display())
            });
            let volumes =
                (0..VOLUMES).map(|i| format!("vol-create-as {POOL} vol-{i}.raw 1M --format raw\n"));
            networks.chain(volumes).collect()
        }
    }

    fn delete_commands() -> String {
        let networks = (0..NETWORKS)
            .map(|i| format!("net-destroy bench-net-{i}\nnet-undefine bench-net-{i}\n"));
        let volumes = (0..VOLUMES).map(|i| format!("vol-delete --pool {POOL} vol-{i}.raw\n"));
        networks.chain(volumes).collect()
    }

    /// Runs `commands` in one virsh session (one connection, one command after the other).
    fn virsh_batch(sandbox: &Sandbox, commands: &str) -> Result<Duration> {
        let mut virsh = sandbox.command("virsh");
        virsh
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = virsh.spawn().context("starting virsh in the sandbox")?;
        child
            .stdin
            .take()
            .context("virsh stdin is piped")?
            .write_all(commands.as_bytes())?;
        let output = child.wait_with_output()?;
        let elapsed = start.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        // virsh goes on after a failed command, so its errors are found on stderr.
        ensure!(
            output.status.success() && !stderr.contains("error"),
            "virsh batch failed: {stderr}"
        );
        Ok(elapsed)
    }

    fn virsh(sandbox: &Sandbox, args: &[&str]) -> Result<String> {
        let output = sandbox.virsh(args)?.into_success()?;
        Ok(output.stdout)
    }

    /// A dir pool made with virsh, so both configurations hold exactly 120 independent resources.
    fn create_pool(sandbox: &Sandbox) -> Result<()> {
        virsh(
            sandbox,
            &["pool-define-as", POOL, "dir", "--target", POOL_DIR],
        )?;
        virsh(sandbox, &["pool-build", POOL])?;
        virsh(sandbox, &["pool-start", POOL])?;
        Ok(())
    }

    fn delete_pool(sandbox: &Sandbox) -> Result<()> {
        virsh(sandbox, &["pool-destroy", POOL])?;
        virsh(sandbox, &["pool-delete", POOL])?;
        virsh(sandbox, &["pool-undefine", POOL])?;
        Ok(())
    }

    /// No volume and no network left (and, once the pool is gone, no pool either).
    fn expect_libvirt_empty(sandbox: &Sandbox, pool_deleted: bool) -> Result<()> {
        let networks = virsh(sandbox, &["net-list", "--all", "--name"])?;
        ensure!(
            networks.trim().is_empty(),
            "networks left after destroy: {networks}"
        );
        if pool_deleted {
            let pools = virsh(sandbox, &["pool-list", "--all", "--name"])?;
            ensure!(pools.trim().is_empty(), "pools left: {pools}");
        } else {
            virsh(sandbox, &["pool-refresh", POOL])?;
            let volumes = virsh(sandbox, &["vol-list", POOL])?;
            let count = volumes.lines().skip(2).filter(|l| !l.trim().is_empty());
            ensure!(count.count() == 0, "volumes left after destroy: {volumes}");
            let files = sandbox.exec("ls", ["-A", POOL_DIR])?.into_success()?;
            ensure!(
                files.stdout.trim().is_empty(),
                "files left in {POOL_DIR}: {}",
                files.stdout
            );
        }
        Ok(())
    }

    fn libvirt_config() -> String {
        format!(
            r#"terraform {{
  required_providers {{
    libvirt = {{ source = "kvmcloud/libvirt" }}
  }}
}}

resource "libvirt_volume" "v" {{
  count = {VOLUMES}
  pool  = "{POOL}"
  name  = "vol-${{count.index}}.raw"
  capacity {{
    value = 1
    unit  = "MiB"
  }}
  target {{
    format {{
      type = "raw"
    }}
  }}
}}

# Isolated networks: distinct names, bridges and /24 subnets.
resource "libvirt_network" "n" {{
  count = {NETWORKS}
  name  = "bench-net-${{count.index}}"
  bridge {{
    name = "bnbr${{count.index}}"
  }}
  ip {{
    address = "10.201.${{count.index}}.1"
    prefix  = 24
  }}
}}
"#
        )
    }

    fn terraform_data_config() -> String {
        format!(
            r#"resource "terraform_data" "v" {{
  count = {VOLUMES}
  input = "vol-${{count.index}}"
}}

resource "terraform_data" "n" {{
  count = {NETWORKS}
  input = "net-${{count.index}}"
}}
"#
        )
    }

    impl LoadFigures {
        pub fn report(&self, table: &mut Table) {
            let resources = VOLUMES + NETWORKS;
            table.value(
                "terraform -parallelism",
                format!("{TERRAFORM_PARALLELISM} (terraform's default)"),
            );
            for (phase, libvirt, builtin, target) in [
                ("apply", &self.libvirt.apply, &self.builtin.apply, true),
                ("plan", &self.libvirt.plan, &self.builtin.plan, true),
                (
                    "destroy",
                    &self.libvirt.destroy,
                    &self.builtin.destroy,
                    false,
                ),
            ] {
                let builtin = Samples::from_vec(builtin.clone());
                let libvirt = Samples::from_vec(libvirt.clone());
                table.timing(
                    &format!("terraform {phase}: {resources} terraform_data (baseline)"),
                    &builtin,
                    None,
                );
                let label = format!(
                    "terraform {phase}: {VOLUMES} libvirt_volume + {NETWORKS} libvirt_network"
                );
                let versus = if target {
                    let verdict = if ratio(libvirt.median(), builtin.median()) <= TARGET_RATIO {
                        "meets"
                    } else {
                        "MISSES"
                    };
                    format!("{phase}_ratio ({verdict} target <= {TARGET_RATIO})")
                } else {
                    format!("{phase}_ratio (no target)")
                };
                table.timing(&label, &libvirt, Some((&versus, &builtin)));
            }
            self.report_libvirt_share(table);
        }

        /// How much of apply and destroy is libvirt's own work, and what remains for
        /// Terraform, the protocol and the provider.
        fn report_libvirt_share(&self, table: &mut Table) {
            for (phase, virsh, libvirt, builtin) in [
                (
                    "apply",
                    &self.virsh.create,
                    &self.libvirt.apply,
                    &self.builtin.apply,
                ),
                (
                    "destroy",
                    &self.virsh.delete,
                    &self.libvirt.destroy,
                    &self.builtin.destroy,
                ),
            ] {
                let virsh = Samples::from_vec(virsh.clone());
                table.timing(
                    &format!(
                        "same libvirt work as {phase}, one virsh session, sequential (libvirt's own time)"
                    ),
                    &virsh,
                    None,
                );
                let rest = Samples::from_vec(libvirt.clone())
                    .median()
                    .saturating_sub(virsh.median());
                let builtin = Samples::from_vec(builtin.clone()).median();
                table.value(
                    &format!("terraform {phase} minus libvirt's own time (medians)"),
                    format!(
                        "{} = {:.2} x terraform_data {phase}",
                        crate::report::format_duration(rest),
                        ratio(rest, builtin)
                    ),
                );
            }
        }
    }
}

/// Element and attribute coverage of libvirt's RelaxNG grammars by the generated schemas.
mod coverage {
    use anyhow::{Context, Result};
    use serde_json::Value;

    use crate::report::Table;

    /// Document roots in the order they are reported, with the schema they come from.
    const ROOTS: [(&str, &str); 4] = [
        ("network", "network"),
        ("pool", "storagepool"),
        ("volume", "storagevol"),
        ("domain", "domain"),
    ];

    pub fn report(table: &mut Table) -> Result<()> {
        let path = crate::workspace_root().join("provider/libvirt-schema/generated/coverage.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let json: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let documents = json["documents"]
            .as_array()
            .with_context(|| format!("{}: no `documents` array", path.display()))?;
        for (root, schema) in ROOTS {
            let document = documents
                .iter()
                .find(|d| d["root"] == root)
                .with_context(|| format!("{}: no document with root {root:?}", path.display()))?;
            table.value(
                &format!("RNG coverage {schema}.rng"),
                format!(
                    "elements {}, attributes {}",
                    counts(&document["elements"])
                        .with_context(|| format!("{root}: `elements` counts"))?,
                    counts(&document["attributes"])
                        .with_context(|| format!("{root}: `attributes` counts"))?
                ),
            );
        }
        Ok(())
    }

    /// "99.7% (627/629)".
    fn counts(value: &Value) -> Option<String> {
        Some(format!(
            "{}% ({}/{})",
            value["percent"].as_f64()?,
            value["represented"].as_u64()?,
            value["reachable"].as_u64()?
        ))
    }
}

/// The printed table (markdown, so it can go into BENCHMARKS.md as it is).
mod report {
    use std::time::Duration;

    use crate::stats::{ratio, Samples};

    #[derive(Default)]
    pub struct Table {
        rows: Vec<[String; 5]>,
    }

    impl Table {
        /// A timed figure; `versus` names a baseline whose median gives the ratio.
        pub fn timing(&mut self, label: &str, samples: &Samples, versus: Option<(&str, &Samples)>) {
            let ratio = versus
                .map(|(name, base)| format!("{:.2} {name}", ratio(samples.median(), base.median())))
                .unwrap_or_default();
            self.rows.push([
                label.to_string(),
                samples.len().to_string(),
                format_duration(samples.median()),
                format_duration(samples.p90()),
                ratio,
            ]);
        }

        /// A figure that is not a timing.
        pub fn value(&mut self, label: &str, value: String) {
            self.rows.push([
                label.to_string(),
                String::new(),
                value,
                String::new(),
                String::new(),
            ]);
        }

        pub fn render(&self) -> String {
            let header = ["figure", "n", "median / value", "p90", "ratio (medians)"];
            let mut out = format!("| {} |\n", header.join(" | "));
            out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
            for row in &self.rows {
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
            out
        }
    }

    pub fn format_duration(d: Duration) -> String {
        let secs = d.as_secs_f64();
        if secs >= 1.0 {
            format!("{secs:.2} s")
        } else if secs >= 0.001 {
            format!("{:.2} ms", secs * 1e3)
        } else {
            format!("{:.1} µs", secs * 1e6)
        }
    }
}

/// Root of the Cargo workspace (this crate sits one level below it).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
