//! Frequency caps per (campaign, user) over fixed windows. A bid takes a slot before it leaves and
//! a loss gives it back, so concurrent bids cannot exceed the cap.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use crate::campaign::FrequencyCapConfig;

const SHARDS: usize = 32;
/// Past this many entries a shard drops windows that have ended before inserting more.
const SHARD_SWEEP_AT: usize = 50_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    start: u64,
    count: u32,
    len: u64,
}

/// A slot taken in a window; handed back on loss so the window start identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreqSlot {
    pub campaign: u64,
    pub user: u64,
    pub window_start: u64,
}

#[derive(Debug)]
pub struct FrequencyCaps {
    shards: Vec<Mutex<HashMap<(u64, u64), Window>>>,
}

impl Default for FrequencyCaps {
    fn default() -> Self {
        FrequencyCaps {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

pub fn hash_key(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl FrequencyCaps {
    fn shard(&self, campaign: u64, user: u64) -> &Mutex<HashMap<(u64, u64), Window>> {
        &self.shards[((campaign ^ user.rotate_left(17)) as usize) % SHARDS]
    }

    /// Takes one impression slot at time `now_secs` if the cap allows it.
    pub fn try_take(
        &self,
        campaign: u64,
        user: u64,
        cap: FrequencyCapConfig,
        now_secs: u64,
    ) -> Option<FreqSlot> {
        let mut map = self
            .shard(campaign, user)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if map.len() >= SHARD_SWEEP_AT {
            map.retain(|_, w| now_secs < w.start + w.len);
        }
        let w = map.entry((campaign, user)).or_insert(Window {
            start: now_secs,
            count: 0,
            len: cap.window_secs,
        });
        if now_secs >= w.start + w.len {
            *w = Window {
                start: now_secs,
                count: 0,
                len: cap.window_secs,
            };
        }
        if w.count >= cap.max {
            return None;
        }
        w.count += 1;
        Some(FreqSlot {
            campaign,
            user,
            window_start: w.start,
        })
    }

    /// Returns a slot whose bid lost; a slot from an older window has nothing left to return.
    pub fn give_back(&self, slot: FreqSlot) {
        let mut map = self
            .shard(slot.campaign, slot.user)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(w) = map.get_mut(&(slot.campaign, slot.user)) {
            if w.start == slot.window_start && w.count > 0 {
                w.count -= 1;
            }
        }
    }

    pub fn count(&self, campaign: u64, user: u64) -> u32 {
        let map = self
            .shard(campaign, user)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.get(&(campaign, user)).map_or(0, |w| w.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    #[test]
    fn window_rolls_over() {
        let f = FrequencyCaps::default();
        let cap = FrequencyCapConfig {
            max: 2,
            window_secs: 60,
        };
        assert!(f.try_take(1, 7, cap, 0).is_some());
        let second = f.try_take(1, 7, cap, 10).unwrap();
        assert!(f.try_take(1, 7, cap, 59).is_none());
        assert!(f.try_take(2, 7, cap, 59).is_some(), "caps are per campaign");
        assert!(f.try_take(1, 8, cap, 59).is_some(), "caps are per user");
        f.give_back(second);
        assert!(
            f.try_take(1, 7, cap, 59).is_some(),
            "a lost bid frees its slot"
        );
        assert!(
            f.try_take(1, 7, cap, 60).is_some(),
            "a new window starts empty"
        );
        f.give_back(second);
        assert_eq!(
            f.count(1, 7),
            1,
            "a slot of an old window is not returned to the new one"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Threads race for slots of a few users, randomly losing some back; no user ever holds
        /// more than `max` slots, and the final count equals taken minus returned.
        #[test]
        fn concurrent_bids_never_exceed_the_cap(max in 1u32..20, threads in 2usize..6, ops in proptest::collection::vec((0u64..4, any::<bool>()), 20..400)) {
            let caps = Arc::new(FrequencyCaps::default());
            let cap = FrequencyCapConfig { max, window_secs: 3600 };
            let ops = Arc::new(ops);
            let handles: Vec<_> = (0..threads).map(|t| {
                let (caps, ops) = (caps.clone(), ops.clone());
                std::thread::spawn(move || {
                    for (i, (user, lose)) in ops.iter().enumerate() {
                        if i % threads != t { continue; }
                        if let Some(slot) = caps.try_take(9, *user, cap, 5) {
                            assert!(caps.count(9, *user) <= max);
                            if *lose { caps.give_back(slot); }
                        }
                    }
                })
            }).collect();
            for h in handles { h.join().unwrap(); }
            for user in 0..4 {
                prop_assert!(caps.count(9, user) <= max);
            }
        }
    }
}
