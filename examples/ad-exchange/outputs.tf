output "kubeconfig" {
  description = "Admin kubeconfig of the cluster."
  value       = module.cluster.kubeconfig
  sensitive   = true
}

output "api_url" {
  value = module.cluster.api_url
}

output "node_ips" {
  value = module.cluster.node_ips
}

output "exchange_url" {
  description = "In-cluster URL of the exchange's auction endpoint."
  value       = module.ad_exchange.exchange_url
}
