//! Bid request objects (OpenRTB 2.6 section 3.2). Only the fields a bidder or exchange acts on are
//! typed; everything else is ignored on input, and `ext` objects are carried as raw JSON.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// A string that borrows from the request buffer unless JSON escapes force a copy.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Str<'a>(pub Cow<'a, str>);

impl<'a> Str<'a> {
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(s: &'a str) -> Self {
        Str(Cow::Borrowed(s))
    }
}

impl From<String> for Str<'_> {
    fn from(s: String) -> Self {
        Str(Cow::Owned(s))
    }
}

impl PartialEq<str> for Str<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Str<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(StrVisitor)
    }
}

/// An `ext` object kept verbatim.
pub type Ext<'a> = Option<&'a RawValue>;

fn usd() -> Str<'static> {
    Str::from("USD")
}

fn is_usd(s: &Str<'_>) -> bool {
    *s == "USD"
}

fn second_price() -> u32 {
    AuctionType::SECOND_PRICE
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

fn is_zero_u8(v: &u8) -> bool {
    *v == 0
}

/// Auction type codes of `BidRequest.at` / `Deal.at`; values above 500 are exchange specific.
pub struct AuctionType;

impl AuctionType {
    pub const FIRST_PRICE: u32 = 1;
    pub const SECOND_PRICE: u32 = 2;
    pub const DEAL_FLOOR_IS_PRICE: u32 = 3;
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BidRequest<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub imp: Vec<Imp<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Site<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub app: Option<App<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub dooh: Option<Dooh<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Device<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User<'a>>,
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub test: u8,
    #[serde(default = "second_price")]
    pub at: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmax: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub wseat: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub bseat: Vec<Str<'a>>,
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub allimps: u8,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub cur: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub bcat: Vec<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cattax: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub badv: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub bapp: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub regs: Option<Regs<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

impl BidRequest<'_> {
    /// The currencies a bid may use: the request's list, or USD when it names none.
    pub fn accepts_currency(&self, cur: &str) -> bool {
        if self.cur.is_empty() {
            cur == "USD"
        } else {
            self.cur.iter().any(|c| *c == cur)
        }
    }

    /// The most specific stable identifier for frequency capping: user id, buyer uid, then device ifa.
    pub fn user_key(&self) -> Option<&str> {
        let user = self.user.as_ref();
        user.and_then(|u| u.id.as_deref())
            .or_else(|| user.and_then(|u| u.buyeruid.as_deref()))
            .or_else(|| self.device.as_ref().and_then(|d| d.ifa.as_deref()))
            .filter(|k| !k.is_empty())
    }

    pub fn geo(&self) -> Option<&Geo<'_>> {
        self.device
            .as_ref()
            .and_then(|d| d.geo.as_ref())
            .or_else(|| self.user.as_ref().and_then(|u| u.geo.as_ref()))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Imp<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<Banner<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub video: Option<Video<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Audio<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub native: Option<Native<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub pmp: Option<Pmp<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub tagid: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub instl: u8,
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub bidfloor: f64,
    #[serde(borrow, default = "usd", skip_serializing_if = "is_usd")]
    pub bidfloorcur: Str<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Format {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wratio: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hratio: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wmin: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Banner<'a> {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub format: Vec<Format>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub btype: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub battr: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub mimes: Vec<Str<'a>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api: Vec<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

impl Banner<'_> {
    /// Every fixed size the slot accepts: the `format` list, plus `w`x`h` when given.
    pub fn sizes(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let direct = self.w.zip(self.h);
        self.format
            .iter()
            .filter_map(|f| f.w.zip(f.h))
            .chain(direct)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Video<'a> {
    #[serde(borrow)]
    pub mimes: Vec<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minduration: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxduration: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startdelay: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plcmt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linearity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub battr: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api: Vec<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Audio<'a> {
    #[serde(borrow)]
    pub mimes: Vec<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minduration: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxduration: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startdelay: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Native<'a> {
    /// The Native Ad Specification request, itself a JSON-encoded string.
    #[serde(borrow)]
    pub request: Str<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub battr: Vec<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pmp<'a> {
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub private_auction: u8,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub deals: Vec<Deal<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Deal<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub bidfloor: f64,
    #[serde(borrow, default = "usd", skip_serializing_if = "is_usd")]
    pub bidfloorcur: Str<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub wseat: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub wadomain: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Publisher<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Site<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub cat: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Str<'a>>,
    #[serde(
        borrow,
        default,
        rename = "ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub referrer: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Publisher<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct App<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub storeurl: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub cat: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Publisher<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

/// Digital out-of-home inventory (new in 2.6).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Dooh<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub venuetype: Vec<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Publisher<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Geo<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utcoffset: Option<i32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Device<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ua: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnt: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lmt: Option<u8>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devicetype: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub make: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub os: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub osv: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ifa: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connectiontype: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub buyeruid: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yob: Option<i32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Source<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd: Option<u8>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub pchain: Option<Str<'a>>,
    /// Supply chain object, kept raw: bidders forward it, nobody here interprets it.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub schain: Ext<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Regs<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coppa: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gdpr: Option<u8>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub us_privacy: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub ext: Ext<'a>,
}
