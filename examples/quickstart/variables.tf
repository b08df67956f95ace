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
  description = "Local path or http(s) URL of the base qcow2 image uploaded into the pool."
  type        = string
}

variable "pool_path" {
  description = "Directory of the storage pool."
  type        = string
  default     = "/var/lib/libvirt/images/quickstart"
}

variable "node_count" {
  description = "Number of node disks (and DHCP leases)."
  type        = number
  default     = 2
  validation {
    condition     = var.node_count >= 1 && var.node_count <= 50 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number from 1 to 50."
  }
}

variable "node_disk_gib" {
  description = "Size of each node's disk in GiB (at least the base image's size)."
  type        = number
  default     = 4
}

variable "cidr" {
  description = "IPv4 network of the NAT network, e.g. 10.42.0.0/24."
  type        = string
  default     = "10.42.0.0/24"
  validation {
    condition     = can(cidrhost(var.cidr, 200)) && tonumber(split("/", var.cidr)[1]) <= 24
    error_message = "cidr must be an IPv4 CIDR of /24 or larger (room for hosts .10-.200)."
  }
}
