# A network is imported by its UUID or by its name.
terraform import libvirt_network.lab lab
terraform import libvirt_network.lab 0d2f7a86-57c4-4b1f-8a0e-6f1d3b9e2c47
