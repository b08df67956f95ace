//! Auction maths for one impression: the highest valid bid wins; in a first-price auction it pays
//! its bid, in a second-price auction the larger of the runner-up's bid and the floor, plus one
//! increment, never more than its own bid.

use openrtb::AuctionType;

/// The minimum step above the runner-up in a second-price auction (CPM).
pub const INCREMENT: f64 = 0.01;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Index of the winning bid in the input.
    pub winner: usize,
    pub clearing_price: f64,
    /// The price the winner had to beat (runner-up or floor), for `${AUCTION_MIN_TO_WIN}`.
    pub min_to_win: f64,
}

/// Picks the winner among `prices` (all already valid and at or above `floor`). Ties go to the
/// earlier bid, which is the earlier answer.
pub fn run(at: u32, prices: &[f64], floor: f64) -> Option<Outcome> {
    let (winner, &top) =
        prices
            .iter()
            .enumerate()
            .fold(None, |best: Option<(usize, &f64)>, (i, p)| match best {
                Some((_, b)) if *b >= *p => best,
                _ => Some((i, p)),
            })?;
    let runner_up = prices
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != winner)
        .map(|(_, p)| *p)
        .fold(f64::NEG_INFINITY, f64::max);
    let min_to_win = runner_up.max(floor);
    let clearing_price = if at == AuctionType::SECOND_PRICE {
        (min_to_win + INCREMENT).min(top)
    } else {
        top
    };
    Some(Outcome {
        winner,
        clearing_price,
        min_to_win,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(run(2, &[], 1.0), None);
        assert_eq!(run(1, &[1.0, 3.0, 2.0], 0.5).unwrap().clearing_price, 3.0);
        let o = run(2, &[1.0, 3.0, 2.0], 0.5).unwrap();
        assert_eq!((o.winner, o.min_to_win), (1, 2.0));
        assert!((o.clearing_price - 2.01).abs() < 1e-9);
        assert_eq!(
            run(2, &[3.0], 1.0).unwrap().clearing_price,
            1.01,
            "lone bid pays floor + increment"
        );
        assert_eq!(
            run(2, &[3.0, 3.0], 1.0).unwrap(),
            Outcome {
                winner: 0,
                clearing_price: 3.0,
                min_to_win: 3.0
            }
        );
    }

    proptest! {
        #[test]
        fn winner_is_highest_and_pays_between_floor_and_bid(
            at in 1u32..3,
            floor in 0.0f64..5.0,
            extra in proptest::collection::vec(0.0f64..20.0, 1..10),
        ) {
            let prices: Vec<f64> = extra.iter().map(|e| floor + e).collect();
            let o = run(at, &prices, floor).unwrap();
            let top = prices[o.winner];
            prop_assert!(prices.iter().all(|p| *p <= top));
            prop_assert!(prices[..o.winner].iter().all(|p| *p < top), "ties go to the earlier bid");
            prop_assert!(o.clearing_price <= top && o.clearing_price >= floor);
            if at == 1 {
                prop_assert_eq!(o.clearing_price, top);
            } else {
                let second = prices.iter().enumerate().filter(|(i, _)| *i != o.winner).map(|(_, p)| *p).fold(floor, f64::max);
                prop_assert!(o.clearing_price >= second || o.clearing_price == top);
                prop_assert!(o.clearing_price <= second + INCREMENT + 1e-9);
            }
        }
    }
}
