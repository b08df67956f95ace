//! The loaded campaign set: campaigns bound to their live budgets, indexed by what an impression
//! can show so matching looks at a short candidate list instead of every campaign.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::campaign::{Campaign, MediaFormat};
use crate::freqcap::hash_key;

#[derive(Debug)]
pub struct LiveCampaign {
    pub campaign: Campaign,
    pub targets: Targets,
    pub budget: Arc<Budget>,
    /// Stable across reloads (hash of the id), used for frequency-cap keys.
    pub key: u64,
}

/// Targeting values (already normalised by `Campaign`) interned to small integers when the set is
/// built, so matching a request costs one hash lookup per dimension instead of one per campaign.
#[derive(Debug, Default)]
pub struct Vocabulary(HashMap<String, u32>);

impl Vocabulary {
    fn intern(&mut self, s: &str) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(s.to_string()).or_insert(next)
    }

    fn intern_all<'a>(&mut self, values: impl IntoIterator<Item = &'a String>) -> Vec<u32> {
        let mut ids: Vec<u32> = values.into_iter().map(|v| self.intern(v)).collect();
        ids.sort_unstable();
        ids
    }

    /// The id of a normalised value, or `None` if no campaign mentions it.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.0.get(s).copied()
    }
}

/// A campaign's allow and deny lists as vocabulary ids; an empty allow list allows everything.
#[derive(Debug, Default)]
pub struct Targets {
    pub countries: Vec<u32>,
    pub regions: Vec<u32>,
    pub os: Vec<u32>,
    pub site_domains: Vec<u32>,
    pub site_domains_deny: Vec<u32>,
    pub app_bundles: Vec<u32>,
    pub app_bundles_deny: Vec<u32>,
}

#[derive(Debug, Default)]
pub struct CampaignSet {
    pub campaigns: Vec<LiveCampaign>,
    pub vocabulary: Vocabulary,
    banner_by_size: HashMap<(u32, u32), Vec<usize>>,
    video: Vec<usize>,
    audio: Vec<usize>,
    native: Vec<usize>,
}

impl CampaignSet {
    /// Builds the set, carrying budgets (and so spend) over from `previous` for campaigns whose id
    /// is unchanged.
    pub fn build(
        campaigns: Vec<Campaign>,
        previous: Option<&CampaignSet>,
        now: Instant,
    ) -> CampaignSet {
        let old: HashMap<&str, &Arc<Budget>> = previous
            .map(|p| {
                p.campaigns
                    .iter()
                    .map(|l| (l.campaign.id.as_str(), &l.budget))
                    .collect()
            })
            .unwrap_or_default();
        let mut set = CampaignSet::default();
        for (i, campaign) in campaigns.into_iter().enumerate() {
            let pace = campaign.pace_over_secs.map(Duration::from_secs);
            let budget = match old.get(campaign.id.as_str()) {
                Some(b) => {
                    b.update_limits(campaign.budget_micros, pace);
                    Arc::clone(b)
                }
                None => Arc::new(Budget::new(campaign.budget_micros, pace, now)),
            };
            let c = &campaign.creative;
            match c.format {
                MediaFormat::Banner => set
                    .banner_by_size
                    .entry((c.w.unwrap_or(0), c.h.unwrap_or(0)))
                    .or_default()
                    .push(i),
                MediaFormat::Video => set.video.push(i),
                MediaFormat::Audio => set.audio.push(i),
                MediaFormat::Native => set.native.push(i),
            }
            let key = hash_key(&campaign.id);
            let v = &mut set.vocabulary;
            let targets = Targets {
                countries: v.intern_all(&campaign.countries),
                regions: v.intern_all(&campaign.regions),
                os: v.intern_all(&campaign.os),
                site_domains: v.intern_all(&campaign.site_domains),
                site_domains_deny: v.intern_all(&campaign.site_domains_deny),
                app_bundles: v.intern_all(&campaign.app_bundles),
                app_bundles_deny: v.intern_all(&campaign.app_bundles_deny),
            };
            set.campaigns.push(LiveCampaign {
                campaign,
                targets,
                budget,
                key,
            });
        }
        set
    }

    pub fn banner(&self, w: u32, h: u32) -> &[usize] {
        self.banner_by_size.get(&(w, h)).map_or(&[], Vec::as_slice)
    }

    pub fn by_format(&self, f: MediaFormat) -> &[usize] {
        match f {
            MediaFormat::Banner => &[],
            MediaFormat::Video => &self.video,
            MediaFormat::Audio => &self.audio,
            MediaFormat::Native => &self.native,
        }
    }

    pub fn len(&self) -> usize {
        self.campaigns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.campaigns.is_empty()
    }

    pub fn total_spent_micros(&self) -> u64 {
        self.campaigns.iter().map(|c| c.budget.spent()).sum()
    }
}
