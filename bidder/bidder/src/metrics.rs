use std::fmt::Write;

use crate::index::CampaignSet;
use rtbhttp::metrics::{write_counter, write_gauge, write_labeled, Counter, Histogram};

/// Everything `/metrics` reports.
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: Counter,
    pub bids: Counter,
    pub no_bids: Counter,
    pub rejected: Counter,
    pub shed: Counter,
    pub late: Counter,
    pub wins: Counter,
    pub billed: Counter,
    pub losses: Counter,
    pub unknown_notices: Counter,
    pub expired: Counter,
    pub reloads: Counter,
    pub reload_failures: Counter,
    pub spend_micros: Counter,
    pub latency: Histogram,
}

impl Metrics {
    pub fn render(&self, campaigns: &CampaignSet, pending: usize, in_flight: usize) -> String {
        let mut out = String::with_capacity(4096);
        write_counter(
            &mut out,
            "bidder_requests_total",
            "Bid requests received.",
            self.requests.get(),
        );
        write_labeled(
            &mut out,
            "bidder_responses_total",
            "Bid request outcomes.",
            "counter",
            "outcome",
            [
                ("bid", self.bids.get()),
                ("no_bid", self.no_bids.get()),
                ("rejected", self.rejected.get()),
                ("shed", self.shed.get()),
                ("late", self.late.get()),
            ],
        );
        write_labeled(
            &mut out,
            "bidder_notices_total",
            "Win, billing and loss notices received.",
            "counter",
            "kind",
            [
                ("win", self.wins.get()),
                ("bill", self.billed.get()),
                ("loss", self.losses.get()),
                ("unknown", self.unknown_notices.get()),
                ("expired", self.expired.get()),
            ],
        );
        let spend = self.spend_micros.get() as f64 / 1e6;
        write_counter(
            &mut out,
            "bidder_spend_usd_total",
            "Spend charged by win/billing notices, USD.",
            spend,
        );
        write_counter(
            &mut out,
            "bidder_campaign_reloads_total",
            "Successful campaign reloads.",
            self.reloads.get(),
        );
        write_counter(
            &mut out,
            "bidder_campaign_reload_failures_total",
            "Failed campaign reloads.",
            self.reload_failures.get(),
        );
        write_gauge(
            &mut out,
            "bidder_campaigns",
            "Campaigns loaded.",
            campaigns.len(),
        );
        write_gauge(
            &mut out,
            "bidder_pending_bids",
            "Bids awaiting a win or loss notice.",
            pending,
        );
        write_gauge(
            &mut out,
            "bidder_in_flight",
            "Requests being worked on.",
            in_flight,
        );
        self.latency.write(
            &mut out,
            "bidder_request_duration_seconds",
            "Bid request handling time.",
        );
        out.push_str("# HELP bidder_campaign_spend_usd Spend charged per campaign, USD.\n");
        out.push_str("# TYPE bidder_campaign_spend_usd gauge\n");
        for live in &campaigns.campaigns {
            let spent = live.budget.spent() as f64 / 1e6;
            let _ = writeln!(
                out,
                "bidder_campaign_spend_usd{{campaign=\"{}\"}} {spent}",
                live.campaign.id
            );
        }
        out.push_str("# HELP bidder_campaign_budget_usd Budget per campaign, USD.\n");
        out.push_str("# TYPE bidder_campaign_budget_usd gauge\n");
        for live in &campaigns.campaigns {
            let total = live.budget.total() as f64 / 1e6;
            let _ = writeln!(
                out,
                "bidder_campaign_budget_usd{{campaign=\"{}\"}} {total}",
                live.campaign.id
            );
        }
        out
    }
}
