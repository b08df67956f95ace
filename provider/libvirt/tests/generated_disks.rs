//! `libvirt_cloudinit_disk` and `libvirt_ignition` through the real tfplugin5 gRPC service
//! against libvirt's test driver: plan-time validation on the right attribute, the content
//! hash known at plan, replacement on any content change, and the volume lifecycle.
//!
//! The test driver has no virStorageVolUpload, so every create here exercises the failure
//! path: the volume exists, the upload fails, and Terraform must get an error plus the
//! volume as partial state (tainted), never an orphan. Successful uploads, checked byte for
//! byte with isoinfo, are in the acceptance tier (acceptance-tests/tests/libvirt_cloudinit.rs).

mod support;

use serde_json::json;
use sha2::{Digest, Sha256};
use support::{assert_no_errors, errors, unique, Diag, Harness};
use tfplugin::Value;

const CLOUDINIT: &str = "libvirt_cloudinit_disk";
const IGNITION: &str = "libvirt_ignition";
const TEST_DRIVER_POOL: &str = "default-pool";
const USER_DATA: &str = "#cloud-config\nhostname: node-a\n";
const IGNITION_CONFIG: &str = r#"{"ignition":{"version":"3.4.0"}}"#;

#[track_caller]
fn assert_error_at(ds: &[Diag], path: &str) -> Diag {
    errors(ds)
        .into_iter()
        .find(|d| d.path == path)
        .unwrap_or_else(|| panic!("expected an error at {path:?}, got {ds:#?}"))
        .clone()
}

fn cloudinit(name: &str) -> serde_json::Value {
    json!({
        "name": name,
        "pool": TEST_DRIVER_POOL,
        "user_data": USER_DATA,
        "meta_data": "instance-id: i-1\nlocal-hostname: node-a\n",
    })
}

fn ignition(name: &str) -> serde_json::Value {
    json!({ "name": name, "pool": TEST_DRIVER_POOL, "content": IGNITION_CONFIG })
}

#[tokio::test]
async fn schema_marks_secrets_sensitive_and_content_force_new() {
    let h = Harness::start().await;
    let block = &h.schema(CLOUDINIT).block;
    let attr = |name: &str| {
        block
            .attribute(name)
            .unwrap_or_else(|| panic!("no attribute {name}"))
    };
    assert!(attr("user_data").sensitive && attr("network_config").sensitive);
    assert!(!attr("meta_data").sensitive);
    assert!(attr("id").is_computed() && attr("content_sha256").is_computed());
    assert!(
        h.schema(IGNITION)
            .block
            .attribute("content")
            .expect("content")
            .sensitive
    );
}

#[tokio::test]
async fn cloudinit_validation_points_at_the_offending_attribute() {
    let h = Harness::start().await;
    let good = cloudinit(&unique("valid-ci"));
    assert!(h
        .validate(CLOUDINIT, &h.config(CLOUDINIT, good.clone()))
        .await
        .is_empty());

    let cases = [
        ("user_data", json!("hostname: a\n"), "#cloud-config"),
        (
            "user_data",
            json!("#cloud-config\nusers: [\n"),
            "not valid YAML",
        ),
        ("meta_data", json!("instance-id: [a\n"), "not valid YAML"),
        ("meta_data", json!("- a list\n"), "a list"),
        (
            "network_config",
            json!("version: 2\nethernets: {\n"),
            "not valid YAML",
        ),
    ];
    for (attr, value, expected) in cases {
        let mut bad = good.clone();
        bad[attr] = value;
        let cfg = h.config(CLOUDINIT, bad);
        let d = assert_error_at(&h.validate(CLOUDINIT, &cfg).await, attr);
        assert!(d.detail.contains(expected), "{attr}: {d:?}");
        // Plan checks again: values unknown at validate time are known by then.
        assert_error_at(
            &h.plan(CLOUDINIT, &Value::Null, &cfg).await.diagnostics,
            attr,
        );
    }
}

#[tokio::test]
async fn ignition_validation_points_at_content() {
    let h = Harness::start().await;
    for (content, expected) in [
        ("{not json", "not valid JSON"),
        (r#"{"storage":{}}"#, "ignition.version"),
    ] {
        let mut bad = ignition(&unique("bad-ign"));
        bad["content"] = json!(content);
        let d = assert_error_at(
            &h.validate(IGNITION, &h.config(IGNITION, bad)).await,
            "content",
        );
        assert!(d.detail.contains(expected), "{d:?}");
    }
}

#[tokio::test]
async fn content_hash_is_known_at_plan_and_changes_replace() {
    let h = Harness::start().await;
    let name = unique("plan-ci");
    let cfg = h.config(CLOUDINIT, cloudinit(&name));
    let p = h.plan(CLOUDINIT, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    assert!(p.planned.get("id").is_unknown());
    let hash = p
        .planned
        .get("content_sha256")
        .as_str()
        .expect("hash known at plan");
    assert_eq!(hash.len(), 64, "{hash}");

    // The same content plans the same hash; any change of content or place replaces.
    let again = h.plan(CLOUDINIT, &Value::Null, &cfg).await;
    assert_eq!(again.planned.get("content_sha256").as_str(), Some(hash));
    let prior = {
        let mut s = p.planned.clone();
        s.set("id", format!("/{TEST_DRIVER_POOL}/{name}").into());
        s
    };
    for (attr, value) in [
        ("user_data", json!("#cloud-config\nhostname: node-b\n")),
        ("meta_data", json!("instance-id: i-2\n")),
        ("network_config", json!("version: 2\n")),
        ("name", json!(unique("renamed"))),
    ] {
        let mut changed = cloudinit(&name);
        changed[attr] = value;
        let p = h
            .plan(CLOUDINIT, &prior, &h.config(CLOUDINIT, changed))
            .await;
        assert_no_errors("plan change", &p.diagnostics);
        assert_eq!(p.requires_replace, [attr], "{attr}");
    }
    let same = h.plan(CLOUDINIT, &prior, &cfg).await;
    assert!(
        same.requires_replace.is_empty(),
        "{:?}",
        same.requires_replace
    );
    assert_eq!(
        same.planned, prior,
        "an unchanged configuration plans no change"
    );

    // A value known only after apply leaves the hash unknown.
    let mut unknown = cfg.clone();
    unknown.set("user_data", Value::unknown());
    let p = h.plan(CLOUDINIT, &Value::Null, &unknown).await;
    assert_no_errors("plan with unknown user_data", &p.diagnostics);
    assert!(p.planned.get("content_sha256").is_unknown());
}

#[tokio::test]
async fn ignition_hash_is_the_sha256_of_the_config_bytes() {
    let h = Harness::start().await;
    let cfg = h.config(IGNITION, ignition(&unique("hash-ign")));
    let p = h.plan(IGNITION, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let expected = format!("{:x}", Sha256::digest(IGNITION_CONFIG.as_bytes()));
    assert_eq!(
        p.planned.get("content_sha256").as_str(),
        Some(expected.as_str())
    );
}

/// Create, as far as the test driver goes: the volume is created, the upload is refused,
/// and the volume comes back as partial state that read, a name clash and delete all see.
async fn failed_upload_keeps_the_volume(h: &Harness, ty: &str, spec: serde_json::Value) {
    let name = spec["name"].as_str().expect("name").to_string();
    let cfg = h.config(ty, spec);
    let p = h.plan(ty, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (partial, ds) = h.apply(ty, &Value::Null, &p, &cfg).await;
    assert!(
        errors(&ds)
            .iter()
            .any(|d| d.summary.contains("uploading into the volume failed")
                && d.detail.contains("not supported")),
        "{ds:#?}"
    );
    let key = partial
        .get("id")
        .as_str()
        .expect("partial state has the volume key");
    assert!(key.ends_with(&name), "{key}");
    assert_eq!(
        partial.get("content_sha256"),
        p.planned.get("content_sha256")
    );

    let (read, ds) = h.read(ty, &partial).await;
    assert_no_errors("read", &ds);
    assert_eq!(read, partial, "read finds the volume unchanged");

    let (_, ds) = h.apply(ty, &Value::Null, &p, &cfg).await;
    let d = assert_error_at(&ds, "name");
    assert!(d.summary.contains(&name), "{d:?}");

    let (imported, ds) = h.import(ty, key).await;
    assert!(imported.is_empty());
    assert!(assert_error_at(&ds, "id")
        .summary
        .contains("cannot be imported"));

    h.destroy(ty, &partial).await;
    let (gone, ds) = h.read(ty, &partial).await;
    assert_no_errors("read after destroy", &ds);
    assert!(gone.is_null(), "read detects the volume is gone: {gone:?}");
}

#[tokio::test]
async fn cloudinit_failed_upload_is_recorded_then_destroyed() {
    let h = Harness::start().await;
    failed_upload_keeps_the_volume(&h, CLOUDINIT, cloudinit(&unique("ci"))).await;
}

#[tokio::test]
async fn ignition_failed_upload_is_recorded_then_destroyed() {
    let h = Harness::start().await;
    failed_upload_keeps_the_volume(&h, IGNITION, ignition(&unique("ign"))).await;
}

#[tokio::test]
async fn missing_pool_is_reported_on_pool_at_apply() {
    let h = Harness::start().await;
    let mut spec = cloudinit(&unique("nopool-ci"));
    spec["pool"] = json!("no-such-pool");
    let cfg = h.config(CLOUDINIT, spec);
    let p = h.plan(CLOUDINIT, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (state, ds) = h.apply(CLOUDINIT, &Value::Null, &p, &cfg).await;
    assert!(assert_error_at(&ds, "pool")
        .summary
        .contains("no-such-pool"));
    assert!(state.is_null(), "{state:?}");
}
