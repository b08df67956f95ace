//! Request-level targeting as bitsets over the campaign set. At build time every targeting value
//! gets the set of campaigns that admit it; a request then costs a few word-wise ANDs over
//! `campaigns / 64` words instead of walking each candidate campaign's lists (which, with cold
//! caches, is a handful of cache misses per campaign).

use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::hash::Hash;

use openrtb::{BidRequest, Str};

use crate::campaign::Campaign;

/// One bit per campaign, by index in the campaign set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bits(Vec<u64>);

impl Bits {
    fn zeros(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    fn and_not(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }

    fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }
}

/// For each value, the campaigns that list it.
#[derive(Debug)]
struct Listed<K> {
    by_value: HashMap<K, Bits>,
}

impl<K: Hash + Eq> Listed<K> {
    fn build<'c>(
        n: usize,
        campaigns: &'c [&Campaign],
        values: impl Fn(&'c Campaign) -> Vec<K>,
    ) -> Self {
        let mut by_value: HashMap<K, Bits> = HashMap::new();
        for (i, c) in campaigns.iter().enumerate() {
            for v in values(c) {
                by_value.entry(v).or_insert_with(|| Bits::zeros(n)).set(i);
            }
        }
        Listed { by_value }
    }

    fn get<Q: Hash + Eq + ?Sized>(&self, v: &Q) -> Option<&Bits>
    where
        K: Borrow<Q>,
    {
        self.by_value.get(v)
    }
}

/// An allow list dimension: a campaign with an empty list admits every value (and requests that
/// carry none); one with a list admits only the listed values.
#[derive(Debug)]
struct Allow<K> {
    listed: Listed<K>,
    unrestricted: Bits,
}

impl<K: Hash + Eq> Allow<K> {
    fn build<'c>(
        n: usize,
        campaigns: &'c [&Campaign],
        values: impl Fn(&'c Campaign) -> Vec<K>,
    ) -> Self {
        let mut unrestricted = Bits::zeros(n);
        for (i, c) in campaigns.iter().enumerate() {
            if values(c).is_empty() {
                unrestricted.set(i);
            }
        }
        let mut listed = Listed::build(n, campaigns, values);
        for bits in listed.by_value.values_mut() {
            bits.or(&unrestricted);
        }
        Allow {
            listed,
            unrestricted,
        }
    }

    fn admitted<Q: Hash + Eq + ?Sized>(&self, value: Option<&Q>) -> &Bits
    where
        K: Borrow<Q>,
    {
        value
            .and_then(|v| self.listed.get(v))
            .unwrap_or(&self.unrestricted)
    }
}

/// Lower-cased, allocating only when the value is not lower case already (the common case).
pub(crate) fn lower(v: &str) -> Cow<'_, str> {
    if v.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(v.to_ascii_lowercase())
    } else {
        Cow::Borrowed(v)
    }
}

fn upper(v: &str) -> Cow<'_, str> {
    if v.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(v.to_ascii_uppercase())
    } else {
        Cow::Borrowed(v)
    }
}

fn site_domain(d: &str) -> Cow<'_, str> {
    lower(d.trim_start_matches("www."))
}

#[derive(Debug)]
pub struct TargetingIndex {
    n: usize,
    countries: Allow<String>,
    regions: Allow<String>,
    os: Allow<String>,
    device_types: Allow<u32>,
    site_domains: Allow<String>,
    app_bundles: Allow<String>,
    site_domains_deny: Listed<String>,
    app_bundles_deny: Listed<String>,
    /// For `bcat`, `badv`, `bapp`: campaigns carrying each category, advertiser domain, app bundle.
    cats: Listed<String>,
    adomains: Listed<String>,
    bundles: Listed<String>,
    /// For `wseat`/`bseat`.
    seats: Listed<String>,
}

impl TargetingIndex {
    pub fn build(campaigns: &[&Campaign]) -> TargetingIndex {
        let n = campaigns.len();
        let set = |s: &std::collections::HashSet<String>| s.iter().cloned().collect::<Vec<_>>();
        TargetingIndex {
            n,
            countries: Allow::build(n, campaigns, |c| set(&c.countries)),
            regions: Allow::build(n, campaigns, |c| set(&c.regions)),
            os: Allow::build(n, campaigns, |c| set(&c.os)),
            device_types: Allow::build(n, campaigns, |c| c.device_types.clone()),
            site_domains: Allow::build(n, campaigns, |c| set(&c.site_domains)),
            app_bundles: Allow::build(n, campaigns, |c| set(&c.app_bundles)),
            site_domains_deny: Listed::build(n, campaigns, |c| set(&c.site_domains_deny)),
            app_bundles_deny: Listed::build(n, campaigns, |c| set(&c.app_bundles_deny)),
            cats: Listed::build(n, campaigns, |c| {
                c.cat.iter().map(|v| lower(v).into_owned()).collect()
            }),
            adomains: Listed::build(n, campaigns, |c| {
                c.adomain.iter().map(|v| lower(v).into_owned()).collect()
            }),
            bundles: Listed::build(n, campaigns, |c| {
                c.bundle.iter().map(|v| lower(v).into_owned()).collect()
            }),
            seats: Listed::build(n, campaigns, |c| vec![lower(&c.seat).into_owned()]),
        }
    }

    /// The campaigns this request's targeting, blocks (`bcat`/`badv`/`bapp`) and seat rules
    /// (`wseat`/`bseat`) admit; what depends on the impression is checked per impression.
    pub fn admitted(&self, req: &BidRequest<'_>) -> Bits {
        let geo = req.geo();
        let device = req.device.as_ref();
        let site = req
            .site
            .as_ref()
            .and_then(|s| s.domain.as_deref())
            .map(site_domain);
        let app = req
            .app
            .as_ref()
            .and_then(|a| a.bundle.as_deref())
            .map(lower);
        let mut bits = self
            .countries
            .admitted(geo.and_then(|g| g.country.as_deref()).map(upper).as_deref())
            .clone();
        bits.and(
            self.regions
                .admitted(geo.and_then(|g| g.region.as_deref()).map(upper).as_deref()),
        );
        bits.and(
            self.os
                .admitted(device.and_then(|d| d.os.as_deref()).map(lower).as_deref()),
        );
        bits.and(
            self.device_types
                .admitted(device.and_then(|d| d.devicetype).as_ref()),
        );
        bits.and(self.site_domains.admitted(site.as_deref()));
        bits.and(self.app_bundles.admitted(app.as_deref()));
        let deny = |bits: &mut Bits, index: &Listed<String>, value: Option<&str>| {
            if let Some(b) = value.and_then(|v| index.get(v)) {
                bits.and_not(b);
            }
        };
        deny(&mut bits, &self.site_domains_deny, site.as_deref());
        deny(&mut bits, &self.app_bundles_deny, app.as_deref());
        let block_each = |bits: &mut Bits, index: &Listed<String>, values: &[Str<'_>]| {
            for v in values {
                deny(bits, index, Some(&lower(v)));
            }
        };
        block_each(&mut bits, &self.cats, &req.bcat);
        block_each(&mut bits, &self.adomains, &req.badv);
        block_each(&mut bits, &self.bundles, &req.bapp);
        block_each(&mut bits, &self.seats, &req.bseat);
        if !req.wseat.is_empty() {
            let mut allowed = Bits::zeros(self.n);
            for seat in &req.wseat {
                if let Some(b) = self.seats.get(&*lower(seat)) {
                    allowed.or(b);
                }
            }
            bits.and(&allowed);
        }
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{CampaignConfig, CreativeConfig, MediaFormat, TargetingConfig};
    use proptest::prelude::*;
    use serde_json::json;

    /// The rules written out per campaign, as the index must reproduce them.
    fn admits(c: &Campaign, req: &BidRequest<'_>) -> bool {
        let geo = req.geo();
        let device = req.device.as_ref();
        let site = req
            .site
            .as_ref()
            .and_then(|s| s.domain.as_deref())
            .map(site_domain);
        let app = req
            .app
            .as_ref()
            .and_then(|a| a.bundle.as_deref())
            .map(lower);
        let allows = |set: &std::collections::HashSet<String>, v: Option<Cow<'_, str>>| {
            set.is_empty() || v.is_some_and(|v| set.contains(&*v))
        };
        let blocked = |list: &[Str<'_>], v: &str| list.iter().any(|x| x.eq_ignore_ascii_case(v));
        allows(
            &c.countries,
            geo.and_then(|g| g.country.as_deref()).map(upper),
        ) && allows(&c.regions, geo.and_then(|g| g.region.as_deref()).map(upper))
            && allows(&c.os, device.and_then(|d| d.os.as_deref()).map(lower))
            && (c.device_types.is_empty()
                || device
                    .and_then(|d| d.devicetype)
                    .is_some_and(|t| c.device_types.contains(&t)))
            && allows(&c.site_domains, site.clone())
            && allows(&c.app_bundles, app.clone())
            && !site.is_some_and(|s| c.site_domains_deny.contains(&*s))
            && !app.is_some_and(|a| c.app_bundles_deny.contains(&*a))
            && !c.cat.iter().any(|v| blocked(&req.bcat, v))
            && !c.adomain.iter().any(|v| blocked(&req.badv, v))
            && !c.bundle.as_ref().is_some_and(|v| blocked(&req.bapp, v))
            && !blocked(&req.bseat, &c.seat)
            && (req.wseat.is_empty() || blocked(&req.wseat, &c.seat))
    }

    fn pick(opts: &[&'static str], mask: u8) -> Vec<String> {
        opts.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| s.to_string())
            .collect()
    }

    prop_compose! {
        fn campaign()(m in proptest::collection::vec(0u8..16, 12)) -> Campaign {
            CampaignConfig {
                id: "c".into(),
                seat: pick(&["s1", "S2", "s3", "s4"], m[0] | 1)[0].clone(),
                bid_cpm: 1.0,
                budget: 1.0,
                pace_over_secs: None,
                adomain: pick(&["a.example", "B.example", "c.example", "d.example"], m[1]),
                cat: pick(&["IAB1", "iab2", "IAB3", "IAB4"], m[2]),
                bundle: pick(&["com.x", "com.y", "com.z", "com.w"], m[3]).first().cloned(),
                creative: CreativeConfig { id: "cr".into(), format: MediaFormat::Native, w: None, h: None, mime: None, duration: None, attr: vec![], adm: "x".into() },
                targeting: TargetingConfig {
                    countries: pick(&["USA", "deu", "FRA", "GBR"], m[4]),
                    regions: pick(&["CA", "ny", "TX", "BE"], m[5]),
                    device_types: (1..=4).filter(|t| m[6] & (1 << (t - 1)) != 0).collect(),
                    os: pick(&["iOS", "android", "Windows", "linux"], m[7]),
                    site_domains: pick(&["a.com", "B.com", "c.com", "d.com"], m[8]),
                    site_domains_deny: pick(&["a.com", "b.com", "c.com", "d.com"], m[9]),
                    app_bundles: pick(&["com.a", "com.b", "COM.C", "com.d"], m[10]),
                    app_bundles_deny: pick(&["com.a", "com.b", "com.c", "com.d"], m[11]),
                },
                deals: vec![],
                frequency_cap: None,
            }.compile("c").unwrap()
        }
    }

    prop_compose! {
        fn request()(m in proptest::collection::vec(0u8..16, 10), app in any::<bool>()) -> String {
            let one = |opts: &[&str], k: u8| opts.get(k as usize % (opts.len() + 1)).map(|s| s.to_string());
            let mut r = json!({"id": "r", "imp": [{"id": "1", "native": {"request": "{}"}}],
                "device": {"geo": {}}, "bcat": pick(&["iab1", "IAB2", "IAB3", "IAB4"], m[0] & m[9]),
                "badv": pick(&["a.example", "b.example", "c.example", "d.example"], m[1] & m[9]),
                "bapp": pick(&["com.x", "com.y", "com.z", "com.w"], m[2] & m[9]),
                "bseat": pick(&["s1", "s2", "s3", "s4"], m[3] & m[9] & 3),
                "wseat": pick(&["s1", "s2", "s3", "s4"], m[3] >> 2)});
            if let Some(c) = one(&["usa", "DEU", "FRA", "GBR"], m[4]) { r["device"]["geo"]["country"] = json!(c); }
            if let Some(c) = one(&["CA", "NY", "tx", "BE"], m[5]) { r["device"]["geo"]["region"] = json!(c); }
            if m[6] % 5 != 0 { r["device"]["devicetype"] = json!(m[6] % 5); }
            if let Some(c) = one(&["ios", "Android", "windows", "linux"], m[7]) { r["device"]["os"] = json!(c); }
            if app {
                r["app"] = json!({});
                if let Some(b) = one(&["com.a", "com.b", "com.c", "com.d"], m[8]) { r["app"]["bundle"] = json!(b); }
            } else {
                r["site"] = json!({});
                if let Some(d) = one(&["a.com", "www.b.com", "c.com", "D.com"], m[8]) { r["site"]["domain"] = json!(d); }
            }
            r.to_string()
        }
    }

    proptest! {
        #[test]
        fn bitsets_agree_with_the_rules(campaigns in proptest::collection::vec(campaign(), 1..70), body in request()) {
            let req = openrtb::parse_request(body.as_bytes()).unwrap();
            let refs: Vec<&Campaign> = campaigns.iter().collect();
            let bits = TargetingIndex::build(&refs).admitted(&req);
            for (i, c) in campaigns.iter().enumerate() {
                prop_assert_eq!(bits.get(i), admits(c, &req), "campaign {} {:?}\nrequest {}", i, c, body);
            }
        }
    }
}
