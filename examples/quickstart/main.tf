# Quickstart: the libvirt building blocks of a private cloud.
# A storage pool, a base image uploaded once, one copy-on-write qcow2 overlay per node,
# and a NAT network with a fixed DHCP lease per node.
terraform {
  required_version = ">= 1.5"
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
  nodes = { for i in range(var.node_count) : format("node-%02d", i + 1) => i }
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
  name           = "${var.prefix}-base.qcow2"
  content_source = var.base_image
  target {
    format {
      type = "qcow2"
    }
  }
}

resource "libvirt_volume" "node" {
  for_each = local.nodes

  pool = libvirt_pool.cloud.name
  name = "${var.prefix}-${each.key}.qcow2"
  capacity {
    value = var.node_disk_gib
    unit  = "GiB"
  }
  target {
    format {
      type = "qcow2"
    }
  }
  backing_store {
    path = libvirt_volume.base.id
    format {
      type = "qcow2"
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
        start = cidrhost(var.cidr, 100)
        end   = cidrhost(var.cidr, 200)
      }
      dynamic "host" {
        for_each = local.nodes
        content {
          mac  = format("52:54:00:00:01:%02x", host.value + 1)
          name = host.key
          ip   = cidrhost(var.cidr, 10 + host.value)
        }
      }
    }
  }
}
