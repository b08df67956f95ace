resource "k3s_cluster" "lab" {
  name       = "lab"
  server_url = "https://192.168.122.10:6443"

  # Optional: ECDSA P-256 and 10-year CAs are the defaults.
  key_algorithm        = "ecdsa-p384"
  ca_validity_days     = 3650
  client_validity_days = 365
}

# Known as soon as the cluster resource exists, before any node boots.
output "kubeconfig" {
  value     = k3s_cluster.lab.kubeconfig
  sensitive = true
}
