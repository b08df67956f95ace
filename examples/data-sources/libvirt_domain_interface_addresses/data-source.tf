# The addresses a running guest got from libvirt's DHCP on the interface with this MAC.
# Use source = "agent" when the guest runs qemu-guest-agent (it also sees static
# addresses), or "arp" for bridged guests libvirt's DHCP does not serve.
data "libvirt_domain_interface_addresses" "node" {
  domain = "node-1"
  mac    = "52:54:00:aa:00:01"
  source = "lease"
}

output "node_ip" {
  value = data.libvirt_domain_interface_addresses.node.addresses
}
