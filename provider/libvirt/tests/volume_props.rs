//! Property: a volume's capacity in any unit spelling libvirt accepts (its scaled-integer
//! suffixes are case-insensitive: `k`, `KiB`, `kib`, `KB`, `Kb`, `bytes`, ...) is created,
//! read back without drift although libvirt reports bytes, and compared by quantity:
//! the same size in bytes plans no replacement, a smaller one forces it.

mod support;

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::json;
use support::{assert_no_errors, unique, Harness};
use tfplugin::Value;

const VOLUME: &str = "libvirt_volume";

fn harness() -> &'static (tokio::runtime::Runtime, Harness) {
    static H: OnceLock<(tokio::runtime::Runtime, Harness)> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        let h = rt.block_on(Harness::start());
        (rt, h)
    })
}

/// A unit spelling libvirt accepts and its size in bytes: `b`/`byte`/`bytes` in any
/// case, or a power letter alone or with `iB` (1024) or `B` (1000) in any case.
fn unit() -> impl Strategy<Value = (String, u64)> {
    let bytes =
        prop_oneof![Just("b"), Just("byte"), Just("bytes")].prop_map(|s| (s.to_string(), 1));
    let scaled = (
        prop_oneof![Just(('k', 1u32)), Just(('m', 2)), Just(('g', 3))],
        prop_oneof![Just(""), Just("ib"), Just("b")],
    )
        .prop_map(|((letter, power), suffix)| {
            let base: u64 = if suffix == "b" { 1000 } else { 1024 };
            (format!("{letter}{suffix}"), base.pow(power))
        });
    (
        prop_oneof![bytes, scaled],
        proptest::collection::vec(any::<bool>(), 5),
    )
        .prop_map(|((spelling, scale), upper)| {
            let cased = spelling
                .chars()
                .zip(upper)
                .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                .collect();
            (cased, scale)
        })
}

fn volume(name: &str, value: u64, unit: &str) -> serde_json::Value {
    json!({
        "name": name,
        "pool": "default-pool",
        "capacity": [{ "value": value, "unit": unit }],
        "target": [{ "format": [{ "type": "raw" }] }],
    })
}

async fn round_trip(h: &Harness, value: u64, (unit, scale): (String, u64)) {
    let name = unique("prop-vol");
    let cfg = h.config(VOLUME, volume(&name, value, &unit));
    let state = h.create(VOLUME, &cfg).await;
    let (read, ds) = h.read(VOLUME, &state).await;
    assert_no_errors("read", &ds);
    assert_eq!(read, state, "{value} {unit} drifts after create");

    let bytes = value * scale;
    let same = h
        .plan(
            VOLUME,
            &read,
            &h.config(VOLUME, volume(&name, bytes, "bytes")),
        )
        .await;
    assert_no_errors("plan same size", &same.diagnostics);
    assert!(
        same.requires_replace.is_empty(),
        "{value} {unit} = {bytes} bytes: {:?}",
        same.requires_replace
    );
    let smaller = h
        .plan(
            VOLUME,
            &read,
            &h.config(VOLUME, volume(&name, bytes - 1, "bytes")),
        )
        .await;
    assert_eq!(
        smaller.requires_replace,
        ["capacity"],
        "{value} {unit} shrunk by a byte"
    );

    h.destroy(VOLUME, &read).await;
    let (gone, _) = h.read(VOLUME, &read).await;
    assert_eq!(gone, Value::Null);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_unit_spelling_reads_back_without_drift_and_compares_by_size(
        // At most 64 GiB: the test driver's pool has about 100 GiB free.
        value in 1u64..=64,
        unit in unit(),
    ) {
        let (rt, h) = harness();
        rt.block_on(round_trip(h, value, unit));
    }
}
