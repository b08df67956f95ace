//! Where a bid request's CPU time goes, without HTTP: parse, validate, decide against 1,000
//! generated campaigns, build the response. `cargo run --release -p loadgen --example decide_cost`
//! prints nanoseconds per request for each stage.

use std::time::{Duration, Instant};

use bidder::decide::{decide, DecideParams};
use bidder::index::CampaignSet;
use bidder::ledger::Ledger;
use bidder::respond::bid_response;
use loadgen::corpus::{campaigns, corpus};

fn main() {
    let bodies = corpus(2000, 42);
    let set = CampaignSet::build(
        campaigns(1000, 1).compile().expect("valid campaigns"),
        None,
        Instant::now(),
    );
    let ledger = Ledger::new(Duration::from_secs(3600), Instant::now());
    let params = DecideParams { shading: 0.85 };
    let rounds = 20;
    let n = (bodies.len() * rounds) as f64;
    let (mut parse, mut validate, mut dec, mut respond) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    let mut bids = 0usize;
    for _ in 0..rounds {
        for body in &bodies {
            let t = Instant::now();
            let req = openrtb::parse_request(body).expect("corpus parses");
            let t1 = Instant::now();
            openrtb::validate_request(&req).expect("corpus is valid");
            let t2 = Instant::now();
            let decided = decide(&req, &set, &ledger, &params, t2);
            let t3 = Instant::now();
            if !decided.is_empty() {
                std::hint::black_box(bid_response(&req.id, &decided, "http://127.0.0.1:8080"));
            }
            respond += t3.elapsed();
            bids += decided.len();
            for d in &decided {
                ledger.loss(d.bid_id);
            }
            parse += t1 - t;
            validate += t2 - t1;
            dec += t3 - t2;
        }
    }
    let per = |d: Duration| d.as_nanos() as f64 / n;
    println!(
        "per request: parse {:.0} ns, validate {:.0} ns, decide {:.0} ns, respond {:.0} ns; {:.2} bids per request",
        per(parse),
        per(validate),
        per(dec),
        per(respond),
        bids as f64 / n
    );
}
