//! The open-loop runner. Request slots are released on a fixed schedule by a microsecond timer in
//! the same runtime that sends them; each request's latency runs from its slot's intended time, so
//! waiting for a connection or a late release counts against the server, never hides its stalls.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Uri};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::pacer::Pacer;

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub url: Uri,
    /// Requests per second.
    pub rate: f64,
    pub duration: Duration,
    /// Sent but not recorded: connections open and caches warm first.
    pub warmup: Duration,
    /// A request still unanswered this long after its intended time is a timeout.
    pub timeout: Duration,
    /// Most requests in flight (and so connections) at once; more wait for a slot, on the clock.
    pub concurrency: usize,
    /// When set, answers (200/204) arriving within this long of their intended time are counted
    /// in `Report::within_deadline`, e.g. the exchange's tmax.
    pub deadline: Option<Duration>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target_rate: f64,
    pub achieved_rate: f64,
    pub duration_s: f64,
    pub sent: u64,
    pub ok: u64,
    pub no_content: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub status: BTreeMap<u16, u64>,
    pub within_deadline: Option<u64>,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

impl Report {
    /// Whether the run counts as sustained: every request answered in time, tail under `p99`.
    pub fn sustained(&self, p99: Duration) -> bool {
        self.errors == 0 && self.timeouts == 0 && self.p99_us <= p99.as_micros() as u64
    }
}

#[derive(Default)]
struct Tally {
    within_deadline: u64,
    ok: u64,
    no_content: u64,
    errors: u64,
    timeouts: u64,
    status: BTreeMap<u16, u64>,
}

struct Recorder {
    hist: Histogram<u64>,
    tally: Tally,
    deadline: Option<Duration>,
}

enum Outcome {
    Status(u16),
    Error,
    Timeout,
}

impl Recorder {
    fn record(&mut self, latency: Duration, outcome: Outcome) {
        let us = latency.as_micros().max(1) as u64;
        match outcome {
            Outcome::Status(s) => {
                let _ = self.hist.record(us);
                *self.tally.status.entry(s).or_default() += 1;
                match s {
                    200 => self.tally.ok += 1,
                    204 => self.tally.no_content += 1,
                    _ => self.tally.errors += 1,
                }
                if matches!(s, 200 | 204) && self.deadline.is_some_and(|d| latency <= d) {
                    self.tally.within_deadline += 1;
                }
            }
            Outcome::Timeout => {
                let _ = self.hist.record(us);
                self.tally.timeouts += 1;
            }
            Outcome::Error => self.tally.errors += 1,
        }
    }
}

/// Runs one constant-rate load against `cfg.url`, cycling through `corpus` bodies.
pub async fn run(cfg: &RunConfig, corpus: Arc<Vec<Bytes>>) -> anyhow::Result<Report> {
    anyhow::ensure!(cfg.rate > 0.0, "rate must be positive");
    anyhow::ensure!(!corpus.is_empty(), "corpus is empty");
    let client = rtbhttp::pooled_client(cfg.concurrency);
    let slots = Arc::new(Semaphore::new(cfg.concurrency));
    let recorder = Arc::new(Mutex::new(Recorder {
        hist: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        tally: Tally::default(),
        deadline: cfg.deadline,
    }));
    let pacer = Pacer::new()?;
    let start = Instant::now() + Duration::from_millis(20);
    let total = ((cfg.warmup + cfg.duration).as_secs_f64() * cfg.rate) as u64;
    let interval = Duration::from_secs_f64(1.0 / cfg.rate);
    let record_from = start + cfg.warmup;
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..total {
        // Slots that fell due while the runtime was busy go out at once, each with its own time.
        let intended = start + interval.mul_f64(seq as f64);
        pacer.sleep_until(intended).await?;
        let body = corpus[(seq as usize) % corpus.len()].clone();
        let (client, slots, recorder, url, timeout) = (
            client.clone(),
            slots.clone(),
            recorder.clone(),
            cfg.url.clone(),
            cfg.timeout,
        );
        tasks.spawn(async move {
            let outcome = tokio::time::timeout_at((intended + timeout).into(), async {
                let _slot = slots.acquire().await.expect("semaphore never closed");
                let mut req = Request::post(url)
                    .body(Full::new(body))
                    .expect("valid request");
                req.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                req.headers_mut()
                    .insert("x-openrtb-version", HeaderValue::from_static("2.6"));
                match client.request(req).await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        match resp.into_body().collect().await {
                            Ok(_) => Outcome::Status(status),
                            Err(_) => Outcome::Error,
                        }
                    }
                    Err(_) => Outcome::Error,
                }
            })
            .await
            .unwrap_or(Outcome::Timeout);
            if intended >= record_from {
                recorder
                    .lock()
                    .expect("recorder lock")
                    .record(intended.elapsed(), outcome);
            }
        });
        // Reap finished tasks so the set stays small on long runs.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let rec = recorder.lock().expect("recorder lock");
    let h = &rec.hist;
    let t = &rec.tally;
    let measured = t.ok + t.no_content + t.errors + t.timeouts;
    Ok(Report {
        target_rate: cfg.rate,
        achieved_rate: measured as f64 / cfg.duration.as_secs_f64(),
        duration_s: cfg.duration.as_secs_f64(),
        sent: measured,
        ok: t.ok,
        no_content: t.no_content,
        errors: t.errors,
        timeouts: t.timeouts,
        status: t.status.clone(),
        within_deadline: cfg.deadline.map(|_| t.within_deadline),
        p50_us: h.value_at_quantile(0.5),
        p90_us: h.value_at_quantile(0.9),
        p99_us: h.value_at_quantile(0.99),
        p999_us: h.value_at_quantile(0.999),
        max_us: h.max(),
        mean_us: h.mean(),
    })
}
