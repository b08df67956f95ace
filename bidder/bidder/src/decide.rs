//! Turns a validated request into bids: request-level targeting and blocks once (a bitset over
//! the campaigns, see `targeting`), then per
//! impression the indexed candidates, their floors and deals, price by auction type, and a budget
//! and frequency hold for the best candidate that can still pay.

use std::borrow::Cow;
use std::time::Instant;

use openrtb::{Banner, BidRequest, Deal, Imp, Str};

use crate::campaign::{Campaign, MediaFormat};
use crate::freqcap::hash_key;
use crate::index::{CampaignSet, LiveCampaign};
use crate::ledger::Ledger;
use crate::pricing::bid_price;
use crate::targeting::lower;

/// One bid decided for one impression.
#[derive(Debug)]
pub struct Decided<'r, 's> {
    pub bid_id: u64,
    pub imp: &'r Imp<'r>,
    pub live: &'s LiveCampaign,
    pub price: f64,
    pub deal: Option<&'r Deal<'r>>,
}

fn contains(list: &[Str<'_>], v: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(v))
}

/// Whether the campaign's creative fits what the impression can show.
fn fits(c: &Campaign, imp: &Imp<'_>) -> bool {
    let cr = &c.creative;
    let blocked = |battr: &[u32]| cr.attr.iter().any(|a| battr.contains(a));
    let duration_ok = |min: Option<u32>, max: Option<u32>| {
        let d = cr.duration.unwrap_or(0);
        min.is_none_or(|m| d >= m) && max.is_none_or(|m| d <= m)
    };
    let mime_ok = |mimes: &[Str<'_>]| cr.mime.as_ref().is_some_and(|m| contains(mimes, m));
    match cr.format {
        MediaFormat::Banner => imp.banner.as_ref().is_some_and(|b| !blocked(&b.battr)),
        MediaFormat::Video => imp.video.as_ref().is_some_and(|v| {
            !blocked(&v.battr) && mime_ok(&v.mimes) && duration_ok(v.minduration, v.maxduration)
        }),
        MediaFormat::Audio => imp
            .audio
            .as_ref()
            .is_some_and(|a| mime_ok(&a.mimes) && duration_ok(a.minduration, a.maxduration)),
        MediaFormat::Native => imp.native.as_ref().is_some_and(|n| !blocked(&n.battr)),
    }
}

/// The first deal of the impression this campaign may bid on.
fn eligible_deal<'r>(c: &Campaign, imp: &'r Imp<'r>) -> Option<&'r Deal<'r>> {
    let pmp = imp.pmp.as_ref()?;
    pmp.deals.iter().find(|d| {
        c.deals.contains(&*d.id)
            && (d.wseat.is_empty() || contains(&d.wseat, &c.seat))
            && (d.wadomain.is_empty() || c.adomain.iter().any(|a| contains(&d.wadomain, a)))
            && (d.bidfloorcur == "USD" || d.bidfloor == 0.0)
    })
}

fn candidates(set: &CampaignSet, imp: &Imp<'_>, out: &mut Vec<usize>) {
    if let Some(banner) = &imp.banner {
        push_banner_sizes(set, banner, out);
    }
    if let Some(video) = &imp.video {
        push_by_mime(&video.mimes, |m| set.video(m), out);
    }
    if let Some(audio) = &imp.audio {
        push_by_mime(&audio.mimes, |m| set.audio(m), out);
    }
    if imp.native.is_some() {
        out.extend_from_slice(set.native());
    }
}

fn push_by_mime<'s>(
    mimes: &[Str<'_>],
    campaigns_for: impl Fn(&str) -> &'s [usize],
    out: &mut Vec<usize>,
) {
    let mut seen: Vec<Cow<'_, str>> = Vec::new();
    for mime in mimes {
        let mime = lower(mime);
        if !seen.contains(&mime) {
            out.extend_from_slice(campaigns_for(&mime));
            seen.push(mime);
        }
    }
}

fn push_banner_sizes(set: &CampaignSet, banner: &Banner<'_>, out: &mut Vec<usize>) {
    let mut seen: Vec<(u32, u32)> = Vec::new();
    for size in banner.sizes() {
        if !seen.contains(&size) {
            seen.push(size);
            out.extend_from_slice(set.banner(size.0, size.1));
        }
    }
}

type Priced<'r> = (f64, usize, Option<&'r Deal<'r>>);

/// Takes the highest-priced candidate (deals win ties) whose budget and frequency cap still allow
/// a bid, dropping those that cannot pay; a full sort is rarely needed, so none is done.
fn best_that_can_pay<'r>(
    priced: &mut Vec<Priced<'r>>,
    set: &CampaignSet,
    ledger: &Ledger,
    user: Option<u64>,
    now: Instant,
) -> Option<(u64, usize, f64, Option<&'r Deal<'r>>)> {
    while !priced.is_empty() {
        let mut best = 0;
        for (k, cand) in priced.iter().enumerate().skip(1) {
            let top = &priced[best];
            if cand.0 > top.0 || cand.0 == top.0 && cand.2.is_some() && top.2.is_none() {
                best = k;
            }
        }
        let (price, i, deal) = priced.swap_remove(best);
        if let Some(bid_id) = ledger.hold(&set.campaigns[i], price, user, now) {
            return Some((bid_id, i, price, deal));
        }
    }
    None
}

pub struct DecideParams {
    /// First-price bids pay this share of the campaign's value (0 < shading <= 1).
    pub shading: f64,
}

/// Decides at most one bid per impression; every returned bid holds budget in `ledger`.
pub fn decide<'r, 's>(
    req: &'r BidRequest<'r>,
    set: &'s CampaignSet,
    ledger: &Ledger,
    params: &DecideParams,
    now: Instant,
) -> Vec<Decided<'r, 's>> {
    let mut out = Vec::new();
    if !req.accepts_currency("USD") {
        return out;
    }
    let admitted = set.targeting.admitted(req);
    let user = req.user_key().map(hash_key);
    let mut ids = Vec::new();
    let mut priced: Vec<Priced<'r>> = Vec::new();
    for imp in &req.imp {
        if imp.bidfloorcur != "USD" && imp.bidfloor > 0.0 {
            continue; // no currency conversion here: a foreign floor cannot be compared
        }
        ids.clear();
        priced.clear();
        candidates(set, imp, &mut ids);
        let private = imp.pmp.as_ref().is_some_and(|p| p.private_auction == 1);
        for &i in &ids {
            let c = &set.campaigns[i].campaign;
            // Cheapest checks first: the value must reach the floor whatever the deal.
            if c.bid_cpm < imp.bidfloor || !admitted.get(i) || !fits(c, imp) {
                continue;
            }
            let deal = eligible_deal(c, imp);
            if private && deal.is_none() {
                continue;
            }
            let floor = deal.map_or(imp.bidfloor, |d| d.bidfloor.max(imp.bidfloor));
            let at = deal.and_then(|d| d.at).unwrap_or(req.at);
            if let Some(price) = bid_price(at, c.bid_cpm, floor, params.shading) {
                priced.push((price, i, deal));
            }
        }
        out.extend(best_that_can_pay(&mut priced, set, ledger, user, now).map(
            |(bid_id, i, price, deal)| Decided {
                bid_id,
                imp,
                live: &set.campaigns[i],
                price,
                deal,
            },
        ));
    }
    out
}
