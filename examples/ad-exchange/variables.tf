variable "libvirt_uri" {
  description = "libvirt connection URI; null: LIBVIRT_DEFAULT_URI, then qemu:///system."
  type        = string
  default     = null
}

variable "name" {
  description = "Cluster name: prefix of every libvirt object, kubeconfig context."
  type        = string
  default     = "adx"
}

variable "cidr" {
  description = "The cluster's NAT network."
  type        = string
  default     = "10.17.0.0/24"
}

variable "base_image" {
  description = "Local path or http(s) URL of a cloud image with cloud-init (e.g. Debian 12 genericcloud qcow2)."
  type        = string
}

variable "airgap_bundle" {
  description = "The air-gap bundle disk image made by scripts/airgap-bundle.sh (k3s, install.sh, images/ with the k3s and rtb-* archives; filesystem label K3S)."
  type        = string
}

variable "pool_path" {
  description = "Directory of the storage pool."
  type        = string
  default     = "/var/lib/libvirt/images/adx"
}

variable "domain_type" {
  description = "kvm on real hosts; qemu (software emulation) where /dev/kvm is unusable."
  type        = string
  default     = "kvm"
}

variable "worker_count" {
  description = "Number of workers (worker-1 ... worker-N); changing it adds or removes only those VMs."
  type        = number
  default     = 2
}

variable "bidder_count" {
  description = "Number of bidders the exchange fans out to."
  type        = number
  default     = 2
}

variable "ssh_authorized_keys" {
  description = "SSH public keys for the nodes' default user."
  type        = list(string)
  default     = []
}

variable "campaigns" {
  description = "The bidders' campaigns (modules/ad-exchange's `campaigns`)."
  type        = any
  default = [
    {
      id       = "spring-sale"
      seat     = "seat-1"
      bid_cpm  = 2.5
      budget   = 1000
      adomain  = ["brand.example"]
      cat      = ["IAB22"]
      creative = { id = "cr-1", format = "banner", w = 300, h = 250, adm = "<a href='https://brand.example'><img src='https://cdn.example/1.png'></a>" }
      targeting = {
        countries = ["USA", "CAN"]
      }
    },
    {
      id             = "morning-video"
      seat           = "seat-1"
      bid_cpm        = 9
      budget         = 250
      pace_over_secs = 86400
      adomain        = ["brand.example"]
      creative       = { id = "cr-2", format = "video", mime = "video/mp4", duration = 15, adm = "<VAST version='4.0'></VAST>" }
      frequency_cap  = { max = 3, window_secs = 3600 }
    },
  ]
}
