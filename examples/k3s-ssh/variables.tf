variable "cluster_name" {
  description = "Cluster name: kubeconfig context and CA common names."
  type        = string
  default     = "lab"
}

variable "servers" {
  description = "Control-plane machines by node name. The first (by name) starts the cluster with embedded etcd; use 1 or 3 for HA."
  type = map(object({
    host = string
    ip   = string
  }))
  validation {
    condition     = contains([1, 3, 5], length(var.servers))
    error_message = "servers must hold 1, 3 or 5 machines: embedded etcd needs an odd number for quorum."
  }
}

variable "agents" {
  description = "Worker machines by node name."
  type = map(object({
    host   = string
    labels = optional(map(string), {})
  }))
  default = {}
}

variable "ssh_user" {
  description = "SSH user on every machine (password-less sudo when not root)."
  type        = string
  default     = "root"
}

variable "ssh_private_key_file" {
  description = "Private key used for every machine."
  type        = string
  default     = "~/.ssh/id_ed25519"
}

variable "known_hosts_file" {
  description = "known_hosts holding the machines' host keys."
  type        = string
  default     = "~/.ssh/known_hosts"
}

variable "k3s_version" {
  description = "k3s release, e.g. v1.31.4+k3s1; changing it upgrades every node in place."
  type        = string
  default     = "v1.31.4+k3s1"
  validation {
    condition     = can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+\\+k3s[0-9]+$", var.k3s_version))
    error_message = "k3s_version must look like v1.31.4+k3s1."
  }
}
