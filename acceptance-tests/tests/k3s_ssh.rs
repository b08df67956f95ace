//! `k3s_server` and `k3s_agent` through the real terraform CLI against real OpenSSH servers
//! on loopback. Each sshd runs in its own mount namespace with private `/etc/rancher`,
//! `/var/lib/rancher` and `/usr/local/bin`, so the machine stays untouched; the k3s
//! installer is a stand-in that records how it was run (no k3s binary can be fetched
//! here), the way the real air-gapped `install.sh` is run. Destroy drains the node through
//! the API stand-in, then runs the uninstall script the installer left.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use acceptance_tests::k3s::{assert_drained, cluster_with_standin};
use acceptance_tests::sshd::{Sshd, SshdOptions};

/// What install.sh leaves on a real machine, recorded instead of done.
const STANDIN_INSTALLER: &str = r#"#!/bin/sh
# Stand-in for k3s's install.sh: records its environment and what the bootstrap wrote.
set -eu
log="$(dirname "$0")/calls.log"
role="${INSTALL_K3S_EXEC%% *}"
{
  echo "install role=$role skip_download=${INSTALL_K3S_SKIP_DOWNLOAD:-} exec=${INSTALL_K3S_EXEC:-}"
  echo "  config: $(stat -c %a /etc/rancher/k3s/config.yaml) $(grep -c . /etc/rancher/k3s/config.yaml) lines"
  if [ -d /var/lib/rancher/k3s/server/tls ]; then
    echo "  tls: $(cd /var/lib/rancher/k3s/server/tls && find . -type f | sort | tr '\n' ' ')"
  fi
  echo "  binary: $(/usr/local/bin/k3s --version)"
} >>"$log"
if [ "$role" = agent ]; then uninstall=k3s-agent-uninstall.sh; else uninstall=k3s-uninstall.sh; fi
printf '#!/bin/sh\necho "uninstall %s" >>%s\nrm -f /usr/local/bin/%s\n' "$role" "$log" "$uninstall" >/usr/local/bin/$uninstall
chmod 0755 /usr/local/bin/$uninstall
"#;

const PRIVATE_DIRS: [&str; 3] = ["/etc/rancher", "/var/lib/rancher", "/usr/local/bin"];

fn isolated_sshd(address: Ipv4Addr) -> Sshd {
    Sshd::start_with(SshdOptions {
        listen_address: address,
        private_dirs: PRIVATE_DIRS.iter().map(PathBuf::from).collect(),
        ..SshdOptions::default()
    })
}

/// The air-gap files: a k3s "binary" and the stand-in installer, in a directory both
/// sshds see (only the private directories differ between them).
fn airgap_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("k3s-airgap")
        .tempdir()
        .expect("airgap dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("airgap file");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
    };
    write(
        "k3s",
        "#!/bin/sh\necho 'k3s version v1.31.4+k3s1 (stand-in)'\n",
    );
    write("install.sh", STANDIN_INSTALLER);
    dir
}

fn ssh_block(sshd: &Sshd, extra: &str) -> String {
    format!(
        r#"  ssh {{
    host                  = "{}"
    port                  = {}
    private_key           = file("{}")
    host_key_fingerprints = ["{}"]
    retry_for             = "20s"
{extra}  }}
"#,
        sshd.host(),
        sshd.port(),
        sshd.client_key_path().display(),
        sshd.host_key_fingerprint(),
    )
}

fn nodes_hcl(server: &Sshd, agent: &Sshd, airgap: &Path, label: &str) -> String {
    let airgap_block = format!(
        "  airgap {{\n    binary_path         = \"{0}/k3s\"\n    install_script_path = \"{0}/install.sh\"\n  }}\n",
        airgap.display()
    );
    format!(
        r#"
resource "k3s_server" "first" {{
  token            = k3s_cluster.lab.token
  server_tls_files = k3s_cluster.lab.server_tls_files
  cluster_init     = true
  kubeconfig       = k3s_cluster.lab.kubeconfig
{server_ssh}
  config {{
    node_name   = "server-1"
    node_labels = {{ "tier" = "{label}" }}
    disable     = ["traefik"]
  }}
{airgap_block}}}

resource "k3s_agent" "worker" {{
  token      = k3s_cluster.lab.token
  server_url = "https://{server_host}:6443"
  kubeconfig = k3s_cluster.lab.kubeconfig
{agent_ssh}
  config {{
    node_name = "worker-1"
  }}
{airgap_block}}}
"#,
        server_ssh = ssh_block(server, ""),
        server_host = server.host(),
        agent_ssh = ssh_block(
            agent,
            &format!(
                "    bastion {{\n      host                  = \"{}\"\n      port                  = {}\n      private_key           = file(\"{}\")\n      host_key_fingerprints = [\"{}\"]\n    }}\n",
                server.host(),
                server.port(),
                server.client_key_path().display(),
                server.host_key_fingerprint()
            )
        ),
    )
}

/// The `elapsed_ms` of each "k3s installed" event in the provider's log.
fn install_times_ms(log: &str) -> Vec<u64> {
    log.lines()
        .filter(|line| line.contains("k3s installed"))
        .filter_map(|line| {
            let at = line.find("elapsed_ms")?;
            line[at..]
                .split(|c: char| !c.is_ascii_digit())
                .find(|s| !s.is_empty())?
                .parse()
                .ok()
        })
        .collect()
}

fn calls(airgap: &Path) -> String {
    std::fs::read_to_string(airgap.join("calls.log")).unwrap_or_default()
}

#[test]
fn servers_and_agents_install_over_ssh_upgrade_in_place_and_drain_on_destroy() {
    let server = isolated_sshd(Ipv4Addr::LOCALHOST);
    let agent = isolated_sshd(Ipv4Addr::new(127, 0, 0, 2));
    let airgap = airgap_dir();
    let (tf, standin) = cluster_with_standin();
    // Info logs carry the provider's per-host install time.
    let tf = tf.with_env("TF_LOG_PROVIDER", "INFO");
    standin.set_ready(true);
    standin.add_node("server-1", true);
    standin.add_node("worker-1", true);

    tf.write_main_tf(&format!(
        "{}{}",
        acceptance_tests::k3s::CLUSTER_HCL,
        nodes_hcl(&server, &agent, airgap.path(), "blue")
    ))
    .expect("main.tf");
    let started = Instant::now();
    let applied = tf.apply().expect("apply nodes over SSH");
    eprintln!(
        "SSH bootstrap of 2 hosts (one through a bastion), one apply: {:.2} s; per host (connect, upload, install): {:?} ms",
        started.elapsed().as_secs_f64(),
        install_times_ms(&applied.stderr)
    );
    let log = calls(airgap.path());
    assert!(
        log.contains("install role=server skip_download=true exec=server"),
        "server install not recorded:\n{log}"
    );
    assert!(
        log.contains("install role=agent skip_download=true exec=agent"),
        "agent install not recorded:\n{log}"
    );
    assert!(
        log.contains("config: 600"),
        "config.yaml not private:\n{log}"
    );
    assert!(
        log.contains("server-ca.key"),
        "CA files not uploaded:\n{log}"
    );
    assert!(
        log.contains("k3s version v1.31.4+k3s1"),
        "binary not installed:\n{log}"
    );
    let config = server.exec("cat /etc/rancher/k3s/config.yaml");
    assert!(config.contains("cluster-init: true"), "{config}");
    assert!(config.contains("tier=blue"), "{config}");
    assert!(
        agent
            .exec("test -e /var/lib/rancher/k3s/server && echo server-files || echo none")
            .trim()
            == "none",
        "an agent must not receive the CA keys"
    );
    assert!(
        agent.log().contains("Accepted publickey"),
        "agent sshd saw no login"
    );
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan not empty"
    );

    // A configuration change re-runs the installer on that host only (upgrade in place).
    tf.write_main_tf(&format!(
        "{}{}",
        acceptance_tests::k3s::CLUSTER_HCL,
        nodes_hcl(&server, &agent, airgap.path(), "green")
    ))
    .expect("main.tf");
    let started = Instant::now();
    tf.apply().expect("apply changed labels");
    eprintln!(
        "SSH re-install of 1 host: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let log = calls(airgap.path());
    assert_eq!(log.matches("install role=server").count(), 2, "{log}");
    assert_eq!(log.matches("install role=agent").count(), 1, "{log}");
    assert!(server
        .exec("cat /etc/rancher/k3s/config.yaml")
        .contains("tier=green"));

    tf.destroy().expect("destroy");
    let log = calls(airgap.path());
    assert!(
        log.contains("uninstall server"),
        "server not uninstalled:\n{log}"
    );
    assert!(
        log.contains("uninstall agent"),
        "agent not uninstalled:\n{log}"
    );
    assert_drained(&standin, "worker-1");
}

#[test]
fn an_unreachable_host_fails_naming_it_and_stays_recorded_nowhere() {
    let airgap = airgap_dir();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port(); // bound then dropped: nothing listens there
    let hcl = format!(
        r#"{}
resource "k3s_cluster" "lab" {{
  name       = "lost"
  server_url = "https://127.0.0.1:6443"
}}

resource "k3s_agent" "lost" {{
  token      = k3s_cluster.lab.token
  server_url = "https://127.0.0.1:6443"
  ssh {{
    host                     = "127.0.0.1"
    port                     = {closed}
    insecure_ignore_host_key = true
    agent                    = false
    private_key              = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-used\n-----END OPENSSH PRIVATE KEY-----\n"
    retry_for                = "2s"
    connect_timeout          = "1s"
  }}
  airgap {{
    binary_path         = "{1}/k3s"
    install_script_path = "{1}/install.sh"
  }}
}}
"#,
        acceptance_tests::k3s::PROVIDERS_HCL,
        airgap.path().display()
    );
    let tf = acceptance_tests::Terraform::on_host(&hcl, &[acceptance_tests::LocalProvider::K3s])
        .expect("terraform workspace");
    let out = tf
        .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .expect("apply");
    assert_eq!(out.code, Some(1), "apply should fail:\n{}", out.stdout);
    assert!(
        out.stderr.contains(&format!("127.0.0.1:{closed}")),
        "the error should name the host:\n{}",
        out.stderr
    );
    // Connecting failed before anything was installed, so nothing is left in state.
    let state = tf.run(&["state", "list"]).expect("state list");
    assert!(!state.stdout.contains("k3s_agent.lost"), "{}", state.stdout);
}
