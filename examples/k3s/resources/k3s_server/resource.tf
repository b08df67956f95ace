# The key's text, e.g. `TF_VAR_ssh_private_key="$(cat ~/.ssh/id_ed25519)"`.
variable "ssh_private_key" {
  type      = string
  sensitive = true
}

resource "k3s_cluster" "lab" {
  name       = "lab"
  server_url = "https://10.0.0.11:6443"
}

resource "k3s_server" "first" {
  token            = k3s_cluster.lab.token
  server_tls_files = k3s_cluster.lab.server_tls_files
  cluster_init     = true
  kubeconfig       = k3s_cluster.lab.kubeconfig

  ssh {
    host                  = "10.0.0.11"
    user                  = "debian"
    private_key           = var.ssh_private_key
    host_key_fingerprints = ["SHA256:Jc7ZGYR2d2Y1pvY0Q4nPKp5o0Jm1xq2uQv8Xz0vR2gk"]

    bastion {
      host  = "jump.example.com"
      user  = "ops"
      agent = true
    }
  }

  config {
    node_ip     = ["10.0.0.11"]
    tls_san     = ["k3s.example.com"]
    disable     = ["traefik"]
    node_labels = { "topology.kubernetes.io/zone" = "rack-1" }
    node_taints = ["node-role.kubernetes.io/control-plane=true:NoSchedule"]
  }

  online {
    version = "v1.31.4+k3s1"
  }
}
