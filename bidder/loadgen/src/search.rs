//! Finding the highest constant rate a server sustains under a p99 bound: double the rate until a
//! run fails (or halve it until one passes), then bisect between the last pass and the first
//! failure. A rate fails only if every one of `attempts` runs fails, so one scheduling hiccup on a
//! shared machine does not end the search early.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use crate::run::{run, Report, RunConfig};

#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    pub p99_bound_us: u64,
    /// Highest rate that passed, or 0 if even the starting rate failed.
    pub max_rate: f64,
    pub best: Option<Report>,
    pub steps: Vec<Report>,
}

pub struct SearchConfig {
    pub base: RunConfig,
    pub start_rate: f64,
    pub max_rate: f64,
    pub p99: Duration,
    /// Bisection stops when the bracket is narrower than this share of the passing rate.
    pub precision: f64,
    pub attempts: usize,
    /// The search gives up (reports 0) below this rate.
    pub min_rate: f64,
}

pub async fn max_rate(cfg: &SearchConfig, corpus: Arc<Vec<Bytes>>) -> anyhow::Result<SearchReport> {
    let mut steps = Vec::new();
    let mut best: Option<Report> = None;
    let mut fail_rate: Option<f64> = None;
    let mut rate = cfg.start_rate;
    while rate <= cfg.max_rate {
        let (passed, report) = attempt(cfg, &corpus, rate, &mut steps).await?;
        if passed {
            best = Some(report);
            if fail_rate.is_some() {
                break;
            }
            rate *= 2.0;
        } else {
            fail_rate = Some(rate);
            if best.is_some() {
                break;
            }
            rate /= 2.0;
            if rate < cfg.min_rate {
                break;
            }
        }
    }
    if let Some(mut hi) = fail_rate {
        let mut lo = best.as_ref().map_or(0.0, |b| b.target_rate);
        while lo > 0.0 && (hi - lo) / lo > cfg.precision {
            let mid = ((lo + hi) / 2.0).round();
            let (passed, report) = attempt(cfg, &corpus, mid, &mut steps).await?;
            if passed {
                lo = mid;
                best = Some(report);
            } else {
                hi = mid;
            }
        }
    }
    Ok(SearchReport {
        p99_bound_us: cfg.p99.as_micros() as u64,
        max_rate: best.as_ref().map_or(0.0, |b| b.target_rate),
        best,
        steps,
    })
}

async fn attempt(
    cfg: &SearchConfig,
    corpus: &Arc<Vec<Bytes>>,
    rate: f64,
    steps: &mut Vec<Report>,
) -> anyhow::Result<(bool, Report)> {
    let run_cfg = RunConfig {
        rate,
        ..cfg.base.clone()
    };
    let mut last = None;
    for _ in 0..cfg.attempts.max(1) {
        let report = run(&run_cfg, corpus.clone()).await?;
        steps.push(report.clone());
        if report.sustained(cfg.p99) {
            return Ok((true, report));
        }
        last = Some(report);
    }
    Ok((false, last.expect("at least one attempt")))
}
