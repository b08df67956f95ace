//! The campaign file: what operators write (`CampaignConfig`), checked field by field, and
//! compiled into the normalised form the hot path matches against (`Campaign`).

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CampaignError {
    #[error("cannot read campaign file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("campaign file {path} is not valid {format}: {reason}")]
    Syntax {
        path: String,
        format: &'static str,
        reason: String,
    },
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn invalid(field: String, reason: &str) -> CampaignError {
    CampaignError::Invalid {
        field,
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignFile {
    #[serde(default)]
    pub campaigns: Vec<CampaignConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignConfig {
    pub id: String,
    /// The buyer seat this campaign bids as (checked against `wseat`/`bseat`).
    pub seat: String,
    /// The most this campaign will pay, CPM in USD.
    pub bid_cpm: f64,
    /// Total spend allowed, in USD.
    pub budget: f64,
    /// Spread the budget evenly over this many seconds from load time instead of spending it ASAP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace_over_secs: Option<u64>,
    #[serde(default)]
    pub adomain: Vec<String>,
    #[serde(default)]
    pub cat: Vec<String>,
    /// The advertised app's bundle, checked against `bapp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    pub creative: CreativeConfig,
    #[serde(default)]
    pub targeting: TargetingConfig,
    /// Deal ids this campaign may bid on; with none it bids in open auctions only.
    #[serde(default)]
    pub deals: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_cap: Option<FrequencyCapConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreativeConfig {
    pub id: String,
    pub format: MediaFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<u32>,
    /// MIME type of a video or audio creative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// Length in seconds of a video or audio creative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// Creative attributes (OpenRTB list 5.3), checked against `battr`.
    #[serde(default)]
    pub attr: Vec<u32>,
    /// Markup returned in `adm`; may contain `${AUCTION_PRICE}` and other macros.
    pub adm: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaFormat {
    Banner,
    Video,
    Audio,
    Native,
}

impl MediaFormat {
    /// The `mtype` code of a bid carrying this format.
    pub fn mtype(self) -> u8 {
        match self {
            MediaFormat::Banner => 1,
            MediaFormat::Video => 2,
            MediaFormat::Audio => 3,
            MediaFormat::Native => 4,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetingConfig {
    /// ISO-3166-1 alpha-3 country codes; empty means anywhere.
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    /// OpenRTB device type codes (list 5.21).
    #[serde(default)]
    pub device_types: Vec<u32>,
    #[serde(default)]
    pub os: Vec<String>,
    #[serde(default)]
    pub site_domains: Vec<String>,
    #[serde(default)]
    pub site_domains_deny: Vec<String>,
    #[serde(default)]
    pub app_bundles: Vec<String>,
    #[serde(default)]
    pub app_bundles_deny: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCapConfig {
    pub max: u32,
    pub window_secs: u64,
}

/// A campaign ready for matching: lists lower-cased into sets, money in micro-dollars.
#[derive(Debug)]
pub struct Campaign {
    pub id: String,
    pub seat: String,
    pub bid_cpm: f64,
    pub budget_micros: u64,
    pub pace_over_secs: Option<u64>,
    pub adomain: Vec<String>,
    pub cat: Vec<String>,
    pub bundle: Option<String>,
    pub creative: CreativeConfig,
    pub countries: HashSet<String>,
    pub regions: HashSet<String>,
    pub device_types: Vec<u32>,
    pub os: HashSet<String>,
    pub site_domains: HashSet<String>,
    pub site_domains_deny: HashSet<String>,
    pub app_bundles: HashSet<String>,
    pub app_bundles_deny: HashSet<String>,
    pub deals: HashSet<String>,
    pub frequency_cap: Option<FrequencyCapConfig>,
}

fn lower_set(v: &[String]) -> HashSet<String> {
    v.iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn upper_set(v: &[String]) -> HashSet<String> {
    v.iter().map(|s| s.to_ascii_uppercase()).collect()
}

/// USD to micro-dollars, the unit budgets are counted in (exact integer arithmetic under CAS).
pub fn usd_to_micros(usd: f64) -> u64 {
    (usd * 1e6).round() as u64
}

impl CampaignConfig {
    pub fn compile(&self, field: &str) -> Result<Campaign, CampaignError> {
        let at = |f: &str| format!("{field}.{f}");
        if self.id.is_empty() {
            return Err(invalid(at("id"), "must not be empty"));
        }
        if self.seat.is_empty() {
            return Err(invalid(at("seat"), "must not be empty"));
        }
        if !(self.bid_cpm.is_finite() && self.bid_cpm > 0.0) {
            return Err(invalid(at("bid_cpm"), "must be a positive number"));
        }
        if !(self.budget.is_finite() && self.budget >= 0.0) {
            return Err(invalid(at("budget"), "must be a non-negative number"));
        }
        if self.pace_over_secs == Some(0) {
            return Err(invalid(at("pace_over_secs"), "must be positive"));
        }
        if let Some(fc) = self.frequency_cap {
            if fc.max == 0 || fc.window_secs == 0 {
                return Err(invalid(
                    at("frequency_cap"),
                    "max and window_secs must be positive",
                ));
            }
        }
        let c = &self.creative;
        if c.adm.is_empty() {
            return Err(invalid(at("creative.adm"), "must not be empty"));
        }
        match c.format {
            MediaFormat::Banner if c.w.is_none() || c.h.is_none() => {
                return Err(invalid(at("creative.w"), "a banner needs w and h"))
            }
            MediaFormat::Video | MediaFormat::Audio
                if c.mime.as_deref().unwrap_or("").is_empty() =>
            {
                return Err(invalid(
                    at("creative.mime"),
                    "video and audio creatives need a mime type",
                ))
            }
            _ => {}
        }
        let t = &self.targeting;
        Ok(Campaign {
            id: self.id.clone(),
            seat: self.seat.clone(),
            bid_cpm: self.bid_cpm,
            budget_micros: usd_to_micros(self.budget),
            pace_over_secs: self.pace_over_secs,
            adomain: self.adomain.clone(),
            cat: self.cat.clone(),
            bundle: self.bundle.clone(),
            creative: CreativeConfig {
                mime: c.mime.as_ref().map(|m| m.to_ascii_lowercase()),
                ..c.clone()
            },
            countries: upper_set(&t.countries),
            regions: upper_set(&t.regions),
            device_types: t.device_types.clone(),
            os: lower_set(&t.os),
            site_domains: lower_set(&t.site_domains),
            site_domains_deny: lower_set(&t.site_domains_deny),
            app_bundles: lower_set(&t.app_bundles),
            app_bundles_deny: lower_set(&t.app_bundles_deny),
            deals: self.deals.iter().cloned().collect(),
            frequency_cap: self.frequency_cap,
        })
    }
}

impl CampaignFile {
    /// Reads a `.toml` or `.json` campaign file (by extension).
    pub fn load(path: &Path) -> Result<CampaignFile, CampaignError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CampaignError::Read {
            path: shown.clone(),
            source,
        })?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            toml::from_str(&text).map_err(|e| CampaignError::Syntax {
                path: shown,
                format: "TOML",
                reason: e.to_string(),
            })
        } else {
            serde_json::from_str(&text).map_err(|e| CampaignError::Syntax {
                path: shown,
                format: "JSON",
                reason: e.to_string(),
            })
        }
    }

    pub fn compile(&self) -> Result<Vec<Campaign>, CampaignError> {
        let mut ids = HashSet::new();
        self.campaigns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let field = format!("campaigns[{i}]");
                if !ids.insert(c.id.as_str()) {
                    return Err(invalid(format!("{field}.id"), "duplicate campaign id"));
                }
                c.compile(&field)
            })
            .collect()
    }
}
