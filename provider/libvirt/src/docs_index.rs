//! What the libvirt provider adds to its generated documentation index (see
//! `tfplugin::docs::generator`), shared by the `libvirt-docs` binary and the docs test.

use tfplugin::docs::generator::IndexText;

pub const INDEX: IndexText = IndexText {
    name: "libvirt",
    example_hcl: PROVIDER_EXAMPLE,
    guide_md: GUIDE,
};

const PROVIDER_EXAMPLE: &str = r#"terraform {
  required_providers {
    libvirt = {
      source = "kvmcloud/libvirt"
    }
  }
}

# The local system libvirtd. Leaving `uri` out has the same effect unless
# LIBVIRT_DEFAULT_URI is set.
provider "libvirt" {
  uri = "qemu:///system"
}"#;

/// Provider-specific sections of the index page. Every `terraform` block in it is checked
/// with `terraform validate` by the `docs_current` test.
const GUIDE: &str = r#"## Connecting

`uri` is any [libvirt connection URI](https://libvirt.org/uri.html). When it is unset or
empty the provider uses the `LIBVIRT_DEFAULT_URI` environment variable, then
`qemu:///system`. The value must be known at plan time (not computed by another resource).
The connection opens on first use, so `terraform validate` needs no libvirtd.

A remote host over SSH (the user must be allowed to use libvirt there, for example by
membership of the `libvirt` group):

```terraform
provider "libvirt" {
  uri = "qemu+ssh://deploy@kvm1.example.com/system?keyfile=/home/deploy/.ssh/id_ed25519"
}
```

libvirt's built-in test driver, which needs no daemon at all. Its objects live only inside
the provider process, and Terraform starts a new process for every command, so it suits
trying out configurations and `plan`, not managing anything:

```terraform
provider "libvirt" {
  uri = "test:///default"
}
```

## From libvirt XML to HCL

Resources map libvirt's XML 1:1, by one mechanical rule derived from libvirt's own RelaxNG
schemas, so anything libvirt's documentation describes can be written in HCL:

| libvirt XML | HCL | Rule |
|---|---|---|
| `<forward mode='nat'/>` | `forward { mode = "nat" }` | an XML attribute is an attribute of the same name |
| `<name>lab</name>` | `name = "lab"` | an element holding only text is an attribute |
| `<hostname>db</hostname><hostname>db.lab</hostname>` | `hostname = ["db", "db.lab"]` | repeated, the attribute is a list |
| `<ip address='192.168.100.1'>` with children | an `ip { }` block | any other element is a block; repeatable elements are repeated blocks, the others appear at most once |
| `<capacity unit='GiB'>20</capacity>` | a `capacity { }` block with `value = 20` and `unit = "GiB"` | text beside attributes is `value` |
| `<nocow/>` | `nocow {}` | an empty element is an empty block |
| `macTableManager`, `localPtr`, `poll-control` | `mac_table_manager`, `local_ptr`, `poll_control` | names become snake_case |
| `<metadata>` with any XML inside | `metadata = "<app:tag xmlns:app='urn:example'/>"` | free-form XML is a string of XML |

A few names that Terraform reserves (`id`, `count`, `provider`, `lifecycle`, ...) are
prefixed with their element's name, for example `domain_id`.

This network definition:

```xml
<network>
  <name>lab</name>
  <forward mode='nat'/>
  <bridge name='virbr-lab' stp='on'/>
  <ip address='192.168.100.1' prefix='24'>
    <dhcp>
      <range start='192.168.100.100' end='192.168.100.199'/>
      <host mac='52:54:00:6c:3c:01' name='db' ip='192.168.100.10'/>
    </dhcp>
  </ip>
</network>
```

is this resource:

```terraform
resource "libvirt_network" "lab" {
  name = "lab"

  forward {
    mode = "nat"
  }

  bridge {
    name = "virbr-lab"
    stp  = "on"
  }

  ip {
    address = "192.168.100.1"
    prefix  = 24

    dhcp {
      range {
        start = "192.168.100.100"
        end   = "192.168.100.199"
      }
      host {
        mac  = "52:54:00:6c:3c:01"
        name = "db"
        ip   = "192.168.100.10"
      }
    }
  }
}
```

Values are checked against libvirt's schema (names, allowed values, patterns, ranges,
required fields) at plan time. What the schema cannot express, such as a `dir` pool needing
a `target` path, libvirt reports at apply.

## Virtual machines

A [`libvirt_domain`](resources/domain.md) is a virtual machine, written like any other
resource as its `<domain>` XML in HCL. It is defined and started unless `running = false`.
Its disks refer to volumes by `pool` and `volume` name, so a typical machine is a
`libvirt_volume` overlay on a base image, a network, and a first-boot configuration disk:

- [`libvirt_cloudinit_disk`](resources/cloudinit_disk.md) builds a cloud-init NoCloud ISO
  (`user_data`, `meta_data`, `network_config`) in memory and uploads it as a new volume;
  attach it as a cdrom.
- [`libvirt_ignition`](resources/ignition.md) uploads an Ignition config (Fedora CoreOS,
  Flatcar) as a new volume, which the domain hands to QEMU with `-fw_cfg`.

Both are generated, so any change to their content replaces the volume, and neither can be
imported. The guest only reads them on first boot.

## Reading what Terraform does not manage

Data sources read what Terraform does not manage, on every plan:
[`libvirt_node_info`](data-sources/node_info.md) the host's CPUs and memory,
[`libvirt_domain`](data-sources/domain.md) an existing domain by name or UUID, and
[`libvirt_domain_interface_addresses`](data-sources/domain_interface_addresses.md) the IP
addresses a guest holds (from libvirt's DHCP leases, the guest agent or ARP), for example to
hand a new machine's address to a provisioner:

```terraform
data "libvirt_domain_interface_addresses" "web" {
  domain = "web-1"
  source = "agent"
}

output "web_addresses" {
  value = data.libvirt_domain_interface_addresses.web.addresses
}
```

## How changes are applied

- Attributes left out of the configuration are not managed: libvirt's defaults and
  additions cause no diff, and units libvirt normalises (`20 GiB` read back as bytes)
  keep the form you wrote. Changes made outside Terraform to what you did set show up as
  drift.
- Removing an attribute or block from the configuration stops Terraform managing it; the
  object keeps its current value, and this never forces a replacement.
- Each page marks the attributes whose change forces a replacement. Pools and networks are
  replaced by any XML change except those noted below; `autostart` always changes in
  place. A volume's `capacity` grows in place; shrinking it replaces the volume.
- The DHCP `host` entries (`ip.dhcp.host`) and DNS `host` entries (`dns.host`) of a
  network are updated live through `virNetworkUpdate`, in the running network and in its
  persistent definition, without restarting it.
- Name clashes with objects that exist outside Terraform are checked at apply, not plan
  (a replacement's new object takes the name its predecessor holds until then). The error
  names the clash and suggests `terraform import`.
- A domain's `current_memory`, `vcpu.current` and interface link state change live; other
  changes redefine the domain and restart it if it runs (the plan warns), and changing its
  `type` replaces it.
- Pools, networks and domains are imported by UUID or name, volumes by key, path or
  `pool/name`.

## Modules and guides

- [`libvirt-node`](modules/libvirt-node.md): one virtual machine (a disk over a shared base
  image, a cloud-init seed, the domain) as a reusable module; its inputs and outputs.
- [`k3s-cluster`](modules/k3s-cluster.md): a k3s cluster on libvirt VMs (network, pool, base
  image, server and worker groups by name, k3s bootstrap by cloud-init, readiness).
- [`ad-exchange`](modules/ad-exchange.md): the exchange and its bidders deployed on k3s.
- [The k3s provider](k3s/index.md): cluster credentials, node bootstrap, readiness, manifests.
- [Building a k3s cluster](guides/k3s-cluster.md): from libvirt VMs to a Ready cluster.
- [Migrating from the Go libvirt provider](guides/migrating-from-go-libvirt-provider.md):
  attribute mapping from `dmacvicar/libvirt` 0.7/0.8.
- [OpenTofu](guides/opentofu.md): installing the providers for `tofu`, and what is verified.
- [Pulumi](guides/pulumi.md): both providers from a Pulumi program through
  `pulumi package add terraform-provider`, the generated SDK's names, and what is verified."#;
