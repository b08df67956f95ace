//! Tier 2: the libvirt provider through its real tfplugin5 gRPC service against
//! libvirt's test driver, call by call as Terraform makes them: validate, plan, apply,
//! read (no drift), update, import, upgrade, destroy.

mod support;

use serde_json::json;
use support::{
    assert_no_errors, changed_known_values, errors, plan_violations, unique, Diag, Harness,
};
use tfplugin::diag::AttributePath;
use tfplugin::proto::tfplugin5 as pb;
use tfplugin::{plan, Provider, Value};

const NETWORK: &str = "libvirt_network";
const POOL: &str = "libvirt_pool";
const VOLUME: &str = "libvirt_volume";
/// The storage pool libvirt's test driver starts with.
const TEST_DRIVER_POOL: &str = "default-pool";

#[track_caller]
fn assert_error_at(ds: &[Diag], path: &str) -> Diag {
    let found = errors(ds).into_iter().find(|d| d.path == path);
    found
        .unwrap_or_else(|| panic!("expected an error at {path:?}, got {ds:#?}"))
        .clone()
}

#[track_caller]
fn assert_plan_follows_config(h: &Harness, type_name: &str, config: &Value, planned: &Value) {
    let ds = plan::check_plan(
        &h.schema(type_name).block,
        config,
        planned,
        &AttributePath::root(),
    );
    assert!(ds.is_empty(), "plan contradicts the configuration: {ds}");
}

#[track_caller]
fn assert_apply_matches_plan(planned: &Value, new: &Value) {
    let mut v = Vec::new();
    plan_violations(planned, new, "", &mut v);
    assert!(v.is_empty(), "apply result differs from the plan: {v:#?}");
}

/// Apply of a prior plan, asserting success and conformance to the plan.
async fn apply_ok(h: &Harness, ty: &str, prior: &Value, p: &support::Plan, cfg: &Value) -> Value {
    assert_no_errors(&format!("planning {ty}"), &p.diagnostics);
    let (new, ds) = h.apply(ty, prior, p, cfg).await;
    assert_no_errors(&format!("applying {ty}"), &ds);
    assert_apply_matches_plan(&p.planned, &new);
    new
}

/// Reading right after apply returns the applied state unchanged.
async fn assert_no_drift(h: &Harness, ty: &str, state: &Value) {
    let (read, ds) = h.read(ty, state).await;
    assert_no_errors(&format!("reading {ty}"), &ds);
    assert_eq!(&read, state, "ReadResource after apply reports drift");
}

/// Planning the same configuration again changes nothing.
async fn assert_empty_plan(h: &Harness, ty: &str, state: &Value, cfg: &Value) {
    let p = h.plan(ty, state, cfg).await;
    assert_no_errors(&format!("re-planning {ty}"), &p.diagnostics);
    assert_eq!(&p.planned, state, "a second plan is not empty");
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
}

/// Imports `id` as Terraform does (import, refresh, plan with the import's private
/// data) and checks that planning `config` against it is at most an in-place update.
/// Returns the imported state.
async fn import_then_plan(h: &Harness, ty: &str, id: &str, config: &Value) -> Value {
    let (imported, ds) = h.import_objects(ty, id).await;
    assert_no_errors(&format!("import {ty} {id}"), &ds);
    assert_eq!(imported.len(), 1, "{imported:?}");
    let object = &imported[0];
    assert_eq!(object.type_name, ty);
    let (read, ds) = h.read(ty, &object.state).await;
    assert_no_errors("read after import", &ds);
    assert_eq!(read, object.state, "import then refresh is stable");
    let p = h
        .plan_with_private(ty, &read, &object.private, config)
        .await;
    assert_no_errors("plan after import", &p.diagnostics);
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    assert_plan_follows_config(h, ty, config, &p.planned);
    assert!(
        p.private.is_empty(),
        "the import marker does not outlive the first plan"
    );
    read
}

// ---------------------------------------------------------------- schema and dispatch

#[tokio::test]
async fn schema_on_the_wire_is_the_resources_schema() {
    let h = Harness::start().await;
    let resources = libvirt_provider::LibvirtProvider::default().resources();
    let mut names: Vec<&str> = resources.iter().map(|r| r.type_name()).collect();
    names.sort_unstable();
    assert_eq!(h.resource_types(), names);
    for name in [NETWORK, POOL, VOLUME] {
        assert!(names.contains(&name), "{name} is served");
    }
    for r in resources {
        let wire = h.schema(r.type_name());
        assert_eq!(
            wire.ty,
            r.schema().object_type(),
            "{}: the type Terraform sees differs from the provider's",
            r.type_name()
        );
        assert_eq!(wire.version, r.schema().version);
        let id = wire.block.attribute("id").expect("every resource has `id`");
        assert!(
            id.is_computed() && id.ty == tfplugin::Type::String,
            "{}: `id` is a computed string",
            r.type_name()
        );
    }
}

#[tokio::test]
async fn unknown_resource_type_is_named_in_every_call() {
    let h = Harness::start().await;
    let bogus = "libvirt_domain_typo";
    let expect = |what: &str, ds: &[Diag]| {
        let e = errors(ds);
        assert!(
            e.iter()
                .any(|d| d.summary == "Unknown resource type" && d.detail.contains(bogus)),
            "{what}: {ds:#?}"
        );
    };
    let empty = Value::Map(Default::default());
    expect("validate", &h.validate(bogus, &empty).await);
    expect(
        "plan",
        &h.plan(bogus, &Value::Null, &empty).await.diagnostics,
    );
    let p = support::Plan {
        planned: empty.clone(),
        requires_replace: vec![],
        private: vec![],
        diagnostics: vec![],
    };
    expect("apply", &h.apply(bogus, &Value::Null, &p, &empty).await.1);
    expect("read", &h.read(bogus, &empty).await.1);
    expect("import", &h.import(bogus, "x").await.1);
    expect("upgrade", &h.upgrade(bogus, 0, &json!({})).await.1);
}

#[tokio::test]
async fn validation_needs_no_configured_connection() {
    // Terraform configures the provider before planning; validation needs no connection.
    let h = Harness::unconfigured().await;
    let cfg = h.config(NETWORK, json!({ "name": unique("unconfigured") }));
    assert!(h.validate(NETWORK, &cfg).await.is_empty());
}

#[tokio::test]
async fn provider_uri_problems_are_reported_on_uri() {
    let h = Harness::unconfigured().await;
    let unknown = Value::Map([("uri".to_string(), Value::unknown())].into());
    let d = assert_error_at(&h.configure_value(&unknown).await, "uri");
    assert!(d.summary.contains("not known"), "{d:?}");

    // The connection opens on first use, so a bad URI shows at the first call that
    // needs libvirt, pointing at `uri` and naming it.
    let h = Harness::unconfigured().await;
    let uri = "test:///nonexistent/definitions.xml";
    assert_no_errors("configure", &h.configure(json!({ "uri": uri })).await);
    let cfg = h.config(NETWORK, json!({ "name": unique("unreachable") }));
    let p = h.plan(NETWORK, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (state, ds) = h.apply(NETWORK, &Value::Null, &p, &cfg).await;
    let d = assert_error_at(&ds, "uri");
    assert!(d.summary.contains(uri), "{d:?}");
    assert!(state.is_null());
    let (_, ds) = h.import(NETWORK, "anything").await;
    assert_error_at(&ds, "uri");
}

// ---------------------------------------------------------------- test driver sharing

/// Finding behind this suite's design: every `test:///default` connection in one
/// process shares the test driver's state (libvirt keeps one default driver per
/// process while any connection to it is open), so a second provider instance sees
/// what the first created, like consecutive terraform commands against a real daemon.
#[tokio::test]
async fn a_second_provider_instance_imports_what_the_first_created() {
    let first = Harness::start().await;
    let name = unique("shared");
    let cfg = first.config(NETWORK, json!({ "name": name }));
    let state = first.create(NETWORK, &cfg).await;

    let second = Harness::start().await;
    let (imported, ds) = second.import(NETWORK, &name).await;
    assert_no_errors("import from a second instance", &ds);
    assert_eq!(imported[0].1.get("id"), state.get("id"));
    second.destroy(NETWORK, &imported[0].1).await;

    let (gone, ds) = first.read(NETWORK, &state).await;
    assert_no_errors("read", &ds);
    assert!(
        gone.is_null(),
        "deleted through the second instance: {gone:?}"
    );
}

// ---------------------------------------------------------------- every resource

/// A minimal valid configuration of each XML-mapped resource, without `name`.
fn minimal(type_name: &str) -> serde_json::Value {
    match type_name {
        NETWORK => json!({ "ip": [{ "address": "10.40.0.1", "prefix": 24 }] }),
        POOL => json!({ "type": "dir", "target": [{ "path": "/var/lib/libvirt/images/empty" }] }),
        VOLUME => volume("", 1, "MiB"),
        other => panic!("no minimal configuration for {other}"),
    }
}

/// Each optional block written empty (`dns {}`, `features {}`, ...) is either refused
/// with a diagnostic or applied without drift. libvirt drops many empty elements; that
/// must not read back as a change (which would replace the object on every apply).
#[tokio::test]
async fn empty_blocks_are_refused_or_read_back_without_drift() {
    let h = Harness::start().await;
    let mut round_tripped = Vec::new();
    for ty in [NETWORK, POOL, VOLUME] {
        let base = minimal(ty);
        let mut cases: Vec<(String, serde_json::Value)> = h
            .schema(ty)
            .block
            .blocks
            .iter()
            .filter(|nb| base.get(&nb.name).is_none())
            .map(|nb| {
                let mut cfg = base.clone();
                cfg[&nb.name] = json!([{}]);
                (nb.name.clone(), cfg)
            })
            .collect();
        if ty == NETWORK {
            let mut cfg = base.clone();
            cfg["ip"][0]["dhcp"] = json!([{}]);
            cases.push(("ip[0].dhcp".into(), cfg));
        }
        for (what, mut sparse) in cases {
            sparse["name"] = json!(unique("empty-block"));
            let cfg = h.config(ty, sparse);
            if !errors(&h.validate(ty, &cfg).await).is_empty() {
                continue;
            }
            let p = h.plan(ty, &Value::Null, &cfg).await;
            if !errors(&p.diagnostics).is_empty() {
                continue;
            }
            let (state, ds) = h.apply(ty, &Value::Null, &p, &cfg).await;
            if !errors(&ds).is_empty() {
                assert!(state.is_null(), "{ty} {what}: failed create left {state:?}");
                continue;
            }
            let (read, ds) = h.read(ty, &state).await;
            assert_no_errors("read", &ds);
            assert_eq!(read, state, "{ty} with an empty {what} block drifts");
            assert_empty_plan(&h, ty, &state, &cfg).await;
            h.destroy(ty, &state).await;
            round_tripped.push(format!("{ty}.{what}"));
        }
    }
    for expected in [
        "libvirt_network.dns",
        "libvirt_network.ip[0].dhcp",
        "libvirt_pool.features",
    ] {
        assert!(
            round_tripped.iter().any(|r| r == expected),
            "{expected} was not exercised: {round_tripped:?}"
        );
    }
}

/// Sets `value` at a path of attribute names and list indexes in a full object.
fn set_at(v: &mut Value, path: &[&str], value: Value) {
    let (last, parents) = path.split_last().expect("a path");
    let mut at = v;
    for step in parents {
        at = match step.parse::<usize>() {
            Ok(i) => match at {
                Value::List(items) => &mut items[i],
                other => panic!("{step} indexes {other:?}"),
            },
            Err(_) => at.get_mut(step).unwrap_or_else(|| panic!("no {step}")),
        };
    }
    at.set(last, value);
}

/// Values known only after another resource is applied: the plan keeps them unknown,
/// follows the rest of the configuration, and the final plan made once they are known
/// agrees with it (Terraform's "inconsistent final plan" check), then applies cleanly.
#[tokio::test]
async fn values_known_only_after_apply_plan_consistently() {
    let h = Harness::start().await;
    let net = unique("unknowns-net");
    let pool = unique("unknowns-pool");
    let vol = unique("unknowns-vol");
    let mut pool_spec = dir_pool(&pool);
    pool_spec["autostart"] = json!(true);
    let mut vol_spec = volume(&vol, 3, "MiB");
    vol_spec["pool"] = json!(pool);
    let cases: [(&str, serde_json::Value, &[&[&str]]); 3] = [
        (
            NETWORK,
            nat_network(&net, 18, &[("52:54:00:00:18:01", "10.18.0.10", "a")]),
            &[&["name"], &["ip", "0", "dhcp", "0", "host", "0", "ip"]],
        ),
        (POOL, pool_spec, &[&["target", "0", "path"], &["autostart"]]),
        (VOLUME, vol_spec, &[&["pool"], &["capacity", "0", "value"]]),
    ];
    let mut created = Vec::new();
    for (ty, sparse, unknown_paths) in cases {
        let known = h.config(ty, sparse);
        let mut pending = known.clone();
        for path in unknown_paths {
            set_at(&mut pending, path, Value::unknown());
        }
        assert!(errors(&h.validate(ty, &pending).await).is_empty(), "{ty}");
        let initial = h.plan(ty, &Value::Null, &pending).await;
        assert_no_errors(&format!("{ty} plan with unknowns"), &initial.diagnostics);
        assert_plan_follows_config(&h, ty, &pending, &initial.planned);
        let final_plan = h.plan(ty, &Value::Null, &known).await;
        let mut v = Vec::new();
        changed_known_values(&initial.planned, &final_plan.planned, "", &mut v);
        assert!(
            v.is_empty(),
            "{ty}: final plan contradicts the initial one: {v:#?}"
        );
        let state = apply_ok(&h, ty, &Value::Null, &final_plan, &known).await;
        assert_no_drift(&h, ty, &state).await;
        created.push((ty, state));
    }
    for (ty, state) in created.iter().rev() {
        h.destroy(ty, state).await;
    }
}

/// libvirt rewrites some values into its canonical form (dashed lower-case UUIDs,
/// compressed IPv6 addresses, paths without trailing or doubled slashes); the state
/// keeps the user's spelling, so such a value neither drifts nor forces replacement.
#[tokio::test]
async fn values_libvirt_normalises_keep_the_users_spelling() {
    let h = Harness::start().await;
    let network = json!({
        "name": unique("spelling-net"),
        "uuid": "6F1E8D3C1B2A4C5D9E8F0A1B2C3D4E61",
        "mac": [{ "address": "52:54:00:AB:CD:EF" }],
        "ip": [{ "family": "ipv6", "address": "fd00:0061:0000::1", "prefix": 64 }],
    });
    let name = unique("spelling-pool");
    let pool = json!({
        "type": "dir",
        "name": name,
        "target": [{ "path": format!("/var/lib/libvirt//images/{name}/") }],
    });
    for (ty, sparse) in [(NETWORK, network), (POOL, pool)] {
        let cfg = h.config(ty, sparse);
        let state = h.create(ty, &cfg).await;
        assert_no_drift(&h, ty, &state).await;
        assert_empty_plan(&h, ty, &state, &cfg).await;
        h.destroy(ty, &state).await;
    }
}

/// Terraform applies independent resources in parallel (10 at a time by default)
/// through one provider process: concurrent creates, reads and deletes of networks and
/// volumes all succeed and stay distinct.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_operations_through_one_provider_process() {
    let h = std::sync::Arc::new(Harness::start().await);
    let mut creating = tokio::task::JoinSet::new();
    for i in 0..10u8 {
        let h = h.clone();
        creating.spawn(async move {
            let (ty, sparse) = if i % 2 == 0 {
                let host = [("52:54:00:00:30:01", "10.30.0.10", "a")];
                (NETWORK, nat_network(&unique("parallel"), 30 + i, &host))
            } else {
                (VOLUME, volume(&unique("parallel"), u64::from(i), "MiB"))
            };
            let state = h.create(ty, &h.config(ty, sparse)).await;
            assert_no_drift(&h, ty, &state).await;
            (ty, state)
        });
    }
    let created: Vec<(&str, Value)> = creating.join_all().await.into_iter().collect();
    let ids: std::collections::BTreeSet<&str> = created
        .iter()
        .filter_map(|(_, s)| s.get("id").as_str())
        .collect();
    assert_eq!(ids.len(), created.len(), "every object has its own id");

    let mut deleting = tokio::task::JoinSet::new();
    for (ty, state) in created {
        let h = h.clone();
        deleting.spawn(async move {
            h.destroy(ty, &state).await;
            let (gone, ds) = h.read(ty, &state).await;
            assert_no_errors("read after destroy", &ds);
            assert!(gone.is_null(), "{ty} still there: {gone:?}");
        });
    }
    deleting.join_all().await;
}

// ---------------------------------------------------------------- libvirt_network

fn nat_network(name: &str, subnet: u8, hosts: &[(&str, &str, &str)]) -> serde_json::Value {
    let hosts: Vec<_> = hosts
        .iter()
        .map(|(mac, ip, host)| json!({ "mac": mac, "ip": ip, "name": host }))
        .collect();
    json!({
        "name": name,
        "forward": [{ "mode": "nat" }],
        "bridge": [{ "name": format!("virbr{subnet}"), "stp": "on" }],
        "ip": [{
            "address": format!("10.{subnet}.0.1"),
            "prefix": 24,
            "dhcp": [{
                "range": [{ "start": format!("10.{subnet}.0.100"), "end": format!("10.{subnet}.0.200") }],
                "host": hosts,
            }],
        }],
    })
}

#[tokio::test]
async fn network_validation_points_at_the_offending_attribute() {
    let h = Harness::start().await;
    let good = nat_network(
        &unique("valid"),
        11,
        &[("52:54:00:00:11:01", "10.11.0.10", "a")],
    );
    let ds = h.validate(NETWORK, &h.config(NETWORK, good.clone())).await;
    assert!(ds.is_empty(), "a valid network: {ds:#?}");

    let mut bad_mode = good.clone();
    bad_mode["forward"][0]["mode"] = json!("nat-ish");
    let d = assert_error_at(
        &h.validate(NETWORK, &h.config(NETWORK, bad_mode)).await,
        "forward[0].mode",
    );
    assert!(d.detail.contains("nat-ish"), "names the bad value: {d:?}");

    let mut bad_mac = good.clone();
    bad_mac["ip"][0]["dhcp"][0]["host"][0]["mac"] = json!("52:54:00:zz:11:01");
    assert_error_at(
        &h.validate(NETWORK, &h.config(NETWORK, bad_mac)).await,
        "ip[0].dhcp[0].host[0].mac",
    );

    let mut bad_uuid = good.clone();
    bad_uuid["uuid"] = json!("not-a-uuid");
    assert_error_at(
        &h.validate(NETWORK, &h.config(NETWORK, bad_uuid)).await,
        "uuid",
    );

    // libvirt's rule, said at plan time rather than at apply.
    let nat_without_address = json!({ "name": unique("nat-no-ip"), "forward": [{}] });
    let d = assert_error_at(
        &h.validate(NETWORK, &h.config(NETWORK, nat_without_address))
            .await,
        "forward[0].mode",
    );
    assert!(d.summary.contains("\"nat\""), "{d:?}");

    let mut bad_prefix = good;
    bad_prefix["ip"][0]["prefix"] = json!(129);
    assert_error_at(
        &h.validate(NETWORK, &h.config(NETWORK, bad_prefix)).await,
        "ip[0].prefix",
    );
}

#[tokio::test]
async fn network_validation_skips_unknown_values() {
    let h = Harness::start().await;
    let mut cfg = h.config(
        NETWORK,
        json!({ "forward": [{ "mode": "nat" }], "ip": [{ "prefix": 24 }] }),
    );
    // Values from other resources, unknown until apply: no "required" error yet, and
    // an unknown address is no bad address.
    cfg.set("name", Value::unknown());
    set_at(&mut cfg, &["ip", "0", "address"], Value::unknown());
    let ds = h.validate(NETWORK, &cfg).await;
    assert!(errors(&ds).is_empty(), "{ds:#?}");
}

#[tokio::test]
async fn network_lifecycle_create_read_update_import_delete() {
    let h = Harness::start().await;
    let name = unique("lifecycle-net");
    let host_a = ("52:54:00:00:12:01", "10.12.0.10", "a");
    let cfg = h.config(NETWORK, nat_network(&name, 12, &[host_a]));

    // Create: computed id and uuid are unknown, everything configured is as written.
    let p = h.plan(NETWORK, &Value::Null, &cfg).await;
    assert!(
        p.planned.get("id").is_unknown(),
        "{:?}",
        p.planned.get("id")
    );
    assert!(
        p.planned.get("uuid").is_unknown(),
        "{:?}",
        p.planned.get("uuid")
    );
    assert!(p.requires_replace.is_empty());
    assert_plan_follows_config(&h, NETWORK, &cfg, &p.planned);
    let state = apply_ok(&h, NETWORK, &Value::Null, &p, &cfg).await;
    let uuid = state
        .get("uuid")
        .as_str()
        .expect("uuid known after apply")
        .to_string();
    assert_eq!(
        state.get("id").as_str(),
        Some(uuid.as_str()),
        "id is the UUID"
    );
    assert_eq!(state.get("name").as_str(), Some(name.as_str()));
    assert_no_drift(&h, NETWORK, &state).await;
    assert_empty_plan(&h, NETWORK, &state, &cfg).await;

    // Adding a DHCP host is a live update: no replacement.
    let host_b = ("52:54:00:00:12:02", "10.12.0.11", "b");
    let cfg2 = h.config(NETWORK, nat_network(&name, 12, &[host_a, host_b]));
    let p = h.plan(NETWORK, &state, &cfg2).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    assert_plan_follows_config(&h, NETWORK, &cfg2, &p.planned);
    assert_eq!(
        p.planned.get("uuid"),
        state.get("uuid"),
        "uuid kept on update"
    );
    let state2 = apply_ok(&h, NETWORK, &state, &p, &cfg2).await;
    assert_eq!(state2.get("id"), state.get("id"), "updated in place");
    assert_no_drift(&h, NETWORK, &state2).await;

    // Changing a DHCP host's address is a live update too.
    let host_b2 = ("52:54:00:00:12:02", "10.12.0.12", "b");
    let cfg3 = h.config(NETWORK, nat_network(&name, 12, &[host_a, host_b2]));
    let p = h.plan(NETWORK, &state2, &cfg3).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let state3 = apply_ok(&h, NETWORK, &state2, &p, &cfg3).await;
    assert_no_drift(&h, NETWORK, &state3).await;

    // Autostart changes in place.
    let mut cfg4 = cfg3.clone();
    cfg4.set("autostart", true.into());
    let p = h.plan(NETWORK, &state3, &cfg4).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let state4 = apply_ok(&h, NETWORK, &state3, &p, &cfg4).await;
    assert_eq!(state4.get("autostart"), &Value::Bool(true));
    assert_no_drift(&h, NETWORK, &state4).await;

    // A new name needs a new network, and the plan says so.
    let mut renamed = cfg4.clone();
    renamed.set("name", unique("renamed").into());
    let p = h.plan(NETWORK, &state4, &renamed).await;
    assert_no_errors("plan rename", &p.diagnostics);
    assert_eq!(p.requires_replace, ["name"]);
    // So do another forward mode and another subnet.
    let mut routed = nat_network(&name, 12, &[host_a, host_b2]);
    routed["forward"][0]["mode"] = json!("route");
    routed["autostart"] = json!(true);
    let p = h.plan(NETWORK, &state4, &h.config(NETWORK, routed)).await;
    assert_eq!(p.requires_replace, ["forward[0].mode"]);
    // Removing NAT is a change too: the network would otherwise keep forwarding.
    let mut isolated = nat_network(&name, 12, &[host_a, host_b2]);
    isolated.as_object_mut().expect("object").remove("forward");
    isolated["autostart"] = json!(true);
    let p = h.plan(NETWORK, &state4, &h.config(NETWORK, isolated)).await;
    assert_eq!(p.requires_replace, ["forward"]);
    let mut moved = nat_network(&name, 14, &[]);
    moved["autostart"] = json!(true);
    let p = h.plan(NETWORK, &state4, &h.config(NETWORK, moved)).await;
    assert!(
        p.requires_replace.contains(&"ip[0].address".to_string()),
        "{:?}",
        p.requires_replace
    );

    // Import by name and by UUID gives the same object; planning the config against
    // it afterwards is at most an in-place update.
    for id in [name.as_str(), uuid.as_str()] {
        let st = import_then_plan(&h, NETWORK, id, &cfg4).await;
        assert_eq!(st.get("id").as_str(), Some(uuid.as_str()));
        assert_eq!(st.get("name").as_str(), Some(name.as_str()));
        assert_eq!(st.get("autostart"), &Value::Bool(true));
    }

    h.destroy(NETWORK, &state4).await;
    let (gone, ds) = h.read(NETWORK, &state4).await;
    assert_no_errors("read after destroy", &ds);
    assert!(
        gone.is_null(),
        "read of a deleted network is null: {gone:?}"
    );
    let (imported, ds) = h.import(NETWORK, &uuid).await;
    assert!(imported.is_empty());
    let d = assert_error_at(&ds, "id");
    assert!(d.detail.contains(&uuid), "{d:?}");
}

/// A DHCP host added behind Terraform's back (another `test:///default` connection in
/// this process sees the same driver state) reads back as drift, and the next plan
/// removes it live.
#[tokio::test]
async fn a_dhcp_host_added_outside_terraform_is_drift_removed_live() {
    use virt::sys;
    let h = Harness::start().await;
    let name = unique("drift-net");
    let cfg = h.config(
        NETWORK,
        nat_network(&name, 19, &[("52:54:00:00:19:01", "10.19.0.10", "a")]),
    );
    let state = h.create(NETWORK, &cfg).await;

    let outside = virt::connect::Connect::open(Some(support::TEST_URI)).expect("connect");
    let net = outside.lookup_network_by_name(&name).expect("network");
    net.update(
        sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
        sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
        0,
        "<host mac='52:54:00:00:19:99' ip='10.19.0.99'/>",
        sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG | sys::VIR_NETWORK_UPDATE_AFFECT_LIVE,
    )
    .expect("update outside terraform");

    let (read, ds) = h.read(NETWORK, &state).await;
    assert_no_errors("read", &ds);
    let hosts = |v: &Value| {
        v.get("ip").as_list().expect("ip")[0]
            .get("dhcp")
            .as_list()
            .expect("dhcp")[0]
            .get("host")
            .as_list()
            .map(<[Value]>::len)
    };
    assert_eq!(hosts(&read), Some(2), "the extra host shows as drift");

    let p = h.plan(NETWORK, &read, &cfg).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let fixed = apply_ok(&h, NETWORK, &read, &p, &cfg).await;
    assert_eq!(hosts(&fixed), Some(1));
    assert_no_drift(&h, NETWORK, &fixed).await;
    assert_eq!(fixed, state, "back to the configuration");
    h.destroy(NETWORK, &fixed).await;
}

/// Regression: libvirt's parent index for a DHCP host is the position of its `<ip>`
/// among all `<ip>` elements; counting only those with `<dhcp>` sent updates of a DHCP
/// server on `ip[1]` to `ip[0]`, which libvirt refused.
#[tokio::test]
async fn dhcp_hosts_on_a_later_ip_block_update_live() {
    let h = Harness::start().await;
    let name = unique("second-ip-dhcp");
    let spec = |hosts: serde_json::Value| {
        json!({
            "name": name,
            "ip": [
                { "address": "10.15.0.1", "prefix": 24 },
                { "address": "10.15.1.1", "prefix": 24, "dhcp": [{ "host": hosts }] },
            ],
        })
    };
    let one = spec(json!([{ "mac": "52:54:00:00:15:01", "ip": "10.15.1.10" }]));
    let cfg = h.config(NETWORK, one);
    let state = h.create(NETWORK, &cfg).await;
    let two = spec(json!([
        { "mac": "52:54:00:00:15:01", "ip": "10.15.1.10" },
        { "mac": "52:54:00:00:15:02", "ip": "10.15.1.11", "name": "b" },
    ]));
    let cfg2 = h.config(NETWORK, two);
    let p = h.plan(NETWORK, &state, &cfg2).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let state2 = apply_ok(&h, NETWORK, &state, &p, &cfg2).await;
    assert_no_drift(&h, NETWORK, &state2).await;
    h.destroy(NETWORK, &state2).await;
}

/// Regression: libvirt appends every added DHCP host, so a host inserted before the
/// existing ones came back last and every later refresh reported drift.
#[tokio::test]
async fn a_dhcp_host_inserted_first_keeps_its_place() {
    let h = Harness::start().await;
    let name = unique("dhcp-order");
    let a = ("52:54:00:00:17:01", "10.17.0.10", "a");
    let b = ("52:54:00:00:17:02", "10.17.0.11", "b");
    let cfg = h.config(NETWORK, nat_network(&name, 17, &[a]));
    let state = h.create(NETWORK, &cfg).await;
    let cfg2 = h.config(NETWORK, nat_network(&name, 17, &[b, a]));
    let p = h.plan(NETWORK, &state, &cfg2).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let state2 = apply_ok(&h, NETWORK, &state, &p, &cfg2).await;
    assert_no_drift(&h, NETWORK, &state2).await;
    assert_empty_plan(&h, NETWORK, &state2, &cfg2).await;
    h.destroy(NETWORK, &state2).await;
}

/// Regression: libvirt deletes the DNS host matching the given entry's IP *or any of
/// its hostnames* and refuses when several match, so removing one of two records that
/// share a hostname failed until deletions named the record by IP alone.
#[tokio::test]
async fn a_dns_host_sharing_a_hostname_is_removed_live() {
    let h = Harness::start().await;
    let name = unique("dns-shared");
    let spec = |hosts: serde_json::Value| json!({ "name": name, "dns": [{ "host": hosts }] });
    let both = spec(json!([
        { "ip": "10.16.0.10", "hostname": ["www", "a"] },
        { "ip": "10.16.0.11", "hostname": ["www"] },
    ]));
    let cfg = h.config(NETWORK, both);
    let state = h.create(NETWORK, &cfg).await;
    let one = spec(json!([{ "ip": "10.16.0.10", "hostname": ["www", "a"] }]));
    let cfg2 = h.config(NETWORK, one);
    let p = h.plan(NETWORK, &state, &cfg2).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let state2 = apply_ok(&h, NETWORK, &state, &p, &cfg2).await;
    assert_eq!(
        state2.get("dns").as_list().expect("dns")[0]
            .get("host")
            .as_list()
            .map(<[Value]>::len),
        Some(1)
    );
    assert_no_drift(&h, NETWORK, &state2).await;
    h.destroy(NETWORK, &state2).await;
}

#[tokio::test]
async fn network_with_a_users_uuid_keeps_it() {
    let h = Harness::start().await;
    let uuid = "6f1e8d3c-1b2a-4c5d-9e8f-0a1b2c3d4e5f";
    let cfg = h.config(
        NETWORK,
        json!({ "name": unique("fixed-uuid"), "uuid": uuid }),
    );
    let p = h.plan(NETWORK, &Value::Null, &cfg).await;
    assert_eq!(p.planned.get("uuid").as_str(), Some(uuid));
    let state = apply_ok(&h, NETWORK, &Value::Null, &p, &cfg).await;
    assert_eq!(state.get("id").as_str(), Some(uuid));
    assert_no_drift(&h, NETWORK, &state).await;
    assert_empty_plan(&h, NETWORK, &state, &cfg).await;
    h.destroy(NETWORK, &state).await;
}

#[tokio::test]
async fn network_name_clash_is_reported_on_name_at_apply() {
    let h = Harness::start().await;
    // The test driver starts with a network called "default".
    let cfg = h.config(NETWORK, json!({ "name": "default" }));
    let p = h.plan(NETWORK, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (state, ds) = h.apply(NETWORK, &Value::Null, &p, &cfg).await;
    let d = assert_error_at(&ds, "name");
    assert!(d.summary.contains("\"default\""), "{d:?}");
    assert!(state.is_null(), "nothing was created: {state:?}");

    let name = unique("clash");
    let cfg = h.config(NETWORK, json!({ "name": name }));
    let first = h.create(NETWORK, &cfg).await;
    let p = h.plan(NETWORK, &Value::Null, &cfg).await;
    let (_, ds) = h.apply(NETWORK, &Value::Null, &p, &cfg).await;
    assert_error_at(&ds, "name");
    let (still, _) = h.read(NETWORK, &first).await;
    assert_eq!(still, first, "the existing network is untouched");
    h.destroy(NETWORK, &first).await;
}

#[tokio::test]
async fn network_state_upgrade_of_the_current_version_is_identity() {
    let h = Harness::start().await;
    let cfg = h.config(
        NETWORK,
        nat_network(
            &unique("upgrade"),
            13,
            &[("52:54:00:00:13:01", "10.13.0.10", "a")],
        ),
    );
    let state = h.create(NETWORK, &cfg).await;
    let schema = h.schema(NETWORK);
    // Terraform stores state as JSON; UpgradeResourceState gets it back as JSON.
    let stored = tfplugin::codec::to_json(&schema.ty, &state).expect("state as JSON");
    let (upgraded, ds) = h.upgrade(NETWORK, schema.version, &stored).await;
    assert_no_errors("upgrade", &ds);
    assert_eq!(upgraded, state);

    // State stored before a block existed (libvirt grew an element, the schema version
    // stayed) lacks its key: it means no blocks, which Terraform writes as an empty list.
    let mut older = stored.clone();
    let fields = older.as_object_mut().expect("state object");
    let absent: Vec<String> = schema
        .block
        .blocks
        .iter()
        .filter(|nb| fields[&nb.name] == json!([]))
        .map(|nb| nb.name.clone())
        .collect();
    assert!(absent.len() > 5, "{absent:?}");
    for name in &absent {
        fields.remove(name);
    }
    let mut ip = fields["ip"][0].as_object_mut().expect("ip block").clone();
    ip.remove("tftp");
    fields["ip"][0] = json!(ip);
    let (upgraded, ds) = h.upgrade(NETWORK, schema.version, &older).await;
    assert_no_errors("upgrade of a state without some blocks", &ds);
    assert_eq!(upgraded, state);

    let (_, ds) = h.upgrade(NETWORK, schema.version + 1, &stored).await;
    let e = errors(&ds);
    assert!(
        e.iter().any(|d| d.summary == "Unsupported state version"),
        "a newer stored version is refused: {ds:#?}"
    );

    let resp = h
        .raw()
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: NETWORK.into(),
            version: schema.version,
            raw_state: Some(pb::RawState {
                json: vec![],
                flatmap: [("name".to_string(), "x".to_string())].into(),
            }),
        })
        .await
        .expect("UpgradeResourceState RPC")
        .into_inner();
    assert!(
        resp.diagnostics
            .iter()
            .any(|d| d.summary == "Unsupported state format"),
        "legacy flatmap state is refused: {:?}",
        resp.diagnostics
    );
    h.destroy(NETWORK, &state).await;
}

// ---------------------------------------------------------------- libvirt_pool

fn dir_pool(name: &str) -> serde_json::Value {
    json!({
        "type": "dir",
        "name": name,
        "target": [{ "path": format!("/var/lib/libvirt/images/{name}") }],
    })
}

#[tokio::test]
async fn pool_validation_points_at_the_offending_attribute() {
    let h = Harness::start().await;
    let good = dir_pool(&unique("valid-pool"));
    let ds = h.validate(POOL, &h.config(POOL, good.clone())).await;
    assert!(ds.is_empty(), "{ds:#?}");

    let mut bad_type = good.clone();
    bad_type["type"] = json!("directory");
    assert_error_at(&h.validate(POOL, &h.config(POOL, bad_type)).await, "type");

    let mut bad_uuid = good;
    bad_uuid["uuid"] = json!("1234");
    assert_error_at(&h.validate(POOL, &h.config(POOL, bad_uuid)).await, "uuid");
}

#[tokio::test]
async fn pool_lifecycle_create_read_update_import_delete() {
    let h = Harness::start().await;
    let name = unique("lifecycle-pool");
    let cfg = h.config(POOL, dir_pool(&name));

    let p = h.plan(POOL, &Value::Null, &cfg).await;
    assert!(p.planned.get("id").is_unknown());
    assert!(p.planned.get("uuid").is_unknown());
    assert_plan_follows_config(&h, POOL, &cfg, &p.planned);
    let state = apply_ok(&h, POOL, &Value::Null, &p, &cfg).await;
    let uuid = state
        .get("id")
        .as_str()
        .expect("id after apply")
        .to_string();
    assert_eq!(state.get("uuid").as_str(), Some(uuid.as_str()));
    assert_no_drift(&h, POOL, &state).await;
    assert_empty_plan(&h, POOL, &state, &cfg).await;

    // Autostart is the one in-place change.
    let mut cfg2 = cfg.clone();
    cfg2.set("autostart", true.into());
    let p = h.plan(POOL, &state, &cfg2).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let state2 = apply_ok(&h, POOL, &state, &p, &cfg2).await;
    assert_eq!(state2.get("autostart"), &Value::Bool(true));
    assert_eq!(state2.get("id"), state.get("id"));
    assert_no_drift(&h, POOL, &state2).await;

    // Another target directory is another pool.
    let mut moved = dir_pool(&name);
    moved["target"][0]["path"] = json!("/srv/elsewhere");
    moved["autostart"] = json!(true);
    let p = h.plan(POOL, &state2, &h.config(POOL, moved)).await;
    assert_eq!(p.requires_replace, ["target[0].path"]);
    let mut renamed = cfg2.clone();
    renamed.set("name", unique("renamed-pool").into());
    let p = h.plan(POOL, &state2, &renamed).await;
    assert_eq!(p.requires_replace, ["name"]);

    for id in [name.as_str(), uuid.as_str()] {
        let st = import_then_plan(&h, POOL, id, &cfg2).await;
        assert_eq!(st.get("id").as_str(), Some(uuid.as_str()));
        assert_eq!(st.get("name").as_str(), Some(name.as_str()));
    }

    h.destroy(POOL, &state2).await;
    let (gone, ds) = h.read(POOL, &state2).await;
    assert_no_errors("read after destroy", &ds);
    assert!(gone.is_null(), "{gone:?}");
}

#[tokio::test]
async fn pool_name_clash_is_reported_on_name_at_apply() {
    let h = Harness::start().await;
    let cfg = h.config(POOL, dir_pool(TEST_DRIVER_POOL));
    let p = h.plan(POOL, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (state, ds) = h.apply(POOL, &Value::Null, &p, &cfg).await;
    assert_error_at(&ds, "name");
    assert!(state.is_null(), "{state:?}");
}

// ---------------------------------------------------------------- libvirt_volume

fn volume(name: &str, size: u64, unit: &str) -> serde_json::Value {
    json!({
        "name": name,
        "pool": TEST_DRIVER_POOL,
        "capacity": [{ "value": size, "unit": unit }],
        "target": [{ "format": [{ "type": "raw" }] }],
    })
}

#[tokio::test]
async fn volume_validation_and_plan_checks_point_at_the_attribute() {
    let h = Harness::start().await;
    let good = volume(&unique("valid-vol"), 1, "GiB");
    let ds = h.validate(VOLUME, &h.config(VOLUME, good.clone())).await;
    assert!(ds.is_empty(), "{ds:#?}");

    let mut bad_unit = good.clone();
    bad_unit["capacity"][0]["unit"] = json!("parsecs");
    assert_error_at(
        &h.validate(VOLUME, &h.config(VOLUME, bad_unit)).await,
        "capacity[0].unit",
    );

    let mut bad_format = good.clone();
    bad_format["target"][0]["format"][0]["type"] = json!("qcow7");
    assert_error_at(
        &h.validate(VOLUME, &h.config(VOLUME, bad_format)).await,
        "target[0].format[0].type",
    );

    let mut no_size = good.clone();
    no_size.as_object_mut().expect("object").remove("capacity");
    let p = h
        .plan(VOLUME, &Value::Null, &h.config(VOLUME, no_size.clone()))
        .await;
    assert_error_at(&p.diagnostics, "capacity");

    no_size["content_source"] = json!("/nonexistent/image.qcow2");
    let p = h
        .plan(VOLUME, &Value::Null, &h.config(VOLUME, no_size))
        .await;
    let d = assert_error_at(&p.diagnostics, "content_source");
    assert!(d.detail.contains("/nonexistent/image.qcow2"), "{d:?}");
}

#[tokio::test]
async fn volume_lifecycle_grow_in_place_shrink_replaces() {
    let h = Harness::start().await;
    let name = unique("lifecycle-vol");
    let cfg = h.config(VOLUME, volume(&name, 2, "GiB"));

    let p = h.plan(VOLUME, &Value::Null, &cfg).await;
    assert!(p.planned.get("id").is_unknown());
    assert_plan_follows_config(&h, VOLUME, &cfg, &p.planned);
    let state = apply_ok(&h, VOLUME, &Value::Null, &p, &cfg).await;
    let key = state.get("id").as_str().expect("key").to_string();
    assert_eq!(state.get("pool").as_str(), Some(TEST_DRIVER_POOL));
    // libvirt reports bytes; the state keeps the user's 2 GiB.
    assert_no_drift(&h, VOLUME, &state).await;
    assert_empty_plan(&h, VOLUME, &state, &cfg).await;

    // The same size in other units, or a larger one, changes the volume in place.
    for (size, unit) in [(2048, "MiB"), (3, "GiB")] {
        let p = h
            .plan(VOLUME, &state, &h.config(VOLUME, volume(&name, size, unit)))
            .await;
        assert_no_errors("plan", &p.diagnostics);
        assert!(
            p.requires_replace.is_empty(),
            "{size} {unit}: {:?}",
            p.requires_replace
        );
    }
    // Shrinking needs a new volume.
    let p = h
        .plan(VOLUME, &state, &h.config(VOLUME, volume(&name, 1, "GiB")))
        .await;
    assert_no_errors("plan shrink", &p.diagnostics);
    assert_eq!(p.requires_replace, ["capacity"]);

    let pool_and_name = format!("{TEST_DRIVER_POOL}/{name}");
    for id in [key.as_str(), pool_and_name.as_str()] {
        let st = import_then_plan(&h, VOLUME, id, &cfg).await;
        assert_eq!(st.get("id").as_str(), Some(key.as_str()));
        assert_eq!(st.get("pool").as_str(), Some(TEST_DRIVER_POOL));
    }

    h.destroy(VOLUME, &state).await;
    let (gone, ds) = h.read(VOLUME, &state).await;
    assert_no_errors("read after destroy", &ds);
    assert!(gone.is_null(), "{gone:?}");
}

/// libvirt's test driver cannot resize volumes (virStorageVolResize is not supported
/// there), which makes growth a real failing update: Terraform must get an error naming
/// the volume and keep the prior state. Growth itself is covered by the acceptance tier.
#[tokio::test]
async fn a_failed_update_reports_why_and_keeps_the_prior_state() {
    let h = Harness::start().await;
    let name = unique("resize-vol");
    let cfg = h.config(VOLUME, volume(&name, 1, "GiB"));
    let state = h.create(VOLUME, &cfg).await;
    let grown = h.config(VOLUME, volume(&name, 2, "GiB"));
    let p = h.plan(VOLUME, &state, &grown).await;
    assert_no_errors("plan growth", &p.diagnostics);
    let (after, ds) = h.apply(VOLUME, &state, &p, &grown).await;
    let e = errors(&ds);
    assert!(
        e.iter().any(|d| d.summary.contains("resizing volume")
            && d.summary.contains(&name)
            && d.detail.contains("not supported")),
        "{ds:#?}"
    );
    assert_eq!(after, state, "the prior state stands after a failed update");
    h.destroy(VOLUME, &state).await;
}

/// libvirt's test driver cannot upload (virStorageVolUpload is not supported there),
/// which makes a create fail after the volume exists: the error says what failed and
/// the new state still names the volume, so Terraform taints it instead of orphaning it.
#[tokio::test]
async fn a_create_failing_after_the_volume_exists_returns_it_as_partial_state() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let image = dir.path().join("disk.raw");
    std::fs::write(&image, vec![7u8; 3 << 20]).expect("image file");
    let name = unique("upload-vol");
    let mut spec = volume(&name, 1, "MiB");
    spec.as_object_mut().expect("object").remove("capacity");
    spec["content_source"] = json!(image.to_str().expect("utf-8 path"));
    let cfg = h.config(VOLUME, spec);
    let p = h.plan(VOLUME, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (partial, ds) = h.apply(VOLUME, &Value::Null, &p, &cfg).await;
    assert!(
        errors(&ds).iter().any(|d| d.summary.contains("uploading")),
        "{ds:#?}"
    );
    let id = partial
        .get("id")
        .as_str()
        .expect("the partial state names the volume");
    assert!(id.ends_with(&name), "{id}");
    let (read, ds) = h.read(VOLUME, &partial).await;
    assert_no_errors("read of the partial volume", &ds);
    assert_eq!(read, partial);
    h.destroy(VOLUME, &partial).await;
}

#[tokio::test]
async fn volume_name_clash_and_missing_pool_are_reported_at_apply() {
    let h = Harness::start().await;
    let name = unique("clash-vol");
    let cfg = h.config(VOLUME, volume(&name, 10, "MiB"));
    let first = h.create(VOLUME, &cfg).await;
    let p = h.plan(VOLUME, &Value::Null, &cfg).await;
    let (_, ds) = h.apply(VOLUME, &Value::Null, &p, &cfg).await;
    assert_error_at(&ds, "name");
    h.destroy(VOLUME, &first).await;

    let mut elsewhere = volume(&unique("orphan-vol"), 10, "MiB");
    elsewhere["pool"] = json!("no-such-pool");
    let cfg = h.config(VOLUME, elsewhere);
    let p = h.plan(VOLUME, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (state, ds) = h.apply(VOLUME, &Value::Null, &p, &cfg).await;
    let d = assert_error_at(&ds, "pool");
    assert!(d.summary.contains("no-such-pool"), "{d:?}");
    assert!(state.is_null());
}

#[tokio::test]
async fn volume_in_a_pool_created_by_the_same_run() {
    let h = Harness::start().await;
    let pool_name = unique("vol-pool");
    let pool = h.create(POOL, &h.config(POOL, dir_pool(&pool_name))).await;
    let mut spec = volume(&unique("in-new-pool"), 5, "MiB");
    spec["pool"] = json!(pool_name);
    let cfg = h.config(VOLUME, spec);
    let vol = h.create(VOLUME, &cfg).await;
    assert_eq!(vol.get("pool").as_str(), Some(pool_name.as_str()));
    assert_no_drift(&h, VOLUME, &vol).await;
    h.destroy(VOLUME, &vol).await;
    h.destroy(POOL, &pool).await;
}
