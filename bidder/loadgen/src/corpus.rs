//! Randomised but reproducible (seeded) bid requests and campaign sets.

use bidder::campaign::{
    CampaignConfig, CampaignFile, CreativeConfig, FrequencyCapConfig, MediaFormat, TargetingConfig,
};
use bytes::Bytes;
use fastrand::Rng;
use serde_json::{json, Value};

use crate::vocab::*;

const UAS: [&str; 3] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
];

fn imp(rng: &mut Rng, n: usize) -> Value {
    let mut imp = json!({"id": (n + 1).to_string(), "bidfloor": (rng.f64() * 150.0).round() / 100.0, "secure": 1});
    match rng.u32(0..10) {
        0..=5 => {
            let formats: Vec<Value> = (0..rng.usize(1..=2))
                .map(|_| {
                    let (w, h) = *pick(rng, &SIZES);
                    json!({"w": w, "h": h})
                })
                .collect();
            imp["banner"] = json!({"format": formats, "pos": rng.u32(0..4)});
        }
        6 | 7 => {
            imp["video"] = json!({"mimes": [pick(rng, &VIDEO_MIMES), "video/mp4"], "minduration": 5,
                "maxduration": *pick(rng, &[15, 30, 60]), "protocols": [2, 3, 7], "w": 640, "h": 360, "plcmt": 1});
        }
        8 => {
            imp["native"] = json!({"request": "{\"ver\":\"1.2\",\"assets\":[{\"id\":1,\"required\":1,\"title\":{\"len\":90}},{\"id\":2,\"img\":{\"type\":3,\"w\":1200,\"h\":627}}]}", "ver": "1.2"});
        }
        _ => {
            imp["audio"] =
                json!({"mimes": AUDIO_MIMES, "minduration": 10, "maxduration": 30, "feed": 1});
        }
    }
    if rng.u32(0..100) < 15 {
        let deals: Vec<Value> = (0..rng.usize(1..=2))
            .map(|_| json!({"id": deal(rng.usize(..DEALS)), "bidfloor": (rng.f64() * 300.0).round() / 100.0, "at": 1}))
            .collect();
        imp["pmp"] = json!({"private_auction": rng.u32(0..2), "deals": deals});
    }
    imp
}

/// One bid request as JSON.
pub fn request(rng: &mut Rng, seq: u64) -> Value {
    let n_imps = match rng.u32(0..100) {
        0..=79 => 1,
        80..=94 => 2,
        _ => 3,
    };
    let country = *pick(rng, &COUNTRIES);
    let mut req = json!({
        "id": format!("req-{seq}-{:08x}", rng.u32(..)),
        "at": if rng.u32(0..10) < 7 { 1 } else { 2 },
        "tmax": 100,
        "cur": ["USD"],
        "imp": (0..n_imps).map(|i| imp(rng, i)).collect::<Vec<_>>(),
        "device": {"ua": pick(rng, &UAS), "ip": format!("203.0.113.{}", rng.u8(1..255)),
                   "devicetype": pick(rng, &DEVICE_TYPES), "os": pick(rng, &OS), "language": "en",
                   "geo": {"country": country, "region": pick(rng, &REGIONS), "type": 2}},
        "user": {"id": format!("user-{}", rng.u32(..USERS))},
        "source": {"tid": format!("tid-{seq}")},
        "regs": {"coppa": 0},
    });
    if rng.u32(0..10) < 7 {
        let d = domain(rng.usize(..DOMAINS));
        req["site"] = json!({"id": d.clone(), "page": format!("https://{d}/article/{}", rng.u32(..10_000)),
                             "domain": d, "cat": [category(rng)], "publisher": {"id": format!("pub-{}", rng.u32(..200))}});
    } else {
        let b = bundle(rng.usize(..BUNDLES));
        req["app"] = json!({"id": b.clone(), "bundle": b, "cat": [category(rng)], "ver": "1.4.2",
                            "publisher": {"id": format!("pub-{}", rng.u32(..200))}});
        req["device"]["ifa"] = json!(format!(
            "{:08x}-0000-4000-8000-{:012x}",
            rng.u32(..),
            rng.u64(..1 << 48)
        ));
    }
    if rng.bool() {
        req["bcat"] = json!([category(rng), category(rng)]);
        req["badv"] = json!([format!("adv{}.example", rng.u32(..1000))]);
    }
    req
}

/// `n` serialized requests from `seed`.
pub fn corpus(n: usize, seed: u64) -> Vec<Bytes> {
    let mut rng = Rng::with_seed(seed);
    (0..n as u64)
        .map(|i| {
            Bytes::from(serde_json::to_vec(&request(&mut rng, i)).expect("json values serialize"))
        })
        .collect()
}

fn creative(rng: &mut Rng, i: usize) -> CreativeConfig {
    let (format, w, h, mime, duration, adm) = match rng.u32(0..10) {
        0..=5 => {
            let (w, h) = *pick(rng, &SIZES);
            let adm = format!("<a href=\"https://adv{i}.example/c\"><img src=\"https://cdn.example/{i}.png\" width=\"{w}\" height=\"{h}\"></a>");
            (MediaFormat::Banner, Some(w), Some(h), None, None, adm)
        }
        6 | 7 => {
            let adm = format!("<VAST version=\"4.0\"><Ad id=\"{i}\"/></VAST>");
            (
                MediaFormat::Video,
                None,
                None,
                Some(pick(rng, &VIDEO_MIMES).to_string()),
                Some([15, 30][rng.usize(..2)]),
                adm,
            )
        }
        8 => (
            MediaFormat::Native,
            None,
            None,
            None,
            None,
            format!("{{\"native\":{{\"link\":{{\"url\":\"https://adv{i}.example\"}}}}}}"),
        ),
        _ => {
            let adm = format!("<VAST version=\"4.0\"><Ad id=\"a{i}\"/></VAST>");
            (
                MediaFormat::Audio,
                None,
                None,
                Some(pick(rng, &AUDIO_MIMES).to_string()),
                Some(15),
                adm,
            )
        }
    };
    CreativeConfig {
        id: format!("cr-{i}"),
        format,
        w,
        h,
        mime,
        duration,
        attr: vec![],
        adm,
    }
}

fn some<T: Clone>(rng: &mut Rng, items: &[T], max: usize) -> Vec<T> {
    (0..rng.usize(1..=max))
        .map(|_| pick(rng, items).clone())
        .collect()
}

/// `n` campaigns from `seed`, with budgets large enough not to run out during a benchmark.
pub fn campaigns(n: usize, seed: u64) -> CampaignFile {
    let mut rng = Rng::with_seed(seed);
    let campaigns = (0..n)
        .map(|i| {
            let rng = &mut rng;
            let mut targeting = TargetingConfig::default();
            if rng.bool() {
                targeting.countries = some(rng, &COUNTRIES.map(String::from), 3);
            }
            if rng.u32(0..10) < 3 {
                targeting.device_types = some(rng, &DEVICE_TYPES, 2);
            }
            if rng.u32(0..10) < 2 {
                targeting.os = some(rng, &OS.map(String::from), 2);
            }
            if rng.u32(0..10) == 0 {
                targeting.site_domains = (0..5).map(|_| domain(rng.usize(..DOMAINS))).collect();
            }
            if rng.u32(0..20) == 0 {
                targeting.app_bundles_deny = (0..3).map(|_| bundle(rng.usize(..BUNDLES))).collect();
            }
            CampaignConfig {
                id: format!("camp-{i}"),
                seat: format!("seat-{}", i % 10),
                bid_cpm: 0.5 + (rng.f64() * 450.0).round() / 100.0,
                budget: 1_000_000.0,
                pace_over_secs: None,
                adomain: vec![format!("adv{i}.example")],
                cat: vec![category(rng)],
                bundle: None,
                creative: creative(rng, i),
                targeting,
                deals: if rng.u32(0..10) == 0 {
                    (0..2).map(|_| deal(rng.usize(..DEALS))).collect()
                } else {
                    vec![]
                },
                frequency_cap: (rng.u32(0..5) == 0).then(|| FrequencyCapConfig {
                    max: rng.u32(3..10),
                    window_secs: 3600,
                }),
            }
        })
        .collect();
    CampaignFile { campaigns }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_requests_are_valid_openrtb() {
        for body in corpus(500, 7) {
            let req = openrtb::parse_request(&body).unwrap();
            openrtb::validate_request(&req)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
        }
    }

    #[test]
    fn generated_campaigns_compile_and_are_reproducible() {
        let a = campaigns(300, 3);
        a.compile().unwrap();
        let b = campaigns(300, 3);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
}
