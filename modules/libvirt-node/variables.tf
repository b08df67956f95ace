variable "name" {
  description = "Name of the domain, prefix of its volumes, and the guest's default hostname."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be a hostname label: 1-63 lowercase letters, digits or dashes, not starting or ending with a dash."
  }
}

variable "pool" {
  description = "Name of the storage pool that holds the node's disk and cloud-init volume."
  type        = string
  validation {
    condition     = length(var.pool) > 0
    error_message = "pool must name a libvirt storage pool."
  }
}

variable "disk_mode" {
  description = "`overlay`: a qcow2 copy-on-write overlay whose backing store is `base_volume_id` (fast to create, shares the base). `copy`: a standalone volume holding a full copy of the image (no backing chain, for when overlays on one base become the disk bottleneck)."
  type        = string
  default     = "overlay"
  validation {
    condition     = contains(["overlay", "copy"], var.disk_mode)
    error_message = "disk_mode must be \"overlay\" or \"copy\"."
  }
}

variable "base_volume_id" {
  description = "id (key, the file path in dir pools) of the shared base volume: the overlay's backing store, and in `copy` mode the file copied when `copy_source` is null (Terraform must then run on the libvirt host)."
  type        = string
  validation {
    condition     = length(var.base_volume_id) > 0
    error_message = "base_volume_id must be the id of a libvirt_volume (for example libvirt_volume.base.id)."
  }
}

variable "base_volume_format" {
  description = "Format of the base volume: `qcow2` or `raw`. In `copy` mode the copy has this format too."
  type        = string
  default     = "qcow2"
  validation {
    condition     = contains(["qcow2", "raw"], var.base_volume_format)
    error_message = "base_volume_format must be \"qcow2\" or \"raw\"."
  }
}

variable "copy_source" {
  description = "`copy` mode only: local path or http(s) URL of the image to copy into the node's volume. null copies the file at `base_volume_id`."
  type        = string
  default     = null
}

variable "disk_size_gib" {
  description = "Size of the node's disk in GiB: the overlay's size (at least the base image's virtual size), or a raw copy's. null for a qcow2 copy, which keeps the image's virtual size."
  type        = number
  default     = 10
  validation {
    condition     = var.disk_size_gib == null || try(var.disk_size_gib >= 1 && var.disk_size_gib <= 65536 && floor(var.disk_size_gib) == var.disk_size_gib, false)
    error_message = "disk_size_gib must be a whole number of GiB from 1 to 65536."
  }
  validation {
    condition     = var.disk_size_gib != null || var.disk_mode == "copy"
    error_message = "disk_size_gib is required when disk_mode is \"overlay\" (an overlay needs its own size)."
  }
  validation {
    condition     = var.disk_size_gib == null || var.disk_mode == "overlay" || var.base_volume_format == "raw"
    error_message = "disk_size_gib must be null for a qcow2 copy (disk_mode \"copy\"): the copy keeps the image's own virtual size, which libvirt reads from it."
  }
}

variable "user_data" {
  description = "cloud-init `user-data`: a `#cloud-config` document, a script starting with `#!`, or a MIME multipart archive."
  type        = string
  default     = "#cloud-config\n{}\n"
  sensitive   = true
}

variable "meta_data" {
  description = "cloud-init `meta-data`. null writes `instance-id` and `local-hostname` from `name`."
  type        = string
  default     = null
}

variable "network_config" {
  description = "cloud-init `network-config` (version 1 or 2). null leaves it out: cloud-init then runs DHCP on the first interface."
  type        = string
  default     = null
  sensitive   = true
}

variable "domain_type" {
  description = "Hypervisor: `kvm`, or `qemu` (TCG software emulation, slow) where KVM is unavailable."
  type        = string
  default     = "kvm"
  validation {
    condition     = contains(["kvm", "qemu"], var.domain_type)
    error_message = "domain_type must be \"kvm\" or \"qemu\" (use \"qemu\" only where /dev/kvm is unusable)."
  }
}

variable "machine" {
  description = "QEMU machine type, e.g. `q35` or `pc`."
  type        = string
  default     = "q35"
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]*$", var.machine))
    error_message = "machine must be a QEMU machine type such as \"q35\" or \"pc\"."
  }
}

variable "cpu_mode" {
  description = "libvirt CPU mode: `host-passthrough`, `host-model`, `maximum` or `custom` (with `cpu_model`). null: `host-passthrough` with kvm, QEMU's default CPU with qemu."
  type        = string
  default     = null
  validation {
    condition     = var.cpu_mode == null || contains(["host-passthrough", "host-model", "maximum", "custom"], coalesce(var.cpu_mode, "-"))
    error_message = "cpu_mode must be null, \"host-passthrough\", \"host-model\", \"maximum\" or \"custom\"."
  }
  validation {
    condition     = var.cpu_mode != "host-passthrough" || var.domain_type == "kvm"
    error_message = "cpu_mode \"host-passthrough\" needs domain_type \"kvm\"; with \"qemu\" use \"maximum\", \"custom\" or null."
  }
}

variable "cpu_model" {
  description = "CPU model name when `cpu_mode` is `custom`, e.g. `Skylake-Server` (`virsh cpu-models x86_64` lists them)."
  type        = string
  default     = null
  validation {
    condition     = (var.cpu_mode == "custom") == (var.cpu_model != null)
    error_message = "cpu_model must be set exactly when cpu_mode is \"custom\"."
  }
}

variable "memory_mib" {
  description = "Memory in MiB (2048 = 2 GiB)."
  type        = number
  default     = 1024
  validation {
    condition     = var.memory_mib >= 64 && var.memory_mib <= 16777216 && floor(var.memory_mib) == var.memory_mib
    error_message = "memory_mib is a whole number of MiB from 64 to 16777216 (16 TiB): 2048 means 2 GiB; a value in bytes or KiB is too large, one in GiB too small."
  }
}

variable "vcpu" {
  description = "Number of virtual CPUs."
  type        = number
  default     = 1
  validation {
    condition     = var.vcpu >= 1 && var.vcpu <= 4096 && floor(var.vcpu) == var.vcpu
    error_message = "vcpu must be a whole number from 1 to 4096."
  }
}

variable "vcpu_pinning" {
  description = "Host CPU for each vCPU in order (vCPU i runs on host CPU vcpu_pinning[i]); empty: not pinned."
  type        = list(number)
  default     = []
  nullable    = false
  validation {
    condition     = length(var.vcpu_pinning) == 0 || length(var.vcpu_pinning) == var.vcpu
    error_message = "vcpu_pinning needs one host CPU per vCPU (as many entries as vcpu), or none."
  }
  validation {
    condition     = alltrue([for cpu in var.vcpu_pinning : cpu >= 0 && floor(cpu) == cpu])
    error_message = "vcpu_pinning entries are host CPU numbers: whole numbers from 0."
  }
}

variable "firmware" {
  description = "`bios` (SeaBIOS) or `efi` (UEFI, chosen by libvirt from the installed firmware descriptors; needs OVMF on the host)."
  type        = string
  default     = "bios"
  validation {
    condition     = contains(["bios", "efi"], var.firmware)
    error_message = "firmware must be \"bios\" or \"efi\"."
  }
}

variable "network_interfaces" {
  description = "Network interfaces in order: `network` is the libvirt network's name (libvirt refers to networks by name, e.g. libvirt_network.lan.name); `mac` fixes the MAC, null lets libvirt generate one."
  type = list(object({
    network = string
    mac     = optional(string)
  }))
  validation {
    condition     = length(var.network_interfaces) >= 1
    error_message = "network_interfaces needs at least one interface."
  }
  validation {
    condition     = alltrue([for nic in var.network_interfaces : length(nic.network) > 0])
    error_message = "network_interfaces[*].network must name a libvirt network."
  }
  validation {
    condition = alltrue([
      for nic in var.network_interfaces :
      nic.mac == null || can(regex("^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$", nic.mac))
    ])
    error_message = "network_interfaces[*].mac must be six colon-separated hex bytes, e.g. \"52:54:00:12:34:56\"."
  }
  validation {
    condition = alltrue([
      for nic in var.network_interfaces :
      nic.mac == null || try(parseint(substr(nic.mac, 0, 2), 16) % 2 == 0, false)
    ])
    error_message = "network_interfaces[*].mac must be a unicast address (even first byte, e.g. 52:54:00:...)."
  }
  validation {
    condition = length([for nic in var.network_interfaces : lower(nic.mac) if nic.mac != null]) == length(distinct([
      for nic in var.network_interfaces : lower(nic.mac) if nic.mac != null
    ]))
    error_message = "network_interfaces[*].mac must be distinct."
  }
}

variable "extra_readonly_disks" {
  description = "Raw volumes attached read-only after the seed (vdc, vdd, ...), shareable between nodes: e.g. an air-gap bundle that cloud-init mounts by its label."
  type = list(object({
    pool   = string
    volume = string
  }))
  default  = []
  nullable = false
  validation {
    condition     = length(var.extra_readonly_disks) <= 24
    error_message = "extra_readonly_disks: at most 24 disks (vdc to vdz)."
  }
}

variable "kernel" {
  description = "Direct kernel boot: path on the libvirt host (e.g. a volume id) of the kernel. null boots from the disk, as cloud images do."
  type        = string
  default     = null
}

variable "initrd" {
  description = "Direct kernel boot: path on the libvirt host of the initramfs."
  type        = string
  default     = null
  validation {
    condition     = var.initrd == null || var.kernel != null
    error_message = "initrd needs kernel (direct kernel boot)."
  }
}

variable "kernel_cmdline" {
  description = "Direct kernel boot: the kernel command line."
  type        = string
  default     = null
  validation {
    condition     = var.kernel_cmdline == null || var.kernel != null
    error_message = "kernel_cmdline needs kernel (direct kernel boot)."
  }
}

variable "console_log" {
  description = "Path on the libvirt host where the serial console (ttyS0) is also written, for reading a guest's boot after the fact (libvirt's virtlogd writes it). null keeps no log."
  type        = string
  default     = null
  validation {
    condition     = var.console_log == null || startswith(coalesce(var.console_log, "/"), "/")
    error_message = "console_log must be an absolute path on the libvirt host."
  }
}

variable "autostart" {
  description = "Start the domain when libvirtd starts."
  type        = bool
  default     = false
}

variable "running" {
  description = "Whether the domain runs; false defines it without starting it."
  type        = bool
  default     = true
}

variable "shutdown_timeout" {
  description = "Seconds to wait for an ACPI shutdown on destroy and restarts before pulling the plug (0: at once, for guests that ignore ACPI)."
  type        = number
  default     = 60
  validation {
    condition     = var.shutdown_timeout >= 0 && floor(var.shutdown_timeout) == var.shutdown_timeout
    error_message = "shutdown_timeout must be a whole number of seconds, 0 or more."
  }
}

variable "wait_for_ip_timeout" {
  description = "Seconds to wait after start until every interface has an address (from `ip_address_source`); 0 does not wait."
  type        = number
  default     = 0
  validation {
    condition     = var.wait_for_ip_timeout >= 0 && floor(var.wait_for_ip_timeout) == var.wait_for_ip_timeout
    error_message = "wait_for_ip_timeout must be a whole number of seconds, 0 or more."
  }
}

variable "ip_address_source" {
  description = "Where the `ip_addresses` output comes from: `lease` (libvirt's DHCP), `agent` (qemu-guest-agent in the guest) or `arp`."
  type        = string
  default     = "lease"
  validation {
    condition     = contains(["lease", "agent", "arp"], var.ip_address_source)
    error_message = "ip_address_source must be \"lease\", \"agent\" or \"arp\"."
  }
}
