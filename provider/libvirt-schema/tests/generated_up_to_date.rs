//! Re-running the generator must reproduce the checked-in files byte for byte, so a changed
//! generator or a new libvirt shows up as a failing test rather than silent drift.
//! Regenerate with: `cargo run -p libvirt-schema --bin libvirt-schema-gen -- --schemas
//! /usr/share/libvirt/schemas --out provider/libvirt-schema/generated`.

use libvirt_schema::generate;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn schemas_dir() -> PathBuf {
    std::env::var_os("LIBVIRT_SCHEMAS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/libvirt/schemas"))
}

/// The generator's output, computed once for all tests here.
fn output() -> &'static generate::Output {
    static OUTPUT: OnceLock<generate::Output> = OnceLock::new();
    OUTPUT.get_or_init(|| {
        generate::generate(&schemas_dir()).expect("generator runs on libvirt's schemas")
    })
}

#[test]
fn checked_in_output_matches_the_generator() {
    let output = output();
    let generated_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated");
    for (name, contents) in &output.files {
        let checked_in = std::fs::read_to_string(generated_dir.join(name))
            .unwrap_or_else(|e| panic!("generated/{name} is missing: {e}"));
        assert!(
            checked_in == *contents,
            "generated/{name} is out of date: re-run libvirt-schema-gen"
        );
    }
}

#[test]
fn every_reachable_definition_is_represented_or_documented() {
    let output = output();
    for cov in &output.coverage {
        assert_eq!(
            cov.elements.unexplained, 0,
            "{}: {:?}",
            cov.rng, cov.left_out
        );
        assert_eq!(
            cov.attributes.unexplained, 0,
            "{}: {:?}",
            cov.rng, cov.left_out
        );
        assert!(cov.elements.reachable > 10, "{} looks truncated", cov.rng);
    }
}

#[test]
fn checked_in_schemas_load() {
    assert_eq!(libvirt_schema::network().xml_name, "network");
    assert_eq!(libvirt_schema::storage_pool().xml_name, "pool");
    assert_eq!(libvirt_schema::storage_volume().xml_name, "volume");
    assert_eq!(libvirt_schema::domain().xml_name, "domain");
}

#[test]
fn every_libvirt_grammar_with_a_start_flattens() {
    let mut flattened = 0;
    for entry in std::fs::read_dir(schemas_dir()).expect("schemas dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rng") {
            continue;
        }
        let grammar = libvirt_schema::rng::load(&path)
            .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
        if grammar.start().is_some() {
            libvirt_schema::flatten::flatten(&grammar)
                .unwrap_or_else(|e| panic!("{} does not flatten: {e}", path.display()));
            flattened += 1;
        }
    }
    assert!(flattened >= 4, "only {flattened} grammars with a start");
}
