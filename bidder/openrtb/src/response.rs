//! Bid response objects (OpenRTB 2.6 section 4.2). The same types serve a bidder writing a
//! response and an exchange reading one back (borrowing from the bidder's body).

use serde::{Deserialize, Serialize};

use crate::request::{Ext, Str};

fn usd() -> Str<'static> {
    Str::from("USD")
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BidResponse<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub seatbid: Vec<SeatBid<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub bidid: Option<Str<'a>>,
    #[serde(borrow, default = "usd")]
    pub cur: Str<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbr: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeatBid<'a> {
    #[serde(borrow)]
    pub bid: Vec<Bid<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub seat: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u8>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Bid<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub impid: Str<'a>,
    /// CPM in the response currency.
    pub price: f64,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub nurl: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub burl: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub lurl: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub adm: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub adid: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub adomain: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub crid: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub cat: Vec<Str<'a>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attr: Vec<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub dealid: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<u32>,
    /// Markup type: 1 banner, 2 video, 3 audio, 4 native.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtype: Option<u8>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}
