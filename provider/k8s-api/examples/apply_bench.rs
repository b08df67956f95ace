//! Server-side apply latency against the in-process API stand-in, with the round trip of a
//! plain `GET /ping` on the same client and connections as the baseline.
//!
//! `cargo run --release -p k8s-api --example apply_bench [objects]`

use std::time::{Duration, Instant};

use acceptance_tests::apiserver::{ApiServerStandin, StandinConfig};
use k3s_pki::{ClusterPki, KeyAlgorithm, PkiOptions};
use k8s_api::{parse_manifests, Client, Kubeconfig};

const PINGS: usize = 500;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let objects: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(100);
    let pki = ClusterPki::generate(&PkiOptions {
        cluster_name: "bench".into(),
        key_algorithm: KeyAlgorithm::EcdsaP256,
        ca_validity_days: 1,
        client_validity_days: 1,
    })?;
    let standin = ApiServerStandin::start(&StandinConfig {
        serving_ca_cert_pem: pki.server_ca.cert_pem.clone(),
        serving_ca_key_pem: pki.server_ca.key_pem.clone(),
        client_ca_pem: pki.client_ca.cert_pem.clone(),
    })?;
    let client = Client::new(&Kubeconfig {
        cluster_name: "bench".into(),
        server_url: standin.url(),
        ca_pem: pki.server_ca_bundle(),
        client_cert_pem: pki.admin.cert_pem.clone(),
        client_key_pem: pki.admin.key_pem.clone(),
        user_name: "admin".into(),
        context_name: "bench".into(),
    })?;
    // Warm up: connection, TLS session, discovery.
    client.ping().await?;
    let mut pings = Vec::with_capacity(PINGS);
    for _ in 0..PINGS {
        let started = Instant::now();
        client.ping().await?;
        pings.push(started.elapsed());
    }

    let yaml: String = (0..objects)
        .map(|i| {
            format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench-{i}\n  labels: {{app: bench}}\ndata:\n  index: '{i}'\n  payload: '{}'\n", "x".repeat(256))
        })
        .collect();
    let manifests = parse_manifests(&yaml)?;
    let mut creates = Vec::with_capacity(objects);
    let mut repeats = Vec::with_capacity(objects);
    // The second round applies unchanged objects: the server compares and writes nothing.
    for times in [&mut creates, &mut repeats] {
        for m in &manifests {
            let started = Instant::now();
            client.apply(m, "bench", false).await?;
            times.push(started.elapsed());
        }
    }

    let (ping_p50, ping_p99) = percentiles(&mut pings);
    println!("GET /ping baseline ({PINGS} round trips): p50 {ping_p50} µs, p99 {ping_p99} µs");
    for (label, times) in [
        ("apply (create)", &mut creates),
        ("apply (unchanged)", &mut repeats),
    ] {
        let (p50, p99) = percentiles(times);
        println!(
            "{label} x{objects}: p50 {p50} µs, p99 {p99} µs; p50 = {:.1}x ping p50",
            p50 as f64 / ping_p50.max(1) as f64
        );
    }
    Ok(())
}

/// (p50, p99) in microseconds, nearest-rank.
fn percentiles(times: &mut [Duration]) -> (u128, u128) {
    times.sort();
    let rank = |p: f64| {
        let index = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        times[index].as_micros()
    };
    (rank(0.50), rank(0.99))
}
