//! The sandbox is private: what libvirt creates in it (definitions, bridges, dnsmasq) never shows
//! on the host, and stopping it leaves no process, namespace, bridge or state behind.

use std::path::Path;
use std::process::Command;

use acceptance_tests::{unique_name, Sandbox};

const NETWORK: &str = "acc-isolated";
const BRIDGE: &str = "virbr-acciso";

fn network_xml() -> String {
    format!(
        "<network><name>{NETWORK}</name><forward mode='nat'/><bridge name='{BRIDGE}'/>\
         <ip address='192.168.151.1' netmask='255.255.255.0'><dhcp>\
         <range start='192.168.151.10' end='192.168.151.50'/></dhcp></ip></network>"
    )
}

fn host_output(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {program} on the host: {err}"))
}

fn host_has_link(name: &str) -> bool {
    host_output("ip", &["link", "show", name]).status.success()
}

fn host_netns_list() -> String {
    String::from_utf8_lossy(&host_output("ip", &["netns", "list"]).stdout).into_owned()
}

fn process_named(pid: u32, comm: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|found| found.trim() == comm)
}

/// Pids and names of every process in the sandbox's network namespace.
fn sandbox_processes(name: &str) -> Vec<(u32, String)> {
    let pids = host_output("ip", &["netns", "pids", name]);
    String::from_utf8_lossy(&pids.stdout)
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .filter_map(|pid: u32| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            Some((pid, comm.trim().to_string()))
        })
        .collect()
}

#[test]
fn network_defined_in_the_sandbox_stays_there_and_stop_leaves_nothing() {
    let name = unique_name("acc-iso");
    let sandbox = Sandbox::start(&name).expect("sandbox starts");
    let xml_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(xml_file.path(), network_xml()).expect("write network XML");
    let xml_path = xml_file.path().to_string_lossy().into_owned();

    for args in [
        vec!["net-define", xml_path.as_str()],
        vec!["net-start", NETWORK],
    ] {
        let output = sandbox.virsh(&args).expect("run virsh");
        assert!(output.success(), "virsh {args:?} failed: {}", output.stderr);
    }
    let inside = sandbox
        .virsh(&["net-list", "--all", "--name"])
        .expect("net-list");
    assert_eq!(
        inside.stdout.trim(),
        NETWORK,
        "the sandbox lists its own network"
    );
    let bridge_inside = sandbox
        .exec("ip", ["link", "show", BRIDGE])
        .expect("ip link");
    assert!(
        bridge_inside.success(),
        "bridge missing in the sandbox: {}",
        bridge_inside.stderr
    );

    // Host side: no bridge, no persistent definition, and a host libvirtd (if any) does not list it.
    assert!(!host_has_link(BRIDGE), "bridge {BRIDGE} leaked to the host");
    let host_definition = format!("/etc/libvirt/qemu/networks/{NETWORK}.xml");
    assert!(
        !Path::new(&host_definition).exists(),
        "{host_definition} written on the host"
    );
    let host_list = host_output(
        "virsh",
        &["-c", "qemu:///system", "net-list", "--all", "--name"],
    );
    if host_list.status.success() {
        let host_networks = String::from_utf8_lossy(&host_list.stdout);
        assert!(
            !host_networks.lines().any(|line| line.trim() == NETWORK),
            "host libvirtd lists the sandbox's network"
        );
    }

    let processes = sandbox_processes(&name);
    for daemon in ["libvirtd", "virtlogd", "dnsmasq"] {
        assert!(
            processes.iter().any(|(_, comm)| comm == daemon),
            "{daemon} not running in the sandbox: {processes:?}"
        );
    }
    let state_dir = sandbox.state_dir();
    sandbox.stop().expect("sandbox stops");

    let survivors: Vec<_> = processes
        .iter()
        .filter(|(pid, comm)| process_named(*pid, comm))
        .collect();
    assert!(
        survivors.is_empty(),
        "processes survived stop: {survivors:?}"
    );
    assert!(
        !host_netns_list()
            .lines()
            .any(|line| line.split_whitespace().next() == Some(name.as_str())),
        "netns {name} left behind"
    );
    assert!(!host_has_link(BRIDGE), "bridge {BRIDGE} left on the host");
    assert!(
        !state_dir.exists(),
        "state dir {} left behind",
        state_dir.display()
    );
}
