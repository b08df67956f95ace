output "id" {
  description = "UUID of the domain."
  value       = libvirt_domain.this.id
}

output "name" {
  description = "Name of the domain."
  value       = libvirt_domain.this.name
}

output "mac_addresses" {
  description = "MAC address of each network interface, in the order of `network_interfaces` (generated ones included)."
  value       = [for nic in libvirt_domain.this.devices[0].interface : nic.mac[0].address]
}

output "ip_addresses" {
  description = "Every IP address the interfaces hold, from `ip_address_source`, as read after start (wait with `wait_for_ip_timeout`)."
  value       = flatten([for nic in coalesce(libvirt_domain.this.interface_addresses, []) : nic.addresses])
}

output "interfaces" {
  description = "Each interface in order: its network, MAC and addresses."
  value = [
    for i, nic in libvirt_domain.this.devices[0].interface : {
      network   = nic.source[0].network
      mac       = nic.mac[0].address
      addresses = try(libvirt_domain.this.interface_addresses[i].addresses, [])
    }
  ]
}

output "disk_volume_id" {
  description = "id (key, the path in dir pools) of the node's disk volume."
  value       = libvirt_volume.disk.id
}

output "cloudinit_volume_id" {
  description = "id of the node's cloud-init seed volume."
  value       = libvirt_cloudinit_disk.seed.id
}
