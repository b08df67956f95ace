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
    private_key      = file(pathexpand("~/.ssh/id_ed25519"))
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
