//! Shared set-up of the k3s acceptance tests: a `k3s_cluster` whose API is served by the
//! local stand-in API server, which trusts only that cluster's client CA.

use crate::apiserver::{ApiServerStandin, StandinConfig};
use crate::{LocalProvider, Terraform};

pub const PROVIDERS_HCL: &str = r#"terraform {
  required_providers {
    k3s = {
      source = "kvmcloud/k3s"
    }
  }
}
"#;

/// `k3s_cluster.lab` at `var.server_url`, with its CA files as an output.
pub const CLUSTER_HCL: &str = r#"terraform {
  required_providers {
    k3s = {
      source = "kvmcloud/k3s"
    }
  }
}

variable "server_url" {
  type = string
}

resource "k3s_cluster" "lab" {
  name       = "acc-api"
  server_url = var.server_url
}

output "server_tls_files" {
  value     = k3s_cluster.lab.server_tls_files
  sensitive = true
}
"#;

/// Applies [`CLUSTER_HCL`] alone (the API server's URL is not known before it runs), starts
/// the stand-in API server with the cluster's server and client CAs, and points the
/// cluster at it through `terraform.tfvars`: later applies update its kubeconfig in place.
pub fn cluster_with_standin() -> (Terraform<'static>, ApiServerStandin) {
    let tf = Terraform::on_host(CLUSTER_HCL, &[LocalProvider::K3s]).expect("terraform workspace");
    tf.write_file("terraform.tfvars", "server_url = \"https://127.0.0.1:1\"\n")
        .expect("tfvars");
    tf.apply().expect("apply k3s_cluster");
    let outputs = tf.output_json().expect("outputs");
    let file = |name: &str| {
        outputs["server_tls_files"]["value"][name]
            .as_str()
            .unwrap_or_else(|| panic!("server_tls_files has no {name}"))
            .to_string()
    };
    let standin = ApiServerStandin::start(&StandinConfig {
        serving_ca_cert_pem: file("server-ca.crt"),
        serving_ca_key_pem: file("server-ca.key"),
        client_ca_pem: file("client-ca.crt"),
    })
    .expect("start the API server stand-in");
    tf.write_file(
        "terraform.tfvars",
        &format!("server_url = \"{}\"\n", standin.url()),
    )
    .expect("tfvars");
    (tf, standin)
}

/// Asserts that `node` was drained the way destroy must do it: cordoned (PATCH) before it
/// was deleted, and gone from the API server.
pub fn assert_drained(standin: &ApiServerStandin, node: &str) {
    let requests = standin.request_log();
    let position = |needle: &str| {
        requests
            .iter()
            .position(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in {requests:?}"))
    };
    assert!(
        position(&format!("PATCH /api/v1/nodes/{node}"))
            < position(&format!("DELETE /api/v1/nodes/{node}")),
        "cordon must come before delete: {requests:?}"
    );
    assert!(
        !standin.node_names().iter().any(|n| n == node),
        "{node} still registered"
    );
}
