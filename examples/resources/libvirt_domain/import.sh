# A domain is imported by its UUID or by its name.
terraform import libvirt_domain.node node-1
terraform import libvirt_domain.node 6695eb01-f6a4-8304-79aa-97f2502e193f
