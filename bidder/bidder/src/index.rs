//! The loaded campaign set: campaigns bound to their live budgets, indexed by what an impression
//! can show so matching looks at a short candidate list instead of every campaign.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::campaign::{Campaign, MediaFormat};
use crate::freqcap::hash_key;
use crate::targeting::TargetingIndex;

#[derive(Debug)]
pub struct LiveCampaign {
    pub campaign: Campaign,
    pub budget: Arc<Budget>,
    /// Stable across reloads (hash of the id), used for frequency-cap keys.
    pub key: u64,
}

#[derive(Debug)]
pub struct CampaignSet {
    pub campaigns: Vec<LiveCampaign>,
    pub targeting: TargetingIndex,
    banner_by_size: HashMap<(u32, u32), Vec<usize>>,
    /// Video and audio campaigns by their creative's (lower-cased) MIME type.
    video_by_mime: HashMap<String, Vec<usize>>,
    audio_by_mime: HashMap<String, Vec<usize>>,
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
        let mut set = CampaignSet {
            targeting: TargetingIndex::build(&campaigns.iter().collect::<Vec<_>>()),
            campaigns: Vec::with_capacity(campaigns.len()),
            banner_by_size: HashMap::new(),
            video_by_mime: HashMap::new(),
            audio_by_mime: HashMap::new(),
            native: Vec::new(),
        };
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
                MediaFormat::Video => set
                    .video_by_mime
                    .entry(c.mime.clone().unwrap_or_default())
                    .or_default()
                    .push(i),
                MediaFormat::Audio => set
                    .audio_by_mime
                    .entry(c.mime.clone().unwrap_or_default())
                    .or_default()
                    .push(i),
                MediaFormat::Native => set.native.push(i),
            }
            let key = hash_key(&campaign.id);
            set.campaigns.push(LiveCampaign {
                campaign,
                budget,
                key,
            });
        }
        set
    }

    pub fn banner(&self, w: u32, h: u32) -> &[usize] {
        self.banner_by_size.get(&(w, h)).map_or(&[], Vec::as_slice)
    }

    /// Campaigns whose video creative has this (lower-case) MIME type.
    pub fn video(&self, mime: &str) -> &[usize] {
        self.video_by_mime.get(mime).map_or(&[], Vec::as_slice)
    }

    /// Campaigns whose audio creative has this (lower-case) MIME type.
    pub fn audio(&self, mime: &str) -> &[usize] {
        self.audio_by_mime.get(mime).map_or(&[], Vec::as_slice)
    }

    pub fn native(&self) -> &[usize] {
        &self.native
    }

    pub fn len(&self) -> usize {
        self.campaigns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.campaigns.is_empty()
    }
}
