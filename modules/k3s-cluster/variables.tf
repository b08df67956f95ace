variable "name" {
  description = "Cluster name: prefix of every libvirt object (`NAME-net`, `NAME-pool`, domains `NAME-NODE`) and the kubeconfig's cluster and context name."
  type        = string
  default     = "k3s"
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "name must start with a letter and hold 1-32 lowercase letters, digits or dashes, not ending with a dash."
  }
}

# ---------------------------------------------------------------- libvirt objects

variable "cidr" {
  description = "IPv4 network of the cluster's NAT network, from /16 to /24, e.g. `10.17.0.0/24`. The gateway is host 1; nodes get fixed addresses (see `servers`); the last 20 addresses are a dynamic DHCP range for anything else."
  type        = string
  default     = "10.17.0.0/24"
  validation {
    condition     = can(cidrnetmask(var.cidr)) && can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", var.cidr))
    error_message = "cidr must be an IPv4 network in CIDR notation, e.g. \"10.17.0.0/24\"."
  }
  validation {
    condition     = !can(cidrnetmask(var.cidr)) || try(tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 24, false)
    error_message = "cidr must be from /16 to /24: a /24 holds 233 fixed node addresses and the 20-address dynamic range."
  }
  validation {
    condition     = !can(cidrnetmask(var.cidr)) || try(cidrhost(var.cidr, 0) == split("/", var.cidr)[0], false)
    error_message = "cidr must be a network address (host bits zero), e.g. \"10.17.0.0/24\" rather than \"10.17.0.5/24\"."
  }
  validation {
    condition = !can([for c in [var.cidr, var.cluster_cidr, var.service_cidr] : cidrnetmask(c)]) || try(alltrue([
      # Each pair as two [first, last] address ranges (addresses as numbers): disjoint?
      for pair in [[var.cidr, var.cluster_cidr], [var.cidr, var.service_cidr], [var.cluster_cidr, var.service_cidr]] : [
        for r in [[
          for c in pair : [
            for first in [sum([for i, o in split(".", cidrhost(c, 0)) : tonumber(o) * pow(256, 3 - i)])] :
            [first, first + pow(2, 32 - tonumber(split("/", c)[1])) - 1]
          ][0]
        ]] : r[0][1] < r[1][0] || r[1][1] < r[0][0]
      ][0]
    ]), false)
    error_message = "cidr (${var.cidr}), cluster_cidr (${var.cluster_cidr}) and service_cidr (${var.service_cidr}) overlap: the node, pod and service networks must be disjoint."
  }
}

variable "cluster_cidr" {
  description = "Pod network of the cluster (k3s `cluster-cidr`); must not overlap `cidr` or `service_cidr`."
  type        = string
  default     = "10.42.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.cluster_cidr))
    error_message = "cluster_cidr must be an IPv4 network in CIDR notation, e.g. \"10.42.0.0/16\"."
  }
}

variable "service_cidr" {
  description = "Service network of the cluster (k3s `service-cidr`); must not overlap `cidr` or `cluster_cidr`."
  type        = string
  default     = "10.43.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.service_cidr))
    error_message = "service_cidr must be an IPv4 network in CIDR notation, e.g. \"10.43.0.0/16\"."
  }
}

variable "pool_path" {
  description = "Directory of the cluster's storage pool on the libvirt host; null: `/var/lib/libvirt/images/NAME`."
  type        = string
  default     = null
  validation {
    condition     = var.pool_path == null || can(regex("^/", coalesce(var.pool_path, "-")))
    error_message = "pool_path must be an absolute directory path on the libvirt host, e.g. \"/var/lib/libvirt/images/k3s\"."
  }
}

variable "base_image" {
  description = "Local path or http(s) URL of the cloud image every node boots from (with cloud-init, e.g. a Debian genericcloud qcow2); uploaded into the pool once, and each node's disk is a qcow2 overlay on it."
  type        = string
  validation {
    condition     = length(var.base_image) > 0
    error_message = "base_image must be a local path or an http(s) URL of a cloud image."
  }
}

variable "base_image_format" {
  description = "Format of `base_image`: `qcow2` or `raw`."
  type        = string
  default     = "qcow2"
  validation {
    condition     = contains(["qcow2", "raw"], var.base_image_format)
    error_message = "base_image_format must be \"qcow2\" or \"raw\"."
  }
}

variable "domain_type" {
  description = "Hypervisor: `kvm`, or `qemu` (TCG software emulation, slow) where /dev/kvm is unusable."
  type        = string
  default     = "kvm"
  validation {
    condition     = contains(["kvm", "qemu"], var.domain_type)
    error_message = "domain_type must be \"kvm\" or \"qemu\"."
  }
}

variable "kernel_image" {
  description = "Direct kernel boot (special images such as the project's test image): local path or URL of a kernel, uploaded into the pool once. null (the default) boots each node from its disk, as cloud images do."
  type        = string
  default     = null
}

variable "initrd_image" {
  description = "Direct kernel boot: local path or URL of the initramfs, uploaded into the pool once."
  type        = string
  default     = null
  validation {
    condition     = var.initrd_image == null || var.kernel_image != null
    error_message = "initrd_image needs kernel_image (direct kernel boot)."
  }
}

variable "kernel_cmdline" {
  description = "Direct kernel boot: the kernel command line."
  type        = string
  default     = "console=ttyS0"
}

variable "shutdown_timeout" {
  description = "Seconds a node gets for an ACPI shutdown on destroy before it is powered off (0: at once)."
  type        = number
  default     = 60
  validation {
    condition     = var.shutdown_timeout >= 0 && floor(var.shutdown_timeout) == var.shutdown_timeout
    error_message = "shutdown_timeout must be a whole number of seconds, 0 or more."
  }
}

variable "wait_for_ip_timeout" {
  description = "Seconds apply waits for each node's DHCP lease (0: do not wait; node addresses are fixed and known anyway, and `k3s_ready` waits for the cluster)."
  type        = number
  default     = 0
  validation {
    condition     = var.wait_for_ip_timeout >= 0 && floor(var.wait_for_ip_timeout) == var.wait_for_ip_timeout
    error_message = "wait_for_ip_timeout must be a whole number of seconds, 0 or more."
  }
}

variable "console_log_dir" {
  description = "Directory on the libvirt host where each node's serial console is also written, as `<name>-<node>.log` (for reading a boot after the fact). null keeps no logs."
  type        = string
  default     = null
  validation {
    condition     = var.console_log_dir == null || startswith(coalesce(var.console_log_dir, "/"), "/")
    error_message = "console_log_dir must be an absolute path on the libvirt host."
  }
}

# ---------------------------------------------------------------- node groups

variable "servers" {
  description = "Control-plane nodes keyed by node name (a DNS label, also the host name and the Kubernetes node name): `vcpu`, `memory_mib`, `disk_gib`, and the node's address as host number `ip_host` inside `cidr` (default: 10 + the number the name ends with, so `server-1` is host 11). 1, 3, 5 or 7 servers (odd, for etcd quorum); with more than one, the first key in sorted order starts the cluster with embedded etcd and the others join. null: `server_count` servers `server-1`... sized by `server_size`."
  type = map(object({
    vcpu       = optional(number, 2)
    memory_mib = optional(number, 2048)
    disk_gib   = optional(number, 20)
    ip_host    = optional(number)
    labels     = optional(map(string), {})
    taints     = optional(list(string), [])
  }))
  default = null
  validation {
    condition     = var.servers == null || contains([1, 3, 5, 7], length(coalesce(var.servers, {})))
    error_message = "servers must hold 1, 3, 5 or 7 nodes: an etcd control plane needs an odd number for quorum (3 for HA)."
  }
  validation {
    condition     = alltrue([for name in keys(var.servers == null ? {} : var.servers) : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", name))])
    error_message = "servers keys (node names) must be DNS labels: 1-63 lowercase letters, digits or dashes, not starting or ending with a dash."
  }
}

variable "server_count" {
  description = "Number of control-plane nodes when `servers` is null: 1, or 3 for HA (embedded etcd), 5 or 7."
  type        = number
  default     = 1
  validation {
    condition     = contains([1, 3, 5, 7], var.server_count)
    error_message = "server_count must be 1, 3, 5 or 7: an etcd control plane needs an odd number for quorum (3 for HA)."
  }
}

variable "server_size" {
  description = "Size of each server made from `server_count`."
  type = object({
    vcpu       = optional(number, 2)
    memory_mib = optional(number, 2048)
    disk_gib   = optional(number, 20)
  })
  default  = {}
  nullable = false
}

variable "workers" {
  description = "Worker (agent) nodes keyed by node name, like `servers` (default `ip_host`: 20 + the number the name ends with, so `worker-1` is host 21). Adding or removing a key creates or destroys only that node. null: `worker_count` workers `worker-1`... sized by `worker_size`."
  type = map(object({
    vcpu       = optional(number, 2)
    memory_mib = optional(number, 2048)
    disk_gib   = optional(number, 20)
    ip_host    = optional(number)
    labels     = optional(map(string), {})
    taints     = optional(list(string), [])
  }))
  default = null
  validation {
    condition     = alltrue([for name in keys(var.workers == null ? {} : var.workers) : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", name))])
    error_message = "workers keys (node names) must be DNS labels: 1-63 lowercase letters, digits or dashes, not starting or ending with a dash."
  }
}

variable "worker_count" {
  description = "Number of workers when `workers` is null, 0 to 100."
  type        = number
  default     = 2
  validation {
    condition     = var.worker_count >= 0 && var.worker_count <= 100 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be a whole number from 0 to 100."
  }
}

variable "worker_size" {
  description = "Size of each worker made from `worker_count`."
  type = object({
    vcpu       = optional(number, 2)
    memory_mib = optional(number, 2048)
    disk_gib   = optional(number, 20)
  })
  default  = {}
  nullable = false
}

# ---------------------------------------------------------------- k3s

variable "k3s_online" {
  description = "Online install: nodes download k3s's install script (and k3s) from the internet. `version` (e.g. `v1.31.4+k3s1`) or `channel` (e.g. `stable`), not both. Used when `k3s_airgap` is null; both null: the latest stable release."
  type = object({
    version    = optional(string)
    channel    = optional(string)
    script_url = optional(string)
  })
  default = null
  validation {
    condition     = var.k3s_online == null || try(var.k3s_online.version == null || can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+\\+k3s[0-9]+$", var.k3s_online.version)), false)
    error_message = "k3s_online.version must be a k3s release tag such as \"v1.31.4+k3s1\"."
  }
  validation {
    condition     = var.k3s_online == null || try(var.k3s_online.version == null || var.k3s_online.channel == null, false)
    error_message = "k3s_online: set version or channel, not both."
  }
}

variable "k3s_airgap" {
  description = "Air-gapped install from files on the node (baked into the image, or on a disk with filesystem label `mount_label`, mounted at /mnt/k3s-airgap): `binary_path` (k3s), `install_script_path` (k3s's install.sh), optional `images_path` (the air-gap image archive). Absolute paths on the node."
  type = object({
    binary_path         = string
    install_script_path = string
    images_path         = optional(string)
    mount_label         = optional(string)
  })
  default = null
  validation {
    condition     = var.k3s_airgap == null || try(alltrue([for p in compact([var.k3s_airgap.binary_path, var.k3s_airgap.install_script_path, var.k3s_airgap.images_path]) : startswith(p, "/")]), false)
    error_message = "k3s_airgap paths (binary_path, install_script_path, images_path) must be absolute paths on the node."
  }
  validation {
    condition     = var.k3s_airgap == null || var.k3s_online == null
    error_message = "Set k3s_airgap or k3s_online, not both."
  }
}

variable "airgap_bundle" {
  description = "Path or URL of a raw disk image (e.g. an ISO made with `genisoimage -V K3S`) holding the k3s binary, install.sh and image archives, with the filesystem label `k3s_airgap.mount_label`. Uploaded once and attached read-only to every node, so the paths in `k3s_airgap` point under /mnt/k3s-airgap."
  type        = string
  default     = null
  validation {
    condition     = var.airgap_bundle == null || try(var.k3s_airgap.mount_label != null, false)
    error_message = "airgap_bundle needs k3s_airgap with mount_label set to the bundle's filesystem label (its files are found by that label)."
  }
}

variable "server_disable" {
  description = "Packaged k3s components the servers do not deploy, e.g. `[\"traefik\"]`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "manifests" {
  description = "Auto-deploy manifests (file name `*.yaml` to YAML) written on every server to /var/lib/rancher/k3s/server/manifests."
  type        = map(string)
  default     = {}
  nullable    = false
  validation {
    condition     = alltrue([for f in keys(var.manifests) : can(regex("^[A-Za-z0-9._-]+\\.ya?ml$", f))])
    error_message = "manifests keys must be plain file names ending in .yaml or .yml."
  }
}

variable "user_data_parts" {
  description = "Your own cloud-init documents (`#cloud-config` YAML or `#!` scripts) for every node, merged with the k3s bootstrap by `k3s_cloud_init` (lists appended; a setting both define differently is an error)."
  type        = list(string)
  default     = []
  nullable    = false
  sensitive   = true
}

variable "wait_for_ready" {
  description = "Wait in apply (`k3s_node` per node, then `k3s_ready`) until the API answers and every node is Ready, and drain a node through the API before its VM is destroyed. false skips both, for images that cannot run k3s (such as the project's test image)."
  type        = bool
  default     = true
}

variable "ready_timeout" {
  description = "How long `k3s_ready` waits, e.g. `15m`."
  type        = string
  default     = "15m"
  validation {
    condition     = can(regex("^[0-9]+(s|m|h)$", var.ready_timeout))
    error_message = "ready_timeout must be a duration such as \"90s\", \"15m\" or \"1h\"."
  }
}
