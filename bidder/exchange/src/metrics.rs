use std::fmt::Write;

use rtbhttp::metrics::{write_counter, write_gauge, write_labeled, Counter, Histogram};

#[derive(Debug, Default)]
pub struct BidderStats {
    pub bids: Counter,
    pub no_bids: Counter,
    pub late: Counter,
    pub failed: Counter,
    pub invalid_bids: Counter,
}

#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: Counter,
    pub filled: Counter,
    pub unfilled: Counter,
    pub rejected: Counter,
    pub shed: Counter,
    pub over_deadline: Counter,
    pub notices_sent: Counter,
    pub notices_failed: Counter,
    pub latency: Histogram,
    pub bidders: Vec<(String, BidderStats)>,
}

impl Metrics {
    pub fn new(bidder_names: impl IntoIterator<Item = String>) -> Self {
        Metrics {
            bidders: bidder_names
                .into_iter()
                .map(|n| (n, BidderStats::default()))
                .collect(),
            ..Default::default()
        }
    }

    pub fn render(&self, in_flight: usize) -> String {
        let mut out = String::with_capacity(4096);
        write_counter(
            &mut out,
            "exchange_requests_total",
            "Auction requests received.",
            self.requests.get(),
        );
        write_labeled(
            &mut out,
            "exchange_responses_total",
            "Auction outcomes.",
            "counter",
            "outcome",
            [
                ("filled", self.filled.get()),
                ("unfilled", self.unfilled.get()),
                ("rejected", self.rejected.get()),
                ("shed", self.shed.get()),
                ("over_deadline", self.over_deadline.get()),
            ],
        );
        out.push_str("# HELP exchange_bidder_answers_total Bidder answers by outcome.\n");
        out.push_str("# TYPE exchange_bidder_answers_total counter\n");
        for (name, s) in &self.bidders {
            for (outcome, c) in [
                ("bids", &s.bids),
                ("no_bid", &s.no_bids),
                ("late", &s.late),
                ("failed", &s.failed),
                ("invalid_bid", &s.invalid_bids),
            ] {
                let _ = writeln!(
                    out,
                    "exchange_bidder_answers_total{{bidder=\"{name}\",outcome=\"{outcome}\"}} {}",
                    c.get()
                );
            }
        }
        write_labeled(
            &mut out,
            "exchange_notices_total",
            "Win/billing/loss notices fired.",
            "counter",
            "result",
            [
                ("sent", self.notices_sent.get()),
                ("failed", self.notices_failed.get()),
            ],
        );
        write_gauge(
            &mut out,
            "exchange_in_flight",
            "Auctions being worked on.",
            in_flight,
        );
        self.latency.write(
            &mut out,
            "exchange_auction_duration_seconds",
            "Whole auction time.",
        );
        out
    }
}
