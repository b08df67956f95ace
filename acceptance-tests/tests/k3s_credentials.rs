//! `k3s_cluster` and `k3s_cloud_init` through the real terraform CLI, checked with the real
//! tools a user's cluster would meet: `openssl verify` for the CA set and the admin
//! certificate, `kubectl config view` for the kubeconfig, `cloud-init schema` for the
//! rendered user-data. Also: bad input fails at plan naming the attribute, and no secret
//! reaches terraform's output or the provider's logs.

use std::path::Path;
use std::process::Command;

use acceptance_tests::{LocalProvider, Terraform};

const PROVIDERS: &str = r#"terraform {
  required_providers {
    k3s = {
      source = "kvmcloud/k3s"
    }
  }
}
"#;

const CLUSTER: &str = r#"
resource "k3s_cluster" "lab" {
  name       = "acc"
  server_url = "https://10.17.0.10:6443"
}

data "k3s_cloud_init" "first_server" {
  role             = "server"
  cluster_init     = true
  token            = k3s_cluster.lab.token
  server_tls_files = k3s_cluster.lab.server_tls_files
  manifests        = { "hello.yaml" = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello\n" }

  config {
    node_ip     = ["10.17.0.10"]
    tls_san     = ["k3s.lab.example"]
    disable     = ["traefik"]
    node_labels = { "topology.kubernetes.io/zone" = "rack-1" }
    node_taints = ["node-role.kubernetes.io/control-plane=true:NoSchedule"]
  }

  online {
    channel = "stable"
  }

  user_data_parts = [<<-YAML
    #cloud-config
    packages:
      - qemu-guest-agent
    runcmd:
      - [systemctl, enable, --now, qemu-guest-agent]
  YAML
  ]
}

data "k3s_cloud_init" "agent" {
  role       = "agent"
  token      = k3s_cluster.lab.token
  server_url = k3s_cluster.lab.server_url

  airgap {
    binary_path         = "/mnt/k3s-airgap/k3s"
    install_script_path = "/mnt/k3s-airgap/install.sh"
    images_path         = "/mnt/k3s-airgap/k3s-airgap-images-amd64.tar.zst"
    mount_label         = "K3S"
  }
}

output "kubeconfig" {
  value     = k3s_cluster.lab.kubeconfig
  sensitive = true
}
output "ca_certificate" {
  value = k3s_cluster.lab.ca_certificate
}
output "client_certificate" {
  value = k3s_cluster.lab.client_certificate
}
output "token" {
  value     = k3s_cluster.lab.token
  sensitive = true
}
output "server_tls_files" {
  value     = k3s_cluster.lab.server_tls_files
  sensitive = true
}
output "server_user_data" {
  value     = data.k3s_cloud_init.first_server.user_data
  sensitive = true
}
output "agent_user_data" {
  value     = data.k3s_cloud_init.agent.user_data
  sensitive = true
}
"#;

fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn require_tool(program: &str, package: &str) {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|dir| dir.join(program).is_file());
    assert!(
        found,
        "{program} not installed: apt-get install {package} (scripts/install-deps.sh does)"
    );
}

fn assert_ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn output_text(outputs: &serde_json::Value, name: &str) -> String {
    outputs[name]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("output {name} missing: {outputs}"))
        .to_string()
}

#[test]
fn credentials_and_user_data_pass_openssl_kubectl_and_cloud_init() {
    require_tool("openssl", "openssl");
    require_tool("kubectl", "kubernetes-client");
    require_tool("cloud-init", "cloud-init");
    let tf = Terraform::on_host(&format!("{PROVIDERS}{CLUSTER}"), &[LocalProvider::K3s])
        .expect("terraform workspace")
        .with_env("TF_LOG_PROVIDER", "trace");
    let applied = tf.apply().expect("apply");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("second plan"),
        0,
        "second plan not empty"
    );
    let outputs = tf.output_json().expect("outputs");
    let dir = tf.dir().join("check");
    std::fs::create_dir_all(dir.join("etcd")).expect("check dir");

    // The CA set: every CA chains to the root through the intermediate.
    let files = outputs["server_tls_files"]["value"]
        .as_object()
        .expect("server_tls_files map");
    for (name, content) in files {
        std::fs::write(dir.join(name), content.as_str().expect("file text")).expect("write");
    }
    let path = |name: &str| dir.join(name).display().to_string();
    for ca in [
        "server-ca.pem",
        "client-ca.pem",
        "request-header-ca.pem",
        "etcd/peer-ca.pem",
        "etcd/server-ca.pem",
    ] {
        let verified = run(
            "openssl",
            &[
                "verify",
                "-CAfile",
                &path("root-ca.pem"),
                "-untrusted",
                &path("intermediate-ca.pem"),
                &path(ca),
            ],
        );
        assert_ok(&verified, &format!("openssl verify {ca}"));
    }
    let ca_text = run(
        "openssl",
        &["x509", "-noout", "-text", "-in", &path("server-ca.pem")],
    );
    assert!(
        assert_ok(&ca_text, "openssl x509").contains("CA:TRUE"),
        "server CA lacks CA:TRUE"
    );

    // The admin certificate: a client certificate of the client CA, group system:masters.
    std::fs::write(
        dir.join("admin.crt"),
        output_text(&outputs, "client_certificate"),
    )
    .expect("admin.crt");
    let admin = run(
        "openssl",
        &[
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            &path("root-ca.pem"),
            "-untrusted",
            &path("client-ca.crt"),
            &path("admin.crt"),
        ],
    );
    assert_ok(&admin, "openssl verify admin certificate");
    let subject = run(
        "openssl",
        &["x509", "-noout", "-subject", "-in", &path("admin.crt")],
    );
    assert!(
        assert_ok(&subject, "openssl x509 -subject").contains("system:masters"),
        "admin certificate not in system:masters"
    );

    // The token pins the CA: k3s hashes the DER of the root a CA bundle chains to.
    let ca_certificate = output_text(&outputs, "ca_certificate");
    let token = output_text(&outputs, "token");
    let fingerprint = run(
        "openssl",
        &[
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            &path("root-ca.pem"),
        ],
    );
    let fingerprint = assert_ok(&fingerprint, "openssl x509 -fingerprint");
    let root_hash = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .replace(':', "")
        .to_ascii_lowercase();
    assert!(
        token.starts_with(&format!("K10{root_hash}::server:")),
        "token does not pin the cluster's root CA"
    );

    // The kubeconfig, as kubectl reads it.
    let kubeconfig = output_text(&outputs, "kubeconfig");
    std::fs::write(dir.join("kubeconfig"), &kubeconfig).expect("kubeconfig");
    let view = run(
        "kubectl",
        &[
            "config",
            "view",
            "--raw",
            "-o",
            "json",
            "--kubeconfig",
            &path("kubeconfig"),
        ],
    );
    let view: serde_json::Value =
        serde_json::from_str(&assert_ok(&view, "kubectl config view")).expect("kubectl json");
    assert_eq!(view["current-context"], "acc");
    assert_eq!(
        view["clusters"][0]["cluster"]["server"],
        "https://10.17.0.10:6443"
    );
    let ca_data = view["clusters"][0]["cluster"]["certificate-authority-data"]
        .as_str()
        .expect("certificate-authority-data");
    assert_eq!(decode_base64(ca_data), ca_certificate);

    // The user-data, as cloud-init validates it.
    for output in ["server_user_data", "agent_user_data"] {
        let file = dir.join(output);
        std::fs::write(&file, output_text(&outputs, output)).expect("user-data");
        cloud_init_schema(&file);
    }
    let server_user_data = output_text(&outputs, "server_user_data");
    assert!(
        server_user_data.contains("qemu-guest-agent"),
        "the user's own cloud-config was not merged in"
    );

    // No secret in what terraform printed or the provider logged (at trace level).
    let client_key_line = files["client-ca.key"]
        .as_str()
        .and_then(|k| k.lines().nth(1))
        .expect("key body");
    let secret = token.rsplit(':').next().expect("token secret");
    for (what, text) in [("stdout", &applied.stdout), ("stderr", &applied.stderr)] {
        assert!(
            !text.contains(secret),
            "the token's secret appears in {what}"
        );
        assert!(
            !text.contains(client_key_line),
            "a private key appears in {what}"
        );
    }

    tf.destroy().expect("destroy");
}

fn cloud_init_schema(file: &Path) {
    let out = run(
        "cloud-init",
        &["schema", "--config-file", &file.display().to_string()],
    );
    assert_ok(&out, &format!("cloud-init schema {}", file.display()));
}

fn decode_base64(text: &str) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn bad_input_fails_at_plan_naming_the_attribute() {
    let cases: [(&str, &str); 6] = [
        (
            r#"resource "k3s_cluster" "c" {
  name          = "c"
  server_url    = "https://10.0.0.1:6443"
  key_algorithm = "dsa-1024"
}"#,
            "ecdsa-p256",
        ),
        (
            r#"resource "k3s_cluster" "c" {
  name       = "c"
  server_url = "http://10.0.0.1:6443"
}"#,
            "must start with https://",
        ),
        (
            r#"data "k3s_cloud_init" "a" {
  role       = "agent"
  token      = "K10e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855::server:secret"
  server_url = "https://10.0.0.1:6443"
  config {
    node_taints = ["dedicated=gpu:Sometimes"]
  }
}"#,
            "Invalid taint",
        ),
        (
            r#"resource "k3s_manifest" "m" {
  kubeconfig = "apiVersion: v1\nkind: Config\n"
  content    = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
}"#,
            "Invalid kubeconfig",
        ),
        (
            r#"resource "k3s_manifest" "m" {
  kubeconfig = file("kubeconfig")
  content    = "metadata:\n  name: x\n"
}"#,
            "apiVersion",
        ),
        (
            r#"resource "k3s_agent" "a" {
  token      = "K10e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855::server:secret"
  server_url = "https://10.0.0.1:6443"
  ssh {
    host        = "10.0.0.5"
    port        = 0
    private_key = "/home/me/.ssh/id_ed25519"
  }
}"#,
            "Invalid SSH port",
        ),
    ];
    let valid_kubeconfig = valid_kubeconfig();
    for (body, expected) in cases {
        let tf = Terraform::on_host(&format!("{PROVIDERS}{body}"), &[LocalProvider::K3s])
            .expect("terraform workspace");
        tf.write_file("kubeconfig", &valid_kubeconfig)
            .expect("kubeconfig file");
        let out = tf
            .run(&["plan", "-input=false", "-no-color"])
            .expect("terraform plan");
        assert_eq!(
            out.code,
            Some(1),
            "plan of {body} should fail:\n{}",
            out.stdout
        );
        assert!(
            out.stderr.contains(expected),
            "plan of {body} should say {expected:?}:\n{}",
            out.stderr
        );
    }
}

/// A kubeconfig that parses, from a cluster created by the provider itself.
fn valid_kubeconfig() -> String {
    let tf = Terraform::on_host(
        &format!(
            "{PROVIDERS}resource \"k3s_cluster\" \"c\" {{\n  name = \"c\"\n  server_url = \"https://127.0.0.1:6443\"\n}}\noutput \"kubeconfig\" {{\n  value = k3s_cluster.c.kubeconfig\n  sensitive = true\n}}\n"
        ),
        &[LocalProvider::K3s],
    )
    .expect("terraform workspace");
    tf.apply().expect("apply");
    output_text(&tf.output_json().expect("outputs"), "kubeconfig")
}

#[test]
fn a_token_from_another_cluster_is_refused_naming_the_token() {
    let hcl = format!(
        r#"{PROVIDERS}
resource "k3s_cluster" "a" {{
  name       = "a"
  server_url = "https://10.0.0.1:6443"
}}

resource "k3s_cluster" "b" {{
  name       = "b"
  server_url = "https://10.0.0.2:6443"
}}

data "k3s_cloud_init" "mixed" {{
  role             = "server"
  cluster_init     = true
  token            = k3s_cluster.b.token
  server_tls_files = k3s_cluster.a.server_tls_files
}}
"#
    );
    let tf = Terraform::on_host(&hcl, &[LocalProvider::K3s]).expect("terraform workspace");
    let out = tf
        .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .expect("apply");
    assert_eq!(out.code, Some(1), "apply should fail:\n{}", out.stdout);
    // Terraform wraps long lines.
    let stderr = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        stderr.contains("Invalid join token") && stderr.contains("does not match the cluster CA"),
        "expected a token/CA mismatch:\n{}",
        out.stderr
    );
    assert!(
        stderr.contains("token = k3s_cluster.b.token"),
        "the error should point at the token attribute:\n{}",
        out.stderr
    );
}
