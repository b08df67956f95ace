# A k3s cluster on one libvirt host: a dedicated NAT network whose DHCP hands each node a
# fixed address (so the API URL, and with it the kubeconfig, is known at plan time), a
# directory pool, the base image uploaded once, one modules/libvirt-node VM per node keyed
# by its name, and k3s bootstrapped by cloud-init from credentials made before any VM boots.

locals {
  # ---- node groups: given as maps, or made from counts; each node gets a fixed host number.
  servers_given = var.servers != null ? var.servers : {
    for i in range(var.server_count) : "server-${i + 1}" => merge(var.server_size, { ip_host = null, labels = {}, taints = [] })
  }
  workers_given = var.workers != null ? var.workers : {
    for i in range(var.worker_count) : "worker-${i + 1}" => merge(var.worker_size, { ip_host = null, labels = {}, taints = [] })
  }
  # Default host numbers come from the name's trailing number, so they never shift when
  # other nodes come or go: server-N is host 10 + N, worker-N host 20 + N.
  servers = { for k, n in local.servers_given : k => merge(n, {
    ip_host = n.ip_host != null ? n.ip_host : try(10 + tonumber(regex("[0-9]+$", k)), null)
  }) }
  workers = { for k, n in local.workers_given : k => merge(n, {
    ip_host = n.ip_host != null ? n.ip_host : try(20 + tonumber(regex("[0-9]+$", k)), null)
  }) }
  nodes = merge(
    { for k, n in local.servers : k => merge(n, { role = "server" }) },
    { for k, n in local.workers : k => merge(n, { role = "agent" }) },
  )
  node_hosts = { for k, n in local.nodes : k => n.ip_host if n.ip_host != null }

  # ---- addresses
  cidr_prefix     = tonumber(split("/", var.cidr)[1])
  cidr_size       = pow(2, 32 - local.cidr_prefix)
  last_fixed_host = local.cidr_size - 22 # then 20 dynamic addresses, then broadcast
  node_ip         = { for k, host in local.node_hosts : k => cidrhost(var.cidr, host) }
  # The MAC carries the address's last three bytes: stable, unique inside the network, and
  # known at plan time for the DHCP host entry.
  node_mac = { for k, ip in local.node_ip : k => format("52:54:00:%02x:%02x:%02x", [for o in slice(split(".", ip), 1, 4) : tonumber(o)]...) }

  # ---- k3s: the first server (in sorted order) holds the API address everyone joins.
  first_server = sort(keys(local.servers))[0]
  api_ip       = local.node_ip[local.first_server]
  api_url      = "https://${local.api_ip}:6443"
  # More than one server: embedded etcd started by the first, joined by the others.
  embedded_etcd = length(local.servers) > 1

  pool_path   = coalesce(var.pool_path, "/var/lib/libvirt/images/${var.name}")
  direct_boot = var.kernel_image != null
}

resource "libvirt_pool" "this" {
  type = "dir"
  name = "${var.name}-pool"
  target {
    path = local.pool_path
  }
}

resource "libvirt_volume" "base" {
  pool           = libvirt_pool.this.name
  name           = "${var.name}-base.${var.base_image_format == "qcow2" ? "qcow2" : "img"}"
  content_source = var.base_image
  target {
    format {
      type = var.base_image_format
    }
  }
}

resource "libvirt_volume" "kernel" {
  count          = local.direct_boot ? 1 : 0
  pool           = libvirt_pool.this.name
  name           = "${var.name}-vmlinuz"
  content_source = var.kernel_image
  target {
    format {
      type = "raw"
    }
  }
}

resource "libvirt_volume" "initrd" {
  count          = var.initrd_image != null ? 1 : 0
  pool           = libvirt_pool.this.name
  name           = "${var.name}-initrd.img"
  content_source = var.initrd_image
  target {
    format {
      type = "raw"
    }
  }
}

# The air-gap bundle (k3s, install.sh, image archives on a labelled filesystem), uploaded
# once and attached read-only to every node; the bootstrap mounts it by its label.
resource "libvirt_volume" "airgap" {
  count          = var.airgap_bundle != null ? 1 : 0
  pool           = libvirt_pool.this.name
  name           = "${var.name}-airgap.img"
  content_source = var.airgap_bundle
  # No format: libvirt probes the content (an ISO reads back as "iso"); the guest sees raw
  # bytes either way.
  target {}
}

resource "libvirt_network" "this" {
  name      = "${var.name}-net"
  autostart = true

  # Rules over both node groups as finally resolved (maps or counts, default addresses):
  # checked at plan time, before anything is created.
  lifecycle {
    precondition {
      condition     = length(setintersection(keys(local.servers), keys(local.workers))) == 0
      error_message = "Node names must be unique across servers and workers; in both: ${join(", ", setintersection(keys(local.servers), keys(local.workers)))}."
    }
    precondition {
      condition     = alltrue([for n in values(local.nodes) : n.vcpu >= 1 && n.vcpu <= 64 && floor(n.vcpu) == n.vcpu])
      error_message = "vcpu must be a whole number from 1 to 64; offending nodes: ${join(", ", [for k, n in local.nodes : "${k}=${n.vcpu}" if !(n.vcpu >= 1 && n.vcpu <= 64 && floor(n.vcpu) == n.vcpu)])}."
    }
    precondition {
      condition     = alltrue([for n in values(local.nodes) : n.memory_mib >= 512 && n.memory_mib <= 1048576 && floor(n.memory_mib) == n.memory_mib])
      error_message = "memory_mib must be a whole number of MiB from 512 (k3s's minimum) to 1048576 (2048 means 2 GiB; a value in bytes is too large, one in GiB too small); offending nodes: ${join(", ", [for k, n in local.nodes : "${k}=${n.memory_mib}" if !(n.memory_mib >= 512 && n.memory_mib <= 1048576 && floor(n.memory_mib) == n.memory_mib)])}."
    }
    precondition {
      condition     = alltrue([for n in values(local.nodes) : n.disk_gib >= 1 && n.disk_gib <= 65536 && floor(n.disk_gib) == n.disk_gib])
      error_message = "disk_gib must be a whole number of GiB from 1 to 65536 (and at least the base image's virtual size); offending nodes: ${join(", ", [for k, n in local.nodes : "${k}=${n.disk_gib}" if !(n.disk_gib >= 1 && n.disk_gib <= 65536 && floor(n.disk_gib) == n.disk_gib)])}."
    }
    precondition {
      condition     = alltrue([for n in values(local.nodes) : n.ip_host != null])
      error_message = "Nodes whose name does not end with a number need an explicit ip_host: ${join(", ", [for k, n in local.nodes : k if n.ip_host == null])}."
    }
    precondition {
      condition     = alltrue([for h in values(local.node_hosts) : h >= 2 && h <= local.last_fixed_host && floor(h) == h])
      error_message = "ip_host must be a whole number from 2 (1 is the gateway) to ${local.last_fixed_host} (above lies the dynamic DHCP range of cidr); out of range: ${join(", ", [for k, h in local.node_hosts : "${k}=${h}" if !(h >= 2 && h <= local.last_fixed_host && floor(h) == h)])}."
    }
    precondition {
      condition     = length(values(local.node_hosts)) == length(distinct(values(local.node_hosts)))
      error_message = "Node addresses must be distinct; set ip_host where the defaults (10 + N for server-N, 20 + N for worker-N) collide: ${jsonencode(local.node_hosts)}."
    }
  }
  forward {
    mode = "nat"
  }
  domain {
    name = "${var.name}.internal"
  }
  ip {
    address = cidrhost(var.cidr, 1)
    prefix  = local.cidr_prefix
    dhcp {
      range {
        start = cidrhost(var.cidr, local.last_fixed_host + 1)
        end   = cidrhost(var.cidr, local.cidr_size - 2)
      }
      # One entry per node, updated live (no network restart) as nodes come and go.
      dynamic "host" {
        for_each = local.node_ip
        content {
          mac  = local.node_mac[host.key]
          name = host.key
          ip   = host.value
        }
      }
    }
  }
}

resource "k3s_cluster" "this" {
  name       = var.name
  server_url = local.api_url
}

data "k3s_cloud_init" "node" {
  for_each = local.nodes

  role         = each.value.role
  token        = k3s_cluster.this.token
  cluster_init = each.key == local.first_server && local.embedded_etcd ? true : null
  server_url   = each.key == local.first_server ? null : k3s_cluster.this.server_url
  # Every server holds the cluster's CAs, so any of them serves certificates the
  # kubeconfig trusts.
  server_tls_files = each.value.role == "server" ? k3s_cluster.this.server_tls_files : null
  manifests        = each.value.role == "server" && length(var.manifests) > 0 ? var.manifests : null

  config {
    node_name = each.key
    # try: a node without an address is refused by a precondition on the network.
    node_ip      = try([local.node_ip[each.key]], null)
    node_labels  = length(each.value.labels) > 0 ? each.value.labels : null
    node_taints  = length(each.value.taints) > 0 ? each.value.taints : null
    tls_san      = each.value.role == "server" ? [local.api_ip] : null
    cluster_cidr = each.value.role == "server" ? var.cluster_cidr : null
    service_cidr = each.value.role == "server" ? var.service_cidr : null
    disable      = each.value.role == "server" && length(var.server_disable) > 0 ? var.server_disable : null
  }

  dynamic "airgap" {
    for_each = var.k3s_airgap == null ? [] : [var.k3s_airgap]
    content {
      binary_path         = airgap.value.binary_path
      install_script_path = airgap.value.install_script_path
      images_path         = airgap.value.images_path
      mount_label         = airgap.value.mount_label
    }
  }

  dynamic "online" {
    for_each = var.k3s_online == null ? [] : [var.k3s_online]
    content {
      version    = online.value.version
      channel    = online.value.channel
      script_url = online.value.script_url
    }
  }

  user_data_parts = length(var.user_data_parts) > 0 ? var.user_data_parts : null
}

module "node" {
  source   = "../libvirt-node"
  for_each = local.nodes

  name           = "${var.name}-${each.key}"
  pool           = libvirt_pool.this.name
  base_volume_id = libvirt_volume.base.id
  # Overlays are qcow2 over the shared base, whatever the base's format.
  base_volume_format = var.base_image_format
  disk_size_gib      = each.value.disk_gib

  user_data = data.k3s_cloud_init.node[each.key].user_data
  # The node name is the host name k3s registers; the domain name carries the cluster prefix.
  meta_data = "instance-id: ${var.name}-${each.key}\nlocal-hostname: ${each.key}\n"

  domain_type = var.domain_type
  memory_mib  = each.value.memory_mib
  vcpu        = each.value.vcpu

  network_interfaces = [{ network = libvirt_network.this.name, mac = lookup(local.node_mac, each.key, null) }]

  extra_readonly_disks = [for v in libvirt_volume.airgap : { pool = libvirt_pool.this.name, volume = v.name }]

  kernel         = local.direct_boot ? libvirt_volume.kernel[0].id : null
  initrd         = var.initrd_image != null ? libvirt_volume.initrd[0].id : null
  kernel_cmdline = local.direct_boot ? var.kernel_cmdline : null

  console_log         = var.console_log_dir == null ? null : "${trimsuffix(var.console_log_dir, "/")}/${var.name}-${each.key}.log"
  shutdown_timeout    = var.shutdown_timeout
  wait_for_ip_timeout = var.wait_for_ip_timeout
}

# One membership per node: created once the VM exists, it waits for that node to be Ready;
# destroyed before its VM (it depends on the VMs), it drains the node and deletes it from
# the cluster, so removing a worker from the map moves its pods away first.
resource "k3s_node" "this" {
  for_each = var.wait_for_ready ? local.nodes : {}

  kubeconfig = k3s_cluster.this.kubeconfig
  name       = each.key
  timeout    = var.ready_timeout

  depends_on = [module.node]
}

resource "k3s_ready" "this" {
  count = var.wait_for_ready ? 1 : 0

  kubeconfig = k3s_cluster.this.kubeconfig
  nodes      = sort(keys(local.nodes))
  timeout    = var.ready_timeout

  depends_on = [k3s_node.this]
}
