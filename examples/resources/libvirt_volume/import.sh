# A volume is imported by its key (the file path in directory pools), its path, or
# "<pool>/<name>".
terraform import libvirt_volume.web_disk /var/lib/libvirt/images/web-1.qcow2
terraform import libvirt_volume.web_disk default/web-1.qcow2

# libvirt does not record where a volume's content came from, so an imported volume has
# no `content_source`. Setting it in the configuration then replaces the volume (and
# every overlay backed by it): leave it out, or keep it and add
#   lifecycle {
#     ignore_changes = [content_source]
#   }
