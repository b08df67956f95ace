//! Campaign budgets counted in micro-dollars with lock-free reservations: a bid reserves its
//! maximum cost before it leaves, a win settles the reservation at the clearing price and a loss
//! releases it, so concurrent wins can never push spend past the budget.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Budget {
    total: AtomicU64,
    /// Spent plus reserved; never above the (paced) limit.
    committed: AtomicU64,
    spent: AtomicU64,
    /// Even pacing: the limit grows linearly from `started` to `total` over this many seconds (0 = off).
    pace_secs: AtomicU64,
    started: Instant,
}

impl Budget {
    pub fn new(total_micros: u64, pace_over: Option<Duration>, started: Instant) -> Self {
        Budget {
            total: AtomicU64::new(total_micros),
            committed: AtomicU64::new(0),
            spent: AtomicU64::new(0),
            pace_secs: AtomicU64::new(pace_over.map_or(0, |d| d.as_secs())),
            started,
        }
    }

    /// A reloaded campaign keeps its spend; only its limits change.
    pub fn update_limits(&self, total_micros: u64, pace_over: Option<Duration>) {
        self.total.store(total_micros, Ordering::Release);
        self.pace_secs
            .store(pace_over.map_or(0, |d| d.as_secs()), Ordering::Release);
    }

    /// What may be committed by `now`: the whole budget, or its evenly paced share. The first
    /// second's share is available at once so a paced campaign can bid right after loading.
    fn limit(&self, now: Instant) -> u64 {
        let total = self.total.load(Ordering::Acquire);
        let pace = self.pace_secs.load(Ordering::Acquire);
        if pace == 0 {
            return total;
        }
        let elapsed = now.saturating_duration_since(self.started).as_millis() + 1000;
        let paced = u128::from(total) * elapsed / (u128::from(pace) * 1000);
        paced.min(u128::from(total)) as u64
    }

    /// Reserves `amount` if it fits under the limit; the compare-and-swap loop makes the check and
    /// the increment one atomic step.
    pub fn reserve(&self, amount: u64, now: Instant) -> bool {
        let limit = self.limit(now);
        let mut current = self.committed.load(Ordering::Acquire);
        loop {
            let Some(next) = current.checked_add(amount).filter(|n| *n <= limit) else {
                return false;
            };
            match self.committed.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
        }
    }

    /// Turns a reservation into spend at `actual` (capped at what was reserved) and frees the rest.
    /// Returns what was charged.
    pub fn settle(&self, reserved: u64, actual: u64) -> u64 {
        let charged = actual.min(reserved);
        self.spent.fetch_add(charged, Ordering::AcqRel);
        self.committed
            .fetch_sub(reserved - charged, Ordering::AcqRel);
        charged
    }

    pub fn release(&self, reserved: u64) {
        self.committed.fetch_sub(reserved, Ordering::AcqRel);
    }

    /// A win whose reservation already expired is charged only if the budget still has room.
    pub fn charge_unreserved(&self, amount: u64, now: Instant) -> bool {
        let ok = self.reserve(amount, now);
        if ok {
            self.settle(amount, amount);
        }
        ok
    }

    pub fn spent(&self) -> u64 {
        self.spent.load(Ordering::Acquire)
    }

    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    #[test]
    fn paced_limit_grows_with_time() {
        let t0 = Instant::now();
        let b = Budget::new(100_000, Some(Duration::from_secs(100)), t0);
        assert!(b.reserve(1_000, t0));
        assert!(
            !b.reserve(1, t0),
            "only the first second's share is open at start"
        );
        assert!(b.reserve(9_000, t0 + Duration::from_secs(9)));
        assert!(b.reserve(90_000, t0 + Duration::from_secs(500)));
        assert!(!b.reserve(1, t0 + Duration::from_secs(500)));
    }

    #[test]
    fn settle_frees_the_difference_and_release_frees_all() {
        let t = Instant::now();
        let b = Budget::new(10, None, t);
        assert!(b.reserve(6, t));
        assert!(!b.reserve(5, t));
        assert_eq!(b.settle(6, 2), 2);
        assert!(b.reserve(8, t));
        b.release(8);
        assert_eq!((b.spent(), b.committed()), (2, 2));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Threads race to reserve and then win (at a random fraction of the reservation) or lose;
        /// spend never exceeds the budget, and when all settle, committed equals spent.
        #[test]
        fn concurrent_wins_never_overspend(
            total in 1_000u64..200_000,
            threads in 2usize..6,
            plans in proptest::collection::vec((1u64..5_000, 0u64..=100, any::<bool>()), 50..300),
        ) {
            let now = Instant::now();
            let budget = Arc::new(Budget::new(total, None, now));
            let plans = Arc::new(plans);
            let handles: Vec<_> = (0..threads).map(|t| {
                let (budget, plans) = (budget.clone(), plans.clone());
                std::thread::spawn(move || {
                    for (i, (amount, pct, wins)) in plans.iter().enumerate() {
                        if i % threads != t { continue; }
                        if budget.reserve(*amount, now) {
                            assert!(budget.spent() <= total);
                            if *wins { budget.settle(*amount, amount * pct / 100); } else { budget.release(*amount); }
                        }
                        assert!(budget.committed() <= total);
                    }
                })
            }).collect();
            for h in handles { h.join().unwrap(); }
            prop_assert!(budget.spent() <= total);
            prop_assert_eq!(budget.committed(), budget.spent());
        }
    }
}
