output "network_id" {
  description = "UUID of the NAT network."
  value       = libvirt_network.cloud.id
}

output "nodes" {
  description = "Each node: domain UUID, MAC addresses, IP addresses and disk volume."
  value = {
    for key, node in module.node : key => {
      id             = node.id
      name           = node.name
      mac_addresses  = node.mac_addresses
      ip_addresses   = node.ip_addresses
      disk_volume_id = node.disk_volume_id
    }
  }
}

output "node_ips" {
  description = "First IP address of each node (from its DHCP lease), null until it has one."
  value       = { for key, node in module.node : node.name => try(node.ip_addresses[0], null) }
}
