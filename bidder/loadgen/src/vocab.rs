//! The shared vocabulary requests and campaigns are drawn from, so generated campaigns match a
//! realistic share of generated requests.

pub const SIZES: [(u32, u32); 8] = [
    (300, 250),
    (728, 90),
    (320, 50),
    (160, 600),
    (300, 600),
    (970, 250),
    (336, 280),
    (468, 60),
];
pub const COUNTRIES: [&str; 8] = ["USA", "GBR", "DEU", "FRA", "CAN", "BRA", "IND", "JPN"];
pub const REGIONS: [&str; 6] = ["CA", "NY", "TX", "BE", "BY", "ON"];
pub const OS: [&str; 5] = ["iOS", "Android", "Windows", "macOS", "Linux"];
pub const DEVICE_TYPES: [u32; 5] = [1, 2, 4, 5, 7];
pub const VIDEO_MIMES: [&str; 3] = ["video/mp4", "video/webm", "application/javascript"];
pub const AUDIO_MIMES: [&str; 2] = ["audio/mpeg", "audio/mp4"];
pub const DOMAINS: usize = 50;
pub const BUNDLES: usize = 30;
pub const DEALS: usize = 20;
pub const USERS: u32 = 100_000;

pub fn domain(i: usize) -> String {
    format!("site{i}.example")
}

pub fn bundle(i: usize) -> String {
    format!("com.example.app{i}")
}

pub fn deal(i: usize) -> String {
    format!("DEAL-{i}")
}

pub fn category(rng: &mut fastrand::Rng) -> String {
    format!("IAB{}", rng.u32(1..=25))
}

pub fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}
