# Quickstart: a small private cloud on one libvirt host. A NAT network with DHCP, a
# directory storage pool, a base image uploaded into it once, and `node_count` virtual
# machines from modules/libvirt-node, each on its own disk over the shared base image.
#
# Nodes are keyed node-01, node-02, ...: changing node_count adds or removes only the
# nodes at the end, leaving the others (and the network and pool) untouched.
terraform {
  required_version = ">= 1.9"
  required_providers {
    libvirt = {
      source  = "kvmcloud/libvirt"
      version = ">= 0.1.0"
    }
  }
}

provider "libvirt" {
  # null: LIBVIRT_DEFAULT_URI, then qemu:///system. Any libvirt URI works, e.g. qemu+ssh://user@host/system.
  uri = var.libvirt_uri
}

locals {
  nodes = toset([for i in range(var.node_count) : format("node-%02d", i + 1)])
  # Direct kernel boot (the project's test image) or a cloud image booting from its disk.
  direct_boot = var.kernel_image != null
}

resource "libvirt_pool" "cloud" {
  type = "dir"
  name = "${var.prefix}-pool"
  target {
    path = var.pool_path
  }
}

resource "libvirt_volume" "base" {
  pool           = libvirt_pool.cloud.name
  name           = "${var.prefix}-base.${var.base_image_format == "qcow2" ? "qcow2" : "img"}"
  content_source = var.base_image
  target {
    format {
      type = var.base_image_format
    }
  }
}

resource "libvirt_volume" "kernel" {
  count          = local.direct_boot ? 1 : 0
  pool           = libvirt_pool.cloud.name
  name           = "${var.prefix}-vmlinuz"
  content_source = var.kernel_image
  target {
    format {
      type = "raw"
    }
  }
}

resource "libvirt_volume" "initrd" {
  count          = var.initrd_image != null ? 1 : 0
  pool           = libvirt_pool.cloud.name
  name           = "${var.prefix}-initrd.img"
  content_source = var.initrd_image
  target {
    format {
      type = "raw"
    }
  }
}

resource "libvirt_network" "cloud" {
  name      = "${var.prefix}-net"
  autostart = true
  forward {
    mode = "nat"
  }
  domain {
    name = "${var.prefix}.internal"
  }
  ip {
    address = cidrhost(var.cidr, 1)
    prefix  = tonumber(split("/", var.cidr)[1])
    dhcp {
      range {
        start = cidrhost(var.cidr, 10)
        end   = cidrhost(var.cidr, 200)
      }
    }
  }
}

module "node" {
  source   = "../../modules/libvirt-node"
  for_each = local.nodes

  name           = "${var.prefix}-${each.key}"
  pool           = libvirt_pool.cloud.name
  disk_mode      = var.disk_mode
  base_volume_id = libvirt_volume.base.id
  # In copy mode the node's disk is a full copy of the same image file.
  base_volume_format = var.base_image_format
  copy_source        = var.base_image
  disk_size_gib      = var.disk_mode == "overlay" ? var.node_disk_gib : null

  user_data = join("\n", concat(
    ["#cloud-config", "hostname: ${var.prefix}-${each.key}"],
    length(var.ssh_authorized_keys) == 0 ? [] : concat(["ssh_authorized_keys:"], [for key in var.ssh_authorized_keys : "  - ${key}"]),
    [""],
  ))

  domain_type = var.domain_type
  memory_mib  = var.node_memory_mib
  vcpu        = var.node_vcpu

  network_interfaces = [{ network = libvirt_network.cloud.name }]

  kernel         = local.direct_boot ? libvirt_volume.kernel[0].id : null
  initrd         = var.initrd_image != null ? libvirt_volume.initrd[0].id : null
  kernel_cmdline = local.direct_boot ? var.kernel_cmdline : null

  console_log         = var.console_log_dir == null ? null : "${trimsuffix(var.console_log_dir, "/")}/${var.prefix}-${each.key}.log"
  shutdown_timeout    = var.shutdown_timeout
  wait_for_ip_timeout = var.wait_for_ip_timeout
}
