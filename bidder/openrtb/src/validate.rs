//! The rules of the spec a document must satisfy before anyone acts on it.

use std::collections::HashSet;

use crate::error::ValidationError;
use crate::request::{BidRequest, Imp, Str};
use crate::response::Bid;

type Result<T = ()> = std::result::Result<T, ValidationError>;

fn require(ok: bool, field: impl FnOnce() -> String, reason: &str) -> Result {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(field(), reason))
    }
}

fn valid_price(p: f64) -> bool {
    p.is_finite() && p >= 0.0
}

/// Checks what OpenRTB 2.6 requires of a bid request: an id, at least one impression each with a
/// unique id and at least one of banner/video/audio/native, exactly one of site/app/dooh, and sane
/// floors, auction type and tmax.
pub fn validate_request(req: &BidRequest<'_>) -> Result {
    require(!req.id.is_empty(), || "id".into(), "must not be empty")?;
    require(
        !req.imp.is_empty(),
        || "imp".into(),
        "must contain at least one impression",
    )?;
    let mut seen = HashSet::with_capacity(req.imp.len());
    for (i, imp) in req.imp.iter().enumerate() {
        validate_imp(i, imp)?;
        require(
            seen.insert(&*imp.id),
            || format!("imp[{i}].id"),
            "duplicate impression id",
        )?;
    }
    let contexts = [req.site.is_some(), req.app.is_some(), req.dooh.is_some()];
    require(
        contexts.iter().filter(|c| **c).count() == 1,
        || "site|app|dooh".into(),
        "exactly one of site, app or dooh is required",
    )?;
    require(
        matches!(req.at, 1..=3) || req.at > 500,
        || "at".into(),
        "must be 1 (first price), 2 (second price), 3 (fixed deal price) or exchange specific (>500)",
    )?;
    require(req.tmax != Some(0), || "tmax".into(), "must be positive")?;
    for (i, c) in req.cur.iter().enumerate() {
        require(
            is_currency_code(c),
            || format!("cur[{i}]"),
            "must be an ISO-4217 code",
        )?;
    }
    Ok(())
}

fn is_currency_code(c: &str) -> bool {
    c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
}

fn validate_imp(i: usize, imp: &Imp<'_>) -> Result {
    let at = |f: &str| format!("imp[{i}].{f}");
    require(!imp.id.is_empty(), || at("id"), "must not be empty")?;
    require(
        imp.banner.is_some() || imp.video.is_some() || imp.audio.is_some() || imp.native.is_some(),
        || at("banner|video|audio|native"),
        "at least one of banner, video, audio or native is required",
    )?;
    require(
        valid_price(imp.bidfloor),
        || at("bidfloor"),
        "must be a non-negative number",
    )?;
    require(
        is_currency_code(&imp.bidfloorcur),
        || at("bidfloorcur"),
        "must be an ISO-4217 code",
    )?;
    if let Some(v) = &imp.video {
        require(
            !v.mimes.is_empty(),
            || at("video.mimes"),
            "must not be empty",
        )?;
        if let (Some(min), Some(max)) = (v.minduration, v.maxduration) {
            require(
                min <= max,
                || at("video.minduration"),
                "must not exceed maxduration",
            )?;
        }
    }
    if let Some(a) = &imp.audio {
        require(
            !a.mimes.is_empty(),
            || at("audio.mimes"),
            "must not be empty",
        )?;
    }
    if let Some(n) = &imp.native {
        require(
            !n.request.is_empty(),
            || at("native.request"),
            "must not be empty",
        )?;
    }
    if let Some(pmp) = &imp.pmp {
        for (d, deal) in pmp.deals.iter().enumerate() {
            require(
                !deal.id.is_empty(),
                || at(&format!("pmp.deals[{d}].id")),
                "must not be empty",
            )?;
            require(
                valid_price(deal.bidfloor),
                || at(&format!("pmp.deals[{d}].bidfloor")),
                "must be a non-negative number",
            )?;
        }
        require(
            pmp.private_auction == 0 || !pmp.deals.is_empty(),
            || at("pmp.deals"),
            "a private auction needs at least one deal",
        )?;
    }
    Ok(())
}

/// Checks one bid of a response against the request it answers: known impression, positive price
/// at or above the floor (imp or deal) in an accepted currency, and nothing the request blocks.
/// `field` prefixes error names, e.g. `seatbid[0].bid[1]`.
pub fn validate_response_against(
    req: &BidRequest<'_>,
    cur: &str,
    seat: Option<&Str<'_>>,
    bid: &Bid<'_>,
    field: &str,
) -> Result {
    let at = |f: &str| format!("{field}.{f}");
    require(!bid.id.is_empty(), || at("id"), "must not be empty")?;
    require(
        bid.price.is_finite() && bid.price > 0.0,
        || at("price"),
        "must be a positive number",
    )?;
    require(
        req.accepts_currency(cur),
        || "cur".into(),
        "currency not accepted by the request",
    )?;
    let imp = req
        .imp
        .iter()
        .find(|imp| imp.id == bid.impid)
        .ok_or_else(|| ValidationError::new(at("impid"), "names no impression of the request"))?;
    let floor_cur_ok = *imp.bidfloorcur == *cur || imp.bidfloor == 0.0;
    require(
        floor_cur_ok,
        || at("price"),
        "currency differs from the floor's currency",
    )?;
    require(
        bid.price >= imp.bidfloor,
        || at("price"),
        "below the impression floor",
    )?;
    let pmp = imp.pmp.as_ref();
    match bid.dealid.as_ref() {
        Some(dealid) => {
            let deal = pmp
                .and_then(|p| p.deals.iter().find(|d| d.id == *dealid))
                .ok_or_else(|| {
                    ValidationError::new(at("dealid"), "names no deal of the impression")
                })?;
            require(
                bid.price >= deal.bidfloor,
                || at("price"),
                "below the deal floor",
            )?;
            if let Some(seat) = seat {
                require(
                    deal.wseat.is_empty() || deal.wseat.contains(seat),
                    || at("dealid"),
                    "seat not allowed on this deal",
                )?;
            }
        }
        None => require(
            pmp.is_none_or(|p| p.private_auction == 0),
            || at("dealid"),
            "required: the impression is a private auction",
        )?,
    }
    if let Some(seat) = seat {
        require(
            req.wseat.is_empty() || req.wseat.contains(seat),
            || "seatbid.seat".into(),
            "not in the request's wseat",
        )?;
        require(
            !req.bseat.contains(seat),
            || "seatbid.seat".into(),
            "blocked by bseat",
        )?;
    }
    for (k, d) in bid.adomain.iter().enumerate() {
        require(
            !req.badv.contains(d),
            || at(&format!("adomain[{k}]")),
            "blocked by badv",
        )?;
    }
    for (k, c) in bid.cat.iter().enumerate() {
        require(
            !req.bcat.contains(c),
            || at(&format!("cat[{k}]")),
            "blocked by bcat",
        )?;
    }
    if let Some(bundle) = &bid.bundle {
        require(
            !req.bapp.contains(bundle),
            || at("bundle"),
            "blocked by bapp",
        )?;
    }
    Ok(())
}
