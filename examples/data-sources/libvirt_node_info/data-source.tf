# The host's size, read on every plan: here it sizes a guest at half of the host's CPUs
# and a quarter of its memory (use the locals in a libvirt_domain's vcpu and memory).
data "libvirt_node_info" "host" {}

locals {
  guest_vcpus      = max(1, floor(data.libvirt_node_info.host.cpus / 2))
  guest_memory_mib = floor(data.libvirt_node_info.host.memory_kib / 1024 / 4)
}

output "guest_size" {
  value = "${local.guest_vcpus} vCPUs, ${local.guest_memory_mib} MiB on ${data.libvirt_node_info.host.id}"
}
