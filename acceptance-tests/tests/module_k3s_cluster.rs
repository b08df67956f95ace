//! modules/k3s-cluster applied for real through examples/k3s-cluster on a private libvirtd:
//! 1 server + 1 worker booting the project's test image (direct kernel boot, TCG where KVM is
//! unusable). The test image is not a k3s-capable OS, and no k3s binary or image archive is
//! supplied here, so k3s itself is skipped (`wait_for_ready = false`): what is proved is
//! everything the module builds around it. Both domains run with their fixed MACs and took
//! their fixed DHCP leases under their node names; each node's cloud-init disk carries the
//! module's k3s bootstrap (`#cloud-config` from `k3s_cloud_init`: the k3s config naming the
//! node, its address and the first server's API URL), and the guest read it (its serial
//! console, logged through the module's `console_log_dir`, reports every file written);
//! the second plan is empty; workers
//! 1 -> 2 -> 1 create and destroy only worker-2's resources (plus its DHCP host entry, updated
//! live in the network); destroy leaves libvirt empty.
//!
//! A second test applies 3 servers (HA): server-1's bootstrap starts embedded etcd
//! (`cluster-init`), server-2 and server-3 join through its address.
//!
//! Prints the first apply split by phase (from terraform's `-json` apply events) and the
//! scale-out by one worker.

#[path = "support/example_tree.rs"]
mod example_tree;
#[path = "support/terraform_json.rs"]
mod terraform_json;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use acceptance_tests::fixtures::{
    assert_libvirt_empty, boot_marker, build_test_image, console_logs, domain_type, hcl,
    make_qcow2, test_image_boot_tfvars, virsh_ok, wait_for_boot, CONSOLE_LOG_DIR,
};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};
use example_tree::ExampleTree;
use serde_json::Value;
use terraform_json::{apply_saved_plan, planned_changes, ApplyEvents, PlannedChange};

const EXAMPLE: &str = "examples/k3s-cluster";
const CLUSTER: &str = "acck3s";
const NETWORK: &str = "acck3s-net";
const POOL_PATH: &str = "/var/lib/libvirt/images/acck3s";
const NODE_PREFIX: &str = "module.cluster.module.node";
/// Bounds for TCG guests booting at once on a loaded 2-core machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// A node as the module must lay it out: host number 10 + N for server-N, 20 + N for
/// worker-N, and a MAC made of the address's last three bytes.
struct ExpectedNode {
    name: String,
    ip: String,
    mac: String,
}

fn node(name: &str) -> ExpectedNode {
    let (group, number) = name.rsplit_once('-').expect("NAME-N");
    let number: u8 = number.parse().expect("a node number");
    let host = number + if group == "server" { 10 } else { 20 };
    ExpectedNode {
        name: name.to_string(),
        ip: format!("10.17.0.{host}"),
        mac: format!("52:54:00:11:00:{host:02x}"),
    }
}

/// An ISO labelled K3S holding stand-ins for the k3s binary and install script.
fn airgap_bundle(dir: &Path) -> PathBuf {
    let files = dir.join("airgap-files");
    std::fs::create_dir_all(&files).expect("airgap dir");
    std::fs::write(files.join("k3s"), "#!/bin/sh\necho k3s stand-in\n").expect("k3s");
    std::fs::write(files.join("install.sh"), "#!/bin/sh\nexit 0\n").expect("install.sh");
    let iso = dir.join("k3s-airgap.iso");
    let made = Command::new("genisoimage")
        .args(["-quiet", "-V", "K3S", "-J", "-R", "-o"])
        .arg(&iso)
        .arg(&files)
        .status()
        .expect("genisoimage (scripts/install-deps.sh installs it)");
    assert!(made.success(), "genisoimage failed");
    iso
}

fn domain(node: &str) -> String {
    format!("{CLUSTER}-{node}")
}

/// Where the module writes `node`'s serial console (`console_log_dir` in the tfvars).
fn console_log(node: &str) -> String {
    format!("{CONSOLE_LOG_DIR}/{}.log", domain(node))
}

/// terraform.tfvars for `servers` servers and `workers` workers booting the test image.
fn tfvars(image_dir: &Path, base: &str, virt_type: &str, servers: u32, workers: u32) -> String {
    format!(
        r#"name                = "{CLUSTER}"
cidr                = "10.17.0.0/24"
base_image          = {base}
pool_path           = "{POOL_PATH}"
domain_type         = "{virt_type}"
server_count        = {servers}
worker_count        = {workers}
server_memory_mib   = 512
worker_memory_mib   = 512
disk_gib            = 1
{boot}# The test image cannot run k3s and no k3s binary is supplied: skip the readiness wait.
wait_for_ready      = false
"#,
        base = hcl(base),
        boot = test_image_boot_tfvars(image_dir),
    )
}

// ---------------------------------------------------------------- apply phases

/// The first apply split by phase.
fn report(events: &ApplyEvents, total: Duration) -> String {
    let phases = [
        events.phase("network", |a| a.ends_with("libvirt_network.this")),
        events.phase("pool", |a| a.ends_with("libvirt_pool.this")),
        events.phase("base image, kernel and initrd uploads", |a| {
            a.starts_with("module.cluster.libvirt_volume.")
        }),
        events.phase("k3s credentials", |a| a.ends_with("k3s_cluster.this")),
        events.phase("node disks and cloud-init disks", |a| {
            a.starts_with(NODE_PREFIX) && !a.ends_with("libvirt_domain.this")
        }),
        events.phase(
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

// ---------------------------------------------------------------- plans

/// The DHCP host entries of a planned network value.
fn dhcp_hosts(network: &Value) -> Vec<Value> {
    network["ip"][0]["dhcp"][0]["host"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The plan must hold exactly `action` on worker-2's disk, cloud-init disk and domain, and an
/// in-place update of the network whose only difference is worker-2's DHCP host entry.
fn assert_only_worker_2(changes: &BTreeMap<String, PlannedChange>, action: &str) {
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
    for (address, PlannedChange { actions, .. }) in changes {
        let want = if address.ends_with("libvirt_network.this") {
            "update"
        } else {
            action
        };
        assert_eq!(actions, &[want], "{address}");
    }

    let PlannedChange { before, after, .. } = &changes["module.cluster.libvirt_network.this"];
    let (with, without) = if action == "create" {
        (after, before)
    } else {
        (before, after)
    };
    let mut hosts = dhcp_hosts(with);
    let position = hosts
        .iter()
        .position(|h| h["name"] == "worker-2")
        .expect("worker-2's DHCP host entry in the plan");
    let entry = hosts.remove(position);
    let worker_2 = node("worker-2");
    assert_eq!(
        (entry["ip"].as_str(), entry["mac"].as_str()),
        (Some(worker_2.ip.as_str()), Some(worker_2.mac.as_str())),
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

// ---------------------------------------------------------------- checks

/// Exactly these nodes run, each with its fixed MAC and its fixed lease under its node name;
/// the outputs say the same.
fn assert_nodes_up(sandbox: &Sandbox, tf: &Terraform, names: &[&str]) {
    let running = virsh_ok(sandbox, &["list", "--state-running", "--name"]);
    let mut running: Vec<&str> = running.lines().filter(|l| !l.is_empty()).collect();
    running.sort_unstable();
    let expected: Vec<String> = names.iter().map(|n| domain(n)).collect();
    assert_eq!(running, expected, "running domains");

    let outputs = tf.output_json().expect("outputs");
    let leases = virsh_ok(sandbox, &["net-dhcp-leases", NETWORK]);
    for node in names.iter().map(|n| node(n)) {
        let name = node.name.as_str();
        assert_eq!(outputs["node_ips"]["value"][name], node.ip, "node_ips");
        assert_eq!(outputs["node_macs"]["value"][name], node.mac, "node_macs");
        let interfaces = virsh_ok(sandbox, &["domiflist", &domain(name)]);
        assert!(
            interfaces.contains(&node.mac),
            "{name} has MAC {}:\n{interfaces}",
            node.mac
        );
        // virsh net-dhcp-leases: expiry date, expiry time, MAC, protocol, IP/prefix, hostname.
        let lease = leases
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|fields| fields.get(2) == Some(&node.mac.as_str()))
            .unwrap_or_else(|| panic!("no lease for {name} ({}):\n{leases}", node.mac));
        assert_eq!(
            (lease.get(4).copied(), lease.get(5).copied()),
            (Some(format!("{}/24", node.ip).as_str()), Some(name)),
            "{name}'s lease (address, host name from its cloud-init meta-data)"
        );
    }
    assert_eq!(outputs["api_url"]["value"], api_url());
}

/// The first server's address: the API URL everyone joins.
fn api_url() -> String {
    format!("https://{}:6443", node("server-1").ip)
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

/// Each node's cloud-init disk holds the module's k3s bootstrap for it: a `#cloud-config`
/// document writing the k3s config (its name and address) and installing k3s air-gapped;
/// servers get the cluster's CA files; server-1 starts an embedded-etcd cluster when
/// `embedded_etcd`, everyone else joins through server-1's address. The guest read it: its
/// console reports every `write_files` entry written, the k3s config among them.
fn assert_k3s_user_data(sandbox: &Sandbox, tf: &Terraform, names: &[&str], embedded_etcd: bool) {
    let join = format!("server: {}", api_url());
    let logs: Vec<String> = names.iter().map(|n| console_log(n)).collect();
    let consoles = wait_for_boot(sandbox, &logs, Duration::from_secs(60));
    for node in names.iter().map(|n| node(n)) {
        let name = node.name.as_str();
        let user_data = seed_user_data(sandbox, tf, name);
        let files = user_data
            .lines()
            .filter(|l| l.trim_start().starts_with("- path: "))
            .count();
        let console = &consoles[&console_log(name)];
        assert_eq!(
            boot_marker(console),
            Some(
                format!(
                    "KVMCLOUD-BOOT-OK hostname={name} ip={} instance-id={} files={files}",
                    node.ip,
                    domain(name)
                )
                .as_str()
            ),
            "{name}'s console:\n{console}"
        );
        assert!(
            console.contains("KVMCLOUD-WROTE path=/etc/rancher/k3s/config.yaml "),
            "{name} wrote its k3s config:\n{console}"
        );
        assert!(
            user_data.starts_with("#cloud-config\n"),
            "{name}: user-data is a #cloud-config document:\n{user_data}"
        );
        let is_server = name.starts_with("server-");
        let first = name == "server-1";
        let expectations = [
            ("/etc/rancher/k3s/config.yaml", true),
            (&format!("node-name: {name}"), true),
            (&node.ip, true),
            ("K10", true),
            ("INSTALL_K3S_SKIP_DOWNLOAD", true),
            ("/var/lib/rancher/k3s/server/tls/", is_server),
            ("cluster-init: true", first && embedded_etcd),
            (&join, !first),
        ];
        for (mark, present) in expectations {
            assert_eq!(
                user_data.contains(mark),
                present,
                "{name}: user-data mentions {mark:?}: expected {present}:\n{user_data}"
            );
        }
    }
}

fn domid(sandbox: &Sandbox, node: &str) -> String {
    virsh_ok(sandbox, &["domid", &domain(node)])
        .trim()
        .to_string()
}

// ---------------------------------------------------------------- the tests

/// The tests boot guests on a 2-core machine: run them one at a time, so timings mean something
/// (under `cargo test`; nextest runs them in the `booting-guests` group of .config/nextest.toml).
static ONE_CLUSTER_AT_A_TIME: Mutex<()> = Mutex::new(());

const SKIP_NOTICE: &str = "module_k3s_cluster: k3s itself is SKIPPED: no k3s binary or image archive is supplied and the test image cannot run k3s (wait_for_ready = false); the libvirt side and the k3s bootstrap on each node's cloud-init disk are checked";

/// examples/k3s-cluster in a workspace on `sandbox`, with the test image built and modules
/// installed; `write_vars(servers, workers)` (re)writes terraform.tfvars.
struct Example<'s> {
    sandbox: &'s Sandbox,
    tf: Terraform<'s>,
    image_dir: PathBuf,
    base: String,
    virt_type: &'static str,
}

impl<'s> Example<'s> {
    fn new(sandbox: &'s Sandbox, tree: &ExampleTree) -> Self {
        let tf = tree
            .workspace(
                sandbox,
                Path::new(EXAMPLE),
                &[LocalProvider::Libvirt, LocalProvider::K3s],
            )
            .with_timeout(COMMAND_TIMEOUT);
        let image_dir = tf.dir().join("image");
        build_test_image(&image_dir);
        let base = make_qcow2(tf.dir(), "base.qcow2", "64M");
        tf.run(&["get", "-no-color"])
            .and_then(|o| o.into_success())
            .expect("terraform get installs the modules");
        Example {
            sandbox,
            tf,
            image_dir,
            base,
            virt_type: domain_type(sandbox),
        }
    }

    fn write_vars(&self, servers: u32, workers: u32) {
        let vars = tfvars(
            &self.image_dir,
            &self.base,
            self.virt_type,
            servers,
            workers,
        );
        self.tf
            .write_file("terraform.tfvars", &vars)
            .expect("write terraform.tfvars");
    }

    /// `apply -json`: its event lines and wall time.
    fn apply(&self) -> (String, Duration) {
        let started = Instant::now();
        let applied = self
            .tf
            .run(&["apply", "-auto-approve", "-input=false", "-json"])
            .expect("apply");
        let elapsed = started.elapsed();
        assert!(
            applied.success(),
            "apply failed:\n{}\n{}\n{}",
            applied.stdout,
            applied.stderr,
            self.consoles()
        );
        (applied.stdout, elapsed)
    }

    /// The nodes' serial consoles, for when they did not come up.
    fn consoles(&self) -> String {
        console_logs(self.sandbox, CLUSTER)
    }

    fn assert_plan_empty(&self, when: &str) {
        let plan = self.tf.plan().expect("plan");
        assert_eq!(
            plan.code,
            Some(0),
            "plan {when} must be empty:\n{}",
            plan.stdout
        );
    }

    /// Destroys everything and checks libvirt holds nothing of it; the destroy's wall time.
    fn destroy_to_empty(&self, sandbox: &Sandbox) -> Duration {
        let started = Instant::now();
        self.tf.destroy().expect("destroy");
        let elapsed = started.elapsed();
        assert_libvirt_empty(sandbox, POOL_PATH);
        elapsed
    }
}

#[test]
fn k3s_cluster_boots_two_nodes_scales_one_worker_out_and_in_and_destroys() {
    let _one = ONE_CLUSTER_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = Instant::now();
    eprintln!("{SKIP_NOTICE}");
    let sandbox = Sandbox::start(&unique_name("acc-k3sc")).expect("sandbox starts");
    let tree = ExampleTree::new();
    let example = Example::new(&sandbox, &tree);
    let tf = &example.tf;

    // 1 server + 1 worker boot and take their fixed leases.
    example.write_vars(1, 1);
    let (events, apply_time) = example.apply();
    let phases = report(&ApplyEvents::parse(&events), apply_time);
    let two = ["server-1", "worker-1"];
    assert_nodes_up(&sandbox, tf, &two);
    assert_k3s_user_data(&sandbox, tf, &two, false);
    example.assert_plan_empty("after the first apply");
    let kept = two.map(|n| (n, domid(&sandbox, n)));

    // Workers 1 -> 2: only worker-2 comes.
    example.write_vars(1, 2);
    assert_only_worker_2(&planned_changes(tf), "create");
    let scale_out = apply_saved_plan(tf, || example.consoles());
    assert_nodes_up(&sandbox, tf, &["server-1", "worker-1", "worker-2"]);
    assert_k3s_user_data(&sandbox, tf, &["worker-2"], false);
    example.assert_plan_empty("after scale-out");

    // Workers 2 -> 1: only worker-2 goes.
    example.write_vars(1, 1);
    assert_only_worker_2(&planned_changes(tf), "delete");
    let scale_in = apply_saved_plan(tf, || example.consoles());
    assert_nodes_up(&sandbox, tf, &two);
    example.assert_plan_empty("after scale-in");
    for (node, id) in &kept {
        assert_eq!(
            &domid(&sandbox, node),
            id,
            "{node} kept running through both scalings"
        );
    }

    let destroy_time = example.destroy_to_empty(&sandbox);
    eprintln!(
        "module_k3s_cluster ({}, 1 server + 1 worker): {phases}",
        example.virt_type
    );
    eprintln!(
        "module_k3s_cluster: scale-out 1 -> 2 workers (one node booting to its lease) {:.1} s, scale-in 2 -> 1 {:.1} s, destroy {:.1} s, whole test {:.1} s",
        scale_out.as_secs_f64(),
        scale_in.as_secs_f64(),
        destroy_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn ha_control_plane_first_server_starts_etcd_and_the_others_join() {
    let _one = ONE_CLUSTER_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    eprintln!("{SKIP_NOTICE}");
    let sandbox = Sandbox::start(&unique_name("acc-k3sha")).expect("sandbox starts");
    let tree = ExampleTree::new();
    let example = Example::new(&sandbox, &tree);

    example.write_vars(3, 0);
    // The air-gap files on a labelled disk shared by every node, instead of inside the image.
    let bundle = airgap_bundle(example.tf.dir());
    example
        .tf
        .write_file(
            "airgap.auto.tfvars",
            &format!(
                "airgap_bundle = {}
k3s_airgap = {{
  binary_path         = \"/mnt/k3s-airgap/k3s\"\n  install_script_path = \"/mnt/k3s-airgap/install.sh\"\n  mount_label         = \"K3S\"\n}}\n",
                hcl(&bundle.to_string_lossy())
            ),
        )
        .expect("airgap tfvars");
    let (_, apply_time) = example.apply();
    let servers = ["server-1", "server-2", "server-3"];
    assert_nodes_up(&sandbox, &example.tf, &servers);
    for server in servers {
        let xml = sandbox
            .virsh(&["dumpxml", &domain(server)])
            .expect("virsh dumpxml")
            .stdout;
        assert!(
            xml.contains(&format!("volume='{CLUSTER}-airgap.img'"))
                && xml.contains("<target dev='vdc'"),
            "{server} lacks the air-gap disk:\n{xml}"
        );
    }
    assert_k3s_user_data(&sandbox, &example.tf, &servers, true);
    example.assert_plan_empty("after the first apply");
    let destroy_time = example.destroy_to_empty(&sandbox);
    eprintln!(
        "module_k3s_cluster ({}, 3 servers, HA): apply {:.1} s, destroy {:.1} s",
        example.virt_type,
        apply_time.as_secs_f64(),
        destroy_time.as_secs_f64()
    );
}
