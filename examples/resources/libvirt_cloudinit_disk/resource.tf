# A NoCloud seed disk for one machine. The ISO is built in memory and uploaded into the
# pool; attach `libvirt_cloudinit_disk.web.id` to the domain as a cdrom (or raw disk).
# cloud-init finds it by its volume label `cidata`.
resource "libvirt_cloudinit_disk" "web" {
  name = "web-1-cloudinit.iso"
  pool = "default"

  user_data = <<-EOT
    #cloud-config
    hostname: web-1
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly admin@example
    packages:
      - nginx
  EOT

  # Change instance-id to have cloud-init run its once-per-instance modules again.
  meta_data = <<-EOT
    instance-id: web-1-v1
    local-hostname: web-1
  EOT

  network_config = <<-EOT
    version: 2
    ethernets:
      primary:
        match:
          macaddress: "52:54:00:aa:00:01"
        dhcp4: true
  EOT
}
