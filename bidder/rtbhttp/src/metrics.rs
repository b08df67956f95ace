//! Just enough of the Prometheus text exposition format: lock-free counters and fixed-bucket
//! histograms that a service composes into its own metrics struct and renders on `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Latency buckets in seconds, dense below a few milliseconds where the services live.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn write(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

pub fn write_counter(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, help, "counter");
    let _ = writeln!(out, "{name} {value}");
}

pub fn write_gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, help, "gauge");
    let _ = writeln!(out, "{name} {value}");
}

/// One metric family with a single label, e.g. `name{status="204"} 12`.
pub fn write_labeled<V: std::fmt::Display>(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &str,
    label: &str,
    series: impl IntoIterator<Item = (impl std::fmt::Display, V)>,
) {
    header(out, name, help, kind);
    for (value_of_label, v) in series {
        let _ = writeln!(out, "{name}{{{label}=\"{value_of_label}\"}} {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_micros(700));
        h.observe(Duration::from_secs(9));
        let mut out = String::new();
        h.write(&mut out, "lat", "latency");
        assert!(out.contains("lat_bucket{le=\"0.0001\"} 1\n"), "{out}");
        assert!(out.contains("lat_bucket{le=\"0.001\"} 2\n"), "{out}");
        assert!(out.contains("lat_bucket{le=\"2.5\"} 2\n"), "{out}");
        assert!(
            out.contains("lat_bucket{le=\"+Inf\"} 3\nlat_sum 9.00075\nlat_count 3\n"),
            "{out}"
        );
    }
}
