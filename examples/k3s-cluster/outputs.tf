output "api_url" {
  description = "The cluster's API server URL."
  value       = module.cluster.api_url
}

output "kubeconfig" {
  description = "Admin kubeconfig: `terraform output -raw kubeconfig > k3s.yaml`."
  value       = module.cluster.kubeconfig
  sensitive   = true
}

output "node_ips" {
  description = "Fixed address of each node by name."
  value       = module.cluster.node_ips
}
