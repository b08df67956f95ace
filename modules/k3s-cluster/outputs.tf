output "kubeconfig" {
  description = "Admin kubeconfig for `api_url`, known before any node boots (with `wait_for_ready`, usable once apply returns)."
  value       = k3s_cluster.this.kubeconfig
  sensitive   = true
}

output "api_url" {
  description = "The API server URL, `https://FIRST-SERVER-IP:6443`."
  value       = k3s_cluster.this.server_url
}

output "node_ips" {
  description = "Fixed IPv4 address of each node, by node name (known at plan time)."
  value       = local.node_ip
}

output "node_macs" {
  description = "MAC address of each node's interface, by node name (its DHCP host entry)."
  value       = local.node_mac
}

output "server_names" {
  description = "Node names of the control-plane nodes, sorted; the first one started the cluster."
  value       = sort(keys(local.servers))
}

output "worker_names" {
  description = "Node names of the workers, sorted."
  value       = sort(keys(local.workers))
}

output "domains" {
  description = "Each node's libvirt domain: name, UUID, and the addresses libvirt saw (empty until it has a lease, when `wait_for_ip_timeout` is 0)."
  value = {
    for k, node in module.node : k => {
      name         = node.name
      id           = node.id
      ip_addresses = node.ip_addresses
    }
  }
}

output "network_name" {
  description = "Name of the cluster's NAT network."
  value       = libvirt_network.this.name
}

output "pool_name" {
  description = "Name of the cluster's storage pool."
  value       = libvirt_pool.this.name
}

output "ready_nodes" {
  description = "Nodes that were Ready when `k3s_ready` finished waiting; null with `wait_for_ready = false`."
  value       = var.wait_for_ready ? k3s_ready.this[0].ready_nodes : null
}
