//! Prints how long a full cluster PKI takes to generate per key algorithm (median of N runs),
//! next to a baseline measured in the same run: one bare key generation of that algorithm.
//!
//! cargo run --release -p k3s-pki --example generate_bench [runs]

use std::time::{Duration, Instant};

use k3s_pki::{issue_client_cert, ClusterPki, KeyAlgorithm, PkiOptions};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(5, |n| n.parse().expect("runs must be a number"));
    println!(
        "{:<11} {:>14} {:>16} {:>7}",
        "algorithm", "cluster PKI", "one client cert", "ratio"
    );
    for alg in KeyAlgorithm::ALL {
        let opts = PkiOptions {
            cluster_name: "bench".into(),
            key_algorithm: alg,
            ca_validity_days: 3650,
            client_validity_days: 365,
        };
        let pki = ClusterPki::generate(&opts).expect("generate");
        let whole = time_runs(runs, || {
            ClusterPki::generate(&opts).expect("generate");
        });
        let one = time_runs(runs, || {
            issue_client_cert(&pki.client_ca, "bench", &[], 1).expect("issue");
        });
        println!(
            "{:<11} {:>11.1} ms {:>13.1} ms {:>6.1}x",
            alg.to_string(),
            whole.as_secs_f64() * 1e3,
            one.as_secs_f64() * 1e3,
            whole.as_secs_f64() / one.as_secs_f64()
        );
    }
}
