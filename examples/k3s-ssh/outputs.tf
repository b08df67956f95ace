output "kubeconfig" {
  description = "Admin kubeconfig, known before any node was installed."
  value       = k3s_cluster.this.kubeconfig
  sensitive   = true
}

output "api_url" {
  value = k3s_cluster.this.server_url
}

output "ready_nodes" {
  value = k3s_ready.this.ready_nodes
}
