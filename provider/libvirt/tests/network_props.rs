//! Property: for any valid network configuration, the provider's plan follows the
//! configuration (the framework's `plan::check_plan`), apply returns what was planned,
//! read returns exactly the applied state, a second plan is empty, and changed DHCP and
//! DNS hosts update in place, all through the real gRPC service and libvirt's test driver.

mod support;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::json;
use support::{assert_no_errors, plan_violations, unique, Harness};
use tfplugin::diag::AttributePath;
use tfplugin::{plan, Value};

const NETWORK: &str = "libvirt_network";

/// One provider for all cases: the runtime serving it must outlive every case.
fn harness() -> &'static (tokio::runtime::Runtime, Harness) {
    static H: OnceLock<(tokio::runtime::Runtime, Harness)> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        let h = rt.block_on(Harness::start());
        (rt, h)
    })
}

#[derive(Clone, Debug)]
struct Host {
    mac_suffix: u8,
    name: Option<String>,
}

#[derive(Clone, Debug)]
struct Dhcp {
    /// Which IP block serves DHCP (libvirt allows one per network), modulo their count.
    ip_block: usize,
    ranges: usize,
    hosts: Vec<Host>,
}

#[derive(Clone, Debug)]
struct DnsHost {
    octet: u8,
    hostnames: Vec<String>,
}

#[derive(Clone, Debug)]
struct NetworkSpec {
    name: String,
    /// `forward` block and its mode (`None` inside: the block without a mode, i.e. NAT).
    forward: Option<Option<&'static str>>,
    /// Second octet of every subnet; the third is the block's index.
    net: u8,
    /// One IPv4 block per element, written with `netmask` when true, else `prefix`.
    ips: Vec<bool>,
    /// An IPv6 block after the IPv4 ones.
    ipv6: bool,
    /// Last octet of the bridge's `mac` address.
    mac: Option<u8>,
    dhcp: Option<Dhcp>,
    dns_hosts: Option<Vec<DnsHost>>,
    stp: Option<bool>,
    domain: Option<String>,
    autostart: Option<bool>,
}

/// The entries libvirt changes live: DHCP hosts and DNS hosts.
#[derive(Clone, Debug)]
struct LiveChange {
    dhcp_hosts: Vec<Host>,
    dns_hosts: Vec<DnsHost>,
}

fn host() -> impl Strategy<Value = Host> {
    (any::<u8>(), proptest::option::of("[a-z][a-z0-9]{0,8}"))
        .prop_map(|(mac_suffix, name)| Host { mac_suffix, name })
}

fn hosts() -> impl Strategy<Value = Vec<Host>> {
    proptest::collection::vec(host(), 0..=3)
}

fn dns_hosts() -> impl Strategy<Value = Vec<DnsHost>> {
    let dns_host = (
        any::<u8>(),
        proptest::collection::btree_set("[a-z][a-z0-9]{0,7}", 1..=2),
    )
        .prop_map(|(octet, names)| DnsHost {
            octet,
            hostnames: names.into_iter().collect(),
        });
    proptest::collection::vec(dns_host, 1..=3)
}

fn network_spec() -> impl Strategy<Value = NetworkSpec> {
    let dhcp = (any::<usize>(), 0usize..=2, hosts())
        // An empty `dhcp {}` is left out: libvirt does not keep an empty <dhcp/>.
        .prop_filter("DHCP with ranges or hosts", |(_, r, h)| {
            *r > 0 || !h.is_empty()
        })
        .prop_map(|(ip_block, ranges, hosts)| Dhcp {
            ip_block,
            ranges,
            hosts,
        });
    let forward = proptest::option::of(proptest::option::of(prop_oneof![
        Just("nat"),
        Just("route"),
        Just("open")
    ]));
    (
        ("[a-z][a-z0-9_]{0,10}", forward, any::<u8>()),
        (
            proptest::collection::vec(any::<bool>(), 0..=3),
            any::<bool>(),
            proptest::option::of(any::<u8>()),
        ),
        proptest::option::of(dhcp),
        proptest::option::of(dns_hosts()),
        proptest::option::of(any::<bool>()),
        proptest::option::of("[a-z]{1,8}(\\.[a-z]{1,5})?"),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |((name, forward, net), (ips, ipv6, mac), dhcp, dns_hosts, stp, domain, autostart)| {
                NetworkSpec {
                    name,
                    // Forwarding (and DHCP here) needs an IPv4 address.
                    forward: forward.filter(|_| !ips.is_empty()),
                    dhcp: dhcp.filter(|_| !ips.is_empty()),
                    net,
                    ips,
                    ipv6,
                    mac,
                    dns_hosts,
                    stp,
                    domain,
                    autostart,
                }
            },
        )
}

fn live_change() -> impl Strategy<Value = LiveChange> {
    (hosts(), dns_hosts()).prop_map(|(dhcp_hosts, dns_hosts)| LiveChange {
        dhcp_hosts,
        dns_hosts,
    })
}

impl NetworkSpec {
    fn dhcp_block(&self) -> Option<usize> {
        self.dhcp.as_ref().map(|d| d.ip_block % self.ips.len())
    }

    /// The same network with its live entries replaced, where it has such blocks.
    fn with(&self, change: LiveChange) -> NetworkSpec {
        let mut next = self.clone();
        if let Some(d) = &mut next.dhcp {
            // Keep the <dhcp> element: without ranges it needs at least one host.
            if d.ranges > 0 || !change.dhcp_hosts.is_empty() {
                d.hosts = change.dhcp_hosts;
            }
        }
        if let Some(d) = &mut next.dns_hosts {
            *d = change.dns_hosts;
        }
        next
    }

    /// The HCL a user would write, as sparse JSON.
    fn to_config(&self, name: &str) -> serde_json::Value {
        let dhcp_at = self.dhcp_block();
        let mut ips: Vec<_> = self
            .ips
            .iter()
            .enumerate()
            .map(|(i, use_netmask)| {
                let subnet = format!("10.{}.{i}", self.net);
                let mut block = json!({ "address": format!("{subnet}.1") });
                if *use_netmask {
                    block["netmask"] = json!("255.255.255.0");
                } else {
                    block["prefix"] = json!(24);
                }
                if let (Some(d), true) = (&self.dhcp, dhcp_at == Some(i)) {
                    block["dhcp"] = json!([{
                        "range": (0..d.ranges).map(|r| json!({
                            "start": format!("{subnet}.{}", 100 + r * 50),
                            "end": format!("{subnet}.{}", 140 + r * 50),
                        })).collect::<Vec<_>>(),
                        "host": hosts_json(&subnet, &d.hosts),
                    }]);
                }
                block
            })
            .collect();
        if self.ipv6 {
            let address = format!("fd00:{:x}::1", self.net);
            ips.push(json!({ "family": "ipv6", "address": address, "prefix": 64 }));
        }
        let mut cfg = json!({ "name": name, "ip": ips });
        match self.forward {
            Some(Some(mode)) => cfg["forward"] = json!([{ "mode": mode }]),
            Some(None) => cfg["forward"] = json!([{}]),
            None => {}
        }
        if let Some(octet) = self.mac {
            cfg["mac"] = json!([{ "address": format!("52:54:00:bb:00:{octet:02x}") }]);
        }
        if let Some(hosts) = &self.dns_hosts {
            cfg["dns"] = json!([{ "host": dns_hosts_json(self.net, hosts) }]);
        }
        if let Some(stp) = self.stp {
            cfg["bridge"] = json!([{ "stp": if stp { "on" } else { "off" } }]);
        }
        if let Some(d) = &self.domain {
            cfg["domain"] = json!([{ "name": d }]);
        }
        if let Some(a) = self.autostart {
            cfg["autostart"] = json!(a);
        }
        cfg
    }
}

/// Hosts with distinct MACs and addresses (duplicates would be a user error): a host
/// whose MAC or address is taken by an earlier one is left out.
fn hosts_json(subnet: &str, hosts: &[Host]) -> Vec<serde_json::Value> {
    let (mut macs, mut addrs) = (BTreeSet::new(), BTreeSet::new());
    hosts
        .iter()
        .filter(|h| macs.insert(h.mac_suffix) && addrs.insert(host_octet(h)))
        .map(|h| {
            let mut j = json!({
                "mac": format!("52:54:00:aa:00:{:02x}", h.mac_suffix),
                "ip": format!("{subnet}.{}", host_octet(h)),
            });
            if let Some(n) = &h.name {
                j["name"] = json!(n);
            }
            j
        })
        .collect()
}

/// Host addresses sit between .2 and .91, below the DHCP ranges.
fn host_octet(h: &Host) -> u8 {
    2 + h.mac_suffix % 90
}

/// DNS host records with distinct addresses and hostnames: libvirt refuses to add a
/// record sharing either with another one (`protocol.rs` covers records defined with
/// shared hostnames up front).
fn dns_hosts_json(net: u8, hosts: &[DnsHost]) -> Vec<serde_json::Value> {
    let (mut addrs, mut names) = (BTreeSet::new(), BTreeSet::new());
    hosts
        .iter()
        .filter(|h| {
            let fresh = !addrs.contains(&h.octet) && h.hostnames.iter().all(|n| !names.contains(n));
            if fresh {
                addrs.insert(h.octet);
                names.extend(h.hostnames.iter().cloned());
            }
            fresh
        })
        .map(|h| json!({ "ip": format!("10.{net}.200.{}", h.octet), "hostname": h.hostnames }))
        .collect()
}

async fn lifecycle(h: &Harness, spec: &NetworkSpec, change: LiveChange) {
    let name = unique(&spec.name);
    let sparse = spec.to_config(&name);
    let block = &h.schema(NETWORK).block;
    let cfg = h.config(NETWORK, sparse.clone());

    let validation = h.validate(NETWORK, &cfg).await;
    assert!(validation.is_empty(), "{sparse}: {validation:#?}");

    let p = h.plan(NETWORK, &Value::Null, &cfg).await;
    assert_no_errors("plan", &p.diagnostics);
    let check = plan::check_plan(block, &cfg, &p.planned, &AttributePath::root());
    assert!(check.is_empty(), "{sparse}: {check}");
    assert!(p.planned.get("id").is_unknown() && p.planned.get("uuid").is_unknown());

    let (state, ds) = h.apply(NETWORK, &Value::Null, &p, &cfg).await;
    assert_no_errors(&format!("apply {sparse}"), &ds);
    let mut violations = Vec::new();
    plan_violations(&p.planned, &state, "", &mut violations);
    assert!(violations.is_empty(), "{sparse}: {violations:#?}");

    let (read, ds) = h.read(NETWORK, &state).await;
    assert_no_errors("read", &ds);
    assert_eq!(read, state, "drift right after apply of {sparse}");

    let again = h.plan(NETWORK, &read, &cfg).await;
    assert_no_errors("second plan", &again.diagnostics);
    assert_eq!(again.planned, read, "second plan of {sparse} is not empty");

    // Live changes: other DHCP hosts and DNS hosts, updated in place.
    let changed = spec.with(change).to_config(&name);
    let cfg2 = h.config(NETWORK, changed.clone());
    let p = h.plan(NETWORK, &read, &cfg2).await;
    assert_no_errors("update plan", &p.diagnostics);
    assert!(
        p.requires_replace.is_empty(),
        "{sparse} -> {changed} changes live: {:?}",
        p.requires_replace
    );
    let check = plan::check_plan(block, &cfg2, &p.planned, &AttributePath::root());
    assert!(check.is_empty(), "{changed}: {check}");
    let (updated, ds) = h.apply(NETWORK, &read, &p, &cfg2).await;
    assert_no_errors(&format!("update {sparse} -> {changed}"), &ds);
    assert_eq!(updated.get("id"), read.get("id"), "updated in place");
    let (final_state, ds) = h.read(NETWORK, &updated).await;
    assert_no_errors("read after update", &ds);
    assert_eq!(
        final_state, updated,
        "drift after the live update {sparse} -> {changed}"
    );

    h.destroy(NETWORK, &final_state).await;
    let (gone, ds) = h.read(NETWORK, &final_state).await;
    assert_no_errors("read after destroy", &ds);
    assert!(gone.is_null());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_network_applies_reads_back_and_updates_live(
        spec in network_spec(),
        change in live_change(),
    ) {
        let (rt, h) = harness();
        rt.block_on(lifecycle(h, &spec, change));
    }
}
