# A pool is imported by its UUID or by its name.
terraform import libvirt_pool.vm_disks vm-disks
terraform import libvirt_pool.vm_disks 6c1c3d5e-2b7a-4d8e-9f4b-0a1e2d3c4b5a
