variable "libvirt_uri" {
  description = "libvirt connection URI; null uses LIBVIRT_DEFAULT_URI, then qemu:///system."
  type        = string
  default     = null
}

variable "prefix" {
  description = "Name prefix of every libvirt object."
  type        = string
  default     = "quickstart"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.prefix))
    error_message = "prefix must start with a letter and hold at most 31 lowercase letters, digits or dashes."
  }
}

variable "base_image" {
  description = "Local path or http(s) URL of the base image (e.g. a Debian genericcloud qcow2), uploaded into the pool once."
  type        = string
}

variable "base_image_format" {
  description = "Format of base_image: qcow2 or raw."
  type        = string
  default     = "qcow2"
  validation {
    condition     = contains(["qcow2", "raw"], var.base_image_format)
    error_message = "base_image_format must be \"qcow2\" or \"raw\"."
  }
}

variable "pool_path" {
  description = "Directory of the storage pool on the libvirt host."
  type        = string
  default     = "/var/lib/libvirt/images/quickstart"
}

variable "node_count" {
  description = "Number of virtual machines."
  type        = number
  default     = 2
  validation {
    condition     = var.node_count >= 1 && var.node_count <= 50 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number from 1 to 50."
  }
}

variable "disk_mode" {
  description = "Node disks: \"overlay\" (qcow2 over the shared base) or \"copy\" (a full copy each)."
  type        = string
  default     = "overlay"
}

variable "node_disk_gib" {
  description = "Size of each node's overlay disk in GiB (at least the base image's virtual size)."
  type        = number
  default     = 10
}

variable "node_memory_mib" {
  description = "Memory of each node in MiB."
  type        = number
  default     = 1024
}

variable "node_vcpu" {
  description = "vCPUs of each node."
  type        = number
  default     = 1
}

variable "domain_type" {
  description = "\"kvm\", or \"qemu\" (software emulation) where /dev/kvm is not usable."
  type        = string
  default     = "kvm"
}

variable "ssh_authorized_keys" {
  description = "SSH public keys cloud-init installs for the image's default user."
  type        = list(string)
  default     = []
}

variable "kernel_image" {
  description = "Direct kernel boot: local path or URL of a kernel, uploaded into the pool. null (the default) boots the base image from its disk, as cloud images do."
  type        = string
  default     = null
}

variable "initrd_image" {
  description = "Direct kernel boot: local path or URL of the initramfs, uploaded into the pool."
  type        = string
  default     = null
  validation {
    condition     = var.initrd_image == null || var.kernel_image != null
    error_message = "initrd_image needs kernel_image."
  }
}

variable "kernel_cmdline" {
  description = "Direct kernel boot: the kernel command line."
  type        = string
  default     = "console=ttyS0"
}

variable "console_log_dir" {
  description = "Directory on the libvirt host for each node's serial console log (`<prefix>-<node>.log`); null keeps none."
  type        = string
  default     = null
}

variable "shutdown_timeout" {
  description = "Seconds to wait for a guest's ACPI shutdown on destroy (0: at once)."
  type        = number
  default     = 60
}

variable "wait_for_ip_timeout" {
  description = "Seconds apply waits for each node's DHCP lease (0: do not wait; node_ips then fill in on a later refresh)."
  type        = number
  default     = 300
}

variable "cidr" {
  description = "IPv4 network of the NAT network, e.g. 10.42.0.0/24."
  type        = string
  default     = "10.42.0.0/24"
  validation {
    condition     = can(cidrhost(var.cidr, 200)) && try(tonumber(split("/", var.cidr)[1]) <= 24, false)
    error_message = "cidr must be an IPv4 CIDR of /24 or larger (DHCP hands out hosts .10-.200)."
  }
}
