//! What to bid given what an impression is worth to a campaign, the floor and the auction type.

use openrtb::AuctionType;

/// Returns the CPM to bid, or `None` when the campaign's value is below the floor.
/// First price: shade the value (pay less than it is worth) but never below the floor.
/// Second price: bid the true value, the auction charges the runner-up's price.
/// Fixed-price deal (`at` = 3): the floor is the price.
pub fn bid_price(at: u32, value_cpm: f64, floor_cpm: f64, shading: f64) -> Option<f64> {
    if value_cpm.is_nan() || value_cpm <= 0.0 || value_cpm < floor_cpm {
        return None;
    }
    let price = match at {
        AuctionType::FIRST_PRICE => (value_cpm * shading).max(floor_cpm),
        AuctionType::DEAL_FLOOR_IS_PRICE if floor_cpm > 0.0 => floor_cpm,
        _ => value_cpm,
    };
    Some(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bid_is_within_floor_and_value(at in 1u32..4, value in 0.01f64..50.0, floor in 0.0f64..50.0, shading in 0.05f64..=1.0) {
            match bid_price(at, value, floor, shading) {
                None => prop_assert!(value < floor),
                Some(p) => {
                    prop_assert!(p >= floor && p <= value && p > 0.0);
                    if at == 2 { prop_assert_eq!(p, value); }
                    if at == 1 { prop_assert!(p <= value * shading || p == floor); }
                }
            }
        }
    }

    #[test]
    fn first_price_is_shaded_but_floored() {
        assert_eq!(bid_price(1, 4.0, 1.0, 0.5), Some(2.0));
        assert_eq!(bid_price(1, 4.0, 3.0, 0.5), Some(3.0));
        assert_eq!(bid_price(2, 4.0, 3.0, 0.5), Some(4.0));
        assert_eq!(bid_price(3, 4.0, 3.0, 0.5), Some(3.0));
        assert_eq!(bid_price(2, 2.0, 3.0, 0.5), None);
    }
}
