//! libvirt_cloudinit_disk and libvirt_ignition through the real terraform CLI against a
//! private libvirtd: the generated content lands in the pool byte for byte (downloaded with
//! `virsh vol-download`, the ISO read back by isoinfo), a second plan is empty, a content
//! change plans and applies a replacement, and destroy leaves nothing behind. Then a real
//! guest (QEMU, the test image from scripts/build-test-image.sh) boots with the seed disk
//! and reports, on its serial console, the hostname, instance id and file it read from it.

use std::path::Path;
use std::process::Command;

use acceptance_tests::fixtures::{
    boot_marker, boot_volumes_hcl, build_test_image, dir_pool_hcl, direct_boot_os_hcl, domain_type,
    hcl, output_string, wait_for_boot, LIBVIRT_PROVIDER,
};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};

const PROVIDERS: &[LocalProvider] = &[LocalProvider::Libvirt];

/// user-data with what tends to get mangled: a heredoc-free JSON-ish line, tabs, non-ASCII,
/// `${}`-like text (escaped for HCL) and no trailing newline.
const USER_DATA_V1: &str = "#cloud-config\nhostname: node-a\nwrite_files:\n  - path: /etc/motd\n    content: \"h\u{e9}llo\\tw\u{f6}rld\"\nbootcmd:\n  - [sh, -c, 'echo $${HOME} > /tmp/x']";
const USER_DATA_V2: &str = "#cloud-config\nhostname: node-b\n";
const META_DATA: &str = "instance-id: node-a-1\nlocal-hostname: node-a\n";
const IGNITION: &str = r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/hostname","contents":{"source":"data:,node-a"}}]}}"#;

/// What HCL makes of `hcl(s)`: the text with the `$${` escape resolved.
fn evaluated(s: &str) -> String {
    s.replace("$${", "${")
}

fn config(prefix: &str, user_data: &str) -> String {
    let dir_pool = dir_pool_hcl(prefix);
    format!(
        r#"
{LIBVIRT_PROVIDER}
{dir_pool}
resource "libvirt_cloudinit_disk" "seed" {{
  name      = "seed.iso"
  pool      = libvirt_pool.p.name
  user_data = {user_data}
  meta_data = {meta_data}
}}

resource "libvirt_ignition" "ign" {{
  name    = "node.ign"
  pool    = libvirt_pool.p.name
  content = {ignition}
}}

output "seed" {{
  value = libvirt_cloudinit_disk.seed.id
}}
output "seed_sha256" {{
  value = libvirt_cloudinit_disk.seed.content_sha256
}}
output "ignition" {{
  value = libvirt_ignition.ign.id
}}
"#,
        user_data = hcl(user_data),
        meta_data = hcl(META_DATA),
        ignition = hcl(IGNITION),
    )
}

/// The volume's bytes, through libvirt (virStorageVolDownload).
fn download(sandbox: &Sandbox, key: &str, to: &Path) -> Vec<u8> {
    let to_str = to.to_str().expect("UTF-8 path");
    let out = sandbox
        .virsh(&["vol-download", key, to_str])
        .expect("run virsh");
    assert!(
        out.success(),
        "virsh vol-download {key} failed: {}",
        out.stderr
    );
    std::fs::read(to).expect("downloaded volume")
}

fn isoinfo(image: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("isoinfo")
        .args(args)
        .arg("-i")
        .arg(image)
        .output()
        .expect("isoinfo must be installed (Debian package genisoimage)");
    assert!(
        out.status.success(),
        "isoinfo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The seed volume holds a `cidata` ISO whose files are exactly what the configuration says.
fn assert_seed_content(sandbox: &Sandbox, tf: &Terraform, user_data: &str) {
    let seed = output_string(tf, "seed");
    let iso = tf.dir().join("seed-download.iso");
    download(sandbox, &seed, &iso);
    let info = String::from_utf8(isoinfo(&iso, &["-d"])).expect("text");
    assert!(info.contains("Volume id: cidata"), "{info}");
    assert!(info.contains("Joliet"), "{info}");
    assert_eq!(
        String::from_utf8(isoinfo(&iso, &["-J", "-x", "/user-data"])).expect("UTF-8"),
        evaluated(user_data),
        "user-data is byte-exact"
    );
    assert_eq!(
        isoinfo(&iso, &["-J", "-x", "/meta-data"]),
        META_DATA.as_bytes()
    );
    assert_eq!(
        sha256_hex(&iso),
        output_string(tf, "seed_sha256"),
        "content_sha256 is the hash of the volume's bytes"
    );
}

#[test]
fn cloudinit_and_ignition_volumes_lifecycle() {
    let sandbox = Sandbox::start(&unique_name("acc-ci")).expect("sandbox starts");
    let prefix = "accci";
    let tf = Terraform::new(&sandbox, &config(prefix, USER_DATA_V1), PROVIDERS).expect("workspace");

    let plan = tf.plan().expect("plan");
    assert!(
        plan.stdout.contains("content_sha256")
            && plan.stdout.contains("(sensitive value)")
            && !plan.stdout.contains("bootcmd"),
        "plan shows the hash; user_data is sensitive: {}",
        plan.stdout
    );
    tf.apply().expect("apply");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan must be empty"
    );
    assert_seed_content(&sandbox, &tf, USER_DATA_V1);
    let ignition = download(
        &sandbox,
        &output_string(&tf, "ignition"),
        &tf.dir().join("ignition-download.json"),
    );
    assert_eq!(
        ignition,
        IGNITION.as_bytes(),
        "Ignition config is byte-exact"
    );

    // A content change is a replacement, announced by the plan, and applies as announced.
    let old_key = output_string(&tf, "seed");
    tf.write_main_tf(&config(prefix, USER_DATA_V2))
        .expect("write config");
    let plan = tf.plan().expect("plan");
    assert!(
        plan.stdout
            .contains("libvirt_cloudinit_disk.seed must be replaced")
            && plan.stdout.contains("1 to add, 0 to change, 1 to destroy"),
        "{}",
        plan.stdout
    );
    tf.apply().expect("apply the replacement");
    assert_eq!(tf.plan_detailed_exitcode().expect("plan"), 0);
    assert_seed_content(&sandbox, &tf, USER_DATA_V2);
    assert_eq!(
        output_string(&tf, "seed"),
        old_key,
        "same name, same key, new content"
    );

    // A volume removed outside Terraform is noticed and planned back.
    let out = sandbox.virsh(&["vol-delete", &old_key]).expect("virsh");
    assert!(out.success(), "{}", out.stderr);
    assert_eq!(tf.plan_detailed_exitcode().expect("plan"), 2);
    tf.apply().expect("apply recreates the seed");

    tf.destroy().expect("destroy");
    let pools = sandbox
        .virsh(&["pool-list", "--all", "--name"])
        .expect("virsh");
    assert!(
        !pools.stdout.contains(prefix),
        "pool left: {}",
        pools.stdout
    );
    let vol = sandbox.virsh(&["vol-info", &old_key]).expect("virsh");
    assert!(!vol.success(), "volume left: {}", vol.stdout);
}

// ---------------------------------------------------------------- a guest reads its seed

const GUEST_USER_DATA: &str = "#cloud-config\nhostname: guest-a\nwrite_files:\n  - path: /etc/kvmcloud-test\n    content: |\n      from terraform\n";
const GUEST_META_DATA: &str = "instance-id: guest-a-1\nlocal-hostname: meta-a\n";

fn guest_config(prefix: &str, image_dir: &Path, virt_type: &str, console_log: &str) -> String {
    let dir_pool = dir_pool_hcl(prefix);
    let boot_volumes = boot_volumes_hcl(image_dir);
    let os = direct_boot_os_hcl("console=ttyS0 quiet");
    format!(
        r#"
{LIBVIRT_PROVIDER}
{dir_pool}
{boot_volumes}
resource "libvirt_cloudinit_disk" "seed" {{
  name      = "guest-a-seed.iso"
  pool      = libvirt_pool.p.name
  user_data = {user_data}
  meta_data = {meta_data}
}}

resource "libvirt_domain" "guest" {{
  type = "{virt_type}"
  name = "{prefix}-guest"
  # The test image's busybox init ignores ACPI power-off: destroy at once.
  shutdown_timeout = 0
  memory {{
    value = 256
    unit  = "MiB"
  }}
  vcpu {{
    value = 1
  }}
{os}
  devices {{
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
        volume = libvirt_cloudinit_disk.seed.name
      }}
      target {{
        dev = "vdb"
        bus = "virtio"
      }}
      readonly {{}}
    }}
    serial {{
      type = "file"
      source {{
        path = "{console_log}"
      }}
      target {{
        port = 0
      }}
    }}
  }}
}}
"#,
        user_data = hcl(GUEST_USER_DATA),
        meta_data = hcl(GUEST_META_DATA),
    )
}

#[test]
fn a_guest_boots_and_reads_its_cloudinit_disk() {
    let sandbox = Sandbox::start(&unique_name("acc-cig")).expect("sandbox starts");
    let prefix = "acccig";
    let tf = Terraform::new(&sandbox, "", PROVIDERS).expect("workspace");
    let t = std::time::Instant::now();
    build_test_image(tf.dir());
    let image_time = t.elapsed();
    let console_log = format!("/var/lib/libvirt/qemu/{prefix}-guest-serial0.log");
    let virt_type = domain_type(&sandbox);
    tf.write_main_tf(&guest_config(prefix, tf.dir(), virt_type, &console_log))
        .expect("write config");

    let t = std::time::Instant::now();
    tf.apply().expect("apply");
    let apply_time = t.elapsed();
    let t = std::time::Instant::now();
    let log = [console_log];
    let console = wait_for_boot(&sandbox, &log, std::time::Duration::from_secs(120))
        .remove(&log[0])
        .expect("the console waited for");
    let marker_time = t.elapsed();
    // user-data's hostname wins over meta-data's local-hostname, as in cloud-init.
    assert_eq!(
        boot_marker(&console),
        Some("KVMCLOUD-BOOT-OK hostname=guest-a ip=none instance-id=guest-a-1 files=1"),
        "{console}"
    );
    let expected_file = tf.dir().join("expected-kvmcloud-test");
    std::fs::write(&expected_file, "from terraform\n").expect("write");
    let file_sha = format!(
        "KVMCLOUD-WROTE path=/etc/kvmcloud-test sha256={}",
        sha256_hex(&expected_file)
    );
    let wrote = console
        .lines()
        .find_map(|l| {
            l.find("KVMCLOUD-WROTE")
                .map(|i| l[i..].trim_end().to_string())
        })
        .expect("write_files line");
    assert_eq!(wrote, file_sha, "{console}");
    eprintln!(
        "libvirt_cloudinit: test image {:.1} s, apply (pool, 3 volumes, seed, {virt_type} domain) {:.1} s, \
         apply end to boot marker {:.1} s",
        image_time.as_secs_f64(),
        apply_time.as_secs_f64(),
        marker_time.as_secs_f64()
    );
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan is empty"
    );

    tf.destroy().expect("destroy");
    let left = sandbox.virsh(&["list", "--all", "--name"]).expect("virsh");
    assert!(
        !left.stdout.contains(prefix),
        "domain left: {}",
        left.stdout
    );
    let pools = sandbox
        .virsh(&["pool-list", "--all", "--name"])
        .expect("virsh");
    assert!(
        !pools.stdout.contains(prefix),
        "pool left: {}",
        pools.stdout
    );
}
