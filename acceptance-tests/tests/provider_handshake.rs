//! Terraform finds our libvirt provider through `dev_overrides` and completes the go-plugin
//! handshake (mTLS gRPC over the sandbox's loopback) before any resource test depends on it.

use acceptance_tests::fixtures::LIBVIRT_PROVIDER;
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};

#[test]
fn terraform_reads_the_libvirt_provider_schema_inside_the_sandbox() {
    let sandbox = Sandbox::start(&unique_name("acc-handshake")).expect("sandbox starts");
    let tf =
        Terraform::new(&sandbox, LIBVIRT_PROVIDER, &[LocalProvider::Libvirt]).expect("workspace");

    let output = tf
        .run(&["providers", "schema", "-json"])
        .and_then(|output| output.into_success())
        .expect("terraform providers schema");
    let schemas: serde_json::Value = serde_json::from_str(&output.stdout).expect("schema JSON");
    let libvirt = &schemas["provider_schemas"][LocalProvider::Libvirt.source()];
    assert!(
        libvirt["provider"]["block"].is_object(),
        "no provider schema for {} in: {}",
        LocalProvider::Libvirt.source(),
        output.stdout
    );
    assert!(
        libvirt["resource_schemas"]
            .as_object()
            .is_some_and(|resources| !resources.is_empty()),
        "the libvirt provider declares no resources"
    );
}
