//! Substitution of the OpenRTB auction macros (`${AUCTION_PRICE}` and friends) in notice URLs and
//! markup. Unknown macros are left untouched so a later party can still fill them.

use std::borrow::Cow;
use std::fmt::Write;

/// The values known once an auction has run; `None` leaves the macro in place.
#[derive(Debug, Clone, Default)]
pub struct AuctionMacros<'a> {
    pub auction_id: Option<&'a str>,
    pub bid_id: Option<&'a str>,
    pub imp_id: Option<&'a str>,
    pub seat_id: Option<&'a str>,
    pub ad_id: Option<&'a str>,
    pub price: Option<f64>,
    pub currency: Option<&'a str>,
    /// Market bid ratio: clearing price / bid price.
    pub mbr: Option<f64>,
    pub loss: Option<u32>,
    pub min_to_win: Option<f64>,
}

enum Value<'a> {
    Text(&'a str),
    Number(f64),
    Code(u32),
}

impl AuctionMacros<'_> {
    fn lookup(&self, name: &str) -> Option<Value<'_>> {
        Some(match name {
            "AUCTION_ID" => Value::Text(self.auction_id?),
            "AUCTION_BID_ID" => Value::Text(self.bid_id?),
            "AUCTION_IMP_ID" => Value::Text(self.imp_id?),
            "AUCTION_SEAT_ID" => Value::Text(self.seat_id?),
            "AUCTION_AD_ID" => Value::Text(self.ad_id?),
            "AUCTION_PRICE" => Value::Number(self.price?),
            "AUCTION_CURRENCY" => Value::Text(self.currency?),
            "AUCTION_MBR" => Value::Number(self.mbr?),
            "AUCTION_LOSS" => Value::Code(self.loss?),
            "AUCTION_MIN_TO_WIN" => Value::Number(self.min_to_win?),
            _ => return None,
        })
    }

    /// Replaces every known `${NAME}` in `template`; borrows when there is nothing to replace.
    pub fn substitute<'t>(&self, template: &'t str) -> Cow<'t, str> {
        if !template.contains("${") {
            return Cow::Borrowed(template);
        }
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Cow::Owned(out);
            };
            match self.lookup(&after[..end]) {
                Some(Value::Text(t)) => out.push_str(t),
                Some(Value::Number(n)) => write_number(&mut out, n),
                Some(Value::Code(c)) => {
                    let _ = write!(out, "{c}");
                }
                None => out.push_str(&rest[start..start + 2 + end + 1]),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Cow::Owned(out)
    }
}

/// Prices are written with at most 6 decimals and no exponent, trailing zeros trimmed.
fn write_number(out: &mut String, n: f64) {
    let start = out.len();
    let _ = write!(out, "{n:.6}");
    if out[start..].contains('.') {
        let trimmed = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(trimmed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full() -> AuctionMacros<'static> {
        AuctionMacros {
            auction_id: Some("req-1"),
            bid_id: Some("b-9"),
            imp_id: Some("1"),
            seat_id: Some("seat"),
            ad_id: Some("ad"),
            price: Some(1.25),
            currency: Some("USD"),
            mbr: Some(0.5),
            loss: Some(102),
            min_to_win: Some(2.0),
        }
    }

    #[test]
    fn fills_every_standard_macro() {
        let t = "a=${AUCTION_ID}&b=${AUCTION_BID_ID}&i=${AUCTION_IMP_ID}&s=${AUCTION_SEAT_ID}\
                 &d=${AUCTION_AD_ID}&p=${AUCTION_PRICE}&c=${AUCTION_CURRENCY}&m=${AUCTION_MBR}\
                 &l=${AUCTION_LOSS}&w=${AUCTION_MIN_TO_WIN}";
        assert_eq!(
            full().substitute(t),
            "a=req-1&b=b-9&i=1&s=seat&d=ad&p=1.25&c=USD&m=0.5&l=102&w=2"
        );
    }

    #[test]
    fn leaves_unknown_unset_and_unterminated_macros() {
        let m = AuctionMacros {
            price: Some(3.0),
            ..Default::default()
        };
        assert_eq!(
            m.substitute("${FOO}/${AUCTION_LOSS}/${AUCTION_PRICE}/${AUCTION_PRICE"),
            "${FOO}/${AUCTION_LOSS}/3/${AUCTION_PRICE"
        );
    }

    #[test]
    fn borrows_when_nothing_to_replace() {
        assert!(matches!(
            full().substitute("http://x/win"),
            Cow::Borrowed(_)
        ));
    }

    proptest! {
        #[test]
        fn text_without_macros_is_unchanged(s in "[^$]*") {
            prop_assert_eq!(full().substitute(&s), s.as_str());
        }

        #[test]
        fn price_round_trips_through_a_url(price in 0.0f64..100_000.0, pre in "[a-z/?=&]{0,12}", post in "[a-z/?=&]{0,12}") {
            let m = AuctionMacros { price: Some(price), ..Default::default() };
            let template = pre.clone() + "${AUCTION_PRICE}" + &post;
            let out = m.substitute(&template);
            prop_assert!(out.starts_with(&pre) && out.ends_with(&post));
            let num: f64 = out[pre.len()..out.len() - post.len()].parse().unwrap();
            prop_assert!((num - price).abs() <= 5e-7, "{} vs {}", num, price);
            prop_assert!(!out.contains("${"), "unfilled macro in {}", out);
        }
    }
}
