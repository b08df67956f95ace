//! Small helpers the libvirt acceptance tests share: test images, guest type, HCL quoting,
//! and assertions on virsh and terraform outputs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{Sandbox, Terraform};

/// `s` as an HCL string literal (JSON string syntax is valid HCL).
pub fn hcl(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// `virsh ARGS` inside the sandbox; panics with virsh's error when it fails.
pub fn virsh_ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let out = sandbox.virsh(args).expect("run virsh");
    assert!(out.success(), "virsh {args:?} failed: {}", out.stderr);
    out.stdout
}

/// Asserts that libvirt holds no domain, network or pool, and that `pool_dir` (a dir
/// pool's target path) holds no file: what a destroy must leave behind.
pub fn assert_libvirt_empty(sandbox: &Sandbox, pool_dir: &str) {
    for (what, args) in [
        ("domains", ["list", "--all", "--name"]),
        ("networks", ["net-list", "--all", "--name"]),
        ("pools", ["pool-list", "--all", "--name"]),
    ] {
        assert_eq!(
            virsh_ok(sandbox, &args).trim(),
            "",
            "no {what} left after destroy"
        );
    }
    let left = sandbox
        .exec(
            "sh",
            ["-c", &format!("ls -A {pool_dir} 2>/dev/null || true")],
        )
        .expect("list the pool directory");
    assert_eq!(left.stdout.trim(), "", "no volume files left in {pool_dir}");
}

/// Where tests have guests' serial consoles written (inside the sandbox), so that a guest
/// that never took its lease can be read after the fact.
pub const CONSOLE_LOG_DIR: &str = "/var/lib/libvirt/qemu";

/// The last lines of every console log under [`CONSOLE_LOG_DIR`] whose name starts with
/// `prefix`, each headed by its file name: what to print when guests did not come up.
pub fn console_logs(sandbox: &Sandbox, prefix: &str) -> String {
    let script = format!(
        "for f in {CONSOLE_LOG_DIR}/{prefix}*.log; do [ -f \"$f\" ] && echo \"== $f\" && tail -n 30 \"$f\"; done; true"
    );
    match sandbox.exec("sh", ["-c", &script]) {
        Ok(out) if !out.stdout.trim().is_empty() => out.stdout,
        Ok(_) => format!("(no console log {CONSOLE_LOG_DIR}/{prefix}*.log)"),
        Err(e) => format!("(console logs unreadable: {e})"),
    }
}

/// The last complete `KVMCLOUD-BOOT-...` line of a test-image guest's console: the line its
/// /init prints once it read its seed and asked for a lease (see scripts/test-image/init).
pub fn boot_marker(console: &str) -> Option<&str> {
    console
        .lines()
        .rev()
        .skip(usize::from(!console.ends_with('\n')))
        .find_map(|line| line.find("KVMCLOUD-BOOT-").map(|at| line[at..].trim_end()))
}

/// The console logs at `logs` (paths inside the sandbox) once each holds a boot marker, by
/// path; panics after `limit` showing what they hold.
pub fn wait_for_boot(
    sandbox: &Sandbox,
    logs: &[String],
    limit: Duration,
) -> BTreeMap<String, String> {
    let started = Instant::now();
    let read = |log: &String| {
        sandbox
            .exec("cat", [log])
            .map(|o| o.stdout)
            .unwrap_or_default()
    };
    let mut booted = BTreeMap::new();
    loop {
        for log in logs {
            if !booted.contains_key(log) {
                let console = read(log);
                if boot_marker(&console).is_some() {
                    booted.insert(log.clone(), console);
                }
            }
        }
        if booted.len() == logs.len() {
            return booted;
        }
        if started.elapsed() > limit {
            let consoles: Vec<String> = logs
                .iter()
                .map(|log| format!("== {log}\n{}", read(log)))
                .collect();
            panic!(
                "no boot marker within {limit:?}; consoles:\n{}",
                consoles.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// A root output that must be a string.
pub fn output_string(tf: &Terraform, name: &str) -> String {
    tf.output_json().expect("outputs")[name]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("output {name} is not a string"))
        .to_string()
}

/// An empty qcow2 image of `size` (qemu-img syntax, e.g. "64M") at `dir/name`; its path.
pub fn make_qcow2(dir: &Path, name: &str, size: &str) -> String {
    let path = dir.join(name);
    let status = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&path)
        .arg(size)
        .status()
        .expect("qemu-img must be installed (qemu-utils)");
    assert!(status.success(), "qemu-img create failed");
    path.to_string_lossy().into_owned()
}

/// Builds (or reuses from .build/test-image) the bootable test image into `dir`:
/// `vmlinuz` and `initrd.img` (see scripts/build-test-image.sh).
pub fn build_test_image(dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/build-test-image.sh");
    let out = Command::new(&script)
        .arg(dir)
        .output()
        .expect("run scripts/build-test-image.sh");
    assert!(
        out.status.success(),
        "build-test-image.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kvm` where the sandbox's libvirt can use it, else `qemu` (TCG): detected, not assumed.
pub fn domain_type(sandbox: &Sandbox) -> &'static str {
    let kvm = sandbox
        .virsh(&["domcapabilities", "--virttype", "kvm"])
        .expect("virsh");
    if kvm.success() {
        "kvm"
    } else {
        "qemu"
    }
}

/// The `terraform` block naming our libvirt provider, which every test configuration starts with.
pub const LIBVIRT_PROVIDER: &str = r#"terraform {
  required_providers {
    libvirt = { source = "kvmcloud/libvirt" }
  }
}
"#;

/// A directory pool `libvirt_pool.p` named `PREFIX-pool` under /var/lib/libvirt (inside the sandbox).
pub fn dir_pool_hcl(prefix: &str) -> String {
    format!(
        r#"resource "libvirt_pool" "p" {{
  type = "dir"
  name = "{prefix}-pool"
  target {{
    path = "/var/lib/libvirt/{prefix}-pool"
  }}
}}
"#
    )
}

/// Kernel command line of guests that boot the test image and take a lease: the console on
/// ttyS0 (with earlyprintk, so a kernel that dies before its console starts still says why) and
/// two minutes of DHCP tries (the bridge port may wait; a loaded machine slows the guest down).
pub const TEST_IMAGE_CMDLINE: &str =
    "console=ttyS0 earlyprintk=serial,ttyS0 quiet kvmcloud.dhcp_tries=120";

/// terraform.tfvars lines the examples (quickstart, k3s-cluster) share to boot the test image
/// in `image_dir`: direct kernel boot with [`TEST_IMAGE_CMDLINE`], consoles logged under
/// [`CONSOLE_LOG_DIR`], destroy at once (the image ignores ACPI), apply waiting for leases.
pub fn test_image_boot_tfvars(image_dir: &Path) -> String {
    let image = |f: &str| hcl(&image_dir.join(f).to_string_lossy());
    format!(
        r#"kernel_image        = {kernel}
initrd_image        = {initrd}
kernel_cmdline      = {cmdline}
console_log_dir     = "{CONSOLE_LOG_DIR}"
shutdown_timeout    = 0
wait_for_ip_timeout = 300
"#,
        kernel = image("vmlinuz"),
        initrd = image("initrd.img"),
        cmdline = hcl(TEST_IMAGE_CMDLINE),
    )
}

/// The `os` block of a domain booting the test image from [`boot_volumes_hcl`]'s volumes with
/// the kernel command line `cmdline`, indented as a block of a resource.
pub fn direct_boot_os_hcl(cmdline: &str) -> String {
    format!(
        r#"  os {{
    type {{
      value   = "hvm"
      machine = "pc"
    }}
    kernel  = libvirt_volume.kernel.id
    initrd  = libvirt_volume.initrd.id
    cmdline = {}
  }}"#,
        hcl(cmdline)
    )
}

/// Raw volumes `libvirt_volume.kernel` and `libvirt_volume.initrd` in `libvirt_pool.p`, uploaded
/// from the test image in `image_dir`: the test image boots directly from them (no root disk).
pub fn boot_volumes_hcl(image_dir: &Path) -> String {
    let image = |f: &str| hcl(&image_dir.join(f).to_string_lossy());
    let volume = |resource: &str, name: &str| {
        let source = image(name);
        format!(
            r#"resource "libvirt_volume" "{resource}" {{
  pool           = libvirt_pool.p.name
  name           = "{name}"
  content_source = {source}
  target {{
    format {{
      type = "raw"
    }}
  }}
}}
"#
        )
    };
    format!(
        "{}\n{}",
        volume("kernel", "vmlinuz"),
        volume("initrd", "initrd.img")
    )
}
