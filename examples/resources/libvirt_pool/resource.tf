# A directory pool for virtual machine disks. Creating it builds (mkdir) the target
# directory; destroying it undefines the pool and leaves the directory and its files alone.
resource "libvirt_pool" "vm_disks" {
  name      = "vm-disks"
  type      = "dir"
  autostart = true

  target {
    path = "/var/lib/libvirt/vm-disks"

    permissions {
      mode  = "0711"
      owner = "0"
      group = "0"
    }
  }
}
