//! `loadgen run` drives one constant rate; `loadgen max-rate` searches the highest rate with p99
//! under a bound; `loadgen campaigns` writes a generated campaign file. Reports are JSON on stdout.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use hyper::Uri;
use loadgen::corpus::{campaigns, corpus};
use loadgen::run::{run, RunConfig};
use loadgen::search::{max_rate, SearchConfig};

#[derive(Parser)]
#[command(name = "loadgen", about = "Open-loop OpenRTB load generator")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send at one constant rate and report latencies.
    Run {
        #[command(flatten)]
        load: Load,
        #[arg(long)]
        rate: f64,
    },
    /// Find the highest constant rate whose p99 stays under --p99-ms.
    MaxRate {
        #[command(flatten)]
        load: Load,
        #[arg(long, default_value_t = 2.0)]
        p99_ms: f64,
        #[arg(long, default_value_t = 1000.0)]
        start_rate: f64,
        #[arg(long, default_value_t = 200_000.0)]
        max_rate: f64,
        /// Stop bisecting when the bracket is within this share of the passing rate.
        #[arg(long, default_value_t = 0.08)]
        precision: f64,
        /// Runs per rate; the rate fails only if all of them miss the bound.
        #[arg(long, default_value_t = 2)]
        attempts: usize,
        #[arg(long, default_value_t = 100.0)]
        min_rate: f64,
    },
    /// Write a generated campaign file (JSON) for the bidder.
    Campaigns {
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
struct Load {
    /// e.g. http://127.0.0.1:8080/openrtb2/bid
    #[arg(long)]
    url: Uri,
    #[arg(long, default_value_t = 3.0)]
    duration_s: f64,
    #[arg(long, default_value_t = 0.5)]
    warmup_s: f64,
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    #[arg(long, default_value_t = 2000)]
    corpus_size: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Count answers arriving within this many ms of their intended time (e.g. tmax).
    #[arg(long)]
    deadline_ms: Option<u64>,
    /// Tokio worker threads for the generator.
    #[arg(long, default_value_t = 1)]
    workers: usize,
}

impl Load {
    fn config(&self, rate: f64) -> RunConfig {
        RunConfig {
            url: self.url.clone(),
            rate,
            duration: Duration::from_secs_f64(self.duration_s),
            warmup: Duration::from_secs_f64(self.warmup_s),
            timeout: Duration::from_millis(self.timeout_ms),
            concurrency: self.concurrency,
            deadline: self.deadline_ms.map(Duration::from_millis),
        }
    }

    fn runtime(&self) -> anyhow::Result<tokio::runtime::Runtime> {
        Ok(tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.workers)
            .enable_all()
            .build()?)
    }
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Run { load, rate } => {
            let bodies = Arc::new(corpus(load.corpus_size, load.seed));
            let report = load.runtime()?.block_on(run(&load.config(rate), bodies))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Cmd::MaxRate {
            load,
            p99_ms,
            start_rate,
            max_rate: ceiling,
            precision,
            attempts,
            min_rate,
        } => {
            let bodies = Arc::new(corpus(load.corpus_size, load.seed));
            let cfg = SearchConfig {
                base: load.config(start_rate),
                start_rate,
                max_rate: ceiling,
                p99: Duration::from_secs_f64(p99_ms / 1000.0),
                precision,
                attempts,
                min_rate,
            };
            let report = load.runtime()?.block_on(max_rate(&cfg, bodies))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Cmd::Campaigns { count, seed, out } => {
            std::fs::write(&out, serde_json::to_vec_pretty(&campaigns(count, seed))?)?;
        }
    }
    Ok(())
}
