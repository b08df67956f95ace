variable "libvirt_uri" {
  description = "libvirt connection URI; null uses LIBVIRT_DEFAULT_URI, then qemu:///system."
  type        = string
  default     = null
}

variable "name" {
  description = "Cluster name, prefix of every libvirt object."
  type        = string
  default     = "k3s"
}

variable "cidr" {
  description = "IPv4 network of the cluster's NAT network (/16 to /24). The server is host 11, workers 21, 22, ..."
  type        = string
  default     = "10.17.0.0/24"
}

variable "base_image" {
  description = "Local path or http(s) URL of a cloud image with cloud-init (e.g. Debian 12 genericcloud qcow2), uploaded once. For `k3s_install = \"airgap\"` it must hold the k3s binary and install script at the paths in `k3s_airgap`."
  type        = string
}

variable "base_image_format" {
  description = "Format of base_image: qcow2 or raw."
  type        = string
  default     = "qcow2"
}

variable "pool_path" {
  description = "Directory of the storage pool on the libvirt host; null: /var/lib/libvirt/images/NAME."
  type        = string
  default     = null
}

variable "domain_type" {
  description = "\"kvm\", or \"qemu\" (software emulation, far too slow for k3s in practice) where /dev/kvm is unusable."
  type        = string
  default     = "kvm"
}

variable "server_count" {
  description = "Control-plane nodes: 1, or 3 for HA (embedded etcd)."
  type        = number
  default     = 1
}

variable "worker_count" {
  description = "Worker nodes (worker-1, worker-2, ...): changing it adds or removes only the last ones."
  type        = number
  default     = 2
}

variable "server_memory_mib" {
  description = "Memory of each server in MiB."
  type        = number
  default     = 2048
}

variable "worker_memory_mib" {
  description = "Memory of each worker in MiB."
  type        = number
  default     = 2048
}

variable "disk_gib" {
  description = "Disk of each node in GiB (at least the image's virtual size)."
  type        = number
  default     = 20
}

variable "k3s_install" {
  description = "How nodes get k3s: \"airgap\" (from files in the image, see k3s_airgap) or \"online\" (download from the internet)."
  type        = string
  default     = "airgap"
  validation {
    condition     = contains(["airgap", "online"], var.k3s_install)
    error_message = "k3s_install must be \"airgap\" or \"online\"."
  }
}

variable "k3s_airgap" {
  description = "Air-gapped install: paths on the node of the k3s binary, k3s's install.sh and optionally the image archive (baked into the image, or on a disk with filesystem label `mount_label`)."
  type = object({
    binary_path         = string
    install_script_path = string
    images_path         = optional(string)
    mount_label         = optional(string)
  })
  default = {
    binary_path         = "/usr/local/bin/k3s"
    install_script_path = "/opt/k3s/install.sh"
    images_path         = "/opt/k3s/k3s-airgap-images-amd64.tar.zst"
  }
}

variable "airgap_bundle" {
  description = "Optional disk image holding the k3s files (e.g. `genisoimage -V K3S -J -R -o k3s.iso dir/`), attached read-only to every node; set `k3s_airgap.mount_label` to its label and the paths under /mnt/k3s-airgap."
  type        = string
  default     = null
}

variable "k3s_version" {
  description = "Online install: k3s release, e.g. \"v1.31.4+k3s1\"; null: the latest stable."
  type        = string
  default     = null
}

variable "ssh_authorized_keys" {
  description = "SSH public keys for the image's default user."
  type        = list(string)
  default     = []
}

variable "wait_for_ready" {
  description = "Wait until every node is Ready; false where the image cannot run k3s."
  type        = bool
  default     = true
}

variable "kernel_image" {
  description = "Direct kernel boot (the project's test image): local path or URL of a kernel. null (the default) boots the cloud image from its disk."
  type        = string
  default     = null
}

variable "initrd_image" {
  description = "Direct kernel boot: local path or URL of the initramfs."
  type        = string
  default     = null
}

variable "kernel_cmdline" {
  description = "Direct kernel boot: the kernel command line."
  type        = string
  default     = "console=ttyS0"
}

variable "console_log_dir" {
  description = "Directory on the libvirt host for each node's serial console log (`<name>-<node>.log`); null keeps none."
  type        = string
  default     = null
}

variable "shutdown_timeout" {
  description = "Seconds a node gets for an ACPI shutdown on destroy (0: at once)."
  type        = number
  default     = 60
}

variable "wait_for_ip_timeout" {
  description = "Seconds apply waits for each node's DHCP lease (0: do not wait; addresses are fixed anyway)."
  type        = number
  default     = 0
}
