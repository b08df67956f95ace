variable "kubeconfig" {
  type      = string
  sensitive = true
}

resource "k3s_ready" "cluster" {
  kubeconfig = var.kubeconfig
  nodes      = ["server-1", "worker-1", "worker-2"]
  timeout    = "15m"
}
