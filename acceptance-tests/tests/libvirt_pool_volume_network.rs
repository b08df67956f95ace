//! libvirt_pool, libvirt_volume and libvirt_network through the real terraform CLI against a
//! private libvirtd: apply, empty second plan, drift, live and in-place updates, replacement,
//! import, destroy leaving nothing behind, and bad input reported on the right attribute.

use acceptance_tests::fixtures::{
    dir_pool_hcl, make_qcow2, output_string, virsh_ok, LIBVIRT_PROVIDER,
};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};

const PROVIDERS: &[LocalProvider] = &[LocalProvider::Libvirt];

struct Spec<'a> {
    /// DHCP hosts as (mac, ip, name).
    hosts: &'a [(&'a str, &'a str, &'a str)],
    overlay_gib: u32,
}

fn config(prefix: &str, base_image: &str, spec: &Spec) -> String {
    let hosts: String = spec
        .hosts
        .iter()
        .map(|(mac, ip, name)| format!("      host {{\n        mac  = \"{mac}\"\n        ip   = \"{ip}\"\n        name = \"{name}\"\n      }}\n"))
        .collect();
    let dir_pool = dir_pool_hcl(prefix);
    format!(
        r#"
{LIBVIRT_PROVIDER}
{dir_pool}
resource "libvirt_volume" "base" {{
  pool           = libvirt_pool.p.name
  name           = "base.qcow2"
  content_source = "{base_image}"
  target {{
    format {{
      type = "qcow2"
    }}
  }}
}}

resource "libvirt_volume" "overlay" {{
  pool = libvirt_pool.p.name
  name = "node.qcow2"
  capacity {{
    value = {gib}
    unit  = "GiB"
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

resource "libvirt_network" "n" {{
  name      = "{prefix}-net"
  autostart = true
  forward {{
    mode = "nat"
  }}
  dns {{
    host {{
      ip       = "10.77.0.2"
      hostname = ["gw-alias"]
    }}
  }}
  ip {{
    address = "10.77.0.1"
    prefix  = 24
    dhcp {{
      range {{
        start = "10.77.0.100"
        end   = "10.77.0.200"
      }}
{hosts}    }}
  }}
}}

output "overlay" {{
  value = libvirt_volume.overlay.id
}}
output "network" {{
  value = libvirt_network.n.id
}}
"#,
        gib = spec.overlay_gib
    )
}

#[test]
fn pool_volume_network_full_lifecycle() {
    let sandbox = Sandbox::start(&unique_name("acc-lv")).expect("sandbox starts");
    let prefix = "acc";
    let tf = Terraform::new(&sandbox, "", PROVIDERS).expect("workspace");
    let base = make_qcow2(tf.dir(), "base.qcow2", "64M");
    let one_host = Spec {
        hosts: &[("52:54:00:aa:00:01", "10.77.0.11", "node-a")],
        overlay_gib: 1,
    };
    tf.write_main_tf(&config(prefix, &base, &one_host)).unwrap();

    // Apply, then a second plan must be empty.
    tf.apply().expect("apply");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan must be empty"
    );
    let overlay = output_string(&tf, "overlay");
    let network_id = output_string(&tf, "network");
    let vol_xml = virsh_ok(&sandbox, &["vol-dumpxml", &overlay]);
    assert!(
        vol_xml.contains("<backingStore>") && vol_xml.contains("base.qcow2"),
        "overlay has its backing store: {vol_xml}"
    );
    let net_xml = virsh_ok(&sandbox, &["net-dumpxml", &format!("{prefix}-net")]);
    assert!(net_xml.contains("52:54:00:aa:00:01"), "{net_xml}");

    // Drift: a DHCP host removed and autostart disabled outside Terraform show up.
    virsh_ok(
        &sandbox,
        &[
            "net-update",
            &format!("{prefix}-net"),
            "delete",
            "ip-dhcp-host",
            "<host mac='52:54:00:aa:00:01' name='node-a' ip='10.77.0.11'/>",
            "--live",
            "--config",
        ],
    );
    virsh_ok(
        &sandbox,
        &["net-autostart", &format!("{prefix}-net"), "--disable"],
    );
    assert_eq!(
        tf.refresh_only_plan().expect("refresh-only plan"),
        2,
        "out-of-band change must show as drift"
    );
    let plan = tf.plan().expect("plan");
    assert!(
        plan.stdout.contains("update in-place") && plan.stdout.contains("node-a"),
        "plan restores the host: {}",
        plan.stdout
    );
    tf.apply().expect("apply restores the drifted values");
    assert_eq!(tf.plan_detailed_exitcode().unwrap(), 0);

    // Update: a second DHCP host goes in live (same network), the overlay grows in place.
    let two_hosts = Spec {
        hosts: &[
            ("52:54:00:aa:00:01", "10.77.0.11", "node-a"),
            ("52:54:00:aa:00:02", "10.77.0.12", "node-b"),
        ],
        overlay_gib: 2,
    };
    tf.write_main_tf(&config(prefix, &base, &two_hosts))
        .unwrap();
    let plan = tf.plan().expect("plan");
    assert!(
        !plan.stdout.contains("must be replaced"),
        "hosts and growth are in-place: {}",
        plan.stdout
    );
    tf.apply().expect("apply update");
    assert_eq!(
        output_string(&tf, "network"),
        network_id,
        "network kept, not replaced"
    );
    let live = virsh_ok(&sandbox, &["net-dumpxml", &format!("{prefix}-net")]);
    assert!(
        live.contains("52:54:00:aa:00:02"),
        "new host is live: {live}"
    );
    let info = virsh_ok(&sandbox, &["vol-info", &overlay]);
    assert!(info.contains("2.00 GiB"), "overlay grown: {info}");
    assert_eq!(
        tf.plan_detailed_exitcode().unwrap(),
        0,
        "plan after update must be empty"
    );

    // Shrinking cannot happen in place: the plan announces a replacement.
    tf.write_main_tf(&config(
        prefix,
        &base,
        &Spec {
            overlay_gib: 1,
            ..two_hosts
        },
    ))
    .unwrap();
    let plan = tf.plan().expect("plan");
    assert!(
        plan.stdout.contains("must be replaced") && plan.stdout.contains("forces replacement"),
        "{}",
        plan.stdout
    );
    tf.write_main_tf(&config(
        prefix,
        &base,
        &Spec {
            overlay_gib: 2,
            ..two_hosts
        },
    ))
    .unwrap();

    // Import by name: the network is adopted; values libvirt assigned are forgotten in place.
    tf.run(&["state", "rm", "libvirt_network.n"])
        .unwrap()
        .into_success()
        .expect("state rm");
    tf.import("libvirt_network.n", &format!("{prefix}-net"))
        .expect("import by name");
    let plan = tf.plan().expect("plan after import");
    assert!(
        !plan.stdout.contains("must be replaced"),
        "import must not lead to a replacement: {}",
        plan.stdout
    );
    tf.apply().expect("apply after import");
    assert_eq!(tf.plan_detailed_exitcode().unwrap(), 0);
    assert_eq!(output_string(&tf, "network"), network_id);
    // Import of a volume by its key.
    tf.run(&["state", "rm", "libvirt_volume.overlay"])
        .unwrap()
        .into_success()
        .unwrap();
    tf.import("libvirt_volume.overlay", &overlay)
        .expect("import volume by key");

    // Destroy leaves nothing in libvirt.
    tf.destroy().expect("destroy");
    assert_eq!(
        virsh_ok(&sandbox, &["net-list", "--all", "--name"]).trim(),
        "",
        "no network left"
    );
    assert_eq!(
        virsh_ok(&sandbox, &["pool-list", "--all", "--name"]).trim(),
        "",
        "no pool left"
    );
    let leftovers = sandbox
        .exec("ls", ["-A", &format!("/var/lib/libvirt/{prefix}-pool")])
        .unwrap();
    assert_eq!(leftovers.stdout.trim(), "", "no volume files left");
}

#[test]
fn bad_input_is_reported_on_the_attribute_and_nothing_is_orphaned() {
    let sandbox = Sandbox::start(&unique_name("acc-lv-bad")).expect("sandbox starts");
    let tf = Terraform::new(&sandbox, "", PROVIDERS).expect("workspace");
    let expect_failure = |body: &str, needles: &[&str]| -> String {
        tf.write_main_tf(&format!("{LIBVIRT_PROVIDER}{body}"))
            .unwrap();
        let out = tf
            .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .unwrap();
        assert!(!out.success(), "apply must fail for:\n{body}");
        for n in needles {
            assert!(
                out.stderr.contains(n),
                "error output must mention {n:?}:\n{}",
                out.stderr
            );
        }
        out.stderr
    };

    // Unknown enum value: caught at plan time, pointing at forward[0].mode.
    expect_failure(
        r#"resource "libvirt_network" "n" {
  name = "bad"
  forward { mode = "teleport" }
}"#,
        &["forward[0].mode", "teleport", "on main.tf line"],
    );
    // Malformed MAC and UUID.
    expect_failure(
        r#"resource "libvirt_network" "n" {
  name = "bad"
  uuid = "not-a-uuid"
  ip {
    address = "10.9.0.1"
    prefix  = 24
    dhcp {
      host {
        mac = "52:54:zz:00:00:01"
        ip  = "10.9.0.5"
      }
    }
  }
}"#,
        &["uuid", "ip[0].dhcp[0].host[0].mac"],
    );
    // Malformed size.
    expect_failure(
        r#"resource "libvirt_volume" "v" {
  pool = "nowhere"
  name = "v.qcow2"
  capacity {
    value = 1
    unit  = "parsecs"
  }
  target {
    format { type = "raw" }
  }
}"#,
        &["capacity[0].unit"],
    );
    // A block libvirt requires, left out: the schema says min_items = 1, so Terraform itself
    // names it at plan time.
    expect_failure(
        r#"resource "libvirt_volume" "v" {
  pool = "nowhere"
  name = "v.qcow2"
  capacity { value = 1048576 }
}"#,
        &[
            "Insufficient target blocks",
            "At least 1 \"target\" blocks are required",
        ],
    );
    // A missing pool: reported on `pool`, and the state records nothing.
    expect_failure(
        r#"resource "libvirt_volume" "v" {
  pool = "nowhere"
  name = "v.qcow2"
  capacity { value = 1048576 }
  target {
    format { type = "raw" }
  }
}"#,
        &["No storage pool named \"nowhere\"", "pool"],
    );
    let listed = tf.run(&["state", "list"]).unwrap();
    assert_eq!(
        listed.stdout.trim(),
        "",
        "nothing recorded for a volume that was not created"
    );

    // A name clash with a network made outside Terraform: reported on `name`, the existing
    // network is untouched and Terraform records nothing.
    let xml = tf.dir().join("taken.xml");
    std::fs::write(
        &xml,
        "<network><name>taken</name><bridge name='virbr-taken'/></network>",
    )
    .unwrap();
    virsh_ok(&sandbox, &["net-define", &xml.to_string_lossy()]);
    expect_failure(
        r#"resource "libvirt_network" "n" {
  name = "taken"
}"#,
        &[
            "A libvirt network named \"taken\" already exists",
            "terraform import",
        ],
    );
    assert_eq!(tf.run(&["state", "list"]).unwrap().stdout.trim(), "");
    assert_eq!(
        virsh_ok(&sandbox, &["net-list", "--all", "--name"]).trim(),
        "taken",
        "only the pre-existing network exists"
    );
}
