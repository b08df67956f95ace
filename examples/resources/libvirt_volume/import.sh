# A volume is imported by its key (the file path in directory pools), its path, or
# "<pool>/<name>".
terraform import libvirt_volume.web_disk /var/lib/libvirt/images/web-1.qcow2
terraform import libvirt_volume.web_disk default/web-1.qcow2

# libvirt does not remember where a volume's content came from: keep `content_source`
# out of an imported volume's configuration (setting it plans a replacement).
