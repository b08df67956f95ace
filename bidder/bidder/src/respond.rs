//! The bid response for the bids decided on a request, with notice URLs pointing back here.

use std::fmt::Write;

use bytes::Bytes;
use openrtb::macros::AuctionMacros;
use openrtb::{Bid, BidResponse, SeatBid, Str};

use crate::decide::Decided;

/// Serializes one response: bids grouped by seat, each with win/billing/loss notice URLs under
/// `public_url` that carry the bid id (and the exchange's `${AUCTION_PRICE}`/`${AUCTION_LOSS}`).
pub fn bid_response(request_id: &Str<'_>, decided: &[Decided<'_, '_>], public_url: &str) -> Bytes {
    let mut seatbid: Vec<SeatBid<'_>> = Vec::new();
    for d in decided {
        let bid = to_bid(d, public_url);
        let seat = d.live.campaign.seat.as_str();
        match seatbid.iter_mut().find(|s| s.seat.as_deref() == Some(seat)) {
            Some(s) => s.bid.push(bid),
            None => seatbid.push(SeatBid {
                bid: vec![bid],
                seat: Some(Str::from(seat)),
                ..Default::default()
            }),
        }
    }
    let resp = BidResponse {
        id: request_id.clone(),
        seatbid,
        cur: Str::from("USD"),
        ..Default::default()
    };
    // Sized for a typical one- or two-bid response, so serialization does not keep reallocating.
    let mut out = Vec::with_capacity(2048);
    serde_json::to_writer(&mut out, &resp).expect("bid responses always serialize");
    out.into()
}

fn notice_url(base: &str, path: &str, id: &str, tail: &str) -> Str<'static> {
    let mut url = String::with_capacity(base.len() + path.len() + id.len() + tail.len());
    url.push_str(base);
    url.push_str(path);
    url.push_str(id);
    url.push_str(tail);
    url.into()
}

fn to_bid<'s>(d: &Decided<'_, 's>, base: &str) -> Bid<'s> {
    let c = &d.live.campaign;
    let cr = &c.creative;
    let mut id = String::with_capacity(20);
    let _ = write!(id, "{}", d.bid_id);
    // The exchange fills the auction macros; the seat is ours, so it is filled here.
    let seat = AuctionMacros {
        seat_id: Some(&c.seat),
        ..Default::default()
    };
    Bid {
        nurl: Some(notice_url(base, "/win?b=", &id, "&p=${AUCTION_PRICE}")),
        burl: Some(notice_url(base, "/bill?b=", &id, "&p=${AUCTION_PRICE}")),
        lurl: Some(notice_url(base, "/loss?b=", &id, "&r=${AUCTION_LOSS}")),
        id: id.into(),
        impid: Str::from(d.imp.id.to_string()),
        price: d.price,
        adm: Some(Str(seat.substitute(&cr.adm))),
        adid: Some(Str::from(cr.id.as_str())),
        crid: Some(Str::from(cr.id.as_str())),
        cid: Some(Str::from(c.id.as_str())),
        adomain: c.adomain.iter().map(|a| Str::from(a.as_str())).collect(),
        cat: c.cat.iter().map(|a| Str::from(a.as_str())).collect(),
        bundle: c.bundle.as_deref().map(Str::from),
        attr: cr.attr.clone(),
        dealid: d.deal.map(|deal| Str::from(deal.id.to_string())),
        w: cr.w,
        h: cr.h,
        mtype: Some(cr.format.mtype()),
        ..Default::default()
    }
}
