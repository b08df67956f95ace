# The key's text, e.g. `TF_VAR_ssh_private_key="$(cat ~/.ssh/id_ed25519)"`.
variable "ssh_private_key" {
  type      = string
  sensitive = true
}

variable "cluster_token" {
  type      = string
  sensitive = true
}

variable "kubeconfig" {
  type      = string
  sensitive = true
}

resource "k3s_agent" "worker" {
  token      = var.cluster_token
  server_url = "https://10.0.0.11:6443"
  kubeconfig = var.kubeconfig

  ssh {
    host             = "10.0.0.21"
    private_key      = var.ssh_private_key
    known_hosts_file = pathexpand("~/.ssh/known_hosts")
  }

  config {
    node_labels = { "workload" = "bidder" }
  }

  # k3s binary, install script and images already on the machine.
  airgap {
    binary_path         = "/opt/k3s/k3s"
    install_script_path = "/opt/k3s/install.sh"
    images_path         = "/opt/k3s/k3s-airgap-images-amd64.tar.zst"
  }
}
