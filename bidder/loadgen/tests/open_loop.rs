//! The generator against a real bidder loaded with generated campaigns: the schedule is kept,
//! every request is accounted for, and the corpus both bids and no-bids.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use loadgen::corpus::{campaigns, corpus};
use loadgen::run::{run, RunConfig};
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constant_rate_against_a_bidder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("campaigns.json");
    std::fs::write(&path, serde_json::to_vec(&campaigns(200, 1)).unwrap()).unwrap();
    let settings = bidder::Settings::from_args(bidder::Args::parse_from([
        "bidder",
        "--campaigns",
        path.to_str().unwrap(),
    ]))
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(bidder::run(settings, listener, std::future::pending()));

    let cfg = RunConfig {
        url: format!("http://{addr}{}", bidder::BID_PATH)
            .parse()
            .unwrap(),
        rate: 400.0,
        duration: Duration::from_secs(1),
        warmup: Duration::from_millis(200),
        timeout: Duration::from_secs(5),
        concurrency: 16,
        deadline: Some(Duration::from_millis(100)),
    };
    let report = run(&cfg, Arc::new(corpus(200, 9))).await.unwrap();
    assert_eq!(report.sent, 400, "{report:?}");
    assert_eq!((report.errors, report.timeouts), (0, 0), "{report:?}");
    assert!(
        report.ok > 40 && report.no_content > 0,
        "a realistic mix of bids and no-bids: {report:?}"
    );
    let within = report.within_deadline.expect("deadline was set");
    assert!(within > 0 && within <= report.sent, "{report:?}");
    assert!(report.p50_us <= report.p99_us && report.p99_us <= report.max_us);
}
