//! The checked-in `docs/k3s/` equal a fresh render of the schemas and `examples/k3s/`
//! (the examples themselves pass `terraform validate` in acceptance-tests' examples test).

use std::path::Path;

use k3s_provider::{docs_index::INDEX, K3sProvider};

#[test]
fn checked_in_docs_match_the_schemas_and_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stale = tfplugin::docs::generator::stale_pages(
        &K3sProvider,
        &INDEX,
        &root.join("examples/k3s"),
        &root.join("docs/k3s"),
    )
    .expect("rendering the docs");
    assert!(
        stale.is_empty(),
        "the checked-in docs are out of date; run `make docs` and commit docs/k3s:\n  {}",
        stale.join("\n  ")
    );
}
