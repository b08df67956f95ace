//! What only a real k3s can prove: k3s starts with the CA set `k3s_cluster` generated, so
//! the kubeconfig known before boot works; `k3s_ready` sees the node Ready; `k3s_manifest`
//! applies against the real API server; destroy drains, deletes and uninstalls.
//!
//! Ignored by default (no k3s binary can be fetched on CI machines); `make testacc-k3s`
//! runs it against a disposable machine with systemd that you name:
//!
//! ```sh
//! make testacc-k3s K3S_TEST_HOST=10.0.0.50 K3S_TEST_SSH_KEY=~/.ssh/id_ed25519 \
//!      K3S_AIRGAP_DIR=/opt/k3s   # on that host: k3s, install.sh, optional images archive
//! ```
//! Without `K3S_AIRGAP_DIR` the host installs k3s online (stable channel).

use acceptance_tests::{LocalProvider, Terraform};

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: see acceptance-tests/tests/k3s_real_cluster.rs or `make help`")
    })
}

#[test]
#[ignore = "needs a disposable machine with systemd and a k3s binary: make testacc-k3s"]
fn real_k3s_boots_with_our_credentials_and_takes_manifests() {
    let host = required("K3S_TEST_HOST");
    let key = required("K3S_TEST_SSH_KEY");
    let install = match std::env::var("K3S_AIRGAP_DIR").ok().filter(|d| !d.is_empty()) {
        Some(dir) => format!(
            "  airgap {{\n    binary_path = \"{dir}/k3s\"\n    install_script_path = \"{dir}/install.sh\"\n  }}\n"
        ),
        None => "  online {\n    channel = \"stable\"\n  }\n".to_string(),
    };
    let hcl = format!(
        r#"{providers}
resource "k3s_cluster" "real" {{
  name       = "real"
  server_url = "https://{host}:6443"
}}

resource "k3s_server" "first" {{
  token            = k3s_cluster.real.token
  server_tls_files = k3s_cluster.real.server_tls_files
  cluster_init     = true
  kubeconfig       = k3s_cluster.real.kubeconfig
  ssh {{
    host                     = "{host}"
    private_key              = file(pathexpand("{key}"))
    insecure_ignore_host_key = true
  }}
  config {{
    node_name = "real-server-1"
    tls_san   = ["{host}"]
  }}
{install}}}

resource "k3s_ready" "real" {{
  kubeconfig = k3s_cluster.real.kubeconfig
  nodes      = [k3s_server.first.node_name]
  timeout    = "10m"
}}

resource "k3s_manifest" "probe" {{
  kubeconfig = k3s_cluster.real.kubeconfig
  depends_on = [k3s_ready.real]
  content    = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kvmcloud-probe\ndata:\n  ok: \"yes\"\n"
}}

output "kubeconfig" {{
  value     = k3s_cluster.real.kubeconfig
  sensitive = true
}}
"#,
        providers = acceptance_tests::k3s::PROVIDERS_HCL
    );
    let tf = Terraform::on_host(&hcl, &[LocalProvider::K3s]).expect("terraform workspace");
    tf.apply().expect("apply a real k3s server");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan not empty"
    );
    let outputs = tf.output_json().expect("outputs");
    let kubeconfig = tf.dir().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        outputs["kubeconfig"]["value"].as_str().expect("kubeconfig"),
    )
    .expect("write kubeconfig");
    let get = std::process::Command::new("kubectl")
        .args(["--kubeconfig", &kubeconfig.display().to_string()])
        .args([
            "get",
            "configmap",
            "kvmcloud-probe",
            "-o",
            "jsonpath={.data.ok}",
        ])
        .output()
        .expect("kubectl");
    assert_eq!(String::from_utf8_lossy(&get.stdout), "yes", "{get:?}");
    tf.destroy()
        .expect("destroy drains, deletes and uninstalls");
}
