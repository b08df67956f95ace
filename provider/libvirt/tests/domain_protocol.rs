//! Tier 2 for `libvirt_domain`: the real tfplugin5 service against libvirt's test
//! driver: plan, apply, read (no drift), live and restarting updates, import, drift,
//! plan-time checks and delete, with a configuration covering what users write.

mod support;

use serde_json::json;
use support::{assert_no_errors, errors, plan_violations, unique, Diag, Harness, Plan};
use tfplugin::Value;

const DOMAIN: &str = "libvirt_domain";

/// A domain as a real user's program writes it, plus the other common blocks.
/// (`qemu_commandline` is left to the acceptance test: the test driver drops the
/// QEMU namespace.)
fn full_config(name: &str) -> serde_json::Value {
    json!({
        "type": "qemu",
        "name": name,
        "memory": [{"value": 256, "unit": "MiB"}],
        "current_memory": [{"value": 256, "unit": "MiB"}],
        "vcpu": [{"value": 2, "current": 1}],
        "os": [{
            "type": [{"value": "hvm", "arch": "x86_64", "machine": "pc"}],
            "boot": [{"dev": "hd"}, {"dev": "network"}],
            "kernel": "/var/lib/libvirt/boot/vmlinuz",
            "initrd": "/var/lib/libvirt/boot/initrd.img",
            "cmdline": "console=ttyS0 root=/dev/vda",
        }],
        "cpu": [{"mode": "host-passthrough", "check": "none"}],
        "features": [{"acpi": [{}], "apic": [{}]}],
        "clock": [{"offset": "utc", "timer": [
            {"name": "rtc", "tickpolicy": "catchup"},
            {"name": "pit", "tickpolicy": "delay"},
            {"name": "hpet", "present": "no"},
        ]}],
        "on_poweroff": "destroy",
        "on_reboot": "restart",
        "on_crash": "destroy",
        "cputune": [{"vcpupin": [{"vcpu": 0, "cpuset": "0"}, {"vcpu": 1, "cpuset": "1"}]}],
        "numatune": [{"memory": [{"mode": "strict", "nodeset": "0"}]}],
        "devices": [{
            "disk": [
                {
                    "type": "file", "device": "disk",
                    "driver": [{"name": "qemu", "type": "qcow2"}],
                    "source": [{"file": "/var/lib/libvirt/images/root.qcow2"}],
                    "target": [{"dev": "vda", "bus": "virtio"}],
                },
                {
                    "type": "file", "device": "cdrom",
                    "driver": [{"name": "qemu", "type": "raw"}],
                    "source": [{"file": "/var/lib/libvirt/images/cidata.iso"}],
                    "target": [{"dev": "sda", "bus": "sata"}],
                    "readonly": [{}],
                },
            ],
            "interface": [{
                "type": "network",
                "mac": [{"address": "52:54:00:12:34:56"}],
                "source": [{"network": "default"}],
                "model": [{"type": "virtio"}],
            }],
            "serial": [{"type": "pty", "target": [{"port": 0}]}],
            "console": [{"type": "pty", "target": [{"type": "serial", "port": 0}]}],
            "channel": [{
                "type": "unix",
                "target": [{"type": "virtio", "name": "org.qemu.guest_agent.0"}],
            }],
            "rng": [{"model": "virtio", "backend": [{"model": "random", "value": "/dev/urandom"}]}],
            "video": [{"model": [{"type": "virtio"}]}],
            "graphics": [{"type": "vnc", "port": -1, "autoport": "yes"}],
        }],
    })
}

#[track_caller]
fn assert_error_at(ds: &[Diag], path: &str) -> Diag {
    errors(ds)
        .into_iter()
        .find(|d| d.path == path)
        .unwrap_or_else(|| panic!("expected an error at {path:?}, got {ds:#?}"))
        .clone()
}

async fn apply_ok(h: &Harness, prior: &Value, p: &Plan, cfg: &Value) -> Value {
    assert_no_errors("planning the domain", &p.diagnostics);
    let (new, ds) = h.apply(DOMAIN, prior, p, cfg).await;
    assert_no_errors("applying the domain", &ds);
    let mut v = Vec::new();
    plan_violations(&p.planned, &new, "", &mut v);
    assert!(v.is_empty(), "apply result differs from the plan: {v:#?}");
    new
}

async fn assert_steady(h: &Harness, state: &Value, cfg: &Value) {
    let (read, ds) = h.read(DOMAIN, state).await;
    assert_no_errors("reading the domain", &ds);
    assert_same("ReadResource after apply reports drift", state, &read);
    let p = h.plan(DOMAIN, state, cfg).await;
    assert_no_errors("re-planning", &p.diagnostics);
    assert_same("a second plan is not empty", state, &p.planned);
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
}

/// Equal values, or a failure naming the paths that differ.
#[track_caller]
fn assert_same(what: &str, expected: &Value, actual: &Value) {
    let mut diff = Vec::new();
    plan_violations(expected, actual, "", &mut diff);
    assert!(diff.is_empty(), "{what}: {diff:#?}");
}

fn restart_warning(p: &Plan) -> Option<&Diag> {
    p.diagnostics
        .iter()
        .find(|d| !d.error && d.summary.contains("will be restarted to apply"))
}

#[tokio::test]
async fn full_domain_lifecycle() {
    let h = Harness::start().await;
    let name = unique("dom-full");
    let cfg = h.config(DOMAIN, full_config(&name));
    assert_no_errors("validate", &h.validate(DOMAIN, &cfg).await);

    let p = h.plan(DOMAIN, &Value::Null, &cfg).await;
    assert!(p.planned.get("id").is_unknown());
    assert_eq!(p.planned.get("running"), &Value::Bool(true));
    let state = apply_ok(&h, &Value::Null, &p, &cfg).await;
    let uuid = state
        .get("id")
        .as_str()
        .expect("id is the UUID")
        .to_string();
    assert_eq!(state.get("uuid").as_str(), Some(uuid.as_str()));
    assert_eq!(state.get("running"), &Value::Bool(true));
    assert_steady(&h, &state, &cfg).await;

    // Live: balloon and vCPU count change without a restart. (Interface link state is
    // live too, but the test driver cannot update devices: the acceptance test covers it.)
    let mut live = full_config(&name);
    live["current_memory"] = json!([{"value": 128, "unit": "MiB"}]);
    live["vcpu"] = json!([{"value": 2, "current": 2}]);
    let live = h.config(DOMAIN, live);
    let p = h.plan(DOMAIN, &state, &live).await;
    assert!(restart_warning(&p).is_none(), "{:#?}", p.diagnostics);
    assert!(p.requires_replace.is_empty());
    let state = apply_ok(&h, &state, &p, &live).await;
    assert_eq!(state.get("id").as_str(), Some(uuid.as_str()));
    assert_steady(&h, &state, &live).await;

    // Restart: the machine type and a boot device need a new boot; the plan says so.
    let mut restart = full_config(&name);
    restart["current_memory"] = json!([{"value": 128, "unit": "MiB"}]);
    restart["vcpu"] = json!([{"value": 2, "current": 2}]);
    restart["os"][0]["boot"] = json!([{"dev": "network"}]);
    restart["memory"] = json!([{"value": 512, "unit": "MiB"}]);
    let restart = h.config(DOMAIN, restart);
    let p = h.plan(DOMAIN, &state, &restart).await;
    let w =
        restart_warning(&p).unwrap_or_else(|| panic!("no restart warning: {:#?}", p.diagnostics));
    assert!(
        w.summary.contains(&format!("libvirt_domain.{name}"))
            && w.summary.contains("memory")
            && w.summary.contains("os[0].boot"),
        "{}",
        w.summary
    );
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let state = apply_ok(&h, &state, &p, &restart).await;
    assert_eq!(state.get("id").as_str(), Some(uuid.as_str()), "same domain");
    assert_steady(&h, &state, &restart).await;

    // Stopping is an in-place change, and so is starting again.
    let mut stopped = full_config(&name);
    stopped["running"] = json!(false);
    let stopped = h.config(DOMAIN, stopped);
    let p = h.plan(DOMAIN, &state, &stopped).await;
    let state = apply_ok(&h, &state, &p, &stopped).await;
    assert_eq!(state.get("running"), &Value::Bool(false));
    assert_steady(&h, &state, &stopped).await;

    // Changing the hypervisor type needs a new domain.
    let mut kvm = full_config(&name);
    kvm["type"] = json!("kvm");
    let p = h.plan(DOMAIN, &state, &h.config(DOMAIN, kvm)).await;
    assert_eq!(p.requires_replace, ["type"]);

    // Import by name reads back what libvirt holds, with the same id.
    let (imported, ds) = h.import(DOMAIN, &name).await;
    assert_no_errors("import by name", &ds);
    assert_eq!(imported[0].1.get("id").as_str(), Some(uuid.as_str()));
    assert_eq!(imported[0].1.get("name").as_str(), Some(name.as_str()));
    let (by_uuid, ds) = h.import(DOMAIN, &uuid).await;
    assert_no_errors("import by UUID", &ds);
    assert_eq!(by_uuid[0].1.get("name").as_str(), Some(name.as_str()));

    h.destroy(DOMAIN, &state).await;
    let (gone, ds) = h.read(DOMAIN, &state).await;
    assert_no_errors("read after destroy", &ds);
    assert!(gone.is_null(), "the domain is gone");
}

#[tokio::test]
async fn unset_mac_is_computed_and_kept_across_redefinition() {
    let h = Harness::start().await;
    let name = unique("dom-mac");
    let base = json!({
        "type": "qemu", "name": name, "running": false,
        "memory": [{"value": 128, "unit": "MiB"}],
        "os": [{"type": [{"value": "hvm", "machine": "q35"}]}],
        "devices": [{"interface": [{"type": "network", "source": [{"network": "default"}], "mac": [{}]}]}],
    });
    let cfg = h.config(DOMAIN, base.clone());
    assert_no_errors("validate", &h.validate(DOMAIN, &cfg).await);
    let p = h.plan(DOMAIN, &Value::Null, &cfg).await;
    let state = apply_ok(&h, &Value::Null, &p, &cfg).await;
    let mac = |v: &Value| {
        v.get("devices").as_list().unwrap()[0]
            .get("interface")
            .as_list()
            .unwrap()[0]
            .get("mac")
            .as_list()
            .unwrap()[0]
            .get("address")
            .as_str()
            .map(str::to_string)
    };
    let assigned = mac(&state).expect("libvirt assigned a MAC");
    assert!(assigned.starts_with("52:54:00"), "{assigned}");
    assert_steady(&h, &state, &cfg).await;

    // A change to a shut-off domain redefines it: no warning, and the MAC stays.
    let mut more = base.clone();
    more["memory"] = json!([{"value": 256, "unit": "MiB"}]);
    let more = h.config(DOMAIN, more);
    let p = h.plan(DOMAIN, &state, &more).await;
    assert!(restart_warning(&p).is_none());
    let state = apply_ok(&h, &state, &p, &more).await;
    assert_eq!(mac(&state), Some(assigned));
    assert_steady(&h, &state, &more).await;

    // Drift: memory changed outside Terraform shows up on read.
    let conn = virt::connect::Connect::open(Some(support::TEST_URI)).unwrap();
    let dom = conn.lookup_domain_by_name(&name).unwrap();
    let xml = dom.xml_desc(0).unwrap().replace(
        "<memory unit='KiB'>262144</memory>",
        "<memory unit='KiB'>524288</memory>",
    );
    conn.define_domain_xml(&xml).unwrap();
    let (read, ds) = h.read(DOMAIN, &state).await;
    assert_no_errors("read after drift", &ds);
    assert_ne!(read.get("memory"), state.get("memory"), "drift is visible");
    let p = h.plan(DOMAIN, &read, &more).await;
    assert_eq!(
        p.planned.get("memory"),
        state.get("memory"),
        "the plan restores it"
    );
    let state = apply_ok(&h, &read, &p, &more).await;

    // Renaming a shut-off domain keeps it (same UUID, same MAC).
    let renamed = unique("dom-renamed");
    let mut cfg = base.clone();
    cfg["name"] = json!(renamed);
    cfg["memory"] = json!([{"value": 256, "unit": "MiB"}]);
    let cfg = h.config(DOMAIN, cfg);
    let p = h.plan(DOMAIN, &state, &cfg).await;
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    let after = apply_ok(&h, &state, &p, &cfg).await;
    assert_eq!(after.get("id"), state.get("id"));
    assert_eq!(mac(&after), mac(&state));
    assert!(conn.lookup_domain_by_name(&renamed).is_ok());
    assert_steady(&h, &after, &cfg).await;
    h.destroy(DOMAIN, &after).await;
}

#[tokio::test]
async fn plan_time_checks_name_the_attribute() {
    let h = Harness::start().await;
    let mut bad = full_config(&unique("dom-bad"));
    bad["devices"][0]["disk"][1]["target"][0]["dev"] = json!("vda");
    bad["current_memory"] = json!([{"value": 1, "unit": "GiB"}]);
    let ds = h.validate(DOMAIN, &h.config(DOMAIN, bad)).await;
    let dup = assert_error_at(&ds, "devices[0].disk[1].target[0].dev");
    assert!(dup.summary.contains("vda"), "{dup:?}");
    let mem = assert_error_at(&ds, "memory[0].value");
    assert!(mem.detail.contains("current_memory"), "{mem:?}");

    let mut enum_typo = full_config(&unique("dom-bad"));
    enum_typo["on_crash"] = json!("explode");
    let ds = h.validate(DOMAIN, &h.config(DOMAIN, enum_typo)).await;
    assert_error_at(&ds, "on_crash");
}

#[tokio::test]
async fn existing_name_is_refused_at_apply() {
    let h = Harness::start().await;
    // The test driver starts with a domain named "test".
    let cfg = h.config(
        DOMAIN,
        json!({
            "type": "qemu", "name": "test", "memory": [{"value": 128, "unit": "MiB"}],
            "os": [{"type": [{"value": "hvm"}]}],
        }),
    );
    let p = h.plan(DOMAIN, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let (_, ds) = h.apply(DOMAIN, &Value::Null, &p, &cfg).await;
    assert_error_at(&ds, "name");
}

#[tokio::test]
async fn interface_addresses_are_waited_for_and_refreshed() {
    let h = Harness::start().await;
    let name = unique("dom-ip");
    let config = |source: &str| {
        json!({
            "type": "qemu", "name": name,
            "wait_for_ip_timeout": 10, "wait_for_ip_source": source,
            "memory": [{"value": 128, "unit": "MiB"}],
            "os": [{"type": [{"value": "hvm"}]}],
            "devices": [{"interface": [{
                "type": "network",
                "mac": [{"address": "52:54:00:0a:0b:0c"}],
                "source": [{"network": "default"}],
            }]}],
        })
    };
    let cfg = h.config(DOMAIN, config("lease"));
    let p = h.plan(DOMAIN, &Value::Null, &cfg).await;
    assert!(p.planned.get("interface_addresses").is_unknown());
    let state = apply_ok(&h, &Value::Null, &p, &cfg).await;
    let found = state
        .get("interface_addresses")
        .as_list()
        .expect("addresses");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].get("mac").as_str(), Some("52:54:00:0a:0b:0c"));
    let addrs = found[0].get("addresses").as_list().unwrap();
    assert!(!addrs.is_empty(), "the test driver leases an address");
    assert_steady(&h, &state, &cfg).await;

    let bad = h.config(DOMAIN, config("dns"));
    let ds = h.validate(DOMAIN, &bad).await;
    assert_error_at(&ds, "wait_for_ip_source");
    h.destroy(DOMAIN, &state).await;
}
