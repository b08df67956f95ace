//! A two-node cluster through the real terraform CLI against a private libvirtd, the way users
//! build one: a NAT network with DHCP (a range plus a static host per node), a dir pool, a
//! qcow2 base volume with a qcow2 overlay per node, a cloud-init seed disk per node, and two
//! domains (TCG where KVM is unusable) that boot the test image from scripts/build-test-image.sh.
//! The test image has no root disk, so the guests boot its kernel and initramfs directly; the
//! base is a small qcow2 made with qemu-img so the overlay chain is still built and opened by
//! QEMU. Each guest reads its seed, takes its static DHCP lease and prints both on its serial
//! console (a file inside the sandbox); terraform reports the same address, waited for with
//! `wait_for_ip_source = "lease"`. Then: an empty second plan; a memory change on one node
//! (restart announced) and a content change of the other's seed (replacement) plan and apply
//! as announced; import by name; destroy leaves libvirt empty.
//!
//! Prints the first apply split into the resources before the domains, define, start and
//! first IP, as observed from outside by polling the sandbox's libvirtd during the apply.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use acceptance_tests::fixtures::{
    assert_libvirt_empty, boot_marker, boot_volumes_hcl, build_test_image, dir_pool_hcl,
    direct_boot_os_hcl, domain_type, hcl, make_qcow2, virsh_ok, wait_for_boot, LIBVIRT_PROVIDER,
    TEST_IMAGE_CMDLINE,
};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};

const PROVIDERS: &[LocalProvider] = &[LocalProvider::Libvirt];
const PREFIX: &str = "acccl";
const NETWORK: &str = "acccl-net";
/// Generous bounds: two TCG guests boot at once on a loaded machine.
const WAIT_FOR_IP_SECS: u32 = 300;
const MARKER_TIMEOUT: Duration = Duration::from_secs(240);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Clone, Debug)]
struct Node {
    name: &'static str,
    mac: &'static str,
    ip: &'static str,
    memory_mib: u32,
    /// Generation of the seed's content: meta-data's instance-id is `<name>-<generation>`.
    seed_generation: u32,
}

impl Node {
    fn instance_id(&self) -> String {
        format!("{}-{}", self.name, self.seed_generation)
    }

    fn console_log(&self) -> String {
        format!("/var/lib/libvirt/qemu/{}-serial0.log", self.name)
    }

    /// The line the test image's /init prints once it read the seed and took its lease.
    fn expected_marker(&self) -> String {
        format!(
            "KVMCLOUD-BOOT-OK hostname={} ip={} instance-id={} files=0",
            self.name,
            self.ip,
            self.instance_id()
        )
    }
}

fn initial_nodes() -> Vec<Node> {
    vec![
        Node {
            name: "acccl-a",
            mac: "52:54:00:c1:00:0a",
            ip: "10.78.0.11",
            memory_mib: 256,
            seed_generation: 1,
        },
        Node {
            name: "acccl-b",
            mac: "52:54:00:c1:00:0b",
            ip: "10.78.0.12",
            memory_mib: 256,
            seed_generation: 1,
        },
    ]
}

fn nodes_local(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|n| {
            format!(
                "    {name} = {{\n      mac       = {mac}\n      ip        = {ip}\n      memory    = {memory}\n      user_data = {user_data}\n      meta_data = {meta_data}\n    }}\n",
                name = hcl(n.name),
                mac = hcl(n.mac),
                ip = hcl(n.ip),
                memory = n.memory_mib,
                user_data = hcl(&format!("#cloud-config\nhostname: {}\n", n.name)),
                meta_data = hcl(&format!(
                    "instance-id: {}\nlocal-hostname: {}\n",
                    n.instance_id(),
                    n.name
                )),
            )
        })
        .collect()
}

struct Images<'a> {
    dir: &'a Path,
    base_qcow2: &'a str,
}

fn config(images: &Images, virt_type: &str, nodes: &[Node]) -> String {
    let dir_pool = dir_pool_hcl(PREFIX);
    let boot_volumes = boot_volumes_hcl(images.dir);
    let os = direct_boot_os_hcl(TEST_IMAGE_CMDLINE);
    format!(
        r#"
{LIBVIRT_PROVIDER}
locals {{
  nodes = {{
{nodes}  }}
}}

resource "libvirt_network" "n" {{
  name = "{NETWORK}"
  forward {{
    mode = "nat"
  }}
  ip {{
    address = "10.78.0.1"
    prefix  = 24
    dhcp {{
      range {{
        start = "10.78.0.100"
        end   = "10.78.0.200"
      }}
      dynamic "host" {{
        for_each = local.nodes
        content {{
          mac  = host.value.mac
          ip   = host.value.ip
          name = host.key
        }}
      }}
    }}
  }}
}}

{dir_pool}
{boot_volumes}
resource "libvirt_volume" "base" {{
  pool           = libvirt_pool.p.name
  name           = "base.qcow2"
  content_source = "{base}"
  target {{
    format {{
      type = "qcow2"
    }}
  }}
}}

resource "libvirt_volume" "overlay" {{
  for_each = local.nodes
  pool     = libvirt_pool.p.name
  name     = "${{each.key}}.qcow2"
  capacity {{
    value = 128
    unit  = "MiB"
  }}
  target {{
    format {{
      type = "qcow2"
    }}
  }}
  backing_store {{
    path = libvirt_volume.base.id
    format {{
      type = "qcow2"
    }}
  }}
}}

resource "libvirt_cloudinit_disk" "seed" {{
  for_each  = local.nodes
  name      = "${{each.key}}-seed.iso"
  pool      = libvirt_pool.p.name
  user_data = each.value.user_data
  meta_data = each.value.meta_data
}}

resource "libvirt_domain" "node" {{
  for_each = local.nodes
  type     = "{virt_type}"
  name     = each.key
  # The test image's busybox init ignores ACPI power-off: destroy at once.
  shutdown_timeout    = 0
  wait_for_ip_timeout = {WAIT_FOR_IP_SECS}
  wait_for_ip_source  = "lease"
  memory {{
    value = each.value.memory
    unit  = "MiB"
  }}
  vcpu {{
    value = 1
  }}
{os}
  devices {{
    disk {{
      type   = "volume"
      device = "disk"
      driver {{
        name = "qemu"
        type = "qcow2"
      }}
      source {{
        pool   = libvirt_pool.p.name
        volume = libvirt_volume.overlay[each.key].name
      }}
      target {{
        dev = "vda"
        bus = "virtio"
      }}
    }}
    # Debian's cloud kernel has no AHCI driver: the seed goes on virtio, not SATA.
    disk {{
      type   = "volume"
      device = "disk"
      driver {{
        name = "qemu"
        type = "raw"
      }}
      source {{
        pool   = libvirt_pool.p.name
        volume = libvirt_cloudinit_disk.seed[each.key].name
      }}
      target {{
        dev = "vdb"
        bus = "virtio"
      }}
      readonly {{}}
    }}
    interface {{
      type = "network"
      mac {{
        address = each.value.mac
      }}
      source {{
        network = libvirt_network.n.name
      }}
      model {{
        type = "virtio"
      }}
    }}
    serial {{
      type = "file"
      source {{
        path = "/var/lib/libvirt/qemu/${{each.key}}-serial0.log"
      }}
      target {{
        port = 0
      }}
    }}
  }}
}}

# An imported domain has no wait_for_ip settings (nor addresses) until the next apply.
output "addresses" {{
  value = {{ for name, d in libvirt_domain.node : name => try(d.interface_addresses[0], null) }}
}}
output "overlays" {{
  value = {{ for name, v in libvirt_volume.overlay : name => v.id }}
}}
output "base" {{
  value = libvirt_volume.base.id
}}
"#,
        nodes = nodes_local(nodes),
        base = images.base_qcow2,
    )
}

// ---------------------------------------------------------------- helpers

fn assert_booted(sandbox: &Sandbox, nodes: &[&Node]) {
    let logs: Vec<String> = nodes.iter().map(|n| n.console_log()).collect();
    let consoles = wait_for_boot(sandbox, &logs, MARKER_TIMEOUT);
    for node in nodes {
        let console = &consoles[&node.console_log()];
        assert_eq!(
            boot_marker(console),
            Some(node.expected_marker().as_str()),
            "{}'s console:\n{console}",
            node.name
        );
    }
}

/// Checks the `addresses` output and returns every output (`terraform output -json`).
fn assert_addresses_reported(tf: &Terraform, nodes: &[Node]) -> serde_json::Value {
    let outputs = tf.output_json().expect("outputs");
    for node in nodes {
        assert_eq!(
            outputs["addresses"]["value"][node.name],
            serde_json::json!({ "mac": node.mac, "addresses": [node.ip] }),
            "{}: terraform reports its static DHCP host's address",
            node.name
        );
    }
    outputs
}

/// The domain's id while it runs (a restart gives it a new one).
fn domid(sandbox: &Sandbox, name: &str) -> String {
    virsh_ok(sandbox, &["domid", name]).trim().to_string()
}

/// Removes a console log, so the next boot's marker is the only one (QEMU may append).
fn clear_console(sandbox: &Sandbox, node: &Node) {
    let out = sandbox
        .exec("rm", ["-f", &node.console_log()])
        .expect("rm console log");
    assert!(out.success(), "{}", out.stderr);
}

// ---------------------------------------------------------------- first-apply timeline

/// Separates `virsh list` from `virsh net-dhcp-leases` in one poll's output.
const LEASES_MARK: &str = "@@leases@@";

/// When each domain was first seen defined, running and holding a DHCP lease, as offsets
/// from the start of an apply; found by polling libvirt from outside the provider.
#[derive(Debug, Default)]
struct Timeline {
    defined: BTreeMap<String, Duration>,
    running: BTreeMap<String, Duration>,
    leased: BTreeMap<String, Duration>,
    polls: u32,
}

impl Timeline {
    /// One look at the sandbox: `virsh list --all` (defined, running) and the network's leases.
    fn poll(&mut self, sandbox: &Sandbox, since: Instant, nodes: &[Node]) {
        let script = format!(
            "virsh list --all; echo {LEASES_MARK}; virsh net-dhcp-leases {NETWORK} 2>/dev/null || true"
        );
        let Ok(out) = sandbox.exec("sh", ["-c", &script]) else {
            return;
        };
        let at = since.elapsed();
        self.polls += 1;
        let (domains, leases) = out
            .stdout
            .split_once(LEASES_MARK)
            .unwrap_or((&out.stdout, ""));
        for line in domains.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some(node) = nodes.iter().find(|n| words.get(1) == Some(&n.name)) else {
                continue;
            };
            self.defined.entry(node.name.to_string()).or_insert(at);
            if words.get(2) == Some(&"running") {
                self.running.entry(node.name.to_string()).or_insert(at);
            }
        }
        for node in nodes {
            if leases.contains(node.mac) {
                self.leased.entry(node.name.to_string()).or_insert(at);
            }
        }
    }

    fn last(map: &BTreeMap<String, Duration>) -> Duration {
        map.values().max().copied().unwrap_or_default()
    }

    fn first(map: &BTreeMap<String, Duration>) -> Duration {
        map.values().min().copied().unwrap_or_default()
    }

    fn report(&self, apply: Duration, nodes: &[Node]) -> String {
        let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        let per_node: Vec<String> = nodes
            .iter()
            .map(|n| {
                let at = |m: &BTreeMap<String, Duration>| {
                    m.get(n.name).map_or("never seen".to_string(), |d| secs(*d))
                };
                format!(
                    "{}: defined at {}, running at {}, DHCP lease at {}",
                    n.name,
                    at(&self.defined),
                    at(&self.running),
                    at(&self.leased)
                )
            })
            .collect();
        format!(
            "first apply {total} = network, pool, 5 volumes and 2 seeds until the first define {before}; \
             define + start (first seen defined to last seen running) {define}; guest boot to first IP \
             (last running to last lease) {boot}; last lease to apply end (provider's 1 s lease poll \
             + terraform) {tail}. Offsets from apply start, {polls} polls, one every {every:.2} s: {per_node}",
            total = secs(apply),
            before = secs(Self::first(&self.defined)),
            define = secs(Self::last(&self.running).saturating_sub(Self::first(&self.defined))),
            boot = secs(Self::last(&self.leased).saturating_sub(Self::last(&self.running))),
            tail = secs(apply.saturating_sub(Self::last(&self.leased))),
            polls = self.polls,
            every = apply.as_secs_f64() / f64::from(self.polls.max(1)),
            per_node = per_node.join("; "),
        )
    }
}

/// `terraform apply` while a second thread polls libvirt for the domains' progress.
fn timed_apply(sandbox: &Sandbox, tf: &Terraform, nodes: &[Node]) -> (Duration, Timeline) {
    let done = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut timeline = Timeline::default();
            while !done.load(Ordering::Relaxed) {
                timeline.poll(sandbox, started, nodes);
                std::thread::sleep(Duration::from_millis(100));
            }
            timeline
        });
        let applied = tf.apply();
        let apply_time = started.elapsed();
        done.store(true, Ordering::Relaxed);
        let timeline = watcher.join().expect("watcher thread");
        applied.expect("first apply");
        (apply_time, timeline)
    })
}

/// Wall time of the test's steps, printed at the end to show where the time goes.
struct Laps {
    started: Instant,
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Laps {
    fn new() -> Self {
        let now = Instant::now();
        Laps {
            started: now,
            last: now,
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, step: &'static str) {
        let now = Instant::now();
        self.laps.push((step, now - self.last));
        self.last = now;
    }

    fn report(&self) -> String {
        let steps: Vec<String> = self
            .laps
            .iter()
            .map(|(step, d)| format!("{step} {:.1} s", d.as_secs_f64()))
            .collect();
        format!(
            "whole test {:.1} s: {}",
            self.started.elapsed().as_secs_f64(),
            steps.join(", ")
        )
    }
}

// ---------------------------------------------------------------- the test

#[test]
fn two_node_cluster_boots_reports_ips_updates_imports_and_destroys() {
    let mut laps = Laps::new();
    let sandbox = Sandbox::start(&unique_name("acc-cl")).expect("sandbox starts");
    let tf = Terraform::new(&sandbox, "", PROVIDERS)
        .expect("workspace")
        .with_timeout(COMMAND_TIMEOUT);
    build_test_image(tf.dir());
    let base_qcow2 = make_qcow2(tf.dir(), "base.qcow2", "64M");
    let images = Images {
        dir: tf.dir(),
        base_qcow2: &base_qcow2,
    };
    let virt_type = domain_type(&sandbox);
    let mut nodes = initial_nodes();
    tf.write_main_tf(&config(&images, virt_type, &nodes))
        .expect("write config");
    laps.lap("sandbox and test image");

    // First apply: both guests boot, read their seed and take their static lease.
    let (apply_time, timeline) = timed_apply(&sandbox, &tf, &nodes);
    laps.lap("first apply");
    let outputs = assert_addresses_reported(&tf, &nodes);
    assert_booted(&sandbox, &nodes.iter().collect::<Vec<_>>());
    laps.lap("outputs and boot markers");
    eprintln!(
        "libvirt_cluster ({virt_type}): {}",
        timeline.report(apply_time, &nodes)
    );

    // The overlays are qcow2 over the base, and QEMU opened that chain.
    let base = outputs["base"]["value"].as_str().expect("base id");
    let overlays = outputs["overlays"]["value"]
        .as_object()
        .expect("overlays map");
    for (name, overlay) in overlays {
        let overlay = overlay.as_str().expect("overlay id");
        let vol = virsh_ok(&sandbox, &["vol-dumpxml", overlay]);
        assert!(
            vol.contains("<backingStore>") && vol.contains(base),
            "{name}'s overlay is backed by the base: {vol}"
        );
        let live = virsh_ok(&sandbox, &["dumpxml", name]);
        assert!(
            live.contains(&format!("volume='{name}.qcow2'"))
                && live.contains(&format!("<source file='{base}'")),
            "{name} runs on its overlay over the base: {live}"
        );
    }
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan must be empty"
    );
    laps.lap("overlay checks and second plan");

    // Node a gets more memory (a restart, announced), node b's seed a new instance-id
    // (a replacement of the seed, nothing else).
    let ids_before: Vec<String> = nodes.iter().map(|n| domid(&sandbox, n.name)).collect();
    nodes[0].memory_mib = 320;
    nodes[1].seed_generation = 2;
    let (a, b) = (nodes[0].clone(), nodes[1].clone());
    tf.write_main_tf(&config(&images, virt_type, &nodes))
        .expect("write config");
    let plan = tf.plan().expect("plan the change");
    let said = format!("{}{}", plan.stdout, plan.stderr);
    let domain = |n: &Node| format!("libvirt_domain.node[\"{}\"]", n.name);
    let seed = |n: &Node| format!("libvirt_cloudinit_disk.seed[\"{}\"]", n.name);
    for expected in [
        format!("{} will be updated in-place", domain(&a)),
        format!(
            "libvirt_domain.{} will be restarted to apply: memory",
            a.name
        ),
        format!("{} must be replaced", seed(&b)),
        "Plan: 1 to add, 1 to change, 1 to destroy.".to_string(),
    ] {
        assert!(
            said.contains(&expected),
            "plan announces {expected:?}:\n{said}"
        );
    }
    for unexpected in [
        format!("{} will be", domain(&b)),
        format!("{} must be", domain(&b)),
        format!("{} must be", seed(&a)),
        format!("libvirt_domain.{} will be restarted", b.name),
    ] {
        assert!(
            !said.contains(&unexpected),
            "plan must not say {unexpected:?}:\n{said}"
        );
    }
    laps.lap("plan of the change");
    clear_console(&sandbox, &a);
    tf.apply().expect("apply the change");
    laps.lap("apply of the change");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "plan after the change must be empty"
    );
    let dominfo = virsh_ok(&sandbox, &["dominfo", a.name]);
    assert!(
        dominfo.contains(&format!("{} KiB", 320 * 1024)),
        "{} has the new memory: {dominfo}",
        a.name
    );
    assert_ne!(
        domid(&sandbox, a.name),
        ids_before[0],
        "{} restarted",
        a.name
    );
    assert_eq!(
        domid(&sandbox, b.name),
        ids_before[1],
        "{} kept running: only its seed was replaced",
        b.name
    );
    // Node b reads the new seed at its next boot (here, a reset outside terraform).
    clear_console(&sandbox, &b);
    virsh_ok(&sandbox, &["destroy", b.name]);
    virsh_ok(&sandbox, &["start", b.name]);
    assert_booted(&sandbox, &[&a, &b]);
    assert_addresses_reported(&tf, &nodes);
    laps.lap("plan, reboot markers");

    // Import by name: the same domain, adopted without a restart or a replacement.
    let address = domain(&b);
    tf.run(&["state", "rm", &address])
        .expect("state rm")
        .into_success()
        .expect("state rm");
    let id_before_import = domid(&sandbox, b.name);
    tf.import(&address, b.name).expect("import by name");
    let plan = tf.plan().expect("plan after import");
    let said = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        !said.contains("must be replaced") && !said.contains("will be restarted"),
        "{said}"
    );
    tf.apply().expect("apply after import");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "plan after import must be empty"
    );
    assert_eq!(
        domid(&sandbox, b.name),
        id_before_import,
        "import did not restart it"
    );
    assert_addresses_reported(&tf, &nodes);
    laps.lap("import, plan, apply, plan");

    // Destroy leaves libvirt empty.
    tf.destroy().expect("destroy");
    laps.lap("destroy");
    assert_libvirt_empty(&sandbox, &format!("/var/lib/libvirt/{PREFIX}-pool"));
    eprintln!("libvirt_cluster: {}", laps.report());
}
