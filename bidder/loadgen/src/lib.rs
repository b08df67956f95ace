//! Load generation for the bidder and the exchange: a randomised OpenRTB corpus and matching
//! campaign sets drawn from one vocabulary, and an open-loop runner that sends on a fixed
//! schedule and measures each latency from its intended send time, so a stalled server cannot
//! hide its stall by slowing the generator down (no coordinated omission).

pub mod corpus;
mod pacer;
pub mod run;
pub mod search;
mod vocab;
