//! Realistic trees -> XML that libvirt's validator and libvirt itself (the in-process test
//! driver) accept, and back unchanged.

use libvirt_schema::{from_xml, to_xml, validate, Block, ElementSchema, Field};
use std::process::Command;

fn blocks(items: Vec<Block>) -> Field {
    Field::Blocks(items)
}

fn texts(items: &[&str]) -> Field {
    Field::TextList(items.iter().map(|s| s.to_string()).collect())
}

/// A libvirt object kind: its `virt-xml-validate` schema name and the `virsh` commands that
/// define it in the in-process test driver (`test:///default`) and print it back.
struct Kind {
    schema: &'static str,
    define: &'static str,
    dump: &'static str,
}

const NETWORK: Kind = Kind {
    schema: "network",
    define: "net-define",
    dump: "net-dumpxml",
};
const POOL: Kind = Kind {
    schema: "storagepool",
    define: "pool-define",
    dump: "pool-dumpxml",
};
const VOLUME: Kind = Kind {
    schema: "storagevol",
    define: "vol-create default-pool",
    dump: "vol-dumpxml --pool default-pool",
};
const DOMAIN: Kind = Kind {
    schema: "domain",
    define: "define",
    dump: "dumpxml",
};

/// Writes the tree as XML, checks it with `virt-xml-validate` and reads it back unchanged.
fn assert_schema_valid(schema: &ElementSchema, kind: &Kind, tree: &Block) -> String {
    assert_eq!(validate(schema, tree), vec![], "tree should be valid");
    let xml = to_xml(schema, tree).expect("tree maps to XML");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(format!("{}.xml", kind.schema));
    std::fs::write(&file, &xml).expect("write XML");
    let output = Command::new("virt-xml-validate")
        .arg(&file)
        .arg(kind.schema)
        .output()
        .expect("virt-xml-validate runs");
    assert!(
        output.status.success(),
        "virt-xml-validate rejected:\n{xml}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(&from_xml(schema, &xml).expect("XML reads back"), tree);
    xml
}

/// Has libvirt's test driver define the tree's XML: what libvirt prints back must contain
/// every field set (trees use libvirt's canonical forms, e.g. units, so values compare equal).
/// Namespaced extensions (qemu:, dnsmasq:) belong to the real drivers and are not checked here.
fn assert_test_driver_keeps(schema: &ElementSchema, kind: &Kind, tree: &Block) {
    let xml = assert_schema_valid(schema, kind, tree);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(format!("{}.xml", kind.schema));
    std::fs::write(&file, &xml).expect("write XML");
    let Some(Field::Text(name)) = tree.fields.get("name") else {
        panic!("test trees have a name");
    };
    // One virsh process: the test driver's state lives only as long as the process.
    let output = Command::new("virsh")
        .arg("-c")
        .arg("test:///default")
        .arg(format!(
            "{} {}; {} {name}",
            kind.define,
            file.display(),
            kind.dump
        ))
        .output()
        .expect("virsh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "libvirt rejected:\n{xml}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = &stdout[stdout.find('<').expect("virsh printed XML")..];
    let back = from_xml(schema, printed).expect("libvirt's XML reads");
    if let Err(path) = contained_in(tree, &back) {
        panic!("libvirt lost or changed {path}:\nsent:\n{xml}\nprinted:\n{printed}");
    }
}

/// Every field of `sent` is in `printed` with the same value (libvirt adds defaults);
/// the error is the path of the first field that is not.
fn contained_in(sent: &Block, printed: &Block) -> Result<(), String> {
    for (name, field) in &sent.fields {
        let other = printed.fields.get(name).ok_or_else(|| name.clone())?;
        let nested = |r: Result<(), String>| r.map_err(|p| format!("{name}.{p}"));
        match (field, other) {
            (Field::Block(a), Field::Block(b)) => nested(contained_in(a, b))?,
            // libvirt adds devices of its own (controllers, ...): each block sent must be in a
            // different printed block.
            (Field::Blocks(a), Field::Blocks(b)) => {
                let mut unused: Vec<&Block> = b.iter().collect();
                for (i, item) in a.iter().enumerate() {
                    let found = unused.iter().position(|p| contained_in(item, p).is_ok());
                    match found {
                        Some(at) => {
                            unused.remove(at);
                        }
                        None => {
                            let closest = b
                                .get(i)
                                .map_or(Err(String::new()), |p| contained_in(item, p));
                            return Err(format!(
                                "{name}[{i}]{}",
                                closest.err().map_or(String::new(), |p| format!(".{p}"))
                            ));
                        }
                    }
                }
            }
            (a, b) if a == b => {}
            _ => return Err(name.clone()),
        }
    }
    Ok(())
}

#[test]
fn nat_network_with_dhcp_and_dns_hosts() {
    let tree = Block::default()
        .text("name", "tf-nat")
        .text("uuid", "8f6e2c44-4b4e-4d7e-9a57-3f1f3f0c2b11")
        .with(
            "forward",
            Field::Block(Block::default().text("mode", "nat").with(
                "nat",
                Field::Block(Block::default().with(
                    "port",
                    Field::Block(Block::default().text("start", "1024").text("end", "65535")),
                )),
            )),
        )
        .with(
            "bridge",
            Field::Block(
                Block::default()
                    .text("name", "virbr-tf0")
                    .text("stp", "on")
                    .text("delay", "0"),
            ),
        )
        .with(
            "domain",
            Field::Block(
                Block::default()
                    .text("name", "tf.local")
                    .text("local_only", "yes"),
            ),
        )
        .with(
            "dns",
            Field::Block(Block::default().with(
                "host",
                blocks(vec![
                    Block::default()
                        .text("ip", "192.168.150.10")
                        .with("hostname", texts(&["web", "web.tf.local"])),
                    Block::default()
                        .text("ip", "192.168.150.11")
                        .with("hostname", texts(&["db"])),
                ]),
            )),
        )
        .with(
            "ip",
            blocks(vec![Block::default()
                .text("address", "192.168.150.1")
                .text("netmask", "255.255.255.0")
                .with(
                    "dhcp",
                    Field::Block(
                        Block::default()
                            .with(
                                "range",
                                blocks(vec![Block::default()
                                    .text("start", "192.168.150.100")
                                    .text("end", "192.168.150.200")]),
                            )
                            .with(
                                "host",
                                blocks(vec![Block::default()
                                    .text("mac", "52:54:00:6c:3c:01")
                                    .text("name", "web")
                                    .text("ip", "192.168.150.10")]),
                            ),
                    ),
                )]),
        );
    assert_test_driver_keeps(libvirt_schema::network(), &NETWORK, &tree);
    let xml = to_xml(libvirt_schema::network(), &tree).expect("maps");
    assert!(xml.contains("<hostname>web.tf.local</hostname>"), "{xml}");
}

#[test]
fn network_with_dnsmasq_namespace() {
    let tree = Block::default().text("name", "tf-ns").with(
        "dnsmasq_options",
        Field::Block(Block::default().with(
            "option",
            blocks(vec![Block::default().text("value", "log-queries")]),
        )),
    );
    let xml = assert_schema_valid(libvirt_schema::network(), &NETWORK, &tree);
    assert!(
        xml.starts_with(
            "<network xmlns:dnsmasq=\"http://libvirt.org/schemas/network/dnsmasq/1.0\">"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<dnsmasq:option value=\"log-queries\"/>"),
        "{xml}"
    );
}

#[test]
fn dir_pool() {
    let tree = Block::default()
        .text("type", "dir")
        .text("name", "tf-images")
        .with(
            "target",
            Field::Block(
                Block::default()
                    .text("path", "/var/lib/libvirt/images/tf")
                    .with(
                        "permissions",
                        Field::Block(
                            Block::default()
                                .text("mode", "0755")
                                .text("owner", "0")
                                .text("group", "0"),
                        ),
                    ),
            ),
        );
    assert_test_driver_keeps(libvirt_schema::storage_pool(), &POOL, &tree);
}

#[test]
fn qcow2_volume_with_backing_store() {
    let format = |t: &str| Field::Block(Block::default().text("type", t));
    let tree = Block::default()
        .text("name", "web.qcow2")
        .with(
            "capacity",
            Field::Block(
                Block::default()
                    .text("unit", "bytes")
                    .text("value", "10737418240"),
            ),
        )
        .with(
            "target",
            Field::Block(Block::default().with("format", format("qcow2"))),
        )
        .with(
            "backing_store",
            Field::Block(
                Block::default()
                    .text("path", "/var/lib/libvirt/images/tf/base.qcow2")
                    .with("format", format("qcow2")),
            ),
        );
    assert_test_driver_keeps(libvirt_schema::storage_volume(), &VOLUME, &tree);
    let xml = to_xml(libvirt_schema::storage_volume(), &tree).expect("maps");
    assert!(
        xml.contains("<capacity unit=\"bytes\">10737418240</capacity>"),
        "{xml}"
    );
}

/// In canonical form, as `from_xml` returns it (libvirt re-indents it when printing).
const OSINFO_METADATA: &str =
    "<libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\
     <libosinfo:os id=\"http://debian.org/debian/12\"/></libosinfo:libosinfo>";

#[test]
fn qemu_domain_with_disk_network_and_qemu_commandline() {
    let attrs = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .fold(Block::default(), |b, (k, v)| b.text(k, *v))
    };
    let one = |pairs: &[(&str, &str)]| Field::Block(attrs(pairs));
    let devices = Block::default()
        .text("emulator", "/usr/bin/qemu-system-x86_64")
        .with(
            "disk",
            blocks(vec![attrs(&[("type", "file"), ("device", "disk")])
                .with("driver", one(&[("name", "qemu"), ("type", "qcow2")]))
                .with(
                    "source",
                    one(&[("file", "/var/lib/libvirt/images/tf/web.qcow2")]),
                )
                .with("target", one(&[("dev", "vda"), ("bus", "virtio")]))]),
        )
        .with(
            "interface",
            blocks(vec![attrs(&[("type", "network")])
                .with("source", one(&[("network", "tf-nat")]))
                .with("mac", one(&[("address", "52:54:00:6c:3c:01")]))
                .with("model", one(&[("type", "virtio")]))]),
        )
        .with("console", blocks(vec![attrs(&[("type", "pty")])]));
    let tree = attrs(&[("type", "qemu")])
        .text("name", "web")
        .text("metadata", OSINFO_METADATA)
        .with("memory", one(&[("unit", "KiB"), ("value", "524288")]))
        .with("vcpu", one(&[("value", "1")]))
        .with(
            "os",
            Field::Block(
                Block::default()
                    .with(
                        "type",
                        one(&[("arch", "x86_64"), ("machine", "pc"), ("value", "hvm")]),
                    )
                    .text("kernel", "/var/lib/libvirt/boot/vmlinuz")
                    .text("cmdline", "console=ttyS0 root=/dev/vda")
                    .with("boot", blocks(vec![attrs(&[("dev", "hd")])])),
            ),
        )
        .with("devices", Field::Block(devices));
    assert_test_driver_keeps(libvirt_schema::domain(), &DOMAIN, &tree);

    let tree = tree.with(
        "qemu_commandline",
        Field::Block(Block::default().with("arg", blocks(vec![attrs(&[("value", "-snapshot")])]))),
    );
    let xml = assert_schema_valid(libvirt_schema::domain(), &DOMAIN, &tree);
    assert!(xml.contains("<qemu:arg value=\"-snapshot\"/>"), "{xml}");
}

#[test]
fn domain_with_common_devices_features_and_a_backing_chain() {
    let attrs = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .fold(Block::default(), |b, (k, v)| b.text(k, *v))
    };
    let one = |pairs: &[(&str, &str)]| Field::Block(attrs(pairs));
    let many = |items: Vec<Block>| Field::Blocks(items);
    let root_disk = attrs(&[("type", "file"), ("device", "disk")])
        .with("driver", one(&[("name", "qemu"), ("type", "qcow2")]))
        .with(
            "source",
            one(&[("file", "/var/lib/libvirt/images/tf/web.qcow2")]),
        )
        .with(
            "backing_store",
            Field::Block(
                attrs(&[("type", "file")])
                    .with("format", one(&[("type", "qcow2")]))
                    .with(
                        "source",
                        one(&[("file", "/var/lib/libvirt/images/tf/base.qcow2")]),
                    ),
            ),
        )
        .with("target", one(&[("dev", "vda"), ("bus", "virtio")]));
    let cdrom = attrs(&[("type", "file"), ("device", "cdrom")])
        .with("driver", one(&[("name", "qemu"), ("type", "raw")]))
        .with(
            "source",
            one(&[("file", "/var/lib/libvirt/images/tf/seed.iso")]),
        )
        .with("target", one(&[("dev", "sda"), ("bus", "sata")]))
        .with("readonly", Field::Block(Block::default()));
    let devices = Block::default()
        .with("disk", many(vec![root_disk, cdrom]))
        .with(
            "controller",
            many(vec![attrs(&[
                ("type", "usb"),
                ("index", "0"),
                ("model", "qemu-xhci"),
            ])]),
        )
        .with(
            "serial",
            many(vec![
                attrs(&[("type", "pty")]).with("target", one(&[("port", "0")]))
            ]),
        )
        .with(
            "console",
            many(vec![
                attrs(&[("type", "pty")]).with("target", one(&[("type", "serial"), ("port", "0")]))
            ]),
        )
        .with(
            "channel",
            many(vec![attrs(&[("type", "unix")]).with(
                "target",
                one(&[("type", "virtio"), ("name", "org.qemu.guest_agent.0")]),
            )]),
        )
        .with(
            "devices_input",
            many(vec![attrs(&[("type", "tablet"), ("bus", "usb")])]),
        )
        .with(
            "graphics",
            many(vec![attrs(&[
                ("type", "vnc"),
                ("port", "-1"),
                ("autoport", "yes"),
            ])
            .with(
                "listen_element",
                many(vec![attrs(&[
                    ("type", "address"),
                    ("address", "127.0.0.1"),
                ])]),
            )]),
        )
        .with(
            "video",
            many(vec![Block::default().with(
                "model",
                one(&[("type", "virtio"), ("heads", "1"), ("primary", "yes")]),
            )]),
        )
        .with("memballoon", one(&[("model", "virtio")]))
        .with(
            "rng",
            many(vec![attrs(&[("model", "virtio")]).with(
                "backend",
                one(&[("model", "random"), ("value", "/dev/urandom")]),
            )]),
        );
    let tree = attrs(&[("type", "qemu")])
        .text("name", "kitchen")
        .with("memory", one(&[("unit", "KiB"), ("value", "1048576")]))
        .with("vcpu", one(&[("placement", "static"), ("value", "2")]))
        .with(
            "os",
            Field::Block(
                Block::default().with("type", one(&[("arch", "x86_64"), ("value", "hvm")])),
            ),
        )
        .with(
            "features",
            Field::Block(
                Block::default()
                    .with("acpi", Field::Block(Block::default()))
                    .with("apic", Field::Block(Block::default())),
            ),
        )
        .with("cpu", one(&[("mode", "host-model")]))
        .with("clock", one(&[("offset", "utc")]))
        .text("on_poweroff", "destroy")
        .text("on_reboot", "restart")
        .text("on_crash", "destroy")
        .with("devices", Field::Block(devices));
    assert_test_driver_keeps(libvirt_schema::domain(), &DOMAIN, &tree);
}

#[test]
fn validation_names_the_path_and_the_allowed_values() {
    let tree = Block::default().text("name", "n").with(
        "forward",
        Field::Block(Block::default().text("mode", "natt")),
    );
    let errors = validate(libvirt_schema::network(), &tree);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path.to_string(), "forward.mode");
    assert!(
        errors[0].message.contains("nat, route"),
        "{}",
        errors[0].message
    );
}
