output "network_id" {
  description = "UUID of the NAT network."
  value       = libvirt_network.cloud.id
}

output "node_disks" {
  description = "Path of each node's overlay disk."
  value       = { for k, v in libvirt_volume.node : k => v.id }
}

output "node_ips" {
  description = "Fixed DHCP address of each node."
  value       = { for h in libvirt_network.cloud.ip[0].dhcp[0].host : h.name => h.ip }
}
