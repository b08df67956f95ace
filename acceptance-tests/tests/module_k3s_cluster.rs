//! modules/k3s-cluster applied for real through examples/k3s-cluster on a private libvirtd:
//! 1 server + 1 worker booting the project's test image (direct kernel boot, TCG where KVM is
//! unusable). The test image is not a k3s-capable OS, and no k3s binary or image archive is
//! supplied here, so k3s itself is skipped (`wait_for_ready = false`): what is proved is
//! everything the module builds around it. Both domains run with their fixed MACs and took
//! their fixed DHCP leases under their node names; each node's cloud-init disk carries the
//! module's k3s bootstrap (`#cloud-config` from `k3s_cloud_init`: the k3s config naming the
//! node, its address and the first server's API URL); the second plan is empty; workers
//! 1 -> 2 -> 1 create and destroy only worker-2's resources (plus its DHCP host entry, updated
//! live in the network); destroy leaves libvirt empty.
//!
//! Prints the first apply split by phase (from terraform's `-json` apply events) and the
//! scale-out by one worker.

#[path = "support/example_tree.rs"]
mod example_tree;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use acceptance_tests::fixtures::{build_test_image, domain_type, hcl, make_qcow2, virsh_ok};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};
use example_tree::ExampleTree;
use serde_json::Value;

const EXAMPLE: &str = "examples/k3s-cluster";
const CLUSTER: &str = "acck3s";
const NETWORK: &str = "acck3s-net";
const POOL_PATH: &str = "/var/lib/libvirt/images/acck3s";
const PLAN_FILE: &str = "scale.tfplan";
const NODE_PREFIX: &str = "module.cluster.module.node";
/// Bounds for TCG guests booting at once on a loaded 2-core machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// A node as the module must lay it out: host number 10 + N for server-N, 20 + N for
/// worker-N, and a MAC made of the address's last three bytes.
struct ExpectedNode {
    name: &'static str,
    ip: &'static str,
    mac: &'static str,
}

const SERVER_1: ExpectedNode = ExpectedNode {
    name: "server-1",
    ip: "10.17.0.11",
    mac: "52:54:00:11:00:0b",
};
const WORKER_1: ExpectedNode = ExpectedNode {
    name: "worker-1",
    ip: "10.17.0.21",
    mac: "52:54:00:11:00:15",
};
const WORKER_2: ExpectedNode = ExpectedNode {
    name: "worker-2",
    ip: "10.17.0.22",
    mac: "52:54:00:11:00:16",
};

fn domain(node: &str) -> String {
    format!("{CLUSTER}-{node}")
}

/// terraform.tfvars for 1 server and `workers` workers booting the test image.
fn tfvars(image_dir: &Path, base: &str, virt_type: &str, workers: u32) -> String {
    let image = |f: &str| hcl(&image_dir.join(f).to_string_lossy());
    format!(
        r#"name                = "{CLUSTER}"
cidr                = "10.17.0.0/24"
base_image          = {base}
pool_path           = "{POOL_PATH}"
domain_type         = "{virt_type}"
server_count        = 1
worker_count        = {workers}
server_memory_mib   = 512
worker_memory_mib   = 512
disk_gib            = 1
kernel_image        = {kernel}
initrd_image        = {initrd}
kernel_cmdline      = "console=ttyS0 quiet kvmcloud.dhcp_tries=120"
shutdown_timeout    = 0
wait_for_ip_timeout = 300
# The test image cannot run k3s and no k3s binary is supplied: skip the readiness wait.
wait_for_ready      = false
"#,
        base = hcl(base),
        kernel = image("vmlinuz"),
        initrd = image("initrd.img"),
    )
}

// ---------------------------------------------------------------- apply phases

/// Start and end offsets of each resource's apply, from `terraform apply -json` events.
#[derive(Debug, Default)]
struct ApplyEvents {
    started: BTreeMap<String, f64>,
    finished: BTreeMap<String, f64>,
}

impl ApplyEvents {
    fn parse(json_lines: &str) -> Self {
        let mut events = ApplyEvents::default();
        let mut first: Option<f64> = None;
        for event in json_lines
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            let (Some(kind), Some(at), Some(address)) = (
                event["type"].as_str(),
                timestamp(&event),
                event["hook"]["resource"]["addr"].as_str(),
            ) else {
                continue;
            };
            let at = at - *first.get_or_insert(at);
            let into = match kind {
                "apply_start" => &mut events.started,
                "apply_complete" => &mut events.finished,
                _ => continue,
            };
            into.insert(address.to_string(), at);
        }
        events
    }

    /// "NAME X s (from A to B s)" over the resources whose address matches.
    fn phase(&self, name: &str, matches: impl Fn(&str) -> bool) -> String {
        let pick = |times: &BTreeMap<String, f64>| -> Vec<f64> {
            times
                .iter()
                .filter(|(a, _)| matches(a))
                .map(|(_, t)| *t)
                .collect()
        };
        let (starts, ends) = (pick(&self.started), pick(&self.finished));
        match (
            starts.iter().copied().reduce(f64::min),
            ends.iter().copied().reduce(f64::max),
        ) {
            (Some(a), Some(b)) => format!("{name} {:.1} s (from {a:.1} to {b:.1} s)", b - a),
            _ => format!("{name}: not seen"),
        }
    }

    fn report(&self, total: Duration) -> String {
        let phases = [
            self.phase("network", |a| a.ends_with("libvirt_network.this")),
            self.phase("pool", |a| a.ends_with("libvirt_pool.this")),
            self.phase("base image, kernel and initrd uploads", |a| {
                a.starts_with("module.cluster.libvirt_volume.")
            }),
            self.phase("k3s credentials", |a| a.ends_with("k3s_cluster.this")),
            self.phase("node disks and cloud-init disks", |a| {
                a.starts_with(NODE_PREFIX) && !a.ends_with("libvirt_domain.this")
            }),
            self.phase(
                "domains (define, start, boot until each has its DHCP lease)",
                |a| a.ends_with("libvirt_domain.this"),
            ),
        ];
        format!(
            "first apply {:.1} s: {}",
            total.as_secs_f64(),
            phases.join("; ")
        )
    }
}

/// Seconds of the day of a terraform JSON UI event's `@timestamp`
/// (`2026-11-21T15:00:00.123456+00:00`); only differences matter.
fn timestamp(event: &Value) -> Option<f64> {
    let time = event["@timestamp"].as_str()?.split('T').nth(1)?;
    let time = &time[..time.find(['+', '-', 'Z']).unwrap_or(time.len())];
    time.split(':')
        .map(|part| part.parse::<f64>().ok())
        .try_fold(0.0, |acc, part| Some(acc * 60.0 + part?))
}

// ---------------------------------------------------------------- plans

/// `terraform plan -out` then `show -json`: each changing resource's address, actions and
/// before/after values.
fn planned_changes(tf: &Terraform) -> BTreeMap<String, (Vec<String>, Value, Value)> {
    tf.run(&["plan", "-input=false", "-no-color", "-out", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("plan");
    let shown = tf
        .run(&["show", "-json", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("show plan");
    let plan: Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
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
            let values = (
                change["change"]["before"].clone(),
                change["change"]["after"].clone(),
            );
            (actions != ["no-op"]).then_some((address, (actions, values.0, values.1)))
        })
        .collect()
}

/// The DHCP host entries of a planned network value.
fn dhcp_hosts(network: &Value) -> Vec<Value> {
    network["ip"][0]["dhcp"][0]["host"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The plan must hold exactly `action` on worker-2's disk, cloud-init disk and domain, and an
/// in-place update of the network whose only difference is worker-2's DHCP host entry.
fn assert_only_worker_2(changes: &BTreeMap<String, (Vec<String>, Value, Value)>, action: &str) {
    let mut expected: Vec<String> = [
        "libvirt_cloudinit_disk.seed",
        "libvirt_domain.this",
        "libvirt_volume.disk",
    ]
    .iter()
    .map(|r| format!("{NODE_PREFIX}[\"worker-2\"].{r}"))
    .collect();
    expected.push("module.cluster.libvirt_network.this".to_string());
    expected.sort();
    let addresses: Vec<String> = changes.keys().cloned().collect();
    assert_eq!(addresses, expected, "the plan touches worker-2 only");
    for (address, (actions, _, _)) in changes {
        let want = if address.ends_with("libvirt_network.this") {
            "update"
        } else {
            action
        };
        assert_eq!(actions, &[want], "{address}");
    }

    let (_, before, after) = &changes["module.cluster.libvirt_network.this"];
    let (with, without) = if action == "create" {
        (after, before)
    } else {
        (before, after)
    };
    let mut hosts = dhcp_hosts(with);
    let position = hosts
        .iter()
        .position(|h| h["name"] == WORKER_2.name)
        .expect("worker-2's DHCP host entry in the plan");
    let entry = hosts.remove(position);
    assert_eq!(
        (entry["ip"].as_str(), entry["mac"].as_str()),
        (Some(WORKER_2.ip), Some(WORKER_2.mac)),
        "worker-2's DHCP host entry"
    );
    assert_eq!(hosts, dhcp_hosts(without), "other DHCP host entries kept");
    let strip = |v: &Value| {
        let mut v = v.clone();
        v["ip"][0]["dhcp"][0]["host"] = Value::Null;
        v
    };
    assert_eq!(
        strip(before),
        strip(after),
        "the network changes only in its DHCP host entries"
    );
}

fn apply_saved_plan(tf: &Terraform) -> Duration {
    let started = Instant::now();
    tf.run(&["apply", "-input=false", "-no-color", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("apply the saved plan");
    started.elapsed()
}

// ---------------------------------------------------------------- checks

/// Each node runs, has its fixed MAC, and holds its fixed lease under its node name; the
/// outputs say the same.
fn assert_nodes_up(sandbox: &Sandbox, tf: &Terraform, nodes: &[&ExpectedNode]) {
    let running = virsh_ok(sandbox, &["list", "--state-running", "--name"]);
    let mut running: Vec<&str> = running.lines().filter(|l| !l.is_empty()).collect();
    running.sort_unstable();
    let expected: Vec<String> = nodes.iter().map(|n| domain(n.name)).collect();
    assert_eq!(running, expected, "running domains");

    let outputs = tf.output_json().expect("outputs");
    let leases = virsh_ok(sandbox, &["net-dhcp-leases", NETWORK]);
    for node in nodes {
        assert_eq!(outputs["node_ips"]["value"][node.name], node.ip, "node_ips");
        assert_eq!(
            outputs["node_macs"]["value"][node.name], node.mac,
            "node_macs"
        );
        let interfaces = virsh_ok(sandbox, &["domiflist", &domain(node.name)]);
        assert!(
            interfaces.contains(node.mac),
            "{} has MAC {}:\n{interfaces}",
            node.name,
            node.mac
        );
        // virsh net-dhcp-leases: expiry date, expiry time, MAC, protocol, IP/prefix, hostname.
        let lease = leases
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|fields| fields.get(2) == Some(&node.mac))
            .unwrap_or_else(|| panic!("no lease for {} ({}):\n{leases}", node.name, node.mac));
        assert_eq!(
            (lease.get(4).copied(), lease.get(5).copied()),
            (Some(format!("{}/24", node.ip).as_str()), Some(node.name)),
            "{}'s lease (address, host name from its cloud-init meta-data)",
            node.name
        );
    }
    assert_eq!(
        outputs["api_url"]["value"],
        format!("https://{}:6443", SERVER_1.ip)
    );
}

/// The user-data on a node's cloud-init disk, read back through libvirt and isoinfo.
fn seed_user_data(sandbox: &Sandbox, tf: &Terraform, node: &str) -> String {
    let key = format!("{POOL_PATH}/{}-cloudinit.iso", domain(node));
    let iso = tf.dir().join(format!("{node}-seed.iso"));
    virsh_ok(
        sandbox,
        &["vol-download", &key, iso.to_str().expect("UTF-8 path")],
    );
    let out = Command::new("isoinfo")
        .args(["-J", "-x", "/user-data", "-i"])
        .arg(&iso)
        .output()
        .expect("isoinfo must be installed (Debian package genisoimage)");
    assert!(
        out.status.success(),
        "isoinfo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 user-data")
}

/// Each cloud-init disk holds the module's k3s bootstrap for that node.
fn assert_k3s_user_data(sandbox: &Sandbox, tf: &Terraform) {
    let api_url = format!("https://{}:6443", SERVER_1.ip);
    for (node, role_marks) in [
        (&SERVER_1, vec!["/var/lib/rancher/k3s/server/tls/"]),
        (&WORKER_1, vec![api_url.as_str()]),
    ] {
        let user_data = seed_user_data(sandbox, tf, node.name);
        assert!(
            user_data.starts_with("#cloud-config\n"),
            "{}: user-data is a #cloud-config document:\n{user_data}",
            node.name
        );
        let node_ip = node.ip;
        for mark in [
            "/etc/rancher/k3s/config.yaml",
            node.name,
            node_ip,
            "K10",
            "INSTALL_K3S_SKIP_DOWNLOAD",
        ]
        .iter()
        .chain(role_marks.iter())
        {
            assert!(
                user_data.contains(mark),
                "{}: user-data mentions {mark}:\n{user_data}",
                node.name
            );
        }
    }
}

fn domid(sandbox: &Sandbox, node: &str) -> String {
    virsh_ok(sandbox, &["domid", &domain(node)])
        .trim()
        .to_string()
}

// ---------------------------------------------------------------- the test

#[test]
fn k3s_cluster_boots_two_nodes_scales_one_worker_out_and_in_and_destroys() {
    let started = Instant::now();
    eprintln!(
        "module_k3s_cluster: k3s itself is SKIPPED: no k3s binary or image archive is supplied and the test image cannot run k3s (wait_for_ready = false); the libvirt side and the k3s bootstrap on each node's cloud-init disk are checked"
    );
    let sandbox = Sandbox::start(&unique_name("acc-k3sc")).expect("sandbox starts");
    let tree = ExampleTree::new();
    let tf = tree
        .workspace(
            &sandbox,
            Path::new(EXAMPLE),
            &[LocalProvider::Libvirt, LocalProvider::K3s],
        )
        .with_timeout(COMMAND_TIMEOUT);
    let image_dir = tf.dir().join("image");
    build_test_image(&image_dir);
    let base = make_qcow2(tf.dir(), "base.qcow2", "64M");
    let virt_type = domain_type(&sandbox);
    let write_vars = |workers| {
        tf.write_file(
            "terraform.tfvars",
            &tfvars(&image_dir, &base, virt_type, workers),
        )
        .expect("write terraform.tfvars")
    };
    write_vars(1);
    tf.run(&["get", "-no-color"])
        .and_then(|o| o.into_success())
        .expect("terraform get installs the modules");

    // 1 server + 1 worker boot and take their fixed leases.
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
    assert_nodes_up(&sandbox, &tf, &[&SERVER_1, &WORKER_1]);
    assert_k3s_user_data(&sandbox, &tf);
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan must be empty"
    );
    let kept = [SERVER_1.name, WORKER_1.name].map(|n| (n, domid(&sandbox, n)));

    // Workers 1 -> 2: only worker-2 comes.
    write_vars(2);
    assert_only_worker_2(&planned_changes(&tf), "create");
    let scale_out = apply_saved_plan(&tf);
    assert_nodes_up(&sandbox, &tf, &[&SERVER_1, &WORKER_1, &WORKER_2]);
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "plan after scale-out must be empty"
    );

    // Workers 2 -> 1: only worker-2 goes.
    write_vars(1);
    assert_only_worker_2(&planned_changes(&tf), "delete");
    let scale_in = apply_saved_plan(&tf);
    assert_nodes_up(&sandbox, &tf, &[&SERVER_1, &WORKER_1]);
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "plan after scale-in must be empty"
    );
    for (node, id) in &kept {
        assert_eq!(
            &domid(&sandbox, node),
            id,
            "{node} kept running through both scalings"
        );
    }

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

    eprintln!("module_k3s_cluster ({virt_type}, 1 server + 1 worker): {phases}");
    eprintln!(
        "module_k3s_cluster: scale-out 1 -> 2 workers (one node booting to its lease) {:.1} s, scale-in 2 -> 1 {:.1} s, destroy {:.1} s, whole test {:.1} s",
        scale_out.as_secs_f64(),
        scale_in.as_secs_f64(),
        destroy_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
