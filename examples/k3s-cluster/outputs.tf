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

output "server_names" {
  description = "Control-plane node names."
  value       = module.cluster.server_names
}

output "worker_names" {
  description = "Worker node names."
  value       = module.cluster.worker_names
}

output "node_macs" {
  description = "MAC address of each node by name."
  value       = module.cluster.node_macs
}

output "domains" {
  description = "Each node's libvirt domain: name, UUID and the addresses libvirt saw."
  value       = module.cluster.domains
}
