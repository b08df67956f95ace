//! Bids that left without an outcome yet. Each holds a budget reservation and maybe a
//! frequency-cap slot until its win, billing or loss notice arrives, or until it expires.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::campaign::usd_to_micros;
use crate::freqcap::{FreqSlot, FrequencyCaps};
use crate::index::LiveCampaign;

const SHARDS: usize = 32;

#[derive(Debug)]
struct Pending {
    budget: Arc<Budget>,
    reserved: u64,
    slot: Option<FreqSlot>,
    expires: Instant,
}

/// What a notice did, for the response code and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Spend recorded (micro-dollars).
    Charged(u64),
    Released,
    /// The bid id is unknown or its outcome was already recorded.
    Unknown,
}

/// One lock's worth of pending bids, with their ids in the order they expire (the TTL is the same
/// for all), so expiry pops from the front instead of scanning every pending bid.
#[derive(Debug, Default)]
struct Shard {
    pending: HashMap<u64, Pending>,
    expiry: VecDeque<(Instant, u64)>,
}

#[derive(Debug)]
pub struct Ledger {
    shards: Vec<Mutex<Shard>>,
    caps: FrequencyCaps,
    next_id: AtomicU64,
    ttl: Duration,
    clock: Instant,
}

/// CPM (per thousand) to the micro-dollars one impression costs.
pub fn cpm_to_impression_micros(cpm: f64) -> u64 {
    usd_to_micros(cpm / 1000.0)
}

impl Ledger {
    pub fn new(ttl: Duration, clock: Instant) -> Self {
        Ledger {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            caps: FrequencyCaps::default(),
            next_id: AtomicU64::new(1),
            ttl,
            clock,
        }
    }

    fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[(id as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn secs(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.clock).as_secs()
    }

    /// Reserves budget for a bid at `price_cpm` and a frequency slot for `user`; returns the bid id
    /// on success, or `None` (and holds nothing) when the budget or the cap says no.
    pub fn hold(
        &self,
        live: &LiveCampaign,
        price_cpm: f64,
        user: Option<u64>,
        now: Instant,
    ) -> Option<u64> {
        let amount = cpm_to_impression_micros(price_cpm);
        let slot = match (live.campaign.frequency_cap, user) {
            (Some(cap), Some(user)) => {
                Some(self.caps.try_take(live.key, user, cap, self.secs(now))?)
            }
            _ => None,
        };
        if !live.budget.reserve(amount, now) {
            if let Some(slot) = slot {
                self.caps.give_back(slot);
            }
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let pending = Pending {
            budget: Arc::clone(&live.budget),
            reserved: amount,
            slot,
            expires: now + self.ttl,
        };
        let expires = pending.expires;
        let mut shard = self.shard(id);
        shard.pending.insert(id, pending);
        shard.expiry.push_back((expires, id));
        Some(id)
    }

    fn take(&self, id: u64) -> Option<Pending> {
        self.shard(id).pending.remove(&id)
    }

    /// A win or billing notice: the first one for a bid charges the clearing price.
    pub fn win(&self, id: u64, price_cpm: f64) -> Outcome {
        match self.take(id) {
            Some(p) => Outcome::Charged(
                p.budget
                    .settle(p.reserved, cpm_to_impression_micros(price_cpm)),
            ),
            None => Outcome::Unknown,
        }
    }

    /// A loss notice, or a bid withdrawn before it left: frees the budget and the cap slot.
    pub fn loss(&self, id: u64) -> Outcome {
        match self.take(id) {
            Some(p) => {
                self.free(p);
                Outcome::Released
            }
            None => Outcome::Unknown,
        }
    }

    fn free(&self, p: Pending) {
        p.budget.release(p.reserved);
        if let Some(slot) = p.slot {
            self.caps.give_back(slot);
        }
    }

    /// Releases every bid whose notice did not come within the TTL (treated as lost); returns how
    /// many. Work is proportional to the bids that expired, not to all pending ones.
    pub fn expire(&self, now: Instant) -> usize {
        let mut expired = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            while shard.expiry.front().is_some_and(|(at, _)| *at <= now) {
                let (_, id) = shard.expiry.pop_front().expect("front checked");
                // Bids settled by a notice are already gone from the map.
                expired.extend(shard.pending.remove(&id));
            }
        }
        let n = expired.len();
        expired.into_iter().for_each(|p| self.free(p));
        n
    }

    pub fn pending(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).pending.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{CampaignConfig, CreativeConfig, FrequencyCapConfig, MediaFormat};
    use crate::index::CampaignSet;

    fn one_campaign(budget: f64, cap: Option<FrequencyCapConfig>) -> CampaignSet {
        let cfg = CampaignConfig {
            id: "c".into(),
            seat: "s".into(),
            bid_cpm: 2.0,
            budget,
            pace_over_secs: None,
            adomain: vec![],
            cat: vec![],
            bundle: None,
            creative: CreativeConfig {
                id: "cr".into(),
                format: MediaFormat::Native,
                w: None,
                h: None,
                mime: None,
                duration: None,
                attr: vec![],
                adm: "{}".into(),
            },
            targeting: Default::default(),
            deals: vec![],
            frequency_cap: cap,
        };
        CampaignSet::build(vec![cfg.compile("c").unwrap()], None, Instant::now())
    }

    #[test]
    fn win_charges_once_and_loss_frees() {
        let now = Instant::now();
        let set = one_campaign(0.005, None);
        let live = &set.campaigns[0];
        let ledger = Ledger::new(Duration::from_secs(30), now);
        let a = ledger.hold(live, 2.0, None, now).unwrap();
        let b = ledger.hold(live, 2.0, None, now).unwrap();
        assert!(
            ledger.hold(live, 2.0, None, now).is_none(),
            "5000 micros fit two 2000-micro bids"
        );
        assert_eq!(ledger.win(a, 1.5), Outcome::Charged(1500));
        assert_eq!(
            ledger.win(a, 1.5),
            Outcome::Unknown,
            "duplicate notices charge nothing"
        );
        assert_eq!(ledger.loss(b), Outcome::Released);
        assert_eq!(live.budget.spent(), 1500);
        assert!(ledger.hold(live, 2.0, None, now).is_some());
    }

    #[test]
    fn expiry_releases_budget_and_cap() {
        let now = Instant::now();
        let set = one_campaign(
            1.0,
            Some(FrequencyCapConfig {
                max: 1,
                window_secs: 3600,
            }),
        );
        let live = &set.campaigns[0];
        let ledger = Ledger::new(Duration::from_secs(1), now);
        assert!(ledger.hold(live, 2.0, Some(42), now).is_some());
        assert!(
            ledger.hold(live, 2.0, Some(42), now).is_none(),
            "capped at one"
        );
        assert_eq!(ledger.expire(now + Duration::from_secs(2)), 1);
        assert_eq!(live.budget.committed(), 0);
        assert!(ledger.hold(live, 2.0, Some(42), now).is_some());
    }
}
