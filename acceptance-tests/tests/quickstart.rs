//! examples/quickstart applied for real on a private libvirtd, as a user runs it: a NAT
//! network, a dir pool, the base image uploaded once and two nodes from modules/libvirt-node
//! that boot the project's test image (direct kernel boot, TCG where KVM is unusable) and
//! take a DHCP lease. Then: the second plan is empty; node_count 2 -> 1 plans and applies
//! only the removal of node-02's three resources, and 1 -> 2 only their creation, while
//! node-01 keeps running untouched; destroy leaves libvirt without domains, networks, pools
//! or volume files.
//!
//! Prints the first apply split by phase (from terraform's own `-json` apply events), the
//! scale-in and the scale-out by one node.

#[path = "support/example_tree.rs"]
mod example_tree;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use acceptance_tests::fixtures::{build_test_image, domain_type, hcl, make_qcow2, virsh_ok};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};
use example_tree::ExampleTree;

const EXAMPLE: &str = "examples/quickstart";
const POOL_PATH: &str = "/var/lib/libvirt/images/quickstart";
const PLAN_FILE: &str = "scale.tfplan";
/// Bounds for two TCG guests booting at once on a loaded 2-core machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

fn domain(node: &str) -> String {
    format!("quickstart-{node}")
}

/// terraform.tfvars (read by every command) for `node_count` nodes booting the test image.
fn tfvars(image_dir: &Path, base: &str, virt_type: &str, node_count: u32) -> String {
    let image = |f: &str| hcl(&image_dir.join(f).to_string_lossy());
    format!(
        r#"node_count          = {node_count}
base_image          = {base}
pool_path           = "{POOL_PATH}"
domain_type         = "{virt_type}"
node_memory_mib     = 256
node_disk_gib       = 1
kernel_image        = {kernel}
initrd_image        = {initrd}
kernel_cmdline      = "console=ttyS0 quiet kvmcloud.dhcp_tries=120"
shutdown_timeout    = 0
wait_for_ip_timeout = 300
"#,
        base = hcl(base),
        kernel = image("vmlinuz"),
        initrd = image("initrd.img"),
    )
}

// ---------------------------------------------------------------- apply phases

/// Start offset and duration of each resource's apply, from `terraform apply -json` events.
#[derive(Debug, Default)]
struct ApplyEvents {
    started: BTreeMap<String, f64>,
    finished: BTreeMap<String, f64>,
}

impl ApplyEvents {
    fn parse(json_lines: &str) -> Self {
        let mut events = ApplyEvents::default();
        let mut first: Option<f64> = None;
        for line in json_lines.lines() {
            let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let (Some(kind), Some(at)) = (event["type"].as_str(), timestamp(&event)) else {
                continue;
            };
            let Some(address) = event["hook"]["resource"]["addr"].as_str() else {
                continue;
            };
            let origin = *first.get_or_insert(at);
            match kind {
                "apply_start" => {
                    events.started.insert(address.to_string(), at - origin);
                }
                "apply_complete" => {
                    events.finished.insert(address.to_string(), at - origin);
                }
                _ => {}
            }
        }
        events
    }

    /// (earliest start, latest end) of the resources whose address matches.
    fn span(&self, matches: impl Fn(&str) -> bool) -> Option<(f64, f64)> {
        let start = self
            .started
            .iter()
            .filter(|(a, _)| matches(a))
            .map(|(_, t)| *t)
            .reduce(f64::min)?;
        let end = self
            .finished
            .iter()
            .filter(|(a, _)| matches(a))
            .map(|(_, t)| *t)
            .reduce(f64::max)?;
        Some((start, end))
    }

    fn report(&self, total: Duration) -> String {
        let phase = |name: &str, matches: &dyn Fn(&str) -> bool| {
            self.span(matches)
                .map_or(format!("{name}: not seen"), |(a, b)| {
                    format!("{name} {:.1} s (from {a:.1} to {b:.1} s)", b - a)
                })
        };
        let shared = |a: &str| !a.starts_with("module.node");
        let disks = |a: &str| a.starts_with("module.node") && !a.ends_with("libvirt_domain.this");
        let domains = |a: &str| a.ends_with("libvirt_domain.this");
        format!(
            "first apply {:.1} s: {}; {}; {} (define, start, boot until each has a DHCP lease)",
            total.as_secs_f64(),
            phase(
                "network, pool, base image, kernel and initrd uploads",
                &shared
            ),
            phase("node disks and cloud-init seeds", &disks),
            phase("domains", &domains),
        )
    }
}

/// Seconds since the epoch of a terraform JSON UI event's `@timestamp`
/// (`2026-11-21T15:00:00.123456+00:00`); only differences matter.
fn timestamp(event: &serde_json::Value) -> Option<f64> {
    let stamp = event["@timestamp"].as_str()?;
    let time = stamp.split('T').nth(1)?;
    let mut parts = time[..time.find(['+', '-', 'Z']).unwrap_or(time.len())].split(':');
    let hours: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    Some(hours * 3600.0 + minutes * 60.0 + seconds)
}

// ---------------------------------------------------------------- plans

/// `terraform plan -out` then `show -json`: each resource address with a change and its actions.
fn planned_changes(tf: &Terraform) -> BTreeMap<String, Vec<String>> {
    tf.run(&["plan", "-input=false", "-no-color", "-out", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("plan");
    let shown = tf
        .run(&["show", "-json", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("show plan");
    let plan: serde_json::Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|change| {
            let actions: Vec<String> = change["change"]["actions"]
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let address = change["address"].as_str()?.to_string();
            (actions != ["no-op"]).then_some((address, actions))
        })
        .collect()
}

/// The plan must hold exactly `action` on node-02's disk, seed and domain, and nothing else.
fn assert_only_node_02(changes: &BTreeMap<String, Vec<String>>, action: &str) {
    let expected: BTreeMap<String, Vec<String>> = [
        "libvirt_cloudinit_disk.seed",
        "libvirt_domain.this",
        "libvirt_volume.disk",
    ]
    .iter()
    .map(|r| {
        (
            format!("module.node[\"node-02\"].{r}"),
            vec![action.to_string()],
        )
    })
    .collect();
    assert_eq!(changes, &expected, "the plan touches node-02 only");
}

fn apply_saved_plan(tf: &Terraform) -> Duration {
    let started = Instant::now();
    tf.run(&["apply", "-input=false", "-no-color", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("apply the saved plan");
    started.elapsed()
}

// ---------------------------------------------------------------- checks

/// Each node's IP addresses from the `nodes` output; asserts every node has a lease that
/// libvirt's DHCP server also lists for that node's MAC.
fn assert_nodes_leased(sandbox: &Sandbox, tf: &Terraform, nodes: &[&str]) {
    let outputs = tf.output_json().expect("outputs");
    let reported = outputs["nodes"]["value"].as_object().expect("nodes output");
    let names: Vec<&str> = reported.keys().map(String::as_str).collect();
    assert_eq!(names, nodes, "nodes in the output");
    let leases = virsh_ok(sandbox, &["net-dhcp-leases", "quickstart-net"]);
    for (key, node) in reported {
        let mac = node["mac_addresses"][0].as_str().expect("a MAC");
        let ip = node["ip_addresses"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{key} has no IP address: {node}"));
        assert!(
            ip.starts_with("10.42.0."),
            "{key}: {ip} is in the quickstart network"
        );
        let lease = leases
            .lines()
            .find(|l| l.contains(mac))
            .unwrap_or_else(|| panic!("no lease for {key} ({mac}):\n{leases}"));
        assert!(
            lease.contains(&format!("{ip}/24")),
            "{key}'s lease is {ip}: {lease}"
        );
        assert_eq!(
            outputs["node_ips"]["value"][domain(key)],
            serde_json::json!(ip),
            "node_ips[{key}]"
        );
    }
}

fn domid(sandbox: &Sandbox, name: &str) -> String {
    virsh_ok(sandbox, &["domid", name]).trim().to_string()
}

// ---------------------------------------------------------------- the test

#[test]
fn quickstart_boots_two_nodes_scales_one_node_in_and_out_and_destroys() {
    let started = Instant::now();
    let sandbox = Sandbox::start(&unique_name("acc-qs")).expect("sandbox starts");
    let tree = ExampleTree::new();
    let tf = tree
        .workspace(&sandbox, Path::new(EXAMPLE), &[LocalProvider::Libvirt])
        .with_timeout(COMMAND_TIMEOUT);
    let image_dir = tf.dir().join("image");
    build_test_image(&image_dir);
    let base = make_qcow2(tf.dir(), "base.qcow2", "64M");
    let virt_type = domain_type(&sandbox);
    let write_vars = |count| {
        tf.write_file(
            "terraform.tfvars",
            &tfvars(&image_dir, &base, virt_type, count),
        )
        .expect("write terraform.tfvars")
    };
    write_vars(2);
    tf.run(&["get", "-no-color"])
        .and_then(|o| o.into_success())
        .expect("terraform get installs modules/libvirt-node");

    // Two nodes boot and take their leases.
    let apply_started = Instant::now();
    let applied = tf
        .run(&["apply", "-auto-approve", "-input=false", "-json"])
        .expect("first apply");
    let apply_time = apply_started.elapsed();
    assert!(
        applied.success(),
        "first apply failed:\n{}\n{}",
        applied.stdout,
        applied.stderr
    );
    let phases = ApplyEvents::parse(&applied.stdout).report(apply_time);
    assert_nodes_leased(&sandbox, &tf, &["node-01", "node-02"]);
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan must be empty"
    );
    let node_01 = domid(&sandbox, &domain("node-01"));

    // 2 -> 1: only node-02 goes.
    write_vars(1);
    assert_only_node_02(&planned_changes(&tf), "delete");
    let scale_in = apply_saved_plan(&tf);
    let left = virsh_ok(&sandbox, &["list", "--all", "--name"]);
    assert_eq!(left.trim(), domain("node-01"), "only node-01 is left");
    assert_nodes_leased(&sandbox, &tf, &["node-01"]);
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "plan after scale-in must be empty"
    );

    // 1 -> 2: only node-02 comes back.
    write_vars(2);
    assert_only_node_02(&planned_changes(&tf), "create");
    let scale_out = apply_saved_plan(&tf);
    assert_nodes_leased(&sandbox, &tf, &["node-01", "node-02"]);
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "plan after scale-out must be empty"
    );
    assert_eq!(
        domid(&sandbox, &domain("node-01")),
        node_01,
        "node-01 kept running through both scalings"
    );

    // Destroy leaves libvirt empty.
    let destroy_started = Instant::now();
    tf.destroy().expect("destroy");
    let destroy_time = destroy_started.elapsed();
    for (what, args) in [
        ("domains", ["list", "--all", "--name"]),
        ("networks", ["net-list", "--all", "--name"]),
        ("pools", ["pool-list", "--all", "--name"]),
    ] {
        assert_eq!(
            virsh_ok(&sandbox, &args).trim(),
            "",
            "no {what} left after destroy"
        );
    }
    let files = sandbox
        .exec(
            "sh",
            ["-c", &format!("ls -A {POOL_PATH} 2>/dev/null || true")],
        )
        .expect("list the pool directory");
    assert_eq!(
        files.stdout.trim(),
        "",
        "no volume files left in {POOL_PATH}"
    );

    eprintln!("quickstart ({virt_type}, 2 nodes): {phases}");
    eprintln!(
        "quickstart: scale-in 2 -> 1 {:.1} s, scale-out 1 -> 2 (one node booting to its lease) {:.1} s, destroy {:.1} s, whole test {:.1} s",
        scale_in.as_secs_f64(),
        scale_out.as_secs_f64(),
        destroy_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
