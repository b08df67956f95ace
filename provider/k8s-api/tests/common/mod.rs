//! A stand-in API server with a freshly generated cluster PKI, and a client for it.

#![allow(dead_code)] // each test binary uses a different part

use std::time::Duration;

use acceptance_tests::apiserver::{ApiServerStandin, StandinConfig};
use k3s_pki::{ClusterPki, KeyAlgorithm, PkiOptions};
use k8s_api::{Client, Kubeconfig, Manifest};

pub struct Cluster {
    pub pki: ClusterPki,
    pub standin: ApiServerStandin,
    pub kubeconfig: Kubeconfig,
}

pub fn pki(name: &str) -> ClusterPki {
    ClusterPki::generate(&PkiOptions {
        cluster_name: name.into(),
        key_algorithm: KeyAlgorithm::EcdsaP256,
        ca_validity_days: 30,
        client_validity_days: 30,
    })
    .expect("generate the cluster PKI")
}

impl Cluster {
    pub fn start() -> Cluster {
        let pki = pki("lab");
        let standin = ApiServerStandin::start(&StandinConfig {
            serving_ca_cert_pem: pki.server_ca.cert_pem.clone(),
            serving_ca_key_pem: pki.server_ca.key_pem.clone(),
            client_ca_pem: pki.client_ca.cert_pem.clone(),
        })
        .expect("start the API stand-in");
        let kubeconfig = kubeconfig_for(&pki, &standin.url());
        Cluster {
            pki,
            standin,
            kubeconfig,
        }
    }

    /// A client polling fast, so waits in tests take milliseconds.
    pub fn client(&self) -> Client {
        Client::new(&self.kubeconfig)
            .expect("client from the kubeconfig")
            .with_poll_interval(Duration::from_millis(50))
            .with_request_timeout(Duration::from_secs(10))
    }
}

/// The kubeconfig the provider would output: server CA bundle, admin certificate.
pub fn kubeconfig_for(pki: &ClusterPki, server_url: &str) -> Kubeconfig {
    Kubeconfig {
        cluster_name: "lab".into(),
        server_url: server_url.into(),
        ca_pem: pki.server_ca_bundle(),
        client_cert_pem: pki.admin.cert_pem.clone(),
        client_key_pem: pki.admin.key_pem.clone(),
        user_name: "admin@lab".into(),
        context_name: "lab".into(),
    }
}

pub fn manifest(yaml: &str) -> Manifest {
    let mut all = k8s_api::parse_manifests(yaml).expect("valid test manifest");
    assert_eq!(all.len(), 1, "one object expected");
    all.remove(0)
}
