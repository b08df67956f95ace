//! libvirt_domain (and the domain data sources) through the real terraform CLI against a
//! private libvirtd with real QEMU (TCG: KVM is not usable on these machines):
//! 20 defined-but-stopped domains apply with an empty second plan and destroy, timed
//! against 20 `terraform_data`; one disk-less domain starts, survives an announced
//! restart, is imported by name and is destroyed cleanly; a guest that stops while apply
//! waits for its IP fails the apply at once (not at the timeout) and stays recorded.

use std::time::{Duration, Instant};

use acceptance_tests::fixtures::{
    assert_libvirt_empty, boot_volumes_hcl, build_test_image, dir_pool_hcl, direct_boot_os_hcl,
    domain_type, virsh_ok, LIBVIRT_PROVIDER,
};
use acceptance_tests::{unique_name, LocalProvider, Sandbox, Terraform};

const PROVIDERS: &[LocalProvider] = &[LocalProvider::Libvirt];

/// A realistic stopped domain: machine alias, boot order, features, clock, devices and
/// a QEMU command-line argument, as users write them.
fn stopped_domains(count: usize) -> String {
    format!(
        r#"{LIBVIRT_PROVIDER}
resource "libvirt_domain" "d" {{
  count   = {count}
  type    = "qemu"
  name    = "acc-dom-${{count.index}}"
  running = false
  memory {{
    value = 64
    unit  = "MiB"
  }}
  vcpu {{
    value = 1
  }}
  os {{
    type {{
      value   = "hvm"
      arch    = "x86_64"
      machine = "pc"
    }}
    boot {{
      dev = "hd"
    }}
    boot {{
      dev = "network"
    }}
  }}
  features {{
    acpi {{}}
    apic {{}}
  }}
  clock {{
    offset = "utc"
    timer {{
      name       = "rtc"
      tickpolicy = "catchup"
    }}
  }}
  on_poweroff = "destroy"
  on_reboot   = "restart"
  on_crash    = "destroy"
  devices {{
    disk {{
      type   = "file"
      device = "disk"
      driver {{
        name = "qemu"
        type = "qcow2"
      }}
      source {{
        file = "/var/lib/libvirt/images/acc-dom-${{count.index}}.qcow2"
      }}
      target {{
        dev = "vda"
        bus = "virtio"
      }}
    }}
    serial {{
      type = "pty"
      target {{
        port = 0
      }}
    }}
    console {{
      type = "pty"
      target {{
        type = "serial"
        port = 0
      }}
    }}
  }}
  qemu_commandline {{
    arg {{
      value = "-fw_cfg"
    }}
    arg {{
      value = "name=opt/com.coreos/config,string=acc-${{count.index}}"
    }}
  }}
}}
"#
    )
}

fn terraform_data(count: usize) -> String {
    format!(
        r#"resource "terraform_data" "d" {{
  count = {count}
  input = "acc-dom-${{count.index}}"
}}
"#
    )
}

/// Wall time of `terraform apply` and of the following (empty) plan.
fn apply_then_plan(tf: &Terraform) -> (Duration, Duration) {
    let start = Instant::now();
    tf.apply().expect("apply");
    let applied = start.elapsed();
    let start = Instant::now();
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan must be empty"
    );
    (applied, start.elapsed())
}

#[test]
fn twenty_stopped_domains_apply_plan_empty_and_destroy() {
    const COUNT: usize = 20;
    let sandbox = Sandbox::start(&unique_name("acc-dom20")).expect("sandbox starts");
    let tf = Terraform::new(&sandbox, &stopped_domains(COUNT), PROVIDERS).expect("workspace");
    let (dom_apply, dom_plan) = apply_then_plan(&tf);

    let names = virsh_ok(&sandbox, &["list", "--all", "--name"]);
    assert_eq!(names.split_whitespace().count(), COUNT, "{names}");
    let inactive = virsh_ok(&sandbox, &["list", "--inactive", "--name"]);
    assert_eq!(inactive.split_whitespace().count(), COUNT, "none started");
    let xml = virsh_ok(&sandbox, &["dumpxml", "acc-dom-0"]);
    assert!(
        xml.contains("machine='pc-"),
        "libvirt expanded the alias: {xml}"
    );
    assert!(
        xml.contains("opt/com.coreos/config"),
        "qemu:commandline kept: {xml}"
    );

    tf.destroy().expect("destroy");
    assert_eq!(
        virsh_ok(&sandbox, &["list", "--all", "--name"]).trim(),
        "",
        "no domain left"
    );

    // Baseline in the same sandbox: 20 terraform_data.
    let base = Terraform::new(&sandbox, &terraform_data(COUNT), &[]).expect("workspace");
    let (data_apply, data_plan) = apply_then_plan(&base);
    base.destroy().expect("destroy");
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "20 libvirt_domain (running = false): apply {:.2} s, second plan {:.2} s; \
         20 terraform_data: apply {:.2} s, second plan {:.2} s; ratio apply {:.2}x, plan {:.2}x",
        dom_apply.as_secs_f64(),
        dom_plan.as_secs_f64(),
        data_apply.as_secs_f64(),
        data_plan.as_secs_f64(),
        ratio(dom_apply, data_apply),
        ratio(dom_plan, data_plan),
    );
}

fn running_domain(on_crash: &str, link: &str) -> String {
    format!(
        r#"{LIBVIRT_PROVIDER}
resource "libvirt_domain" "vm" {{
  type             = "qemu"
  name             = "acc-run"
  shutdown_timeout = 2
  memory {{
    value = 64
    unit  = "MiB"
  }}
  vcpu {{
    value = 1
  }}
  os {{
    type {{
      value   = "hvm"
      machine = "pc"
    }}
  }}
  on_crash = "{on_crash}"
  devices {{
    serial {{
      type = "pty"
    }}
    interface {{
      type = "user"
      mac {{
        address = "52:54:00:ac:00:01"
      }}
      model {{
        type = "virtio"
      }}
      link {{
        state = "{link}"
      }}
    }}
  }}
}}

data "libvirt_domain" "vm" {{
  name = libvirt_domain.vm.name
}}

data "libvirt_node_info" "host" {{}}

output "uuid" {{
  value = libvirt_domain.vm.id
}}
output "looked_up" {{
  value = data.libvirt_domain.vm.uuid
}}
output "host_cpus" {{
  value = data.libvirt_node_info.host.cpus
}}
"#
    )
}

#[test]
fn running_tcg_domain_starts_restarts_imports_and_is_destroyed() {
    let sandbox = Sandbox::start(&unique_name("acc-domrun")).expect("sandbox starts");
    let tf =
        Terraform::new(&sandbox, &running_domain("destroy", "up"), PROVIDERS).expect("workspace");
    tf.apply().expect("apply");
    assert_eq!(
        virsh_ok(&sandbox, &["domstate", "acc-run"]).trim(),
        "running"
    );
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan empty"
    );
    let outputs = tf.output_json().expect("outputs");
    let uuid = outputs["uuid"]["value"].as_str().expect("uuid").to_string();
    assert_eq!(outputs["looked_up"]["value"].as_str(), Some(uuid.as_str()));
    assert!(outputs["host_cpus"]["value"]
        .as_u64()
        .is_some_and(|n| n > 0));

    // Link state changes live: no restart announced, the running guest sees it.
    tf.write_main_tf(&running_domain("destroy", "down"))
        .unwrap();
    let plan = tf.plan().expect("plan");
    let said = format!("{}{}", plan.stdout, plan.stderr);
    assert!(!said.contains("will be restarted"), "{said}");
    tf.apply().expect("apply the link change");
    let link = virsh_ok(&sandbox, &["domif-getlink", "acc-run", "52:54:00:ac:00:01"]);
    assert!(link.contains("down"), "{link}");
    assert_eq!(tf.plan_detailed_exitcode().unwrap(), 0);
    tf.write_main_tf(&running_domain("destroy", "up")).unwrap();
    tf.apply().expect("apply the link change back");

    // A change libvirt cannot apply live: the plan announces the restart, apply does it.
    tf.write_main_tf(&running_domain("restart", "up")).unwrap();
    let plan = tf.plan().expect("plan");
    assert!(
        plan.stdout.contains("update in-place") && !plan.stdout.contains("must be replaced"),
        "{}",
        plan.stdout
    );
    let announced = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        announced.contains("libvirt_domain.acc-run will be restarted to apply: on_crash"),
        "{announced}"
    );
    tf.apply().expect("apply the restart");
    assert_eq!(
        virsh_ok(&sandbox, &["domstate", "acc-run"]).trim(),
        "running"
    );
    let xml = virsh_ok(&sandbox, &["dumpxml", "--inactive", "acc-run"]);
    assert!(xml.contains("<on_crash>restart</on_crash>"), "{xml}");
    assert_eq!(tf.plan_detailed_exitcode().unwrap(), 0);

    // Import by name: same domain, and no replacement afterwards.
    tf.run(&["state", "rm", "libvirt_domain.vm"])
        .unwrap()
        .into_success()
        .expect("state rm");
    tf.import("libvirt_domain.vm", "acc-run")
        .expect("import by name");
    let plan = tf.plan().expect("plan after import");
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    tf.apply().expect("apply after import");
    assert_eq!(tf.plan_detailed_exitcode().unwrap(), 0);
    assert_eq!(
        tf.output_json().unwrap()["uuid"]["value"].as_str(),
        Some(uuid.as_str())
    );

    // Destroy: the guest has no OS to honour ACPI, so it is destroyed after the timeout.
    tf.destroy().expect("destroy");
    assert_eq!(
        virsh_ok(&sandbox, &["list", "--all", "--name"]).trim(),
        "",
        "no domain left"
    );
}

#[test]
fn failed_start_is_recorded_tainted_and_unknown_machine_is_refused_at_plan() {
    let sandbox = Sandbox::start(&unique_name("acc-dombad")).expect("sandbox starts");
    let domain = |machine: &str, disk: &str| {
        format!(
            r#"{LIBVIRT_PROVIDER}
resource "libvirt_domain" "vm" {{
  type             = "qemu"
  name             = "acc-bad"
  shutdown_timeout = 0
  memory {{
    value = 64
    unit  = "MiB"
  }}
  os {{
    type {{
      value   = "hvm"
      arch    = "x86_64"
      machine = "{machine}"
    }}
  }}
  devices {{
    disk {{
      type   = "file"
      device = "disk"
      source {{
        file = "{disk}"
      }}
      target {{
        dev = "vda"
        bus = "virtio"
      }}
    }}
  }}
}}
"#
        )
    };
    let bogus = domain("pc-bogus-1.0", "/nonexistent.img");
    let machine_line = 1 + bogus
        .lines()
        .position(|l| l.contains("machine ="))
        .expect("machine line");
    let tf = Terraform::new(&sandbox, &bogus, PROVIDERS).expect("workspace");
    let out = tf.run(&["plan", "-no-color", "-input=false"]).unwrap();
    assert!(!out.success(), "an unknown machine fails the plan");
    // Terraform turns the diagnostic's attribute path into the configuration line.
    assert!(
        out.stderr.contains("Unknown machine type \"pc-bogus-1.0\"")
            && out
                .stderr
                .contains(&format!("on main.tf line {machine_line}"))
            && out.stderr.contains("q35"),
        "{}",
        out.stderr
    );

    // QEMU cannot open the disk: define succeeds, start fails, and the domain is
    // recorded (tainted) rather than orphaned.
    tf.write_main_tf(&domain("pc", "/nonexistent.img")).unwrap();
    let out = tf
        .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .unwrap();
    assert!(!out.success(), "start fails: {}", out.stdout);
    assert!(out.stderr.contains("starting the domain"), "{}", out.stderr);
    let shown = tf
        .state_show("libvirt_domain.vm")
        .expect("recorded in state");
    assert!(shown.contains("tainted"), "{shown}");
    assert_eq!(
        virsh_ok(&sandbox, &["list", "--all", "--name"]).trim(),
        "acc-bad"
    );

    // Fixing the disk replaces the tainted domain; destroy leaves nothing.
    let image = tf.dir().join("disk.img");
    std::fs::write(&image, vec![0u8; 1 << 20]).unwrap();
    tf.write_main_tf(&domain("pc", &image.to_string_lossy()))
        .unwrap();
    tf.apply().expect("apply replaces the tainted domain");
    assert_eq!(
        virsh_ok(&sandbox, &["domstate", "acc-bad"]).trim(),
        "running"
    );
    tf.destroy().expect("destroy");
    assert_eq!(
        virsh_ok(&sandbox, &["list", "--all", "--name"]).trim(),
        "",
        "no domain left"
    );
}

/// The test image booted with busybox `reboot -f` as its init and `on_reboot = "destroy"`: a
/// guest that stops at once, before it could ever take a lease. (Not `poweroff`: the test
/// image's guests have no ACPI tables to power off with, so the kernel would only halt.)
fn stopping_guest(image_dir: &std::path::Path, virt_type: &str) -> String {
    let dir_pool = dir_pool_hcl("accoff");
    let boot_volumes = boot_volumes_hcl(image_dir);
    // Arguments after "--" go to init.
    let os = direct_boot_os_hcl("console=ttyS0 quiet rdinit=/bin/reboot -- -f");
    format!(
        r#"{LIBVIRT_PROVIDER}
{dir_pool}
{boot_volumes}
resource "libvirt_domain" "vm" {{
  type                = "{virt_type}"
  name                = "acc-off"
  shutdown_timeout    = 0
  wait_for_ip_timeout = 600
  on_reboot           = "destroy"
  memory {{
    value = 128
    unit  = "MiB"
  }}
{os}
  devices {{
    interface {{
      type = "user"
      model {{
        type = "virtio"
      }}
    }}
  }}
}}
"#
    )
}

#[test]
fn a_guest_that_stops_while_apply_waits_for_its_ip_fails_the_apply_and_stays_recorded() {
    let sandbox = Sandbox::start(&unique_name("acc-domoff")).expect("sandbox starts");
    let tf = Terraform::new(&sandbox, "", PROVIDERS).expect("workspace");
    build_test_image(tf.dir());
    tf.write_main_tf(&stopping_guest(tf.dir(), domain_type(&sandbox)))
        .expect("write config");

    let started = Instant::now();
    let out = tf
        .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .expect("run apply");
    let failed_after = started.elapsed();
    assert!(!out.success(), "apply must fail: {}", out.stdout);
    // Not the timeout's "No IP address in time": the wait noticed the guest was gone.
    assert!(
        out.stderr
            .contains("The domain stopped before it had an IP address")
            && out.stderr.contains("wait_for_ip_timeout"),
        "{}",
        out.stderr
    );
    let shown = tf
        .state_show("libvirt_domain.vm")
        .expect("recorded in state");
    assert!(shown.contains("tainted"), "{shown}");
    eprintln!(
        "libvirt_domain: a guest stopping during the IP wait failed the apply after {:.1} s (wait_for_ip_timeout 600 s)",
        failed_after.as_secs_f64()
    );

    tf.destroy().expect("destroy");
    assert_libvirt_empty(&sandbox, "/var/lib/libvirt/accoff-pool");
}
