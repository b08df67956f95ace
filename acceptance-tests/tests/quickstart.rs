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
#[path = "support/terraform_json.rs"]
mod terraform_json;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use acceptance_tests::fixtures::{
    assert_libvirt_empty, build_test_image, console_logs, domain_type, hcl, make_qcow2,
    test_image_boot_tfvars, virsh_ok,
};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};
use example_tree::ExampleTree;
use terraform_json::{apply_saved_plan, planned_changes, ApplyEvents, PlannedChange};

const EXAMPLE: &str = "examples/quickstart";
const POOL_PATH: &str = "/var/lib/libvirt/images/quickstart";
/// Bounds for two TCG guests booting at once on a loaded 2-core machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

fn domain(node: &str) -> String {
    format!("quickstart-{node}")
}

/// terraform.tfvars (read by every command) for `node_count` nodes booting the test image.
fn tfvars(image_dir: &Path, base: &str, virt_type: &str, node_count: u32) -> String {
    format!(
        r#"node_count          = {node_count}
base_image          = {base}
pool_path           = "{POOL_PATH}"
domain_type         = "{virt_type}"
node_memory_mib     = 256
node_disk_gib       = 1
{boot}"#,
        base = hcl(base),
        boot = test_image_boot_tfvars(image_dir),
    )
}

// ---------------------------------------------------------------- apply phases

/// The first apply split by phase.
fn report(events: &ApplyEvents, total: Duration) -> String {
    let phases = [
        events.phase(
            "network, pool, base image, kernel and initrd uploads",
            |a| !a.starts_with("module.node"),
        ),
        events.phase("node disks and cloud-init seeds", |a| {
            a.starts_with("module.node") && !a.ends_with("libvirt_domain.this")
        }),
        events.phase(
            "domains (define, start, boot until each has a DHCP lease)",
            |a| a.ends_with("libvirt_domain.this"),
        ),
    ];
    format!(
        "first apply {:.1} s: {}",
        total.as_secs_f64(),
        phases.join("; ")
    )
}

// ---------------------------------------------------------------- plans

/// The plan must hold exactly `action` on node-02's disk, seed and domain, and nothing else.
fn assert_only_node_02(changes: &BTreeMap<String, PlannedChange>, action: &str) {
    let changes: BTreeMap<String, Vec<String>> = changes
        .iter()
        .map(|(address, change)| (address.clone(), change.actions.clone()))
        .collect();
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
    assert_eq!(changes, expected, "the plan touches node-02 only");
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
    let consoles = || console_logs(&sandbox, "quickstart-");
    assert!(
        applied.success(),
        "first apply failed:\n{}\n{}\n{}",
        applied.stdout,
        applied.stderr,
        consoles()
    );
    let phases = report(&ApplyEvents::parse(&applied.stdout), apply_time);
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
    let scale_in = apply_saved_plan(&tf, consoles);
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
    let scale_out = apply_saved_plan(&tf, consoles);
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
    assert_libvirt_empty(&sandbox, POOL_PATH);

    eprintln!("quickstart ({virt_type}, 2 nodes): {phases}");
    eprintln!(
        "quickstart: scale-in 2 -> 1 {:.1} s, scale-out 1 -> 2 (one node booting to its lease) {:.1} s, destroy {:.1} s, whole test {:.1} s",
        scale_in.as_secs_f64(),
        scale_out.as_secs_f64(),
        destroy_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
