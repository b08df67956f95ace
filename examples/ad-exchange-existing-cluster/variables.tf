variable "kubeconfig_path" {
  description = "Path of the kubeconfig file of an existing k3s cluster (on a k3s server: /etc/rancher/k3s/k3s.yaml, with `server:` pointing at an address this machine reaches)."
  type        = string
  validation {
    condition     = fileexists(pathexpand(var.kubeconfig_path))
    error_message = "kubeconfig_path must name an existing kubeconfig file."
  }
}

variable "namespace" {
  description = "Namespace for the exchange and the bidders."
  type        = string
  default     = "ad-exchange"
}

variable "bidder_count" {
  description = "How many bidders the exchange calls."
  type        = number
  default     = 2
}

variable "wait_for_rollout" {
  description = "Wait until every Deployment has rolled out (needs the images imported on the nodes)."
  type        = bool
  default     = true
}
