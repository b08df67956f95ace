# An Ignition config for a Fedora CoreOS or Flatcar machine, stored in a directory pool.
# The domain hands the file to the firmware with QEMU's fw_cfg:
#   qemu:commandline arguments "-fw_cfg" and
#   "name=opt/com.coreos/config,file=${libvirt_ignition.node.id}"
resource "libvirt_ignition" "node" {
  name = "node-1.ign"
  pool = "default"

  content = jsonencode({
    ignition = { version = "3.4.0" }
    passwd = {
      users = [{
        name              = "core"
        sshAuthorizedKeys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly admin@example"]
      }]
    }
    storage = {
      files = [{
        path     = "/etc/hostname"
        mode     = 420
        contents = { source = "data:,node-1" }
      }]
    }
  })
}
