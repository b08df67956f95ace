# A domain Terraform does not manage, looked up by name (or by `uuid`; set exactly one).
# Its attributes mirror the libvirt_domain resource; blocks there are read-only
# attributes here, so they are read as lists of objects.
data "libvirt_domain" "router" {
  name = "router"
}

output "router_uuid" {
  value = data.libvirt_domain.router.id
}

output "router_running" {
  value = data.libvirt_domain.router.running
}
